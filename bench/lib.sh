#!/usr/bin/env bash
# What the benchmark scripts share (bench/run, bench/scale): settings checks, the tools, the
# release server (start, readiness, stop, a leftover from an interrupted run), the bench user and
# its bearer token, the database, and wrk runs with their result lines. Sourced, not executed;
# it sources scripts/lib.sh (set -euo pipefail, say, die, random_secret; cd to the project root).
#
# The caller sets, after sourcing and before calling these functions (they read them when they
# run, so a script may change them between calls, e.g. one database per table size):
#   DB_NAME, DB_URL        the benchmark database and its URL (on $PG_SERVER)
#   ADDR, BASE             the server's address (127.0.0.1:PORT) and http://$ADDR
#   OUT, PID_FILE          the directory of raw outputs (wrk, server log, seed log) and the file
#                          that records the server's pid, so that a later run can stop a leftover
#   DURATION, CONNECTIONS  wrk's default seconds and connections
#   JWT_SECRET             the server's secret (random_secret)
#   PROBE_CONNECTIONS      the connections of the probe of run_with_probe
#   USERS, POSTS, VOTES    the dataset of seed_database
# Two scripts with different ADDR and PID_FILE can run without clashing (they share the cores).

source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"   # say, die, random_secret; cd to the project root

PG_SERVER="postgres://postgres@127.0.0.1:5432"
SERVER_BIN="target/release/server"
SERVER_CORE=0
LOAD_CORE=1

BENCH_EMAIL="user1@bench.example"
BENCH_PASSWORD="bench-password-2026"

SERVER_PID=""
BACKGROUND_PIDS=()

# --- set-up ---------------------------------------------------------------------------------

