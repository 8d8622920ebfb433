//! Accepting and serving connections, with the limits a public server needs and `axum::serve`
//! cannot set: a header-read timeout (a client that sends its request head slowly, or keeps an
//! idle keep-alive connection open, is dropped after it), a write timeout (a client that stops
//! reading is dropped once a write has made no progress for that long) and a cap on concurrent
//! connections (past it, new connections wait in the kernel's backlog instead of taking file
//! descriptors).
//! HTTP/1.1 only (no upgrades: the app has no websocket), with graceful shutdown: browsers speak HTTP/2 only over TLS, which
//! the proxy in front terminates (nginx talks HTTP/1.1 to upstreams with keep-alive), while hyper's
//! protocol sniffing for cleartext HTTP/2 waits for a first byte with no timeout at all.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::server::Config;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::spawn;
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt;

/// Serves `router` on `listener` until `shutdown` completes, then lets in-flight requests
/// finish (for up to `SHUTDOWN_TIMEOUT_SECONDS`). Each request carries `ConnectInfo<SocketAddr>`, as with
/// `into_make_service_with_connect_info`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    config: &Config,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout);
    let capacity =
        u32::try_from(config.max_connections.clamp(1, Semaphore::MAX_PERMITS)).unwrap_or(u32::MAX);
    let permits = Arc::new(Semaphore::new(capacity as usize));
    let graceful = GracefulShutdown::new();
    // One accepted connection, served until it ends; its permit goes back then.
    let serve_one = |stream: TcpStream, remote: SocketAddr, permit: OwnedSemaphorePermit| {
        // Leptos streams a page in two writes; without TCP_NODELAY the second waits for a
        // delayed ACK (~40 ms a page).
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(remote));
                request.map(Body::new)
            });
        let mut stream = TimeoutStream::new(stream);
        stream.set_write_timeout(Some(config.write_timeout));
        let io = TokioIo::new(Box::pin(stream));
        let connection =
            graceful.watch(builder.serve_connection(io, TowerToHyperService::new(service)));
        async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "connection ended with an error");
            }
            drop(permit);
        }
    };
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = shutdown.as_mut() => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // A connection reset before it was accepted: nothing to wait for.
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    // Out of file descriptors, most likely: wait rather than spin, as axum does.
                    tracing::error!(%error, "accept failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
            () = shutdown.as_mut() => break,
        };
        spawn(serve_one(stream, remote, permit));
    }
    // Connections the kernel accepted meanwhile, still in the backlog, would be reset when the
    // listener closes, after their client sent its request: served instead (each answer says
    // `Connection: close` by now).
    while let Ok(Ok((stream, remote))) =
        tokio::time::timeout(Duration::ZERO, listener.accept()).await
    {
        match Arc::clone(&permits).try_acquire_owned() {
            Ok(permit) => {
                spawn(serve_one(stream, remote, permit));
            }
            Err(_) => break,
        }
    }
    // New connections are refused from here on rather than left waiting in the backlog.
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    let deadline = tokio::time::Instant::now() + config.shutdown_timeout;
    // First, connections end by themselves: every answer now says `Connection: close`
    // (`middleware::close_while_draining`), and an idle one is closed by its client or, after
    // HEADER_READ_TIMEOUT_SECONDS, by hyper. Closing idle connections here instead would race a
    // proxy that is sending a request on one just then, which it cannot retry for a POST
    // (end2end/many-instances saw it). A proxy keeps idle connections for less than that
    // timeout (nginx: keepalive_timeout), so behind one this wait ends within its timeout.
    let idle_limit = config.header_read_timeout + Duration::from_secs(1);
    let ended_by_themselves = tokio::time::timeout_at(
        deadline.min(tokio::time::Instant::now() + idle_limit),
        permits.acquire_many(capacity),
    )
    .await
    .is_ok();
    // Then whatever is left (a client that keeps its connection busy) is asked to finish.
    if !ended_by_themselves
        && tokio::time::timeout_at(deadline, graceful.shutdown())
            .await
            .is_err()
    {
        let limit = config.shutdown_timeout;
        tracing::warn!("requests still running after {limit:?}: stopping anyway");
    }
}

/// Errors of one connection that `accept` reports, as opposed to the listener's own.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}
