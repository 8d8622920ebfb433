use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{assert_detail, assert_invalid_at, TestApp, JWT_SECRET, PASSWORD};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// Asserts the 401 of a bad credential: the right body and the bearer challenge.
async fn assert_rejected(app: &TestApp, token: &str) {
    assert_rejected_at(app, "/api/posts/", token).await;
}

/// Asserts that `GET path` with `token` is the 401 of a bad credential.
async fn assert_rejected_at(app: &TestApp, path: &str, token: &str) {
    let response = app.get(path, Some(token)).await;
    assert_eq!(
        response
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap()),
        Some("Bearer")
    );
    assert_detail(
        response,
        StatusCode::UNAUTHORIZED,
        "Could not validate credentials",
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn login_returns_a_bearer_token_and_a_refresh_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.signed_up("ann@example.com").await;
    assert_eq!(token["token_type"], "bearer");
    assert!(token["access_token"].as_str().unwrap().split('.').count() == 3);
    assert!(token["refresh_token"].as_str().unwrap().len() >= 43);
    assert_eq!(token["expires_in"], 30 * 60);
}

#[sqlx::test(migrations = "../migrations")]
async fn login_accepts_the_email_in_another_letter_case(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("Ann@Example.com", PASSWORD).await;
    assert_eq!(
        app.login("ann@example.COM", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_email_and_wrong_password_fail_identically(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let wrong_password = app.login("ann@example.com", "not the password").await;
    let unknown_email = app.login("bob@example.com", PASSWORD).await;
    assert_detail(wrong_password, StatusCode::FORBIDDEN, "Invalid Credentials").await;
    assert_detail(unknown_email, StatusCode::FORBIDDEN, "Invalid Credentials").await;
}

/// The middle one of the durations.
#[sqlx::test(migrations = "../migrations")]
async fn a_login_with_an_unknown_email_does_the_work_of_one_with_a_wrong_password(pool: PgPool) {
    // Counted, not timed: both verify one argon2id hash with the same parameters (the dummy
    // hash is made by the same function as real ones), so they take the same time.
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    for email in ["nobody@example.com", "ann@example.com"] {
        let before = app.state.passwords.verifications();
        // Act
        let response = app.login(email, "not the password").await;
        // Assert
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            app.state.passwords.verifications() - before,
            1,
            "{email}: one password verified"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn login_without_a_field_or_with_a_json_body_is_422(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let missing = app
        .client
        .post(app.url("/api/login"))
        .form(&[("username", "ann@example.com")])
        .send()
        .await
        .unwrap();
    assert_invalid_at(missing, &["body", "password"]).await;
    let json_body = app
        .send_json(
            reqwest::Method::POST,
            "/api/login",
            None,
            &json!({"username": "a@b.co", "password": PASSWORD}),
        )
        .await;
    assert_invalid_at(json_body, &["body", "username"]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn login_with_a_grant_type_other_than_password_is_422(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let response = app
        .client
        .post(app.url("/api/login"))
        .form(&[
            ("username", "ann@example.com"),
            ("password", PASSWORD),
            ("grant_type", "client_credentials"),
        ])
        .send()
        .await
        .unwrap();
    assert_invalid_at(response, &["body", "grant_type"]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_request_without_a_token_is_401_not_authenticated(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.get("/api/posts/", None).await;
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    assert_detail(response, StatusCode::UNAUTHORIZED, "Not authenticated").await;
    let basic = app
        .client
        .get(app.url("/api/posts/"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_detail(basic, StatusCode::UNAUTHORIZED, "Not authenticated").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn malformed_forged_and_foreign_algorithm_tokens_are_401(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_up("ann@example.com").await;
    let id = app.user_id("ann@example.com").await;
    let valid_claims = json!({"user_id": id, "exp": now() + 600, "iat": now()});

    assert_rejected(&app, "not-a-jwt").await;
    assert_rejected(
        &app,
        &sign(
            &valid_claims,
            Algorithm::HS256,
            "another-secret-of-at-least-32-bytes!",
        ),
    )
    .await;
    assert_rejected(&app, &sign(&valid_claims, Algorithm::HS512, JWT_SECRET)).await;
    assert_rejected(&app, &sign(&valid_claims, Algorithm::HS384, JWT_SECRET)).await;
    // alg "none": a header and claims with an empty signature.
    let b64 = |v: &Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&valid_claims)
    );
    assert_rejected(&app, &none).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn expired_tokens_and_tokens_without_a_user_are_401(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.signed_up("ann@example.com").await;
    let id = app.user_id("ann@example.com").await;
    assert_rejected(
        &app,
        &sign(
            &json!({"user_id": id, "exp": now() - 5, "iat": now() - 60}),
            Algorithm::HS256,
            JWT_SECRET,
        ),
    )
    .await;
    assert_rejected(
        &app,
        &sign(&json!({"exp": now() + 600}), Algorithm::HS256, JWT_SECRET),
    )
    .await;
    assert_rejected(
        &app,
        &sign(
            &json!({"user_id": "1", "exp": now() + 600}),
            Algorithm::HS256,
            JWT_SECRET,
        ),
    )
    .await;
    assert_rejected(
        &app,
        &sign(&json!({"user_id": id}), Algorithm::HS256, JWT_SECRET),
    )
    .await;
    assert_rejected(
        &app,
        &sign(
            &json!({"user_id": id, "exp": "9999999999"}),
            Algorithm::HS256,
            JWT_SECRET,
        ),
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_token_of_a_deleted_user_is_401(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    sqlx::query("delete from users")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_rejected(&app, &token).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_token_of_a_deleted_user_can_neither_read_nor_write(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.token_for("ann@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let post = app.post_id(&bob, "hello").await;
    let bob_id = app.user_id("bob@example.com").await;
    app.vote(&ann, post, 1).await;
    sqlx::query("delete from users where email = 'ann@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    // Act and assert: these routes learn that the user is gone from their own statement. The
    // reads would otherwise find Bob's post and Bob.
    for path in [
        "/api/posts/".to_owned(),
        "/api/posts/?search=hello".to_owned(),
        format!("/api/posts/{post}"),
        format!("/api/posts/{}", post + 1),
        format!("/api/users/{bob_id}"),
        format!("/api/users/{}", bob_id + 1),
    ] {
        assert_detail(
            app.get(&path, Some(&ann)).await,
            StatusCode::UNAUTHORIZED,
            "Could not validate credentials",
        )
        .await;
    }
    let created = app
        .send_json(
            reqwest::Method::POST,
            "/api/posts/",
            Some(&ann),
            &json!({"title": "t", "content": "c"}),
        )
        .await;
    assert_detail(
        created,
        StatusCode::UNAUTHORIZED,
        "Could not validate credentials",
    )
    .await;
    for dir in [1, 0] {
        let voted = app.vote(&ann, post, dir).await;
        assert_detail(
            voted,
            StatusCode::UNAUTHORIZED,
            "Could not validate credentials",
        )
        .await;
    }
    // Authentication is checked before the body, even when the body fails first.
    let malformed_post = app
        .send_json(reqwest::Method::POST, "/api/posts/", Some(&ann), &json!({}))
        .await;
    assert_eq!(malformed_post.status(), StatusCode::UNAUTHORIZED);
    let bad_direction = app.vote(&ann, post, 2).await;
    assert_eq!(bad_direction.status(), StatusCode::UNAUTHORIZED);
    for path in ["/api/posts/?limit=-1", "/api/posts/abc", "/api/users/abc"] {
        assert_eq!(
            app.get(path, Some(&ann)).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refresh_token_is_rotated_on_use(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let first = app.signed_up("ann@example.com").await;
    // Act
    let response = app
        .send_json(
            reqwest::Method::POST,
            "/api/token/refresh",
            None,
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    // Assert: a new pair whose access token works, and a different refresh token.
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    let access = second["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/users/me", Some(access)).await.status(),
        StatusCode::OK
    );
}

/// The token body of a refresh that must succeed.
async fn refreshed(app: &TestApp, token: &Value) -> Value {
    let response = app.refresh(token).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn reusing_an_older_generation_of_refresh_token_revokes_the_whole_family(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let first = app.signed_up("ann@example.com").await;
    let second = refreshed(&app, &first["refresh_token"]).await;
    let third = refreshed(&app, &second["refresh_token"]).await;
    // Act: the first token again (a thief's copy), two generations back.
    let reuse = app.refresh(&first["refresh_token"]).await;
    assert_detail(
        reuse,
        StatusCode::UNAUTHORIZED,
        "Could not validate credentials",
    )
    .await;
    // Assert: the legitimate successor no longer works either.
    let after = app.refresh(&third["refresh_token"]).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn reusing_a_rotated_refresh_token_after_the_grace_period_revokes_the_family(pool: PgPool) {
    let config = crate::helpers::test_config(&[("REFRESH_REUSE_GRACE_SECONDS", "0")]);
    let app = TestApp::spawn_with(pool, config).await;
    let first = app.signed_up("ann@example.com").await;
    let second = refreshed(&app, &first["refresh_token"]).await;
    // Act
    let reuse = app.refresh(&first["refresh_token"]).await;
    // Assert
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);
    let after = app.refresh(&second["refresh_token"]).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_refresh_retried_after_its_answer_was_lost_keeps_the_session(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let first = app.signed_up("ann@example.com").await;
    // Arrange: a refresh whose answer never reached the client.
    let lost = refreshed(&app, &first["refresh_token"]).await;
    // Act: the client retries with the token it still holds.
    let retried = app.refresh(&first["refresh_token"]).await;
    // Assert: the same session goes on, with the very refresh token the lost answer held (a
    // retry never forks the session into two live chains).
    assert_eq!(retried.status(), StatusCode::OK);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["refresh_token"], lost["refresh_token"]);
    let access = retried["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/users/me", Some(access)).await.status(),
        StatusCode::OK
    );
    refreshed(&app, &retried["refresh_token"]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn two_tabs_refreshing_with_the_same_token_at_once_both_stay_logged_in(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let first = app.signed_up("ann@example.com").await;
    // Act
    let (one, two) = futures::join!(
        app.refresh(&first["refresh_token"]),
        app.refresh(&first["refresh_token"])
    );
    // Assert: both tabs got a working pair, and the session was not revoked.
    for response in [one, two] {
        assert_eq!(response.status(), StatusCode::OK);
        let pair: Value = response.json().await.unwrap();
        refreshed(&app, &pair["refresh_token"]).await;
    }
}

/// `POST /api/logout` with a token body's refresh token.
async fn log_out(app: &TestApp, tokens: &Value) {
    let body = json!({"refresh_token": tokens["refresh_token"]});
    let response = app
        .send_json(reqwest::Method::POST, "/api/logout", None, &body)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

#[sqlx::test(migrations = "../migrations")]
async fn after_logout_every_route_answers_401_before_judging_the_input(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let bob = app.token_for("bob@example.com").await;
    let post = app.post_id(&bob, "hello").await;
    let tokens = app.signed_up("ann@example.com").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    log_out(&app, &tokens).await;
    // Act and assert: malformed input (422) and missing things (404) alike.
    for path in [
        "/api/posts/abc".to_owned(),
        "/api/posts/?limit=-1".to_owned(),
        format!("/api/posts/{}", post + 1000),
        "/api/users/abc".to_owned(),
        "/api/users/999999".to_owned(),
    ] {
        let response = app.get(&path, Some(&access)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let bad_vote = app.vote(&access, post, 2).await;
    assert_eq!(bad_vote.status(), StatusCode::UNAUTHORIZED);
    let bad_post = app
        .send_json(
            reqwest::Method::POST,
            "/api/posts/",
            Some(&access),
            &json!({}),
        )
        .await;
    assert_eq!(bad_post.status(), StatusCode::UNAUTHORIZED);
    // A live session gets the 422 and the 404.
    assert_eq!(
        app.get("/api/posts/abc", Some(&bob)).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.get("/api/users/999999", Some(&bob)).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn logging_out_ends_the_sessions_access_tokens_at_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let tokens = app.signed_up("ann@example.com").await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let post_id = app.post_id(&access, "before logout").await;
    // Act
    log_out(&app, &tokens).await;
    // Assert: every kind of request with the old access token is 401 now, not in 30 minutes.
    for path in [
        "/api/users/me",
        "/api/posts/",
        &format!("/api/posts/{post_id}"),
    ] {
        assert_rejected_at(&app, path, &access).await;
    }
    let create = app
        .create_post(&access, &json!({"title": "t", "content": "c"}))
        .await;
    assert_eq!(create.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.vote(&access, post_id, 1).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let delete = app
        .client
        .delete(app.url(&format!("/api/posts/{post_id}")))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("posts").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn logging_out_of_one_session_leaves_the_others_working(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let phone = app.signed_up("ann@example.com").await;
    let laptop: Value = app
        .login("ann@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    // Act
    log_out(&app, &phone).await;
    // Assert
    let access = laptop["access_token"].as_str().unwrap();
    assert_eq!(
        app.get("/api/users/me", Some(access)).await.status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_revoked_for_token_theft_loses_its_access_tokens_too(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let first = app.signed_up("ann@example.com").await;
    let second = refreshed(&app, &first["refresh_token"]).await;
    let third = refreshed(&app, &second["refresh_token"]).await;
    // Act: the oldest refresh token comes back (a thief's copy): the family is revoked.
    assert_eq!(
        app.refresh(&first["refresh_token"]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Assert: the newest access token of that session no longer works either.
    let access = third["access_token"].as_str().unwrap();
    assert_rejected_at(&app, "/api/users/me", access).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_token_minted_as_the_original_app_mints_them_is_accepted(pool: PgPool) {
    // Arrange: python-jose's HS256 token with only `user_id` and `exp`, same secret.
    let app = TestApp::spawn(pool).await;
    app.signed_up("ann@example.com").await;
    let id = app.user_id("ann@example.com").await;
    let token = sign(
        &json!({"user_id": id, "exp": now() + 600}),
        Algorithm::HS256,
        JWT_SECRET,
    );
    // Act
    let response = app.get("/api/users/me", Some(&token)).await;
    // Assert
    assert_eq!(response.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_email_longer_than_254_characters_is_422_at_sign_up_and_login(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let long = format!("{}@example.com", "a".repeat(243));
    assert_eq!(long.len(), 255);
    assert_invalid_at(app.register(&long, PASSWORD).await, &["body", "email"]).await;
    let huge = "u".repeat(900_000);
    assert_invalid_at(app.login(&huge, PASSWORD).await, &["body", "username"]).await;
    assert_eq!(app.count("users").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn logins_with_megabyte_usernames_leave_nothing_behind(pool: PgPool) {
    let config = crate::helpers::test_config(&[("AUTH_RATE_LIMIT_PER_MINUTE", "0")]);
    let app = TestApp::spawn_with(pool, config).await;
    // Act: failed logins with 1 MB usernames, each a different one.
    for n in 0..20 {
        let huge = format!("{n}{}", "u".repeat(1_000_000));
        let response = app.login(&huge, "wrong password").await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Assert: refused before counting, so the failure counts hold no row at all (and every key
    // they do hold is 16 bytes, whatever the name: the table's check constraint).
    assert_eq!(app.count("login_failures").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn logout_revokes_the_refresh_token(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.signed_up("ann@example.com").await;
    log_out(&app, &token).await;
    let after = app.refresh(&token["refresh_token"]).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    // Logging out twice is fine.
    log_out(&app, &token).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unknown_refresh_token_is_401(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .send_json(
            reqwest::Method::POST,
            "/api/token/refresh",
            None,
            &json!({"refresh_token": "made-up"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_access_token_lifetime_comes_from_configuration(pool: PgPool) {
    let app = TestApp::spawn_with(
        pool,
        crate::helpers::test_config(&[("ACCESS_TOKEN_TTL_MINUTES", "5")]),
    )
    .await;
    let token = app.signed_up("ann@example.com").await;
    assert_eq!(token["expires_in"], 300);
}

/// `POST /api/login` as the client at `address` (through a trusted proxy).
async fn login_from(
    app: &TestApp,
    address: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/login"))
        .header("x-forwarded-for", address)
        .form(&[("username", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

/// An app behind a proxy on 127.0.0.1 that allows `max` failed logins per account and address.
async fn app_behind_a_proxy(pool: PgPool, max: &str) -> TestApp {
    let config = crate::helpers::test_config(&[
        ("LOGIN_MAX_FAILURES", max),
        ("TRUSTED_PROXIES", "127.0.0.1/32, ::1/128"),
    ]);
    TestApp::spawn_with(pool, config).await
}

#[sqlx::test(migrations = "../migrations")]
async fn repeated_failed_logins_from_one_address_are_429_with_retry_after(pool: PgPool) {
    let app = app_behind_a_proxy(pool, "3").await;
    app.register("ann@example.com", PASSWORD).await;
    for _ in 0..3 {
        let response = login_from(&app, "203.0.113.9", "ann@example.com", "wrong password").await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    // Act: that address may not try again for a while, even with the right password.
    let response = login_from(&app, "203.0.113.9", "ann@example.com", PASSWORD).await;
    // Assert
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0);
    let body: Value = response.json().await.unwrap();
    assert!(body["detail"].is_string());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_stranger_hammering_an_account_does_not_lock_its_owner_out(pool: PgPool) {
    let app = app_behind_a_proxy(pool, "3").await;
    app.register("ann@example.com", PASSWORD).await;
    // Arrange: a stranger fails far more often than the limit allows.
    for _ in 0..6 {
        let response = login_from(&app, "203.0.113.9", "ann@example.com", "guess").await;
        assert!([StatusCode::FORBIDDEN, StatusCode::TOO_MANY_REQUESTS].contains(&response.status()));
    }
    // Act: the owner, from their own address.
    let response = login_from(&app, "198.51.100.7", "ann@example.com", PASSWORD).await;
    // Assert
    assert_eq!(response.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn ipv6_clients_are_counted_per_64_bit_prefix(pool: PgPool) {
    let app = app_behind_a_proxy(pool, "2").await;
    app.register("ann@example.com", PASSWORD).await;
    // Two addresses of one /64 share a count...
    for address in ["2001:db8:1:2::1", "2001:db8:1:2::ffff"] {
        let response = login_from(&app, address, "ann@example.com", "guess").await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    let same_prefix = login_from(&app, "2001:db8:1:2::42", "ann@example.com", PASSWORD).await;
    assert_eq!(same_prefix.status(), StatusCode::TOO_MANY_REQUESTS);
    // ...and another /64 has its own.
    let other_prefix = login_from(&app, "2001:db8:1:3::1", "ann@example.com", PASSWORD).await;
    assert_eq!(other_prefix.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn x_forwarded_for_from_an_untrusted_peer_is_ignored(pool: PgPool) {
    // Arrange: no trusted proxy, so every request is the TCP peer's (127.0.0.1).
    let config = crate::helpers::test_config(&[("LOGIN_MAX_FAILURES", "2")]);
    let app = TestApp::spawn_with(pool, config).await;
    app.register("ann@example.com", PASSWORD).await;
    for address in ["203.0.113.1", "203.0.113.2"] {
        let response = login_from(&app, address, "ann@example.com", "guess").await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    // Act: a forged header does not give the attacker a fresh count.
    let response = login_from(&app, "203.0.113.3", "ann@example.com", "guess").await;
    // Assert
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrations = "../migrations")]
async fn too_many_sign_ups_from_one_address_are_429(pool: PgPool) {
    let config = crate::helpers::test_config(&[
        ("AUTH_RATE_LIMIT_PER_MINUTE", "1"),
        ("AUTH_RATE_LIMIT_BURST", "2"),
    ]);
    let app = TestApp::spawn_with(pool, config).await;
    assert_eq!(
        app.register("a@example.com", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.register("b@example.com", PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let response = app.register("c@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    // Other routes are not limited.
    assert_eq!(app.get("/healthz", None).await.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn two_instances_on_one_database_behave_as_one_service(pool: PgPool) {
    // Arrange: two app instances, each with its own state, sharing the database and secret.
    let first = TestApp::spawn(pool.clone()).await;
    let second = TestApp::spawn(pool).await;
    let token = first.signed_up("ann@example.com").await;
    // A token issued by one instance works on the other.
    let access = token["access_token"].as_str().unwrap();
    assert_eq!(
        second.get("/api/users/me", Some(access)).await.status(),
        StatusCode::OK
    );
    // Rotation on one instance, twice...
    let rotated = refreshed(&second, &token["refresh_token"]).await;
    let latest = refreshed(&second, &rotated["refresh_token"]).await;
    // ...is seen by the other: reusing the oldest token there revokes the family everywhere.
    let reuse = first.refresh(&token["refresh_token"]).await;
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);
    let after = second.refresh(&latest["refresh_token"]).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
}