# DURATION and CONNECTIONS: whole numbers, within their caps.
check_load_settings() {
  [[ "$DURATION" =~ ^[1-9][0-9]*$ ]] || die "BENCH_DURATION must be a whole number of seconds, got '$DURATION'"
  [[ "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] || die "BENCH_CONNECTIONS must be a positive whole number, got '$CONNECTIONS'"
  [ "$DURATION" -le 600 ] || die "BENCH_DURATION is capped at 600 s per run"
  [ "$CONNECTIONS" -le 1000 ] || die "BENCH_CONNECTIONS is capped at 1000"
}

# check_counts NAME...: each variable NAME (set from BENCH_NAME) is a positive whole number.
check_counts() {
  local name
  for name in "$@"; do
    [[ "${!name}" =~ ^[1-9][0-9]*$ ]] || die "BENCH_$name must be a positive whole number, got '${!name}'"
  done
}

check_build() {
  if [ ! -x "$SERVER_BIN" ]; then
    echo "error: $SERVER_BIN is missing: build it first with \`cargo leptos build --release --precompress\` (or run \`scripts/run\` once)" >&2
    exit 1
  fi
}

# ensure_tools TOOL...: wrk (installed with apt-get when missing and we are root), the TOOLs,
# two cores and PostgreSQL on $PG_SERVER.
ensure_tools() {
  local tool
  if ! command -v wrk >/dev/null; then
    [ "$(id -u)" = 0 ] || die "wrk is missing: install it (apt-get install wrk)"
    say "installing wrk with apt-get"
    apt-get update -qq || die "apt-get update failed; please install wrk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null || die "please install wrk"
  fi
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool is missing (pgbench ships with Debian's postgresql package, taskset with util-linux)"
  done
  [ "$(nproc)" -ge 2 ] || die "needs 2 cores: the server runs on core $SERVER_CORE, the load generators on core $LOAD_CORE"
  psql -X -qtAc 'select 1' "$PG_SERVER/postgres" >/dev/null 2>&1 \
    || die "cannot reach PostgreSQL at $PG_SERVER (trust auth expected)"
}

# --- the server -----------------------------------------------------------------------------

# A server left running by an interrupted earlier run: stopped if that pid is still our binary
# serving our address (not, say, a dev server of the same binary that got the pid since).
stop_leftover_server() {
  local pid
  [ -f "$PID_FILE" ] || return 0
  pid="$(cat "$PID_FILE")"
  if [[ "$pid" =~ ^[0-9]+$ ]] \
    && [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$ROOT/$SERVER_BIN"* ]] \
    && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "LEPTOS_SITE_ADDR=$ADDR"; then
    say "stopping the server left by an earlier run (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
}

check_port_free() {
  if curl -s -o /dev/null --max-time 2 "$BASE/healthz"; then
    die "something already answers on $ADDR: stop it first"
  fi
}

# start_server [VAR=value...]: the release server on core $SERVER_CORE, serving $ADDR on
# $DB_URL, in the background (SERVER_PID, recorded in $PID_FILE; log in $OUT/server.log). The
# arguments are further settings of its environment (AUTH_RATE_LIMIT_PER_MINUTE=0, ...); every
# other setting keeps the server's own default.
start_server() {
  local setting
  for setting in "$@"; do
    # env would run a word that is not an assignment as the command.
    [[ "$setting" =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "start_server takes VAR=value settings, got '$setting'"
  done
  env DATABASE_URL="$DB_URL" \
      JWT_SECRET="$JWT_SECRET" \
      LEPTOS_SITE_ADDR="$ADDR" \
      LEPTOS_SITE_ROOT="target/site" \
      LEPTOS_OUTPUT_NAME="postboard" \
      RUST_LOG="warn" \
      "$@" \
      taskset -c "$SERVER_CORE" "$SERVER_BIN" >>"$OUT/server.log" 2>&1 &
  SERVER_PID=$!
  echo "$SERVER_PID" >"$PID_FILE"
}

stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  rm -f "$PID_FILE"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Waits ($2 seconds, 60 by default, at most) for GET /readyz to answer 200; prints the
# milliseconds since $1 (ms).
wait_ready() {
  local started_ms=$1 limit=${2:-60} deadline code
  deadline=$((SECONDS + limit))
  while :; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/readyz" || true)"
    if [ "$code" = 200 ]; then
      echo $(($(now_ms) - started_ms))
      return 0
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited during startup: see $OUT/server.log"
    [ "$SECONDS" -lt "$deadline" ] || die "the server was not ready within $limit s: see $OUT/server.log"
    sleep 0.01
  done
}

# POST with retries on 429/503 (10 tries at most, honouring Retry-After up to 10 s). Prints the
# body; fails unless the status is $1.
post_expecting() {
  local expected=$1 path=$2 code body wait_s
  shift 2
  for _ in $(seq 10); do
    code="$(curl -s -o "$OUT/response.txt" -D "$OUT/headers.txt" -w '%{http_code}' --max-time 30 \
      -X POST "$BASE$path" "$@" || true)"
    body="$(cat "$OUT/response.txt" 2>/dev/null || true)"
    rm -f "$OUT/response.txt"
    if [ "$code" = "$expected" ]; then
      rm -f "$OUT/headers.txt"
      printf '%s' "$body"
      return 0
    fi
    if [ "$code" = 429 ] || [ "$code" = 503 ]; then
      wait_s="$(sed -n 's/^[Rr]etry-[Aa]fter: *\([0-9]*\).*/\1/p' "$OUT/headers.txt" | head -n 1)"
      wait_s="${wait_s:-1}"
      rm -f "$OUT/headers.txt"
      sleep "$((wait_s > 10 ? 10 : wait_s))"
      continue
    fi
    break
  done
  rm -f "$OUT/headers.txt"
  die "POST $path answered $code, expected $expected: $body"
}

create_bench_user() {
  post_expecting 201 /api/users/ -H 'content-type: application/json' \
    -d "{\"email\": \"$BENCH_EMAIL\", \"password\": \"$BENCH_PASSWORD\"}" >/dev/null
}

# Prints a bearer token for $BENCH_EMAIL.
access_token() {
  post_expecting 200 /api/login \
    --data-urlencode "username=$BENCH_EMAIL" --data-urlencode "password=$BENCH_PASSWORD" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# --- the database ---------------------------------------------------------------------------

sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

recreate_database() {
  sql "$PG_SERVER/postgres" -c "drop database if exists $DB_NAME with (force)" \
    -c "create database $DB_NAME" >/dev/null
}

seed_database() {
  sql -v users="$USERS" -v posts="$POSTS" -v votes="$VOTES" -f bench/seed.sql "$DB_URL" \
    >"$OUT/seed.log" 2>&1 || die "seeding failed: see $OUT/seed.log"
}

# --- load -----------------------------------------------------------------------------------

# cpu_ticks PID...: the CPU time (user + system, in clock ticks) the processes have used so far.
cpu_ticks() {
  local pid total=0
  for pid in "$@"; do
    # Fields 14 and 15 of /proc/PID/stat, counted after the command name's closing parenthesis.
    total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)))
  done
  echo "$total"
}

# The processes of the PostgreSQL server: its postmaster and every backend.
postgres_pids() { pgrep -x postgres || true; }

# run_wrk NAME SCRIPT [CONNECTIONS [SECONDS]]: wrk on core $LOAD_CORE, output in $OUT/wrk-NAME.txt.
# Also writes $OUT/cpu-NAME.txt: the server's and PostgreSQL's CPU time per request, in µs (the
# PostgreSQL figure includes backends that ended during the run only up to their last reading).
run_wrk() {
  local name=$1 script=$2 connections=${3:-$CONNECTIONS} seconds=${4:-$DURATION}
  local server_before pg_before pg_pids
  say "wrk $name: $connections connections, ${seconds}s"
  pg_pids="$(postgres_pids)"
  server_before="$(cpu_ticks "$SERVER_PID")"
  # shellcheck disable=SC2086 # one pid per word
  pg_before="$(cpu_ticks $pg_pids)"
  BENCH_NAME="$name" timeout --foreground --kill-after=5 "$((seconds + 30))" \
    taskset -c "$LOAD_CORE" wrk -t1 -c"$connections" -d"${seconds}s" --timeout 10s \
    -s "bench/wrk/$script.lua" "$BASE" >"$OUT/wrk-$name.txt" 2>&1 \
    || die "wrk $name failed: see $OUT/wrk-$name.txt"
  grep '^BENCH ' "$OUT/wrk-$name.txt" >&2 || die "wrk $name printed no result: see $OUT/wrk-$name.txt"
  # shellcheck disable=SC2086
  awk -v s="$(($(cpu_ticks "$SERVER_PID") - server_before))" -v p="$(($(cpu_ticks $pg_pids) - pg_before))" \
    -v n="$(wrk_field "$name" requests)" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (n > 0) printf "server_us=%.0f postgres_us=%.0f\n", s * 1e6 / hz / n, p * 1e6 / hz / n }' \
    >"$OUT/cpu-$name.txt"
}

# run_with_probe FLOOD FLOOD_SCRIPT FLOOD_SECONDS PROBE PROBE_SCRIPT PROBE_SECONDS: a flood (wrk
# FLOOD_SCRIPT at $CONNECTIONS connections, in the background) and, a second after it starts and
# inside its window, a probe (run_wrk PROBE PROBE_SCRIPT at $PROBE_CONNECTIONS connections).
# Outputs in $OUT/wrk-FLOOD.txt and $OUT/wrk-PROBE.txt.
run_with_probe() {
  local flood=$1 flood_script=$2 flood_seconds=$3 probe=$4 probe_script=$5 probe_seconds=$6 flood_pid
  say "wrk $flood: $CONNECTIONS connections, ${flood_seconds}s; with wrk $probe at $PROBE_CONNECTIONS connections"
  BENCH_NAME="$flood" timeout --foreground --kill-after=5 "$((flood_seconds + 30))" \
    taskset -c "$LOAD_CORE" wrk -t1 -c"$CONNECTIONS" -d"${flood_seconds}s" --timeout 10s \
    -s "bench/wrk/$flood_script.lua" "$BASE" >"$OUT/wrk-$flood.txt" 2>&1 &
  flood_pid=$!
  BACKGROUND_PIDS+=("$flood_pid")
  sleep 1
  run_wrk "$probe" "$probe_script" "$PROBE_CONNECTIONS" "$probe_seconds"
  wait "$flood_pid" || die "wrk $flood failed: see $OUT/wrk-$flood.txt"
  grep '^BENCH ' "$OUT/wrk-$flood.txt" >&2 || die "wrk $flood printed no result: see $OUT/wrk-$flood.txt"
}

# A field of the BENCH line of a wrk output.
wrk_field() { sed -n "s/^BENCH .* $2=\([^ ]*\).*/\1/p" "$OUT/wrk-$1.txt"; }

# --- exit -----------------------------------------------------------------------------------

# The exit trap of the scripts: background wrk runs and the server stop with them.
cleanup() {
  local pid
  for pid in ${BACKGROUND_PIDS[@]+"${BACKGROUND_PIDS[@]}"}; do
    kill "$pid" 2>/dev/null || true
  done
  stop_server
}
