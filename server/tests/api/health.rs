use reqwest::StatusCode;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

use crate::helpers::{test_config, TestApp};

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
    let test_db = pool.connect_options();
    let url = format!(
        "postgres://{}@{}:{}/{}",
        test_db.get_username(),
        test_db.get_host(),
        test_db.get_port(),
        test_db.get_database().unwrap_or_default()
    );
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
