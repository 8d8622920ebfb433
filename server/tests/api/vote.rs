use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{assert_detail, assert_invalid_at, TestApp};

async fn votes_of(app: &TestApp, token: &str, post_id: i64) -> i64 {
    let post: Value = app
        .get(&format!("/api/posts/{post_id}"), Some(token))
        .await
        .json()
        .await
        .unwrap();
    post["votes"].as_i64().unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn voting_adds_one_to_the_count(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let post = app.post_id(&token, "hello").await;
    // Act
    let response = app.vote(&token, post, 1).await;
    // Assert
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"message": "successfully added vote"})
    );
    assert_eq!(votes_of(&app, &token, post).await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn voting_twice_on_the_same_post_returns_409(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let post = app.post_id(&token, "hello").await;
    app.vote(&token, post, 1).await;
    let response = app.vote(&token, post, 1).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(votes_of(&app, &token, post).await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn removing_a_vote_subtracts_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let post = app.post_id(&token, "hello").await;
    app.vote(&token, post, 1).await;
    let response = app.vote(&token, post, 0).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"message": "successfully deleted vote"})
    );
    assert_eq!(votes_of(&app, &token, post).await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn removing_a_vote_that_does_not_exist_is_404(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let post = app.post_id(&token, "hello").await;
    assert_detail(
        app.vote(&token, post, 0).await,
        StatusCode::NOT_FOUND,
        "Vote does not exist",
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn voting_on_a_missing_post_is_404_whatever_the_direction(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    for dir in [0, 1] {
        assert_detail(
            app.vote(&token, 424242, dir).await,
            StatusCode::NOT_FOUND,
            "Post with id: 424242 does not exist",
        )
        .await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_direction_other_than_0_or_1_is_422(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let post = app.post_id(&token, "hello").await;
    assert_invalid_at(app.vote(&token, post, 2).await, &["body", "dir"]).await;
    assert_invalid_at(app.vote(&token, post, -1).await, &["body", "dir"]).await;
    let missing = app
        .send_json(
            reqwest::Method::POST,
            "/api/vote/",
            Some(&token),
            &json!({"post_id": post}),
        )
        .await;
    assert_invalid_at(missing, &["body", "dir"]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn voting_needs_a_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .send_json(
            reqwest::Method::POST,
            "/api/vote/",
            None,
            &json!({"post_id": 1, "dir": 1}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn eight_identical_concurrent_votes_give_one_201_and_seven_409s(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let post = app.post_id(&token, "hello").await;
    // Act
    let attempts = (0..8).map(|_| app.vote(&token, post, 1));
    let statuses = crate::helpers::statuses(attempts).await;
    // Assert
    assert_eq!(statuses.of(StatusCode::CREATED), 1, "{statuses:?}");
    assert_eq!(statuses.of(StatusCode::CONFLICT), 7, "{statuses:?}");
    assert_eq!(votes_of(&app, &token, post).await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn users_may_vote_on_their_own_posts_and_counts_add_up(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.token_for("ann@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let post = app.post_id(&ann, "hello").await;
    app.vote(&ann, post, 1).await;
    app.vote(&bob, post, 1).await;
    assert_eq!(votes_of(&app, &ann, post).await, 2);
    // Deleting a voter's account takes their vote with it.
    sqlx::query("delete from users where email = 'bob@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(votes_of(&app, &ann, post).await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_hidden_draft_cannot_be_voted_on(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.token_for("ann@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let draft = app.draft_id(&ann, "draft").await;
    let response = app.vote(&bob, draft, 1).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
