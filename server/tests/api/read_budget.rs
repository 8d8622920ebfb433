//! The anonymous read budget: page renders and server functions of callers without a session,
//! counted per client address (`ANONYMOUS_READS_PER_MINUTE`, `ANONYMOUS_READ_BURST`).

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, COOKIE, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use sqlx::PgPool;

use app::AppError;

use crate::helpers::{test_config, TestApp};

/// A burst of three, then one a minute; clients named by `X-Forwarded-For` from 127.0.0.1.
async fn spawn(pool: PgPool) -> TestApp {
    TestApp::spawn_with(
        pool,
        test_config(&[
            ("ANONYMOUS_READS_PER_MINUTE", "1"),
            ("ANONYMOUS_READ_BURST", "3"),
            ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ]),
    )
    .await
}

/// The feed's first page through the UI's server function, as `client`.
fn feed(app: &TestApp, client: &str) -> RequestBuilder {
    app.client
        .post(app.url("/rpc/list_posts"))
        .header("x-forwarded-for", client)
        .form(&[
            ("query[limit]", "10"),
            ("query[search]", ""),
            ("mine", "false"),
        ])
}

/// `GET path` without a session, as `client`.
fn get(app: &TestApp, path: &str, client: &str) -> RequestBuilder {
    app.client
        .get(app.url(path))
        .header("x-forwarded-for", client)
}

/// The home page, server-rendered, as `client`.
fn home(app: &TestApp, client: &str) -> RequestBuilder {
    get(app, "/", client)
}

async fn status(request: RequestBuilder) -> StatusCode {
    request.send().await.unwrap().status()
}

#[sqlx::test(migrations = "../migrations")]
async fn anonymous_reads_past_the_budget_are_429_with_retry_after_after_a_pause(pool: PgPool) {
    let app = spawn(pool).await;
    let visitor = "192.0.2.10";
    assert_eq!(status(home(&app, visitor)).await, StatusCode::OK);
    assert_eq!(status(feed(&app, visitor)).await, StatusCode::OK);
    assert_eq!(status(feed(&app, visitor)).await, StatusCode::OK);
    let started = Instant::now();
    let refused = feed(&app, visitor).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "answered at once"
    );
    let retry_after: u64 = refused.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // In the encoding the UI's server functions decode (not the REST shape).
    let error: AppError = refused.json().await.unwrap();
    assert!(matches!(error, AppError::RateLimited { .. }), "{error:?}");
    assert_eq!(
        status(home(&app, visitor)).await,
        StatusCode::TOO_MANY_REQUESTS,
        "page renders share the budget"
    );
    assert_eq!(
        status(feed(&app, "198.51.100.20")).await,
        StatusCode::OK,
        "another address has its own budget"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn pages_count_however_their_path_is_spelt(pool: PgPool) {
    let app = spawn(pool).await;
    let visitor = "192.0.2.14";
    // The author page with a trailing slash is rendered by the fallback, not a route.
    for path in ["/u/nobody/", "/posts/1/", "/?q=x"] {
        assert_ne!(
            status(get(&app, path, visitor)).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{path}"
        );
    }
    let refused = app
        .client
        .head(app.url("/"))
        .header("x-forwarded-for", visitor)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_forwarded_address_from_an_untrusted_peer_is_not_believed(pool: PgPool) {
    // No trusted proxy: the TCP peer (127.0.0.1) is the client, whatever the header says.
    let app = TestApp::spawn_with(
        pool,
        test_config(&[
            ("ANONYMOUS_READS_PER_MINUTE", "1"),
            ("ANONYMOUS_READ_BURST", "3"),
        ]),
    )
    .await;
    for n in 0..3 {
        assert_eq!(
            status(feed(&app, &format!("192.0.2.{n}"))).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        status(feed(&app, "192.0.2.99")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn signed_in_readers_and_the_rest_api_are_not_counted(pool: PgPool) {
    let app = spawn(pool).await;
    let visitor = "192.0.2.11";
    let token = app.token_for("ann@example.com").await;
    let cookie = format!("pb_access={token}");
    for _ in 0..6 {
        assert_eq!(
            status(feed(&app, visitor).header(COOKIE, &cookie)).await,
            StatusCode::OK
        );
        assert_eq!(
            status(home(&app, visitor).header(AUTHORIZATION, format!("Bearer {token}"))).await,
            StatusCode::OK
        );
        let rest = app
            .client
            .get(app.url("/api/posts/"))
            .header("x-forwarded-for", visitor)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(rest.status(), StatusCode::OK);
    }
    // The same address without a session still has its whole burst.
    for _ in 0..3 {
        assert_eq!(status(feed(&app, visitor)).await, StatusCode::OK);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_credential_that_does_not_verify_is_counted_as_anonymous(pool: PgPool) {
    let app = spawn(pool).await;
    let visitor = "192.0.2.12";
    let forged = "pb_access=eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.forged";
    for _ in 0..3 {
        feed(&app, visitor)
            .header(COOKIE, forged)
            .send()
            .await
            .unwrap();
    }
    assert_eq!(
        status(feed(&app, visitor).header(COOKIE, forged)).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn health_checks_and_static_files_are_not_counted(pool: PgPool) {
    let app = spawn(pool).await;
    let visitor = "192.0.2.13";
    for _ in 0..5 {
        for path in ["/healthz", "/readyz", "/favicon.ico"] {
            assert_ne!(
                status(get(&app, path, visitor)).await,
                StatusCode::TOO_MANY_REQUESTS,
                "{path}"
            );
        }
    }
    assert_eq!(status(feed(&app, visitor)).await, StatusCode::OK);
}
