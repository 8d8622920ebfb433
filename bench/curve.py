#!/usr/bin/env python3
"""Turns the results of bench/scale into a markdown report and an SVG cost curve.

    python3 bench/curve.py RESULTS_TSV REPORT_MD SVG_PATH

Prints the report and writes it to REPORT_MD as well; draws p99 against table size to SVG_PATH.

RESULTS_TSV is what bench/scale wrote: tab-separated, with the header line

  posts  read  connections  rps  p50_us  p99_us  requests  non2xx

then one line per measurement: the posts in the table, the read's label ("feed, first page",
"single post", ...), wrk's connection count, requests per second, median and 99th percentile
latency in microseconds, the requests wrk made and the answers that were not 2xx.
Blank lines and lines starting with # are ignored; a line with a malformed number is skipped
with a warning. Reads keep the order of their first appearance in the file.

The report holds one table per table size, at 1 connection and at the file's largest connection
count ("many"); the ratios of the largest size to the smallest; and the targets at the largest
size. A measurement missing from the file shows as —.
Python 3 standard library only.
"""

import math
import sys
from pathlib import Path
from xml.sax.saxutils import escape

HEADER = ["posts", "read", "connections", "rps", "p50_us", "p99_us", "requests", "non2xx"]
TARGET_P99_ONE_MS = 25  # p99 at 1 connection, at the largest size
TARGET_P99_MANY_MS = 100  # p99 at many connections, at the largest size
TARGET_THROUGHPUT_DROP_PCT = 10  # req/s at many connections, largest size against smallest
THROUGHPUT_READS = ("feed, first page", "single post")  # the reads whose req/s must hold up
MISSING = "—"
# Okabe–Ito (its faint yellow last), then Paul Tol's wine and teal: colour-blind friendly.
PALETTE = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7",
           "#882255", "#44AA99", "#F0E442"]
# SVG layout in px: the plot areas of the two panels, and the legend below them.
WIDTH, MIN_HEIGHT, PLOT_TOP, PLOT_BOTTOM = 900, 420, 72, 290
PANELS_X = ((80, 425), (530, 875))
LEGEND_TOP, LEGEND_COLUMNS, LEGEND_STEP_X, LEGEND_STEP_Y = 362, 4, 200, 20


def fail(message):
    sys.exit(f"curve.py: {message}")  # printed on stderr, exit status 1


def warn(message):
    print(f"curve.py: warning: {message}", file=sys.stderr)


def number(raw, column):
    """The finite, non-negative number in a row's column (a whole one but for rps and latencies);
    ValueError naming the column otherwise."""
    integral = column not in ("rps", "p50_us", "p99_us")
    try:
        value = float(raw[column])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0 or (integral and value != int(value)):
        raise ValueError(f"{column}={raw[column]!r}")
    return int(value) if integral else value


