//! The account routes: rename (`PATCH /api/users/me`), change the password, delete the account,
//! and the caller's sessions (`/api/sessions`).

use reqwest::header::USER_AGENT;
use reqwest::{Method, Response, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{assert_detail, assert_invalid_at, test_config, TestApp, PASSWORD};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CURL: &str = "curl/8.5.0";

/// Logs in from a client that names itself `user_agent`: the token body.
async fn login_from(app: &TestApp, email: &str, user_agent: &str) -> Value {
    let response = app
        .client
        .post(app.url("/api/login"))
        .header(USER_AGENT, user_agent)
        .form(&[("username", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn access(token: &Value) -> &str {
    token["access_token"].as_str().unwrap()
}

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> Response {
    app.send_json(
        Method::POST,
        "/api/users/me/password",
        Some(token),
        &json!({"current_password": current, "new_password": new}),
    )
    .await
}

async fn delete_account(app: &TestApp, token: &str, password: &str) -> Response {
    app.send_json(
        Method::DELETE,
        "/api/users/me",
        Some(token),
        &json!({ "password": password }),
    )
    .await
}

async fn rename(app: &TestApp, token: &str, name: &str) -> Response {
    app.send_json(
        Method::PATCH,
        "/api/users/me",
        Some(token),
        &json!({ "name": name }),
    )
    .await
}

async fn sessions(app: &TestApp, token: &str) -> Vec<Value> {
    let response = app.get("/api/sessions", Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn end_session(app: &TestApp, token: &str, id: &str) -> Response {
    app.client
        .delete(app.url(&format!("/api/sessions/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn renaming_shows_the_new_name_and_refuses_a_taken_or_malformed_one(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.token_for("ann@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    // Act
    let renamed = rename(&app, &ann, "  Ann Lee ").await;
    // Assert
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(renamed.json::<Value>().await.unwrap()["name"], "Ann Lee");
    let me: Value = app
        .get("/api/users/me", Some(&ann))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["name"], "Ann Lee");
    assert_detail(
        rename(&app, &bob, "ANN LEE").await,
        StatusCode::CONFLICT,
        "This name is taken",
    )
    .await;
    assert_invalid_at(rename(&app, &bob, "a#b").await, &["body", "name"]).await;
    assert_invalid_at(rename(&app, &bob, "ab").await, &["body", "name"]).await;
    // Renaming to one's own name in another case is not a conflict.
    assert_eq!(rename(&app, &ann, "ann lee").await.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_account_routes_answer_401_before_looking_at_the_body(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cases = [
        (Method::PATCH, "/api/users/me"),
        (Method::POST, "/api/users/me/password"),
        (Method::DELETE, "/api/users/me"),
        (Method::DELETE, "/api/sessions/not-a-uuid"),
    ];
    for (method, path) in cases {
        // Act: no token, and a body (or path) that is wrong too.
        let response = app
            .client
            .request(method.clone(), app.url(path))
            .body("{not json")
            .send()
            .await
            .unwrap();
        // Assert
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
    }
    let token = app.token_for("ann@example.com").await;
    let malformed = app
        .client
        .patch(app.url("/api/users/me"))
        .bearer_auth(&token)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrations = "../migrations")]
async fn changing_the_password_needs_the_current_one_and_ends_every_other_session(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let here = login_from(&app, "ann@example.com", FIREFOX).await;
    let elsewhere = login_from(&app, "ann@example.com", CURL).await;
    let new_password = "a new and longer passphrase";
    // A wrong current password, or a weak new one, changes nothing.
    assert_detail(
        change_password(&app, access(&here), "not my password", new_password).await,
        StatusCode::FORBIDDEN,
        "Invalid Credentials",
    )
    .await;
    assert_invalid_at(
        change_password(&app, access(&here), PASSWORD, "short").await,
        &["body", "new_password"],
    )
    .await;
    assert_eq!(
        app.get("/api/users/me", Some(access(&elsewhere)))
            .await
            .status(),
        StatusCode::OK
    );
    // Act
    let changed = change_password(&app, access(&here), PASSWORD, new_password).await;
    // Assert: the other session is over, both its tokens; this one goes on.
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/users/me", Some(access(&elsewhere)))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&elsewhere["refresh_token"]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/users/me", Some(access(&here))).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.refresh(&here["refresh_token"]).await.status(),
        StatusCode::OK
    );
    // Only the new password logs in.
    assert_eq!(
        app.login("ann@example.com", PASSWORD).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.login("ann@example.com", new_password).await.status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn guessing_the_current_password_is_throttled_as_logins_are(pool: PgPool) {
    let config = test_config(&[("LOGIN_MAX_FAILURES", "3")]);
    let app = TestApp::spawn_with(pool, config).await;
    let token = app.token_for("ann@example.com").await;
    // Act: a borrowed session guessing the password.
    let mut statuses = Vec::new();
    for guess in 0..5 {
        let wrong = format!("guess number {guess}");
        statuses.push(
            change_password(&app, &token, &wrong, "whatever new one")
                .await
                .status(),
        );
    }
    // Assert
    assert_eq!(&statuses[..3], [StatusCode::FORBIDDEN; 3]);
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_the_account_needs_the_password_and_takes_posts_votes_and_sessions(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.signed_up("ann@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let anns_post = app.post_id(access(&ann), "Ann's post").await;
    let bobs_post = app.post_id(&bob, "Bob's post").await;
    assert_eq!(
        app.vote(access(&ann), bobs_post, 1).await.status(),
        StatusCode::CREATED
    );
    // A wrong password deletes nothing.
    assert_detail(
        delete_account(&app, access(&ann), "not my password").await,
        StatusCode::FORBIDDEN,
        "Invalid Credentials",
    )
    .await;
    assert_eq!(app.count("users").await, 2);
    // Act
    let deleted = delete_account(&app, access(&ann), PASSWORD).await;
    // Assert
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count("users").await, 1);
    assert_eq!(
        app.get(&format!("/api/posts/{anns_post}"), Some(&bob))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let bobs: Value = app
        .get(&format!("/api/posts/{bobs_post}"), Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bobs["votes"], 0, "Ann's vote went with her");
    assert_eq!(
        app.get("/api/users/me", Some(access(&ann))).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&ann["refresh_token"]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ann@example.com", PASSWORD).await.status(),
        StatusCode::FORBIDDEN
    );
    // The address is free again.
    assert_eq!(
        app.register("ann@example.com", PASSWORD).await.status(),
        StatusCode::CREATED
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sessions_list_shows_each_login_with_its_client_and_marks_this_one(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let firefox = login_from(&app, "ann@example.com", FIREFOX).await;
    let curl = login_from(&app, "ann@example.com", CURL).await;
    let bob = app.token_for("bob@example.com").await;
    // Act
    let listed = sessions(&app, access(&curl)).await;
    // Assert: Ann's two sessions, not Bob's, the most recently used first.
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["user_agent"], CURL);
    assert_eq!(listed[0]["current"], true);
    assert_eq!(listed[1]["user_agent"], FIREFOX);
    assert_eq!(listed[1]["current"], false);
    for session in &listed {
        assert!(session["id"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok());
        assert!(session["created_at"].as_str().unwrap().ends_with("+00:00"));
        assert!(session["last_used_at"].is_string());
    }
    assert_eq!(sessions(&app, &bob).await.len(), 1);
    // A refresh is a use: that session moves to the top.
    let renewed: Value = app
        .refresh(&firefox["refresh_token"])
        .await
        .json()
        .await
        .unwrap();
    let listed = sessions(&app, access(&renewed)).await;
    assert_eq!(listed[0]["user_agent"], FIREFOX);
    assert_eq!(listed[0]["current"], true);
}

#[sqlx::test(migrations = "../migrations")]
async fn ending_a_session_stops_its_refresh_and_access_tokens_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let here = login_from(&app, "ann@example.com", FIREFOX).await;
    let lost_phone = login_from(&app, "ann@example.com", CURL).await;
    let listed = sessions(&app, access(&here)).await;
    let phone_id = listed.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Act
    let ended = end_session(&app, access(&here), &phone_id).await;
    // Assert
    assert_eq!(ended.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/users/me", Some(access(&lost_phone)))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.refresh(&lost_phone["refresh_token"]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(sessions(&app, access(&here)).await.len(), 1);
    // Ending it again: it is no longer live.
    assert_detail(
        end_session(&app, access(&here), &phone_id).await,
        StatusCode::NOT_FOUND,
        "Session not found",
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn ending_every_other_session_keeps_only_this_one(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let here = login_from(&app, "ann@example.com", FIREFOX).await;
    let others = [
        login_from(&app, "ann@example.com", CURL).await,
        login_from(&app, "ann@example.com", "python-requests/2.31").await,
    ];
    // Act
    let response = app
        .client
        .delete(app.url("/api/sessions"))
        .bearer_auth(access(&here))
        .send()
        .await
        .unwrap();
    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"ended": 2}));
    for other in &others {
        assert_eq!(
            app.refresh(&other["refresh_token"]).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let listed = sessions(&app, access(&here)).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["current"], true);
}

#[sqlx::test(migrations = "../migrations")]
async fn nobody_can_end_a_session_of_someone_else(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.signed_up("ann@example.com").await;
    let mallory = app.token_for("mallory@example.com").await;
    let anns_id = sessions(&app, access(&ann)).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Act
    let attempt = end_session(&app, &mallory, &anns_id).await;
    // Assert: the same answer as for a session that does not exist, and Ann is still in.
    assert_detail(attempt, StatusCode::NOT_FOUND, "Session not found").await;
    assert_detail(
        end_session(&app, &mallory, &uuid::Uuid::new_v4().to_string()).await,
        StatusCode::NOT_FOUND,
        "Session not found",
    )
    .await;
    assert_invalid_at(end_session(&app, &mallory, "42").await, &["path", "id"]).await;
    assert_eq!(
        app.get("/api/users/me", Some(access(&ann))).await.status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_login_that_checked_the_old_password_starts_no_session_once_it_changed(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let here = login_from(&app, "ann@example.com", FIREFOX).await;
    let user_id = app.user_id("ann@example.com").await;
    // Arrange: a login verified the password against this hash, then the owner changed it.
    let old_hash: String = sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(user_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let changed = change_password(&app, access(&here), PASSWORD, "a brand new passphrase").await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    // Act: the login goes on to start its session.
    let started =
        app::server::auth::session::start(&app.state, user_id, CURL, Some(&old_hash), None).await;
    // Assert: refused, and no session was added behind the change's back.
    assert_eq!(started.unwrap_err(), app::AppError::InvalidCredentials);
    assert_eq!(sessions(&app, access(&here)).await.len(), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_the_account_while_its_session_refreshes_neither_deadlocks_nor_fails(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let ann = app.signed_up("ann@example.com").await;
    // Act: the browser renews its session over and over while the owner deletes the account.
    let refreshes = futures::future::join_all((0..12).map(|_| app.refresh(&ann["refresh_token"])));
    let (refreshed, deleted) =
        tokio::join!(refreshes, delete_account(&app, access(&ann), PASSWORD));
    // Assert: the deletion went through, and every refresh got an answer, none a 500.
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    for response in refreshed {
        assert!(
            matches!(response.status(), StatusCode::OK | StatusCode::UNAUTHORIZED),
            "{}",
            response.status()
        );
    }
    assert_eq!(app.count("users").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_ended_session_is_401_only_where_the_route_needs_a_caller(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.signed_up("ann@example.com").await;
    let token = access(&ann).to_owned();
    let log_out = app
        .send_json(
            Method::POST,
            "/api/logout",
            None,
            &json!({"refresh_token": ann["refresh_token"]}),
        )
        .await;
    assert_eq!(log_out.status(), StatusCode::NO_CONTENT);
    // A route that takes a caller: an oversized body is 401 before 413.
    let huge = json!({"title": "t", "content": "x".repeat(2 * 1024 * 1024)});
    let oversized = app
        .send_json(Method::POST, "/api/posts/", Some(&token), &huge)
        .await;
    assert_eq!(oversized.status(), StatusCode::UNAUTHORIZED);
    // Routes that need no caller answer as they would anyway.
    assert_eq!(
        app.get("/api/no-such-route", Some(&token)).await.status(),
        StatusCode::NOT_FOUND
    );
    let weak = app
        .client
        .post(app.url("/api/users/"))
        .bearer_auth(&token)
        .json(&json!({"email": "bob@example.com", "password": "short"}))
        .send()
        .await
        .unwrap();
    assert_invalid_at(weak, &["body", "password"]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn password_checks_share_the_per_client_limit_of_logins(pool: PgPool) {
    let config = test_config(&[
        ("AUTH_RATE_LIMIT_PER_MINUTE", "1"),
        ("AUTH_RATE_LIMIT_BURST", "3"),
    ]);
    let app = TestApp::spawn_with(pool, config).await;
    // Signing up and logging in spend two of the three.
    let token = app.token_for("ann@example.com").await;
    let new_password = "the right new password";
    // Act: the right password each time, so no failure is counted.
    let first = change_password(&app, &token, PASSWORD, new_password).await;
    let second = change_password(&app, &token, new_password, PASSWORD).await;
    // Assert
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    let deletion = delete_account(&app, &token, new_password).await;
    assert_eq!(deletion.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrations = "../migrations")]
async fn answers_for_a_caller_are_never_cached_and_public_ones_may_be(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let cache_control = |response: &Response| {
        response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .map(|value| value.to_str().unwrap().to_owned())
    };
    for path in ["/api/users/me", "/api/sessions", "/api/posts/"] {
        let response = app.get(path, Some(&token)).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            cache_control(&response).as_deref(),
            Some("private, no-store"),
            "{path}"
        );
    }
    let public = app.get("/healthz", None).await;
    assert_eq!(cache_control(&public), None);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_session_is_neither_listed_nor_counted_as_ended(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let here = login_from(&app, "ann@example.com", FIREFOX).await;
    login_from(&app, "ann@example.com", CURL).await;
    let listed = sessions(&app, access(&here)).await;
    let old_id = listed.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Arrange: that session's refresh token expired long ago.
    sqlx::query("update refresh_tokens set expires_at = now() - interval '1 day' where family_id = $1::uuid")
        .bind(&old_id)
        .execute(&app.pool)
        .await
        .unwrap();
    // Act and assert
    assert_eq!(sessions(&app, access(&here)).await.len(), 1);
    assert_detail(
        end_session(&app, access(&here), &old_id).await,
        StatusCode::NOT_FOUND,
        "Session not found",
    )
    .await;
    let ended = app
        .client
        .delete(app.url("/api/sessions/"))
        .bearer_auth(access(&here))
        .send()
        .await
        .unwrap();
    assert_eq!(ended.json::<Value>().await.unwrap(), json!({"ended": 0}));
}
