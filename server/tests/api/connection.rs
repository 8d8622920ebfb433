//! Connection hygiene: slow and idle clients cannot hold the server's connections.

use std::time::Duration;

use reqwest::StatusCode;
use sqlx::PgPool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{test_config, TestApp};

/// An app that gives a request head one second.
async fn impatient_app(pool: PgPool, max_connections: &str) -> TestApp {
    let config = test_config(&[
        ("HEADER_READ_TIMEOUT_SECONDS", "1"),
        ("MAX_CONNECTIONS", max_connections),
    ]);
    TestApp::spawn_with(pool, config).await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.address.trim_start_matches("http://"))
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_client_that_never_finishes_its_request_head_is_disconnected(pool: PgPool) {
    let app = impatient_app(pool, "100").await;
    let mut slow = connect(&app).await;
    // Act: half a request head, then nothing (slowloris).
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Assert: the server closes the connection rather than wait forever.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection was still open after 10 s");
}

#[sqlx::test(migrations = "../migrations")]
async fn idle_connections_cannot_keep_a_capped_server_from_answering(pool: PgPool) {
    // Arrange: two connections allowed, both taken by clients that send nothing.
    let app = impatient_app(pool, "2").await;
    let _idle = [connect(&app).await, connect(&app).await];
    // Act
    let answer = tokio::time::timeout(Duration::from_secs(10), app.get("/healthz", None)).await;
    // Assert: the idle ones were dropped, and the request was served.
    let response = answer.expect("no answer within 10 s");
    assert_eq!(response.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_client_that_stops_reading_cannot_keep_a_capped_server_from_answering(pool: PgPool) {
    // Arrange: one connection allowed, writes that stall for a second end their connection,
    // and a page of posts far larger than the socket buffers (100 posts of 60 KB each).
    let config = test_config(&[("MAX_CONNECTIONS", "1"), ("WRITE_TIMEOUT_SECONDS", "1")]);
    let app = TestApp::spawn_with(pool, config).await;
    let token = app.token_for("ann@example.com").await;
    let content = "€".repeat(20_000);
    sqlx::query(
        "insert into posts (title, content, owner_id)
         select 'large ' || n, $1, (select id from users) from generate_series(1, 100) n",
    )
    .bind(&content)
    .execute(&app.pool)
    .await
    .unwrap();
    // A client with a tiny receive window asks for the page, then never reads.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let address = app.address.trim_start_matches("http://").parse().unwrap();
    let mut stalled = socket.connect(address).await.unwrap();
    let request = format!(
        "GET /api/posts/?limit=100 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    stalled.write_all(request.as_bytes()).await.unwrap();
    // By now the stalled client holds the only slot, its answer stuck in the socket buffers.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // Act: a new client, on a connection of its own. (Here the answer came after ~8.5 s: the
    // kernel keeps taking bytes into a growing send buffer for a while before writes stall.)
    let fresh = reqwest::Client::new();
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        fresh.get(app.url("/healthz")).send(),
    )
    .await;
    // Assert
    let response = answer
        .expect("no answer within 30 s: the stalled reader kept the slot")
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
