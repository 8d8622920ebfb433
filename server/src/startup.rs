//! Building and serving the app. `router` is the single place the whole HTTP surface is put
//! together; the binary and the tests both call it.

use std::str::FromStr;
use std::time::Duration;

use app::server::{cleanup, db, AppState, Config, Secret};
use app::{shell, App};
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use tower::Layer;
use tower_http::compression::{Compression, CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::fs::ServeFileSystemResponseBody;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeader;
use tower_http::trace::{DefaultOnResponse, TraceLayer};

use crate::connection;
use crate::metrics;
use crate::middleware;
use crate::rest;

/// Largest request body accepted (a post is at most 20,000 characters, ~80 KB of UTF-8).
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Longest a request may take before the server answers 408 instead.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The migrations of `migrations/`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// Opens the pool and applies pending migrations (over `DATABASE_MIGRATION_URL` when it is set). The pool is bounded, with a short acquire
/// timeout so an exhausted pool is a quick 503. It does not ping a connection before handing it
/// out: sqlx already pings each one when it comes back, and the second round trip per query
/// cost 5-10 % of the list endpoint's throughput and 15-30 % of the single post's (A/B with wrk
/// on the benchmark data). A connection broken while idle (the database restarted) fails its
/// next request with a 503 and is then dropped (end2end/db-restart).
pub async fn connect(config: &Config) -> Result<PgPool, String> {
    let options = PgConnectOptions::from_str(config.database_url.expose())
        .map_err(|error| format!("DATABASE_URL is not a valid PostgreSQL URL: {error}"))?;
    let pool = PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(config.database_acquire_timeout)
        .test_before_acquire(false)
        .connect_with(with_statement_timeout(
            db::session_options(options),
            config.database_statement_timeout,
        ))
        .await
        .map_err(|error| format!("cannot connect to the database at DATABASE_URL: {error}"))?;
    // Over a connection of their own, where no statement timeout cuts a long migration short.
    let direct = match &config.database_migration_url {
        Some(url) => (url, "DATABASE_MIGRATION_URL"),
        None => (&config.database_url, "DATABASE_URL"),
    };
    migrate(&pool, Some(direct)).await?;
    Ok(pool)
}

/// `options` with every statement cancelled after `timeout` (none when it is zero).
fn with_statement_timeout(options: PgConnectOptions, timeout: Duration) -> PgConnectOptions {
    if timeout.is_zero() {
        options
    } else {
        options.options([("statement_timeout", format!("{}ms", timeout.as_millis()))])
    }
}

/// Applies pending migrations: over `pool`, or over a connection of their own to `direct` (a
/// URL and the setting it came from, for messages): `DATABASE_MIGRATION_URL` when `pool` goes
/// through a pooler, or `DATABASE_URL` without the pool's statement timeout.
pub async fn migrate(pool: &PgPool, direct: Option<(&Secret, &str)>) -> Result<(), String> {
    match direct {
        None => MIGRATOR.run(pool).await,
        Some((url, setting)) => {
            let options = PgConnectOptions::from_str(url.expose())
                .map_err(|error| format!("{setting} is not a valid PostgreSQL URL: {error}"))?;
            let mut direct = PgConnection::connect_with(&options)
                .await
                .map_err(|error| format!("cannot connect to the database at {setting}: {error}"))?;
            let applied = MIGRATOR.run(&mut direct).await;
            let _ = direct.close().await;
            applied
        }
    }
    .map_err(|error| format!("cannot apply database migrations: {error}"))
}

/// The whole app: health checks, the REST API under `/api`, server functions under `/rpc`, the
/// server-rendered pages, and static files.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let leptos_options = state.leptos_options.clone();
    Router::new()
        .nest_service(
            &format!("/{}", leptos_options.site_pkg_dir),
            pkg_files(&leptos_options),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(rest::router())
        .leptos_routes_with_context(&state, routes, || (), move || shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(
            middleware::server_fn_error_status,
        ))
        // Inside the renewal, so that these see the renewed access cookie.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::authenticate_refusals,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::name_the_viewer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::renew_session,
        ))
        // Outside the renewal: a request over budget costs no database work. (A session whose
        // access cookie has just expired is counted once, for the request that renews it.)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::budget_anonymous_reads,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::limit_credential_attempts,
        ))
        // Before the credential limit: a page on another site must not spend a visitor's
        // login attempts.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::identify_client,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        // The fastest level: compression was the largest item of the home page's CPU profile
        // (14 %); this level renders it with ~10 % less CPU, for ~0.3 KB more on the wire (2.3 KB
        // instead of 2.0 KB, br or gzip).
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn(metrics::measure))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::close_while_draining,
        ))
        // One access-log line per request at info (method, path, route template, status,
        // latency), in a span that carries the request id; then the id goes back on the answer. The id is the
        // trusted proxy's, or a new UUID (any other client's is dropped first).
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::forget_untrusted_request_id,
        ))
        .with_state(state)
}

/// The span of a request: its method, path, route template and request id, on every event
/// logged within it. `Router::layer` wraps each route, so routing has matched when this runs
/// (the template is empty for paths no route matched: static files, unknown paths).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("", axum::extract::MatchedPath::as_str);
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        route,
        request_id,
    )
}

/// The WASM, its JS and the stylesheet. A release build (`--precompress`) leaves a brotli copy
/// of each beside it, at the highest quality (the WASM: 310 KiB against 386 KiB compressed on the
/// fly at quality 4), which is sent as it is to browsers that accept `br`. Other clients, which
/// include every browser on plain HTTP, get gzip made here at the default level (the WASM: 412
/// KiB); the pages' fastest level would make it 520 KiB, and the build's own gzip copies are 493.
/// `ServeDir` does not say that the answer depends on `Accept-Encoding` when it sends a brotli
/// copy, so a cache could hand it to a client without brotli: `Vary` is added here.
/// The `Cache-Control` of a `/pkg/` answer.
type PkgCaching = fn(&axum::http::Response<ServeFileSystemResponseBody>) -> Option<HeaderValue>;

