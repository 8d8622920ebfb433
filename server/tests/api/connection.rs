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
