#!/usr/bin/env python3
"""Formats the results of bench/run as one markdown table plus summary lines.

    python3 bench/report.py RESULTS_DIR

RESULTS_DIR (target/bench) holds what bench/run wrote:

  rows.tsv     one line per table row, tab-separated:
               label, wrk output files, expected non-2xx codes (comma-separated, or -),
               floor pgbench outputs (or -), the floor at the server's pool size (or -)
  lines.tsv    label <TAB> value: printed as "- label: value" after the table
  notes.txt    free text printed last

A row with several wrk and floor files (comma-separated, one pair per round) shows the medians
of req/s, p50, p99 and the floor, the answers of all rounds added up, and as its ratio the median
of the rounds' own ratios.
A wrk output file holds the line printed by bench/wrk/common.lua's done():
  BENCH name=... rps=... p50_us=... p99_us=... non2xx=... statuses=200:123,409:4 ...
A pgbench output file holds pgbench's "tps = N (without initial connection time)" and
"latency average = N ms": the floor's mean latency at the same concurrency, which bounds the
latency the server can reach there (by Little's law, clients / throughput).
Python 3 standard library only.
"""

import re
import sys
from pathlib import Path
from statistics import median

TPS = re.compile(r"^tps = ([0-9.]+) \(without initial connection time\)", re.M)
LATENCY = re.compile(r"^latency average = ([0-9.]+) ms", re.M)


def wrk_result(path):
    """The key=value fields of the BENCH line in a wrk output file, or None."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("BENCH "):
            return dict(field.split("=", 1) for field in line.split()[1:] if "=" in field)
    return None


def pgbench_figure(path, pattern):
    """The number `pattern` captures in a pgbench output file, or None."""
    if path in ("", "-"):
        return None
    try:
        match = pattern.search(Path(path).read_text(errors="replace"))
    except OSError:
        return None
    return float(match.group(1)) if match else None


def rate(value):
    if value is None:
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def millis(micros):
    ms = float(micros) / 1000
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}"


def statuses(result):
    """{status code: count} from the statuses field ("-" when not counted)."""
    counts = {}
    raw = result.get("statuses", "-")
    if raw != "-":
        for pair in raw.split(","):
            code, count = pair.split(":")
            counts[int(code)] = int(count)
    return counts


def non_2xx(result, expected):
    """The non-2xx/3xx answers by status (expected ones marked), plus socket errors."""
    counts = statuses(result)
    parts = []
    if counts:
        for code in sorted(c for c in counts if c >= 400):
            mark = " expected" if str(code) in expected else ""
            parts.append(f"{counts[code]} × {code}{mark}")
    elif int(result.get("non2xx", 0)):
        parts.append(f"{result['non2xx']}")
    socket = {
        "connect": int(result.get("connect_err", 0)),
        "read": int(result.get("read_err", 0)),
        "write": int(result.get("write_err", 0)),
        "timeout": int(result.get("timeout_err", 0)),
    }
    parts += [f"{n} {kind} errors" for kind, n in socket.items() if n]
    return ", ".join(parts) if parts else "0"


def floor_figures(paths, pattern):
    """The figure of each comma-separated pgbench output, or None unless every run has one."""
    figures = [pgbench_figure(path, pattern) for path in paths.split(",")]
    return None if None in figures else figures


def floor_figure(paths, none_cell):
    """A floor's throughput (the median of its runs) and its table cell: `none_cell` when the row
    has no such floor, "failed" when a pgbench run printed no figure."""
    if paths == "-":
        return None, none_cell
    figures = floor_figures(paths, TPS)
    if figures is None:
        return None, "failed"
    return median(figures), rate(median(figures))


def combined(results):
    """One wrk result for several rounds: medians of rps and latencies, counts added up."""
    merged = {key: str(median(float(r[key]) for r in results)) for key in ("rps", "p50_us", "p99_us")}
    for key in ("non2xx", "connect_err", "read_err", "write_err", "timeout_err"):
        merged[key] = str(sum(int(r.get(key, 0)) for r in results))
    if any(r.get("statuses", "-") == "-" for r in results):
        merged["statuses"] = "-"
    else:
        totals = {}
        for r in results:
            for code, count in statuses(r).items():
                totals[code] = totals.get(code, 0) + count
        merged["statuses"] = ",".join(f"{code}:{count}" for code, count in sorted(totals.items()))
    return merged


def table(results_dir):
    out = [
        "| endpoint | req/s | p50 ms | p99 ms | non-2xx | floor req/s (pgbench) | floor mean ms"
        " | ratio to floor | pool floor req/s | ratio to pool floor |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for line in (results_dir / "rows.tsv").read_text().splitlines():
        if not line.strip():
            continue
        label, wrk_file, expected, floor_file, pool_file = line.split("\t")
        expected = set(expected.split(",")) - {"-"}
        rounds = [wrk_result(path) for path in wrk_file.split(",")]
        if None in rounds:
            out.append(f"| {label} | failed | | | see {wrk_file} | | | | | |")
            continue
        result = combined(rounds)
        rps = float(result["rps"])
        floor, floor_cell = floor_figure(floor_file, "n/a")
        latencies = None if floor_file == "-" else floor_figures(floor_file, LATENCY)
        floor_latency = None if latencies is None else median(latencies)
        floors = None if floor_file == "-" else floor_figures(floor_file, TPS)
        if floors and len(floors) == len(rounds):
            ratio = f"{median(float(r['rps']) / f for r, f in zip(rounds, floors)):.2f}"
        else:
            ratio = "–"
        pool_floor, pool_cell = floor_figure(pool_file, "–")
        pool_ratio = f"{rps / pool_floor:.2f}" if pool_floor else "–"
        out.append(
            f"| {label} | {rate(rps)} | {millis(result['p50_us'])} | {millis(result['p99_us'])}"
            f" | {non_2xx(result, expected)} | {floor_cell}"
            f" | {'–' if floor_latency is None else f'{floor_latency:.2f}'} | {ratio}"
            f" | {pool_cell} | {pool_ratio} |"
        )
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    results_dir = Path(sys.argv[1])
    out = table(results_dir)
    lines = results_dir / "lines.tsv"
    if lines.exists():
        out.append("")
        for line in lines.read_text().splitlines():
            if "\t" in line:
                label, value = line.split("\t", 1)
                out.append(f"- {label}: {value}")
    notes = results_dir / "notes.txt"
    if notes.exists():
        out.append("")
        out += notes.read_text().rstrip("\n").splitlines()
    print("\n".join(out))


if __name__ == "__main__":
    main()
