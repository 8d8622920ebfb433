//! The one state value shared by REST handlers, server functions and page rendering.

use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::server::auth::password::Passwords;
use crate::server::auth::throttle::Throttle;
use crate::server::auth::token::JwtKeys;
use crate::server::budget::LocalBudget;
use crate::server::config::Config;

/// Cheap to clone: one reference count for the whole state. It is cloned several times for every
/// request (each state-taking layer and extractor gets its own); with a handle per field, cloning
/// and dropping it was ~6 % of a CPU profile of the list endpoint, and this layout took the
/// server's CPU time per list request down by ~11 % (bench/README.md).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What requests share, built once at startup; reached through `AppState`'s `Deref`.
pub struct Shared {
    pub pool: PgPool,
    /// The pool exact searches run on (`db::post::list`): `pool`'s settings and size, but a
    /// statement timeout of `SEARCH_TIMEOUT_MS`, so that a search that would take long gives way
    /// to a bounded one, and searches cannot hold the connections the other requests need.
    /// (Half the size cost a frequent term 18 % of its throughput at 32 connections: bench/scale,
    /// 2,838 against 3,443 req/s.) Connects lazily; `pool` itself when the timeout is 0.
    pub search_pool: PgPool,
    pub config: Config,
    pub jwt: JwtKeys,
    pub passwords: Passwords,
    pub throttle: Throttle,
    /// The budget of page renders and `/rpc` calls per address without a session (`None`: off).
    pub anonymous_reads: Option<LocalBudget>,
    /// Identifies the front-end build (a hash of the WASM), so the service worker's caches are
    /// replaced on deploy.
    pub build_id: String,
    pub leptos_options: LeptosOptions,
    /// Set when shutdown begins (SIGTERM): `/readyz` then answers 503 while in-flight requests
    /// finish.
    draining: std::sync::atomic::AtomicBool,
    /// Set once the listener has closed: every answer then closes its connection.
    closing: std::sync::atomic::AtomicBool,
}

/// `AppState::search_pool`.
fn search_pool(pool: &PgPool, config: &Config) -> PgPool {
    if config.search_timeout.is_zero() {
        return pool.clone();
    }
    // A later `-c statement_timeout` in the startup options overrides the pool's own.
    let options = PgConnectOptions::clone(&pool.connect_options()).options([(
        "statement_timeout",
        format!("{}ms", config.search_timeout.as_millis()),
    )]);
    PgPoolOptions::new()
        .max_connections(pool.options().get_max_connections())
        // No longer than an exact search may run: a search that finds no connection soon
        // enough is answered the bounded way, on the main pool.
        .acquire_timeout(
            pool.options()
                .get_acquire_timeout()
                .min(config.search_timeout),
        )
        .test_before_acquire(false)
        .connect_lazy_with(options)
}

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// For handlers that need only the pool (`/readyz`).
impl FromRef<AppState> for PgPool {
    fn from_ref(state: &AppState) -> Self {
        state.pool.clone()
    }
}

/// For leptos_axum's handlers, which take the options by value; only page renders ask.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The first 16 hex digits of the SHA-256 of the site's WASM (`<output>.wasm`, or
/// `<output>.<hash>.wasm` with hashed file names), or "dev" when there is none.
fn build_id(options: &LeptosOptions) -> String {
    use sha2::{Digest, Sha256};
    let pkg = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let output = options.output_name.to_string();
    let wasm = std::fs::read_dir(&pkg)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(&output) && name.ends_with(".wasm"))
        })
        .max_by_key(|path| path.metadata().and_then(|m| m.modified()).ok());
    match wasm.map(std::fs::read) {
        Some(Ok(bytes)) => Sha256::digest(&bytes)
            .iter()
            .take(8)
            .map(|byte| format!("{byte:02x}"))
            .collect(),
        _ => "dev".to_owned(),
    }
}

impl AppState {
    /// Builds the state around an existing pool (the binary's, or a test's fresh database).
    pub fn new(pool: PgPool, config: Config, leptos_options: LeptosOptions) -> Self {
        Self(Arc::new(Shared {
            jwt: JwtKeys::new(&config.jwt_secret, config.access_token_ttl),
            throttle: Throttle::new(&config),
            anonymous_reads: LocalBudget::new(
                config.anonymous_reads_per_minute,
                config.anonymous_read_burst,
            ),
            build_id: build_id(&leptos_options),
            search_pool: search_pool(&pool, &config),
            pool,
            config,
            passwords: Passwords::start(),
            leptos_options,
            draining: std::sync::atomic::AtomicBool::new(false),
            closing: std::sync::atomic::AtomicBool::new(false),
        }))
    }

    /// Marks the process as shutting down: from now on it is not ready for new work.
    pub fn start_draining(&self) {
        self.draining
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.draining.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Marks the listener as closed: from now on each answer closes its connection (a proxy
    /// then opens a new one, which the closed listener refuses and it retries elsewhere).
    /// Implies draining.
    pub fn start_closing(&self) {
        self.start_draining();
        self.closing
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the listener has closed.
    pub fn is_closing(&self) -> bool {
        self.closing.load(std::sync::atomic::Ordering::Relaxed)
    }
}
