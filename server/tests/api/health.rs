use reqwest::StatusCode;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::helpers::{database_url, test_config, TestApp};

#[sqlx::test(migrations = "../migrations")]
async fn healthz_answers_while_the_process_is_up(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn readyz_is_200_when_the_database_answers(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_servers_database_sessions_never_jit_compile_a_query(pool: PgPool) {
    // Arrange: the pool the binary opens, on the test's database.
    let url = database_url(&pool);
    let server_pool = server::startup::connect(&test_config(&[("DATABASE_URL", &url)]))
        .await
        .unwrap();
    // Act
    let jit: String = sqlx::query_scalar("show jit")
        .fetch_one(&server_pool)
        .await
        .unwrap();
    // Assert
    assert_eq!(jit, "off");
}

#[tokio::test]
async fn readyz_is_503_when_the_database_is_unreachable() {
    // Arrange: a pool pointing at a port nothing listens on.
    let pool = PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(300))
        .connect_lazy("postgres://postgres@127.0.0.1:1/none")
        .unwrap();
    let app = TestApp::spawn(pool).await;
    // Act
    let response = app.get("/readyz", None).await;
    // Assert
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn api_requests_fail_fast_with_a_json_503_when_the_database_is_unreachable() {
    let pool = PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(300))
        .connect_lazy("postgres://postgres@127.0.0.1:1/none")
        .unwrap();
    let app = TestApp::spawn(pool).await;
    let response = app
        .register("ann@example.com", crate::helpers::PASSWORD)
        .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["detail"].is_string());
}

#[sqlx::test(migrations = "../migrations")]
async fn migrations_create_every_table_with_its_named_constraints(pool: PgPool) {
    let constraints: Vec<String> = sqlx::query_scalar(
        "select conname::text from pg_constraint where connamespace = 'public'::regnamespace order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for expected in [
        "posts_content_length",
        "posts_owner_id_fkey",
        "posts_title_length",
        "refresh_tokens_token_hash_key",
        "votes_pkey",
        "votes_post_id_fkey",
        "votes_user_id_fkey",
    ] {
        assert!(
            constraints.iter().any(|c| c == expected),
            "missing {expected}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn every_answer_carries_a_request_id_that_only_a_trusted_proxy_may_choose(pool: PgPool) {
    let request_id = |response: &reqwest::Response| {
        response
            .headers()
            .get("x-request-id")
            .map(|value| value.to_str().unwrap().to_owned())
    };
    let app = TestApp::spawn(pool.clone()).await;
    // Act: one request without an id, one from a stranger that brings its own.
    let plain = app.get("/healthz", None).await;
    let chosen = app
        .client
        .get(app.url("/api/posts/1"))
        .header("x-request-id", "chosen-by-a-stranger")
        .send()
        .await
        .unwrap();
    // Assert: a fresh UUID each time, the stranger's id ignored.
    let generated = request_id(&plain).expect("an id on the answer");
    assert!(generated.parse::<uuid::Uuid>().is_ok(), "{generated}");
    let replaced = request_id(&chosen).expect("an id on a 401 too");
    assert_ne!(replaced, "chosen-by-a-stranger");
    assert_ne!(replaced, generated);

    // Behind a trusted proxy, its id is kept, so that its logs and ours name the same request.
    let behind_proxy =
        TestApp::spawn_with(pool, test_config(&[("TRUSTED_PROXIES", "127.0.0.1/32")])).await;
    let forwarded = behind_proxy
        .client
        .get(behind_proxy.url("/healthz"))
        .header("x-request-id", "from-nginx-42")
        .send()
        .await
        .unwrap();
    assert_eq!(request_id(&forwarded).as_deref(), Some("from-nginx-42"));
}

#[sqlx::test(migrations = false)]
async fn migrations_run_over_the_migration_url_when_one_is_given(pool: PgPool) {
    // Arrange: an empty database, and the URLs the binary would get behind a pooler.
    let url = database_url(&pool);
    // Act: a migration URL nothing listens on, then the right one.
    let unreachable = test_config(&[
        ("DATABASE_URL", &url),
        (
            "DATABASE_MIGRATION_URL",
            "postgres://postgres@127.0.0.1:1/none",
        ),
    ]);
    let refused = server::startup::connect(&unreachable).await.unwrap_err();
    let direct = test_config(&[("DATABASE_URL", &url), ("DATABASE_MIGRATION_URL", &url)]);
    server::startup::connect(&direct).await.unwrap();
    // Assert: the first one was used (and said so), the second one migrated.
    assert!(refused.contains("DATABASE_MIGRATION_URL"), "{refused}");
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from information_schema.tables where table_name = 'login_failures'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_statement_past_the_timeout_is_cancelled_and_answered_as_a_503(pool: PgPool) {
    // Arrange: the binary's pool on the test's database, with a 100 ms statement timeout.
    let url = database_url(&pool);
    let config = test_config(&[
        ("DATABASE_URL", &url),
        ("DATABASE_STATEMENT_TIMEOUT_MS", "100"),
    ]);
    let server_pool = server::startup::connect(&config).await.unwrap();
    // Act: a statement that would take half a second.
    let error = sqlx::query("select pg_sleep(0.5)")
        .execute(&server_pool)
        .await
        .unwrap_err();
    // Assert: cancelled, and a 503 for the client; a quick one still runs.
    let error = app::AppError::from(error);
    assert!(matches!(error, app::AppError::Unavailable), "{error:?}");
    assert_eq!(error.status_code(), 503);
    sqlx::query("select 1").execute(&server_pool).await.unwrap();
}