/// A hashed file that was found: a year, immutable. A 404 must not be kept (the file may be on
/// its way, on another instance mid-deploy).
fn keep_for_a_year(
    response: &axum::http::Response<ServeFileSystemResponseBody>,
) -> Option<HeaderValue> {
    Some(if response.status().is_success() {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-store")
    })
}

fn revalidate(_: &axum::http::Response<ServeFileSystemResponseBody>) -> Option<HeaderValue> {
    Some(HeaderValue::from_static("no-cache"))
}

fn pkg_files(
    options: &leptos::config::LeptosOptions,
) -> Compression<SetResponseHeader<SetResponseHeader<ServeDir, PkgCaching>, HeaderValue>> {
    let files =
        ServeDir::new(std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir))
            .precompressed_br();
    // With hashed names (cargo-leptos `hash-files`) a file's name changes with its content: a
    // browser may keep it for a year without asking again. Without, it must ask each time.
    let caching: PkgCaching = if options.hash_files {
        keep_for_a_year
    } else {
        revalidate
    };
    let cached = SetResponseHeader::if_not_present(files, CACHE_CONTROL, caching);
    CompressionLayer::new().layer(SetResponseHeader::if_not_present(
        cached,
        VARY,
        HeaderValue::from_static("accept-encoding"),
    ))
}

/// Turns on hashed asset names when the build has them: cargo-leptos (`hash-files`) writes the
/// hashes to `hash.txt` beside the binary, and the page must then name `postboard.<hash>.wasm`.
/// cargo-leptos says so itself when it runs the server (`LEPTOS_HASH_FILES`); a binary started
/// directly (a container, the fault test, the benchmark) finds out here.
/// The names must be this build's: every file `hash.txt` names must exist, and no unhashed
/// WASM may be newer than it (a later build without hashing leaves the old `hash.txt` behind);
/// otherwise the page names the plain files.
pub fn detect_hashed_files(options: &mut leptos::config::LeptosOptions) {
    let Some(hash_file) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&*options.hash_file)))
    else {
        return;
    };
    let Ok(hashes) = std::fs::read_to_string(&hash_file) else {
        return;
    };
    let pkg = std::path::Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let output = &*options.output_name;
    let all_present =
        hashes
            .lines()
            .filter_map(|line| line.split_once(':'))
            .all(|(extension, hash)| {
                pkg.join(format!("{output}.{}.{}", hash.trim(), extension.trim()))
                    .exists()
            });
    let modified = |path: &std::path::Path| path.metadata().and_then(|m| m.modified()).ok();
    let plain_is_newer = match (
        modified(&pkg.join(format!("{output}.wasm"))),
        modified(&hash_file),
    ) {
        (Some(plain), Some(hashed)) => plain > hashed,
        _ => false,
    };
    options.hash_files = all_present && !plain_is_newer;
}

/// Binds the configured address (and the metrics listener's, if any), starts the periodic
/// clean-up, and serves until SIGINT or SIGTERM. Then it drains: `/readyz` answers 503 at once,
/// requests are still taken for `SHUTDOWN_DELAY_SECONDS`, the listener closes, and in-flight
/// requests get up to `SHUTDOWN_TIMEOUT_SECONDS` to finish.
pub async fn serve(state: AppState) -> std::io::Result<()> {
    let addr = state.leptos_options.site_addr;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "listening on http://{addr}");
    if let Some(metrics_addr) = state.config.metrics_addr {
        let metrics_listener = tokio::net::TcpListener::bind(metrics_addr).await?;
        tracing::info!(%metrics_addr, "metrics on http://{metrics_addr}/metrics");
        let metrics_router = metrics::router(state.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(metrics_listener, metrics_router).await {
                tracing::error!(%error, "the metrics listener stopped");
            }
        });
    }
    // Before the first login: while bcrypt hashes remain, every login does the same work.
    if let Err(error) = app::server::auth::account::note_bcrypt_hashes(&state).await {
        tracing::warn!(%error, "cannot tell whether bcrypt hashes remain");
    }
    tokio::spawn(cleanup::run_periodically(state.clone()));
    serve_on(listener, state.clone(), drain_signal(state.clone())).await;
    // Says goodbye to Postgres on each connection; bounded, because a request that outlived the
    // drain may still hold one (close waits for it).
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        tokio::join!(state.pool.close(), state.search_pool.close())
    })
    .await;
    Ok(())
}

/// Completes when the listener should close: a stop signal, then `SHUTDOWN_DELAY_SECONDS` during
/// which `/readyz` already answers 503 (a load balancer polling it stops sending new work).
async fn drain_signal(state: AppState) {
    shutdown_signal().await;
    state.start_draining();
    let delay = state.config.shutdown_delay;
    tracing::info!(?delay, "stop requested: /readyz answers 503; draining");
    tokio::time::sleep(delay).await;
}

/// Serves the app on a bound listener until `shutdown` completes (the binary and the tests).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let config = state.config.clone();
    let draining = state.clone();
    let shutdown = async move {
        shutdown.await;
        // The listener closes now: from here every answer closes its connection.
        draining.start_closing();
    };
    connection::serve(listener, router(state), &config, shutdown).await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Liveness: the process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers, and the process is not shutting down.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    if state.is_draining() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "draining", "detail": "shutting down" })),
        );
    }
    let pool = &state.pool;
    let probe = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query("select 1").execute(pool),
    );
    match probe.await {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "detail": "database unreachable" })),
        ),
    }
}