def load(path):
    """{(posts, read, connections): {column: number}} and the reads in order of appearance."""
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as error:
        fail(f"cannot read {path}: {error.strerror or error}")
    lines = [(n, line) for n, line in enumerate(text.splitlines(), 1)
             if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        fail(f"{path} is empty")
    header = [field.strip() for field in lines[0][1].split("\t")]
    if [column for column in HEADER if column not in header]:
        fail(f"{path}: the first line must be the header: {' '.join(HEADER)} (tab-separated)")
    rows, reads = {}, []
    for n, line in lines[1:]:
        fields = [field.strip() for field in line.split("\t")]
        if len(fields) != len(header):
            warn(f"{path}:{n}: {len(fields)} fields instead of {len(header)}, skipped")
            continue
        raw = dict(zip(header, fields))
        try:
            row = {column: number(raw, column) for column in HEADER if column != "read"}
        except ValueError as error:
            warn(f"{path}:{n}: malformed number {error}, skipped")
            continue
        if not raw["read"] or not row["posts"] or not row["connections"]:
            warn(f"{path}:{n}: no read label, or zero posts or connections, skipped")
            continue
        key = (row["posts"], raw["read"], row["connections"])
        if key in rows:
            warn(f"{path}:{n}: a second line for {key}, the last one counts")
        rows[key] = row
        if raw["read"] not in reads:
            reads.append(raw["read"])
    if not rows:
        fail(f"{path} has no usable measurement")
    return rows, reads


def millis(micros):
    if micros is None:
        return MISSING
    ms = micros / 1000
    return f"{ms:.2f}" if ms < 10 else f"{ms:.1f}"


def per_second(rps):
    return MISSING if rps is None else f"{rps:,.0f}"


def ratio(numerator, denominator):
    return MISSING if numerator is None or not denominator else f"{numerator / denominator:.2f}×"


def verdict(micros, target_ms):
    """✓ or ✗ against a latency target, with the figure."""
    if micros is None:
        return MISSING
    return f"{'✓' if micros / 1000 <= target_ms else '✗'} {millis(micros)} ms"


def short(posts):
    """A table size as an axis label: 1000 → 1k, 100000 → 100k, 10000000 → 10M."""
    for unit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if posts >= unit:
            return f"{posts / unit:.3g}{suffix}"
    return f"{posts:g}"


def cell(label):
    return label.replace("|", "\\|")


def connections(n):
    return f"{n} connection" + ("" if n == 1 else "s")


def report(rows, reads, scales, few, many, svg_name):
    """The markdown report, as a list of lines."""
    def get(posts, read, conns, column):
        row = rows.get((posts, read, conns))
        return None if row is None else row[column]

    out = []
    # One table per table size.
    for posts in scales:
        out += [f"### {posts:,} posts", "",
                f"| read | {few} conn p50 | {few} conn p99 | {many} conn p50 | {many} conn p99"
                f" | {many} conn req/s | non-2xx |", "|---|---:|---:|---:|---:|---:|---:|"]
        for read in reads:
            measured = [rows[key] for key in {(posts, read, few), (posts, read, many)} if key in rows]
            non2xx = sum(row["non2xx"] for row in measured) if measured else MISSING
            out.append(
                f"| {cell(read)} | {millis(get(posts, read, few, 'p50_us'))}"
                f" | {millis(get(posts, read, few, 'p99_us'))}"
                f" | {millis(get(posts, read, many, 'p50_us'))}"
                f" | {millis(get(posts, read, many, 'p99_us'))}"
                f" | {per_second(get(posts, read, many, 'rps'))} | {non2xx} |")
        out.append("")
    small, large = scales[0], scales[-1]
    # How the largest size compares with the smallest.
    if len(scales) > 1:
        out += [f"### Ratio {large:,} / {small:,} posts", "",
                f"| read | p99 {few} conn | p99 {many} conn | req/s {many} conn |",
                "|---|---:|---:|---:|"]
        for read in reads:
            out.append(
                f"| {cell(read)} | {ratio(get(large, read, few, 'p99_us'), get(small, read, few, 'p99_us'))}"
                f" | {ratio(get(large, read, many, 'p99_us'), get(small, read, many, 'p99_us'))}"
                f" | {ratio(get(large, read, many, 'rps'), get(small, read, many, 'rps'))} |")
    else:
        out.append(f"The ratio of the largest table size to the smallest needs two sizes;"
                   f" this file has only {small:,} posts.")
    # The targets at the largest size.
    out += ["", f"### Targets at {large:,} posts", "",
            f"| read | p99 {few} conn ≤ {TARGET_P99_ONE_MS} ms"
            f" | p99 {many} conn ≤ {TARGET_P99_MANY_MS} ms |", "|---|---|---|"]
    for read in reads:
        out.append(f"| {cell(read)} | {verdict(get(large, read, few, 'p99_us'), TARGET_P99_ONE_MS)}"
                   f" | {verdict(get(large, read, many, 'p99_us'), TARGET_P99_MANY_MS)} |")
    checked = [read for read in THROUGHPUT_READS if read in reads]
    if len(scales) > 1 and checked:
        out += ["", f"Throughput at {connections(many)} within {TARGET_THROUGHPUT_DROP_PCT} % of"
                f" {small:,} posts (a drop of at most {TARGET_THROUGHPUT_DROP_PCT} %; a gain passes):",
                ""]
        for read in checked:
            before, after = get(small, read, many, "rps"), get(large, read, many, "rps")
            if not before or after is None:
                out.append(f"- {read}: {MISSING}")
                continue
            change = (after / before - 1) * 100
            mark = "✓" if change >= -TARGET_THROUGHPUT_DROP_PCT else "✗"
            out.append(f"- {read}: {mark} {change:+.1f} % ({per_second(before)} →"
                       f" {per_second(after)} req/s)")
    out += ["", f"Cost curve (p99 against table size, log–log): `{svg_name}`"]
    return out


def tag(name, content=None, **attrs):
    """One SVG element; content goes in as is, attribute names use _ for - (text_anchor)."""
    attributes = "".join(f' {key.replace("_", "-")}="{escape(str(value), {chr(34): "&quot;"})}"'
                         for key, value in attrs.items())
    return f"<{name}{attributes}/>" if content is None else f"<{name}{attributes}>{content}</{name}>"


def position(value, low, high, start, end):
    """Where value falls between start and end px on a log axis from low to high."""
    share = (math.log10(value) - math.log10(low)) / (math.log10(high) - math.log10(low))
    return f"{start + share * (end - start):.1f}"


def y_ticks(low, high):
    """1-2-5 ticks (… 0.1, 0.2, 0.5, 1, 2, 5, 10 …) from the last one ≤ low to the first ≥ high."""
    ticks = [float(f"{m}e{e}") for e in range(math.floor(math.log10(low)) - 1,
                                               math.ceil(math.log10(high)) + 1) for m in (1, 2, 5)]
    bottom = max(t for t in ticks if t <= low)
    top = min(t for t in ticks if t >= high)
    return [t for t in ticks if bottom <= t <= top]


def panel(points, reads, scales, x_range, ticks, x0, x1, title, target_ms):
    """One panel: grid, axes, the dashed target line and one line per read."""
    x = lambda posts: position(posts, *x_range, x0, x1)
    y = lambda ms: position(ms, ticks[0], ticks[-1], PLOT_BOTTOM, PLOT_TOP)
    out = [tag("text", escape(title), x=(x0 + x1) / 2, y=PLOT_TOP - 12, text_anchor="middle",
               font_weight="bold", font_size=14)]
    for ms in ticks:
        out.append(tag("line", x1=x0, x2=x1, y1=y(ms), y2=y(ms), stroke="#e4e4e4"))
        out.append(tag("text", f"{ms:g}", x=x0 - 6, y=y(ms), dy="0.32em", text_anchor="end"))
    for posts in scales:
        out.append(tag("line", x1=x(posts), x2=x(posts), y1=PLOT_TOP, y2=PLOT_BOTTOM,
                       stroke="#e4e4e4"))
        out.append(tag("text", short(posts), x=x(posts), y=PLOT_BOTTOM + 16, text_anchor="middle"))
    out.append(tag("rect", x=x0, y=PLOT_TOP, width=x1 - x0, height=PLOT_BOTTOM - PLOT_TOP,
                   fill="none", stroke="#999"))
    out.append(tag("text", "posts (log scale)", x=(x0 + x1) / 2, y=PLOT_BOTTOM + 36,
                   text_anchor="middle", fill="#444"))
    middle = (PLOT_TOP + PLOT_BOTTOM) / 2
    out.append(tag("text", "p99 in ms (log scale)", x=x0 - 52, y=middle, text_anchor="middle",
                   fill="#444", transform=f"rotate(-90 {x0 - 52} {middle})"))
    for i, read in enumerate(reads):
        colour = PALETTE[i % len(PALETTE)]
        series = [(posts, points[posts, read]) for posts in scales if (posts, read) in points]
        if len(series) > 1:
            out.append(tag("polyline", points=" ".join(f"{x(p)},{y(ms)}" for p, ms in series),
                           fill="none", stroke=colour, stroke_width=2, stroke_linejoin="round"))
        for posts, ms in series:
            hint = tag("title", escape(f"{read}: {posts:,} posts, p99 {millis(ms * 1000)} ms"))
            out.append(tag("circle", hint, cx=x(posts), cy=y(ms), r=3.5, fill=colour))
    # The target over the data; its label under the line when the line runs along the top.
    target_y = float(y(target_ms))
    out.append(tag("line", x1=x0, x2=x1, y1=target_y, y2=target_y, stroke="#444",
                   stroke_width=1.5, stroke_dasharray="6 4"))
    out.append(tag("text", f"target {target_ms:g} ms", x=x1 - 4,
                   y=target_y + (14 if target_y - PLOT_TOP < 16 else -5), text_anchor="end",
                   fill="#444", stroke="white", stroke_width=3, paint_order="stroke"))
    return out


def svg(rows, reads, scales, few, many):
    """The cost curve: p99 against posts, at `few` connections left and `many` right."""
    title = "Postboard read cost curve: p99 against table size"
    panels = [(few, TARGET_P99_ONE_MS), (many, TARGET_P99_MANY_MS)]
    # p99 in ms per (posts, read), per panel; zero latencies cannot go on a log axis.
    points = [{(posts, read): row["p99_us"] / 1000 for (posts, read, conns), row in rows.items()
               if conns == count and row["p99_us"] > 0} for count, _ in panels]
    values = [ms for panel_points in points for ms in panel_points.values()]
    ticks = y_ticks(min(values + [TARGET_P99_ONE_MS, TARGET_P99_MANY_MS]),
                    max(values + [TARGET_P99_ONE_MS, TARGET_P99_MANY_MS]))
    # Pad the x axis so the end points sit inside the frame (a decade each way for one size).
    pad = 10 ** max(0.08 * math.log10(scales[-1] / scales[0]), 0.5 * (len(scales) == 1))
    x_range = (scales[0] / pad, scales[-1] * pad)
    legend_rows = math.ceil(len(reads) / LEGEND_COLUMNS)
    height = max(MIN_HEIGHT, LEGEND_TOP + legend_rows * LEGEND_STEP_Y + 10)
    out = [tag("title", escape(title)),
           tag("rect", width=WIDTH, height=height, fill="white"),
           tag("text", escape(title), x=WIDTH / 2, y=30, text_anchor="middle",
               font_size=17, font_weight="bold")]
    for (count, target), panel_points, (x0, x1) in zip(panels, points, PANELS_X):
        out += panel(panel_points, reads, scales, x_range, ticks, x0, x1,
                     f"p99, {connections(count)}", target)
    # The legend: a short line and marker per read, in rows of LEGEND_COLUMNS.
    for i, read in enumerate(reads):
        colour = PALETTE[i % len(PALETTE)]
        lx = PANELS_X[0][0] + (i % LEGEND_COLUMNS) * LEGEND_STEP_X
        ly = LEGEND_TOP + (i // LEGEND_COLUMNS) * LEGEND_STEP_Y
        out.append(tag("line", x1=lx, x2=lx + 22, y1=ly, y2=ly, stroke=colour, stroke_width=2))
        out.append(tag("circle", cx=lx + 11, cy=ly, r=3.5, fill=colour))
        out.append(tag("text", escape(read), x=lx + 28, y=ly, dy="0.32em"))
    root = dict(xmlns="http://www.w3.org/2000/svg", width=WIDTH, height=height,
                viewBox=f"0 0 {WIDTH} {height}", role="img", aria_label=title,
                font_family="system-ui, 'Segoe UI', Helvetica, Arial, sans-serif", font_size=12)
    return tag("svg", "\n" + "\n".join(out) + "\n", **root) + "\n"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    results, report_path, svg_path = sys.argv[1:]
    rows, reads = load(results)
    scales = sorted({posts for posts, _, _ in rows})
    counts = sorted({conns for _, _, conns in rows})
    few = 1 if 1 in counts else counts[0]  # "1 connection"; the largest count is "many"
    many = counts[-1]
    markdown = "\n".join(report(rows, reads, scales, few, many, Path(svg_path).name)) + "\n"
    try:
        Path(svg_path).write_text(svg(rows, reads, scales, few, many))
        Path(report_path).write_text(markdown)
    except OSError as error:
        fail(f"cannot write {error.filename}: {error.strerror}")
    print(markdown, end="")


if __name__ == "__main__":
    main()
