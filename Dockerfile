# syntax=docker/dockerfile:1
# Postboard's container image: the release server, its hashed front-end files and nothing else,
# run as an unprivileged user. `docker compose up --build` builds it (README, "Deploying");
# alone: `docker build -t postboard .`. The build is scripts/run's release build: the same
# cargo-leptos and wasm-bindgen versions (end2end/compose-check compares them with
# scripts/lib.sh and Cargo.toml), wasm-opt from npm's binaryen, and the committed .sqlx/ query
# data instead of a database.

# wasm-opt, which cargo-leptos runs on the WASM, comes from npm's binaryen at the version in
# package-lock.json, as in scripts/lib.sh (Debian's is too old, and cargo-leptos would otherwise
# download one). It is a node script, so this stage also lends its node to the builder.
FROM node:22-bookworm-slim AS node-tools
WORKDIR /tools
COPY package.json package-lock.json ./
# The lockfile also names Playwright, for the browser tests: its package is small, its browsers
# are not downloaded.
RUN PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error

FROM rust:1.95-bookworm AS builder
# The versions scripts/lib.sh installs: cargo-leptos pinned there, the wasm-bindgen CLI equal to
# the `wasm-bindgen = "=X"` pin in Cargo.toml (any other version fails the build).
ARG CARGO_LEPTOS_VERSION=0.3.10
ARG WASM_BINDGEN_VERSION=0.2.130
RUN rustup target add wasm32-unknown-unknown
# Each tool in its own layer, so that a change to the sources never rebuilds them. LTO off halves
# the install time, as in scripts/lib.sh; wasm-bindgen-cli without --locked, as there too (its
# lockfile pins a crate version the registry no longer serves).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --locked "cargo-leptos@${CARGO_LEPTOS_VERSION}"
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
COPY --from=node-tools /usr/local/bin/node /usr/local/bin/node
COPY --from=node-tools /tools/node_modules /src/node_modules
WORKDIR /src
ENV PATH=/src/node_modules/.bin:$PATH \
    SQLX_OFFLINE=true
# .dockerignore keeps target/, node_modules/, .git and .env out of the context.
COPY . .
# The registry and target/ live in cache mounts, so a rebuild after an edit is incremental; a
# mount is gone once its RUN ends, hence the outputs are copied out to /out in the same RUN.
# target/site is removed first: the mount keeps earlier builds' hashed files, which must not
# ship. cargo-leptos writes the hashed names to hash.txt beside the server binary.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target,sharing=locked \
    rm -rf target/site \
    && LEPTOS_HASH_FILES=true cargo leptos build --release --precompress \
    && mkdir -p /out \
    && cp -p target/release/server target/release/hash.txt /out/ \
    && cp -rp target/site /out/site

FROM debian:bookworm-slim
# The server speaks plain HTTP to its proxy and to Postgres; the certificates are for anything
# outbound over TLS.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 postboard \
    && useradd --system --uid 10001 --gid postboard --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin postboard
WORKDIR /app
# Owned by root and read-only to the server: it writes nothing to disk. The server reads
# hash.txt from the folder of its own binary (startup::detect_hashed_files), so the two stay
# side by side.
COPY --from=builder /out/server /app/server
COPY --from=builder /out/hash.txt /app/hash.txt
COPY --from=builder /out/site /app/site
# What cargo-leptos would pass the server. DATABASE_URL and JWT_SECRET are never baked in: the
# deployment sets them (compose.yaml), and the server refuses to start without them.
# RUST_LOG is the server's own default filter; LOG_FORMAT=json gives one JSON object per line.
ENV LEPTOS_OUTPUT_NAME=postboard \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    LEPTOS_HASH_FILES=true \
    RUST_LOG=info,sqlx=warn \
    LOG_FORMAT=json
# The app. Prometheus metrics are off unless METRICS_ADDR is set (compose.yaml: port 9100, on
# the internal network only).
EXPOSE 3000
# No HEALTHCHECK: the image has no curl or wget. Orchestrators probe GET /readyz (200 ready, 503
# when the database is away or the process is draining) and GET /healthz (the process is up)
# themselves; compose.yaml does it with bash's /dev/tcp.
# 10001 is `postboard`: numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
# SIGTERM starts the drain (README, "Deploying"). The server is PID 1 and handles SIGTERM and
# SIGINT itself; it starts no child processes, so no init is needed to reap them.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/app/server"]
