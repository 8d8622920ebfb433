//! Prometheus metrics (#17), served at `/metrics` on their own listener (`METRICS_ADDR`), never on
//! the public port: request counts and latency per route template and status, the database
//! pool's connections, the password-hashing queue, and the outbox's replays
//! (`postboard_idempotent_replays_total`, counted where they are answered). Recorded through the
//! `metrics` facade; rendered by metrics-exporter-prometheus.

use std::sync::OnceLock;
use std::time::Instant;

use app::server::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// The request-latency histogram's buckets, in seconds: from a cached read (~1 ms) to the request
/// timeout (30 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

const REQUEST_DURATION: &str = "http_request_duration_seconds";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use: by the binary when `METRICS_ADDR` is set (until
/// then nothing is recorded), or by a test.
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_DURATION.into()), LATENCY_BUCKETS)
                .expect("the latency buckets are not empty")
                .build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder came first, which nothing in this process installs.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// The metrics listener's router: `GET /metrics`, in Prometheus's text format.
pub fn router(state: AppState) -> Router {
    // Installed now, so that requests are counted from the first one on.
    handle();
    Router::new()
        .route("/metrics", get(scrape))
        .with_state(state)
}

/// Renders every metric; the gauges of the pools and the hashing queue are read now.
async fn scrape(State(state): State<AppState>) -> Response {
    let handle = handle();
    // `main`: every request's; `search`: exact searches' (`AppState::search_pool`).
    for (name, pool) in [("main", &state.pool), ("search", &state.search_pool)] {
        let idle = pool.num_idle();
        let open = usize::try_from(pool.size()).unwrap_or(usize::MAX);
        metrics::gauge!("db_pool_connections", "pool" => name, "state" => "idle").set(idle as f64);
        metrics::gauge!("db_pool_connections", "pool" => name, "state" => "in_use")
            .set(open.saturating_sub(idle) as f64);
        metrics::gauge!("db_pool_max_connections", "pool" => name)
            .set(f64::from(pool.options().get_max_connections()));
    }
    metrics::gauge!("password_hash_queue_depth").set(state.passwords.waiting() as f64);
    handle.run_upkeep();
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
        .into_response()
}

/// Counts every request and times it up to its answer's head, by method, route template and
/// status, refusals made by middleware (429, 401, 403, 408) included. Requests that matched no
/// route (static files, unknown paths) share the route
/// `unmatched`, and unusual methods the method `other`, so that no client can make up labels.
pub async fn measure(request: Request, next: Next) -> Response {
    if HANDLE.get().is_none() {
        // No metrics listener: nothing would read them.
        return next.run(request).await;
    }
    let started = Instant::now();
    // `Router::layer` wraps each route: routing has already matched when this runs.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = match *request.method() {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let response = next.run(request).await;
    let labels = [
        ("method", method.to_owned()),
        ("route", route),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!(REQUEST_DURATION, &labels).record(started.elapsed().as_secs_f64());
    response
}
