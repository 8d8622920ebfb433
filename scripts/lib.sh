#!/usr/bin/env bash
# Set-up shared by scripts/run and scripts/test. Every step checks first and installs only what
# is missing, so a second run costs seconds. Sourced, not executed.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION="0.3.10"
# The wasm-bindgen CLI must equal the crate pinned in Cargo.toml, or the build fails.
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' Cargo.toml)"
PG_LOCAL_PORT=5433

export PATH="$ROOT/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# Compile-time checked SQL uses the committed .sqlx/ data, so no database is needed to build.
export SQLX_OFFLINE=true
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null || die "please install: $*"
  say "installing $* with apt-get"
  as_root apt-get update -qq || die "apt-get update failed; please install: $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null || die "please install: $*"
}

ensure_rust() {
  command -v cargo >/dev/null || die "Rust is not installed: see https://rustup.rs"
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (takes ~15 min once)"
    # 0.3.11 needs a newer rustc than stable here; LTO off halves the install time.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install --locked "cargo-leptos@$CARGO_LEPTOS_VERSION"
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
    # Not --locked: its lockfile pins a crate version the registry no longer serves.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install --force wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

ensure_node_tools() {
  command -v npm >/dev/null || apt_install nodejs npm
  # wasm-opt comes from npm's binaryen (Debian's is too old: the page would never hydrate);
  # cargo-leptos would otherwise try to download it.
  # npm's own node_modules/.package-lock.json never equals package-lock.json byte for byte, so a
  # copy of the lockfile installed last is the stamp.
  if [ ! -x node_modules/.bin/wasm-opt ] || ! cmp -s package-lock.json node_modules/.postboard-lock 2>/dev/null; then
    say "installing node tools (binaryen, playwright)"
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.postboard-lock
  fi
}

CARGO_DENY_VERSION="0.20.2"

ensure_cargo_deny() {
  if [ "$(cargo deny --version 2>/dev/null | awk '{print $2}')" != "$CARGO_DENY_VERSION" ]; then
    say "installing cargo-deny $CARGO_DENY_VERSION"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
      cargo install --locked "cargo-deny@$CARGO_DENY_VERSION"
  fi
}

# cargo-deny reads its advisory database from a git checkout (deny.toml's db-path). Its source,
# in order: the RustSec snapshot in ../shared/advisory-db, turned into the checkout cargo-deny
# expects; else `cargo deny fetch`; else none. Returns non-zero, having said why in one line,
# when there is none: the advisories are optional, the rest of the check is not.
ADVISORY_DB="$ROOT/target/advisory-dbs/advisory-db-3157b0e258782691"

ensure_advisory_db() {
  local snapshot="$ROOT/../shared/advisory-db"
  if [ -d "$snapshot" ]; then
    if ! cmp -s "$snapshot/SNAPSHOT.txt" "$ADVISORY_DB/SNAPSHOT.txt" 2>/dev/null ||
      ! git -C "$ADVISORY_DB" rev-parse -q --verify HEAD >/dev/null 2>&1; then
      # Built aside and moved into place, so an interrupted run leaves no half-made checkout.
      local building="$ADVISORY_DB.building"
      rm -rf "$building" "$ADVISORY_DB"
      mkdir -p "$(dirname "$ADVISORY_DB")"
      cp -r "$snapshot" "$building" &&
        (cd "$building" && git init -q && git add -A &&
          git -c user.name=postboard -c user.email=ci@localhost commit -qm "RustSec snapshot") &&
        mv "$building" "$ADVISORY_DB" || {
        say "advisories skipped: could not turn ../shared/advisory-db into a git checkout"
        return 1
      }
    fi
    return 0
  fi
  has_fetched_db() { compgen -G "$ROOT/target/advisory-dbs/*/.git" >/dev/null; }
  has_fetched_db && return 0
  if timeout 120 cargo deny fetch db >/dev/null 2>&1 && has_fetched_db; then
    return 0
  fi
  say "advisories skipped: no RustSec snapshot in ../shared/advisory-db and \`cargo deny fetch db\` could not download one"
  return 1
}

SCHEMATHESIS_VERSION="4.32.5"

ensure_schemathesis() {
  if [ "$(schemathesis --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    say "installing schemathesis $SCHEMATHESIS_VERSION from PyPI"
    command -v pip3 >/dev/null || apt_install python3-pip
    python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" ||
      python3 -m pip install --quiet --break-system-packages "schemathesis==$SCHEMATHESIS_VERSION"
  fi
}

ensure_chromium() {
  command -v chromium >/dev/null || apt_install chromium
}

# nginx for end2end/many-instances, which runs its own nginx in the foreground on 127.0.0.1:3310
# with a generated config. The system service is never used: if installing the package started
# it (it would hold port 80), it is stopped again. Debian puts nginx in /usr/sbin, which a
# non-root PATH may lack.
ensure_nginx() {
  if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    apt_install nginx
    as_root service nginx stop >/dev/null 2>&1 || true
  fi
  if ! command -v nginx >/dev/null && [ -x /usr/sbin/nginx ]; then export PATH="$PATH:/usr/sbin"; fi
  command -v nginx >/dev/null || die "nginx is installed but not on PATH"
}

pg_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$found" ] && echo "$found"
}

# Sets DATABASE_ADMIN_URL (a URL of a server we can create databases on): $DATABASE_URL's
# server if set, else the server on 127.0.0.1:5432, else a project-local cluster under target/.
ensure_postgres() {
  command -v psql >/dev/null || apt_install postgresql-client
  if [ -n "${DATABASE_URL:-}" ]; then
    DATABASE_ADMIN_URL="${DATABASE_URL%/*}/postgres"
    psql "$DATABASE_ADMIN_URL" -qtAc 'select 1' >/dev/null || die "cannot reach the database server of DATABASE_URL"
    return
  fi
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && psql "postgres://postgres@127.0.0.1:5432/postgres" -qtAc 'select 1' >/dev/null 2>&1; then
    DATABASE_ADMIN_URL="postgres://postgres@127.0.0.1:5432/postgres"
    return
  fi
  # A system cluster that is installed but stopped (exit 2 means it was already running).
  if command -v pg_ctlcluster >/dev/null && [ "$(id -u)" = 0 ]; then
    for version in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    done
    sleep 1
    if psql "postgres://postgres@127.0.0.1:5432/postgres" -qtAc 'select 1' >/dev/null 2>&1; then
      DATABASE_ADMIN_URL="postgres://postgres@127.0.0.1:5432/postgres"
      return
    fi
  fi
  local bin data="$ROOT/target/pgdata" owner=""
  bin="$(pg_bin)" || true
  if [ -z "$bin" ]; then
    apt_install postgresql
    bin="$(pg_bin)" || die "PostgreSQL is installed but initdb was not found"
  fi
  # Postgres refuses to run as root: the project cluster belongs to the `postgres` user then.
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home "$data" postgres
    owner="postgres"
  fi
  run_pg() { if [ -n "$owner" ]; then runuser -u "$owner" -- "$@"; else "$@"; fi; }
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initialising a project-local PostgreSQL cluster in target/pgdata"
    mkdir -p "$data"
    [ -n "$owner" ] && chown "$owner" "$data"
    run_pg "$bin/initdb" -D "$data" -U postgres --auth=trust >/dev/null
  fi
  if ! pg_isready -q -h 127.0.0.1 -p "$PG_LOCAL_PORT"; then
    say "starting the project-local PostgreSQL on port $PG_LOCAL_PORT"
    run_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
      -o "-p $PG_LOCAL_PORT -h 127.0.0.1 -k /tmp" start >/dev/null
  fi
  DATABASE_ADMIN_URL="postgres://postgres@127.0.0.1:$PG_LOCAL_PORT/postgres"
}

# Creates database $1 on the admin server if missing; prints its URL.
ensure_database() {
  local name="$1"
  if [ "$(psql "$DATABASE_ADMIN_URL" -qtAc "select 1 from pg_database where datname = '$name'")" != 1 ]; then
    psql "$DATABASE_ADMIN_URL" -qc "create database \"$name\"" >/dev/null
  fi
  echo "${DATABASE_ADMIN_URL%/*}/$name"
}

# Drops and recreates database $1; prints its URL.
fresh_database() {
  local name="$1"
  psql "$DATABASE_ADMIN_URL" -qc "drop database if exists \"$name\" with (force)" >/dev/null
  ensure_database "$name"
}

random_secret() {
  if command -v openssl >/dev/null; then openssl rand -hex 32; else head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; fi
}

# Writes .env on first run: the app's database and a random JWT secret (never committed).
ensure_env_file() {
  if [ ! -f .env ]; then
    say "writing .env with a new random JWT_SECRET"
    local url
    url="${DATABASE_URL:-$(ensure_database postboard)}"
    umask 077
    cat >.env <<ENV
# Written by scripts/run on first use. Not committed: it holds this machine's secret.
DATABASE_URL=$url
JWT_SECRET=$(random_secret)
ACCESS_TOKEN_TTL_MINUTES=30
RUST_LOG=info
ENV
  fi
}

ensure_all() {
  ensure_rust
  ensure_node_tools
  ensure_cargo_leptos
  ensure_postgres
}
