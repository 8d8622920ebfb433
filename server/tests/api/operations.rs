//! What an operator relies on: the periodic clean-up, readiness while shutting down, metrics
//! and the access log.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use app::server::cleanup;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use tower::ServiceExt;

use crate::helpers::{test_config, TestApp};

#[sqlx::test(migrations = "../migrations")]
async fn the_cleanup_deletes_only_what_nobody_needs(pool: PgPool) {
    // Arrange: a live session, an ended one, an expired one; an old and a fresh idempotency key;
    // a failure count from an old window and one from now.
    let app = TestApp::spawn(pool.clone()).await;
    let first = app.signed_up("ann@example.com").await;
    let live: Value = app
        .refresh(&first["refresh_token"])
        .await
        .json()
        .await
        .unwrap();
    let ended = app.signed_up("bob@example.com").await;
    let logout = app
        .send_json(
            reqwest::Method::POST,
            "/api/logout",
            None,
            &json!({"refresh_token": ended["refresh_token"]}),
        )
        .await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    app.signed_up("cid@example.com").await;
    sqlx::query(
        "update refresh_tokens set expires_at = now() - interval '1 second'
         where user_id = (select id from users where email = 'cid@example.com')",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("update sessions set created_at = now() - interval '1 hour'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query(
        "insert into idempotency_keys (user_id, key, response, created_at)
         select id, 'old', 'null'::jsonb, now() - interval '31 days' from users where email = 'ann@example.com'
         union all
         select id, 'fresh', 'null'::jsonb, now() from users where email = 'ann@example.com'",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into login_failures (key, failures, since) values
         (decode(repeat('aa', 16), 'hex'), 3, now() - interval '16 minutes'),
         (decode(repeat('bb', 16), 'hex'), 3, now())",
    )
    .execute(&pool)
    .await
    .unwrap();

    // Act
    let deleted = cleanup::run_once(&app.state)
        .await
        .unwrap()
        .expect("the lock was free");

    // Assert: what went, and that the live session still works.
    assert_eq!(deleted.refresh_tokens, 2, "{deleted:?}");
    assert_eq!(deleted.sessions, 2, "{deleted:?}");
    assert_eq!(deleted.idempotency_keys, 1, "{deleted:?}");
    assert_eq!(deleted.login_failures, 1, "{deleted:?}");
    let keys: Vec<String> = sqlx::query_scalar("select key from idempotency_keys")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(keys, ["fresh"]);
    let refreshed = app.refresh(&live["refresh_token"]).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let sessions = app
        .get("/api/sessions", live["access_token"].as_str())
        .await;
    assert_eq!(sessions.status(), StatusCode::OK);
    // The token rotated before the clean-up was kept: presented again, it still gives a stolen
    // token away (the whole session ends).
    let reuse = app.refresh(&first["refresh_token"]).await;
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);
    let current: Value = refreshed.json().await.unwrap();
    assert_eq!(
        app.refresh(&current["refresh_token"]).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn one_instance_cleans_up_at_a_time(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    // Another instance is cleaning up: it holds the lock in its transaction.
    let mut other = pool.begin().await.unwrap();
    let holds: bool = sqlx::query_scalar("select pg_try_advisory_xact_lock($1)")
        .bind(cleanup::CLEANUP_LOCK)
        .fetch_one(&mut *other)
        .await
        .unwrap();
    assert!(holds);
    assert_eq!(cleanup::run_once(&app.state).await.unwrap(), None);
    // Once it is done, this one takes its turn.
    other.commit().await.unwrap();
    assert!(cleanup::run_once(&app.state).await.unwrap().is_some());
}

#[sqlx::test(migrations = "../migrations")]
async fn readyz_answers_503_once_shutdown_begins_and_answers_close_their_connections(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);
    // Act: what SIGTERM does first.
    app.state.start_draining();
    // Assert
    let readiness = app.get("/readyz", None).await;
    assert_eq!(readiness.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = readiness.json().await.unwrap();
    assert_eq!(body["status"], "draining");
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
    let token = app.token_for("ann@example.com").await;
    let posts = app.get("/api/posts/", Some(&token)).await;
    assert_eq!(posts.status(), StatusCode::OK);
    // Until the listener closes, connections are kept (a proxy opening new ones could race
    // the close); from then on each answer asks the client not to reuse its connection.
    assert!(!posts.headers().contains_key("connection"));
    app.state.start_closing();
    let posts = app.get("/api/posts/", Some(&token)).await;
    assert_eq!(posts.status(), StatusCode::OK);
    assert_eq!(posts.headers()["connection"], "close");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_request_in_flight_when_shutdown_begins_is_answered_before_the_server_stops(
    pool: PgPool,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // Arrange: a server whose shutdown the test triggers.
    let app = TestApp::spawn(pool.clone()).await;
    let token = app.token_for("ann@example.com").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::startup::serve_on(
        listener,
        app.state.clone(),
        async {
            let _ = stopped.await;
        },
    ));
    // A post whose body is still on its way when the stop comes.
    let body = json!({"title": "in flight", "content": "sent across a shutdown"}).to_string();
    let (first, rest) = body.split_at(10);
    let mut connection = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/posts/ HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    );
    connection.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // Act
    stop.send(()).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    connection.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    connection.read_to_string(&mut answer).await.unwrap();
    // Assert: answered (and the connection closed after it), then the server stopped; new
    // connections are refused.
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("the server stops once its last request is answered")
        .unwrap();
    assert!(tokio::net::TcpStream::connect(address).await.is_err());
    assert_eq!(app.count("posts").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_are_served_on_their_own_listener_per_route_and_status(pool: PgPool) {
    // Arrange: recording on (the binary turns it on with METRICS_ADDR), and a few requests of
    // known routes and statuses.
    server::metrics::handle();
    let limited = [
        ("AUTH_RATE_LIMIT_PER_MINUTE", "1"),
        ("AUTH_RATE_LIMIT_BURST", "2"),
    ];
    let app = TestApp::spawn_with(pool, test_config(&limited)).await;
    let token = app.token_for("ann@example.com").await;
    // A third attempt, refused by middleware before any handler: still counted by its route.
    let refused = app.login("ann@example.com", "wrong password").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.get("/api/posts/424242", Some(&token)).await.status(),
        StatusCode::NOT_FOUND
    );
    let posts = app.get("/api/posts/", Some(&token)).await;
    assert_eq!(posts.status(), StatusCode::OK);
    // Act: scrape, as Prometheus would on METRICS_ADDR.
    let scrape = server::metrics::router(app.state.clone())
        .oneshot(
            axum::http::Request::get("/metrics")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(scrape.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(scrape.into_body(), usize::MAX)
        .await
        .unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    // Assert: counts and latency by route template, never by the id in the path.
    for expected in [
        r#"http_requests_total{method="GET",route="/api/posts/{id}",status="404"}"#,
        r#"http_requests_total{method="POST",route="/api/login",status="200"}"#,
        r#"http_requests_total{method="POST",route="/api/login",status="429"}"#,
        r#"http_request_duration_seconds_bucket{method="GET",route="/api/posts/",status="200",le="+Inf"}"#,
        r#"db_pool_connections{pool="main",state="idle"}"#,
        r#"db_pool_max_connections{pool="search"}"#,
        "password_hash_queue_depth",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    assert!(!text.contains("424242"));
    // The public port does not show them.
    assert_eq!(
        app.get("/metrics", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

/// A log destination the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line of this test process from the first call on, as the binary writes them with
/// `LOG_FORMAT=json`. A global subscriber: with a thread-local one, the other tests' threads race
/// it for the callsites' cached interest, and lines go missing.
fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = server::telemetry::subscriber(
            server::telemetry::LogFormat::Json,
            server::telemetry::SERVER_FILTER,
            move || writer.clone(),
        );
        tracing::subscriber::set_global_default(subscriber)
            .expect("nothing else in the tests installs a global subscriber");
        captured
    })
}

#[sqlx::test(migrations = "../migrations")]
async fn every_request_leaves_one_json_access_log_line_with_its_route_status_and_request_id(
    pool: PgPool,
) {
    // Arrange: the binary's JSON logging, and a request id of this test's own.
    let logs = captured_logs();
    let request_id = format!("nginx-{}", uuid::Uuid::new_v4());
    let app = TestApp::spawn_with(pool, test_config(&[("TRUSTED_PROXIES", "127.0.0.1/32")])).await;
    // Act: a request whose id the (trusted) proxy chose (anonymous: a 401).
    let response = app
        .client
        .get(app.url("/api/posts/31337"))
        .header("x-request-id", &request_id)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    // Assert: one line, at info, naming the route template, the status and the request id.
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    let access: Vec<Value> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["span"]["request_id"] == request_id.as_str())
        .filter(|line| line["fields"]["message"] == "finished processing request")
        .collect();
    assert_eq!(access.len(), 1, "{request_id} in:\n{text}");
    let line = &access[0];
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["fields"]["status"], 401);
    assert!(line["fields"]["latency"].is_string());
    assert_eq!(line["span"]["route"], "/api/posts/{id}");
    assert_eq!(line["span"]["method"], "GET");
}

#[test]
fn log_format_is_text_or_json_and_anything_else_is_refused() {
    use server::telemetry::LogFormat;
    assert_eq!(LogFormat::parse(None), Ok(LogFormat::Text));
    assert_eq!(LogFormat::parse(Some("json")), Ok(LogFormat::Json));
    let error = LogFormat::parse(Some("yaml")).unwrap_err();
    assert!(error.contains("LOG_FORMAT"), "{error}");
}
