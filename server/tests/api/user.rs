use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{assert_detail, assert_invalid_at, TestApp, PASSWORD};

#[sqlx::test(migrations = "../migrations")]
async fn signing_up_returns_the_user_without_any_secret(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    // Act
    let response = app.register("  ann@example.com ", PASSWORD).await;
    // Assert
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    assert!(user["id"].is_i64());
    assert_eq!(user["email"], "ann@example.com");
    let created_at = user["created_at"].as_str().unwrap();
    assert!(created_at.ends_with("+00:00"), "{created_at}");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    let stored: String = sqlx::query_scalar("select password_hash from users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(stored.starts_with("$argon2id$"));
}

/// `POST /api/users/` with a display name.
async fn register_named(app: &TestApp, email: &str, name: &str) -> reqwest::Response {
    app.send_json(
        reqwest::Method::POST,
        "/api/users/",
        None,
        &serde_json::json!({"email": email, "password": PASSWORD, "name": name}),
    )
    .await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_user_has_the_display_name_chosen_at_sign_up_or_a_neutral_one(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let named = register_named(&app, "ann@example.com", " Ann Lee ").await;
    assert_eq!(named.status(), StatusCode::CREATED);
    assert_eq!(named.json::<Value>().await.unwrap()["name"], "Ann Lee");
    let unnamed: Value = app
        .register("bob@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unnamed["name"], format!("user#{}", unnamed["id"]));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_display_name_is_unique_without_regard_to_case_and_checked(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    register_named(&app, "ann@example.com", "Ann Lee").await;
    let taken = register_named(&app, "bob@example.com", "ann lee").await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let body: Value = taken.json().await.unwrap();
    assert_eq!(body["detail"], "This name is taken");
    for bad in ["ab", "user#7", "<b>bold</b>"] {
        let response = register_named(&app, "carl@example.com", bad).await;
        assert_invalid_at(response, &["body", "name"]).await;
    }
    assert_eq!(app.count("users").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_duplicate_email_in_another_letter_case_is_409(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let response = app.register("ANN@Example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].is_string());
}

#[sqlx::test(migrations = "../migrations")]
async fn concurrent_sign_ups_with_one_email_create_one_account(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let attempts = (0..4).map(|_| app.register("ann@example.com", PASSWORD));
    let statuses = crate::helpers::statuses(attempts).await;
    assert_eq!(statuses.of(StatusCode::CREATED), 1, "{statuses:?}");
    assert_eq!(statuses.of(StatusCode::CONFLICT), 3, "{statuses:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn invalid_emails_are_422(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for email in ["", "ann", "ann@", "ann@example", "a b@example.com"] {
        assert_invalid_at(app.register(email, PASSWORD).await, &["body", "email"]).await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn passwords_must_have_8_to_128_characters(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_invalid_at(
        app.register("ann@example.com", "short").await,
        &["body", "password"],
    )
    .await;
    assert_invalid_at(
        app.register("ann@example.com", &"x".repeat(129)).await,
        &["body", "password"],
    )
    .await;
    assert_eq!(
        app.register("ann@example.com", &"é".repeat(8))
            .await
            .status(),
        StatusCode::CREATED
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_sign_up_without_a_field_is_422_at_that_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .send_json(
            reqwest::Method::POST,
            "/api/users/",
            None,
            &serde_json::json!({"email": "ann@example.com"}),
        )
        .await;
    assert_invalid_at(response, &["body", "password"]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn looking_up_a_user_needs_a_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let user: Value = app
        .register("ann@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let response = app.get(&format!("/api/users/{}", user["id"]), None).await;
    assert_detail(response, StatusCode::UNAUTHORIZED, "Not authenticated").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_user_is_found_by_id(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann: Value = app
        .register("ann@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let token = app.token_for("bob@example.com").await;
    let response = app
        .get(&format!("/api/users/{}", ann["id"]), Some(&token))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), ann);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_missing_user_is_404_and_a_non_integer_id_is_422(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    assert_detail(
        app.get("/api/users/999999", Some(&token)).await,
        StatusCode::NOT_FOUND,
        "User with id: 999999 does not exist",
    )
    .await;
    assert_invalid_at(
        app.get("/api/users/abc", Some(&token)).await,
        &["path", "id"],
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn me_is_the_caller(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let me: Value = app
        .get("/api/users/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "ann@example.com");
}
