//! The UI's server functions over HTTP: cookies, cross-site protection, typed errors, and
//! agreement with the REST API.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{test_config, TestApp, PASSWORD};

async fn rpc(app: &TestApp, name: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Response {
    let mut request = app.client.post(app.url(&format!("/rpc/{name}"))).form(form);
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.unwrap()
}

/// `GET path` as a browser would, with the `Cookie` header if there is one.
async fn browse(app: &TestApp, path: &str, cookie: Option<&str>) -> Response {
    let mut request = app.client.get(app.url(path));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    request.send().await.unwrap()
}

fn set_cookies(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The form of `list_posts`: the first page of the feed, or of the caller's own posts.
fn feed_form(mine: &'static str, limit: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("query[limit]", limit),
        ("query[skip]", "0"),
        ("query[search]", ""),
        ("mine", mine),
    ]
}

/// `GET /api/posts/<query>` as the REST client holding `token`.
async fn rest_list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    app.get(&format!("/api/posts/{query}"), Some(token))
        .await
        .json()
        .await
        .unwrap()
}

/// The UI's `list_posts` with this form, as the browser with `cookie` (if any).
async fn rpc_list(app: &TestApp, form: &[(&str, &str)], cookie: Option<&str>) -> Value {
    rpc(app, "list_posts", form, cookie)
        .await
        .json()
        .await
        .unwrap()
}

/// Logs in through the server function; returns the `Cookie` header a browser would send.
async fn browser_login(app: &TestApp, email: &str) -> String {
    app.register(email, PASSWORD).await;
    let response = rpc(
        app,
        "login",
        &[("email", email), ("password", PASSWORD)],
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    set_cookies(&response)
        .iter()
        .map(|c| c.split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

#[sqlx::test(migrations = "../migrations")]
async fn login_sets_http_only_same_site_cookies(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("ann@example.com", PASSWORD).await;
    let response = rpc(
        &app,
        "login",
        &[("email", "ann@example.com"), ("password", PASSWORD)],
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookies = set_cookies(&response);
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    for cookie in &cookies {
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(cookie.contains("Path=/"), "{cookie}");
    }
    assert!(cookies.iter().any(|c| c.starts_with("pb_access=")));
    assert!(cookies.iter().any(|c| c.starts_with("pb_refresh=")));
}

#[sqlx::test(migrations = "../migrations")]
async fn over_https_the_cookies_are_secure_and_host_prefixed(pool: PgPool) {
    let app = TestApp::spawn_with(pool, test_config(&[("COOKIE_SECURE", "true")])).await;
    app.register("ann@example.com", PASSWORD).await;
    let response = rpc(
        &app,
        "login",
        &[("email", "ann@example.com"), ("password", PASSWORD)],
        None,
    )
    .await;
    for cookie in set_cookies(&response) {
        assert!(cookie.starts_with("__Host-pb_"), "{cookie}");
        assert!(cookie.contains("Secure"), "{cookie}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failed_login_is_a_typed_403(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = rpc(
        &app,
        "login",
        &[("email", "ann@example.com"), ("password", "wrong password")],
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        serde_json::json!("InvalidCredentials")
    );
    assert!(set_cookies(
        &rpc(
            &app,
            "login",
            &[("email", "x@example.com"), ("password", "wrong password")],
            None
        )
        .await
    )
    .is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn the_session_cookie_identifies_the_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let me: Value = rpc(&app, "current_user", &[], Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "ann@example.com");
    let anonymous: Value = rpc(&app, "current_user", &[], None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(anonymous, Value::Null);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_ui_shows_authors_by_name_and_never_hands_out_their_emails(pool: PgPool) {
    // Arrange: Ann writes a post; a visitor and another user read it through the UI.
    let app = TestApp::spawn(pool).await;
    let created = app
        .send_json(
            reqwest::Method::POST,
            "/api/users/",
            None,
            &serde_json::json!({"email": "ann@example.com", "password": PASSWORD, "name": "Ann Lee"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let ann = app
        .login("ann@example.com", PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let post_id = app
        .post_id(ann["access_token"].as_str().unwrap(), "Hello from Ann")
        .await;
    let bob = browser_login(&app, "bob@example.com").await;
    let id = post_id.to_string();
    for cookie in [None, Some(bob.as_str())] {
        // Act
        let page = browse(&app, "/", cookie).await.text().await.unwrap();
        let list = rpc(&app, "list_posts", &feed_form("false", "10"), cookie)
            .await
            .text()
            .await
            .unwrap();
        let one = rpc(&app, "get_post", &[("id", id.as_str())], cookie)
            .await
            .text()
            .await
            .unwrap();
        // Assert
        for (what, body) in [("page", &page), ("list_posts", &list), ("get_post", &one)] {
            assert!(body.contains("Ann Lee"), "{what} should name the author");
            assert!(
                !body.contains("ann@example.com"),
                "{what} shows Ann's e-mail"
            );
        }
    }
    // The REST API keeps the original contract for authenticated clients, with the name added.
    let rest: Value = app
        .get(
            &format!("/api/posts/{post_id}"),
            Some(ann["access_token"].as_str().unwrap()),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rest["Post"]["owner"]["email"], "ann@example.com");
    assert_eq!(rest["Post"]["owner"]["name"], "Ann Lee");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_authors_page_lists_their_published_posts_under_their_name(pool: PgPool) {
    // Arrange: Ann (named) has a post and a draft; Bob has no name, so he is `user#` and his id.
    let app = TestApp::spawn(pool).await;
    app.send_json(
        reqwest::Method::POST,
        "/api/users/",
        None,
        &serde_json::json!({"email": "ann@example.com", "password": PASSWORD, "name": "Ann Lee"}),
    )
    .await;
    let ann: Value = app
        .login("ann@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let ann_token = ann["access_token"].as_str().unwrap();
    app.post_id(ann_token, "Ann in public").await;
    app.draft_id(ann_token, "Ann in private").await;
    let bob_token = app.token_for("bob@example.com").await;
    app.post_id(&bob_token, "Bob in public").await;
    let bob_id = app.user_id("bob@example.com").await;
    let author = |name: String| {
        let app = &app;
        async move {
            let form = [
                ("name", name.as_str()),
                ("query[limit]", "10"),
                ("query[skip]", "0"),
                ("query[search]", ""),
            ];
            rpc(app, "author_posts", &form, None).await
        }
    };
    // Act + Assert: by chosen name, in any letter case.
    let response = author("ann lee".to_owned()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let feed: Value = response.json().await.unwrap();
    assert_eq!(feed["name"], "Ann Lee");
    let titles: Vec<&str> = feed["posts"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|post| post["Post"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Ann in public"], "drafts stay private");
    assert!(!feed.to_string().contains("ann@example.com"));
    // By the default name.
    let bob: Value = author(format!("user#{bob_id}")).await.json().await.unwrap();
    assert_eq!(bob["posts"]["items"][0]["Post"]["title"], "Bob in public");
    // Nobody by that name.
    assert_eq!(
        author("Nobody Here".to_owned()).await.status(),
        StatusCode::NOT_FOUND
    );
    // The page itself, server-rendered, with the name as the link on the post.
    let html = browse(&app, "/u/Ann%20Lee", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Posts by Ann Lee") && html.contains("Ann in public"));
    assert!(html.contains("href=\"/u/Ann%20Lee\""));
    assert!(!html.contains("ann@example.com") && !html.contains("Ann in private"));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_server_rendered_page_already_knows_the_user(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let name = format!("user#{}", app.user_id("ann@example.com").await);
    let html = browse(&app, "/", Some(&cookie)).await.text().await.unwrap();
    assert!(
        html.contains(&name),
        "the header should show the user's name"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_access_cookie_is_renewed_from_the_refresh_cookie(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let refresh_only: String = cookie
        .split("; ")
        .filter(|c| c.starts_with("pb_refresh="))
        .collect();
    // Act: the access cookie has expired (the browser dropped it).
    let response = browse(&app, "/", Some(&refresh_only)).await;
    // Assert: new cookies, and the page is rendered for the logged-in user.
    let status = response.status();
    let renewed = set_cookies(&response);
    assert!(
        renewed
            .iter()
            .any(|c| c.starts_with("pb_access=") && !c.starts_with("pb_access=;")),
        "status {status}, cookies sent {refresh_only:?}, set {renewed:?}"
    );
    assert!(response.text().await.unwrap().contains("ann@example.com"));
}

/// The named cookie of a `Cookie` header, as `name=value`.
fn only_cookie(cookie: &str, name: &str) -> String {
    cookie
        .split("; ")
        .filter(|c| c.starts_with(&format!("{name}=")))
        .collect()
}

/// The value the response's last `Set-Cookie` for `name` leaves in the browser.
fn final_cookie(response: &Response, name: &str) -> Option<String> {
    set_cookies(response)
        .iter()
        .rev()
        .find_map(|c| c.split(';').next()?.strip_prefix(&format!("{name}=")))
        .map(str::to_owned)
}

#[sqlx::test(migrations = "../migrations")]
async fn logging_out_after_the_access_cookie_expired_leaves_the_browser_logged_out(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    // Arrange: 30 idle minutes later the browser holds only the refresh cookie.
    let refresh_only = only_cookie(&cookie, "pb_refresh");
    // Act
    let response = rpc(&app, "logout", &[], Some(&refresh_only)).await;
    // Assert: what the browser keeps is two empty cookies, and the session is over.
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(final_cookie(&response, "pb_access").as_deref(), Some(""));
    assert_eq!(final_cookie(&response, "pb_refresh").as_deref(), Some(""));
    let after = rpc(&app, "current_user", &[], Some(&refresh_only)).await;
    assert_eq!(after.json::<Value>().await.unwrap(), Value::Null);
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_the_account_after_the_access_cookie_expired_leaves_the_browser_logged_out(
    pool: PgPool,
) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    // Arrange: the access cookie has expired; the request renews the session on its way in.
    let refresh_only = only_cookie(&cookie, "pb_refresh");
    // Act
    let response = rpc(
        &app,
        "delete_account",
        &[("password", PASSWORD)],
        Some(&refresh_only),
    )
    .await;
    // Assert: the account is gone and the browser keeps two empty cookies, not renewed ones.
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(final_cookie(&response, "pb_access").as_deref(), Some(""));
    assert_eq!(final_cookie(&response, "pb_refresh").as_deref(), Some(""));
    assert_eq!(app.count("users").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn ending_this_browsers_own_session_on_the_account_page_logs_it_out(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let listed: Value = rpc(&app, "list_sessions", &[], Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    let own = listed[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(listed[0]["current"], true);
    // Act
    let response = rpc(&app, "end_session", &[("id", &own)], Some(&cookie)).await;
    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(final_cookie(&response, "pb_access").as_deref(), Some(""));
    let after = rpc(&app, "current_user", &[], Some(&cookie)).await;
    assert_eq!(after.json::<Value>().await.unwrap(), Value::Null);
}

#[sqlx::test(migrations = "../migrations")]
async fn after_logout_a_copied_access_cookie_can_neither_read_as_the_user_nor_write(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let stolen = only_cookie(&cookie, "pb_access");
    // Act
    rpc(&app, "logout", &[], Some(&cookie)).await;
    // Assert
    let me = rpc(&app, "current_user", &[], Some(&stolen)).await;
    assert_eq!(me.json::<Value>().await.unwrap(), Value::Null);
    let write = rpc(
        &app,
        "create_post",
        &[("title", "t"), ("content", "c")],
        Some(&stolen),
    )
    .await;
    assert_eq!(write.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("posts").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn logging_in_over_an_old_session_keeps_only_the_new_one(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = browser_login(&app, "ann@example.com").await;
    app.register("bob@example.com", PASSWORD).await;
    // Act: Bob logs in in a browser that still holds Ann's refresh cookie.
    let response = rpc(
        &app,
        "login",
        &[("email", "bob@example.com"), ("password", PASSWORD)],
        Some(&only_cookie(&ann, "pb_refresh")),
    )
    .await;
    // Assert: the browser ends up with Bob's session, not a renewal of Ann's.
    assert_eq!(response.status(), StatusCode::OK);
    let access = final_cookie(&response, "pb_access").unwrap();
    let me = app.get("/api/users/me", Some(&access)).await;
    assert_eq!(
        me.json::<Value>().await.unwrap()["email"],
        "bob@example.com"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_expired_access_cookie_still_sent_is_renewed_too(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    // Arrange: the browser still sends an access cookie, but its token has expired.
    let id = app.user_id("ann@example.com").await;
    let now = chrono::Utc::now().timestamp();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"user_id": id, "exp": now - 10, "iat": now - 1810}),
        &jsonwebtoken::EncodingKey::from_secret(crate::helpers::JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let sent = format!(
        "pb_access={expired}; {}",
        only_cookie(&cookie, "pb_refresh")
    );
    // Act
    let response = browse(&app, "/", Some(&sent)).await;
    // Assert: renewed, and the page is the logged-in user's.
    let renewed = final_cookie(&response, "pb_access").unwrap_or_default();
    assert!(!renewed.is_empty() && renewed != expired);
    assert!(response.text().await.unwrap().contains("ann@example.com"));
}

#[sqlx::test(migrations = "../migrations")]
async fn logout_clears_the_cookies_and_revokes_the_session(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let response = rpc(&app, "logout", &[], Some(&cookie)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookies(&response)
        .iter()
        .all(|c| c.contains("Max-Age=0")));
    let revoked: i64 =
        sqlx::query_scalar("select count(*) from refresh_tokens where revoked_at is not null")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(revoked, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_cross_site_state_change_with_the_cookie_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let form = [
        ("title", "csrf"),
        ("content", "attack"),
        ("published", "on"),
    ];
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = app
            .client
            .post(app.url("/rpc/create_post"))
            .header(COOKIE, &cookie)
            .header(header, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header}");
    }
    let posts = app.count("posts").await;
    assert_eq!(posts, 0);
    // The same request from the site itself goes through.
    let host = app.address.trim_start_matches("http://").to_owned();
    let response = app
        .client
        .post(app.url("/rpc/create_post"))
        .header(COOKIE, &cookie)
        .header("origin", format!("http://{host}"))
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_state_change_from_a_sibling_site_with_the_cookie_is_refused(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    // Act: a page on another subdomain of the same site (evil.board.example -> board.example).
    let response = app
        .client
        .post(app.url("/rpc/create_post"))
        .header(COOKIE, &cookie)
        .header("sec-fetch-site", "same-site")
        .form(&[("title", "csrf"), ("content", "from a sibling")])
        .send()
        .await
        .unwrap();
    // Assert
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("posts").await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn with_a_public_origin_only_that_origin_may_change_state(pool: PgPool) {
    let config = test_config(&[("PUBLIC_ORIGIN", "https://board.example")]);
    let app = TestApp::spawn_with(pool, config).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let post = |origin: &'static str| {
        app.client
            .post(app.url("/rpc/create_post"))
            .header(COOKIE, &cookie)
            .header("origin", origin)
            .form(&[("title", "t"), ("content", "c")])
            .send()
    };
    // The site over plain http, or another host, is not the site.
    for origin in ["http://board.example", "https://board.example.evil.test"] {
        assert_eq!(
            post(origin).await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{origin}"
        );
    }
    assert_eq!(
        post("https://board.example").await.unwrap().status(),
        StatusCode::OK
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn another_site_cannot_log_a_visitor_in_or_sign_them_up(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.register("mallory@example.com", PASSWORD).await;
    let forms: [(&str, &[(&str, &str)]); 2] = [
        (
            "login",
            &[("email", "mallory@example.com"), ("password", PASSWORD)],
        ),
        (
            "register",
            &[("email", "victim-as@example.com"), ("password", PASSWORD)],
        ),
    ];
    for (name, form) in forms {
        // Act: a form on evil.example posts to the UI's login, with no cookie at all.
        let response = app
            .client
            .post(app.url(&format!("/rpc/{name}")))
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .form(form)
            .send()
            .await
            .unwrap();
        // Assert: refused, and no session was handed out.
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}");
        assert!(set_cookies(&response).is_empty(), "{name}");
    }
    assert_eq!(app.count("users").await, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_rest_write_authenticated_by_the_cookie_must_be_declared_json(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let body = r#"{"title": "csrf", "content": "sent as text/plain"}"#;
    // Act: what a cross-site form or fetch without preflight can send.
    let response = app
        .client
        .post(app.url("/api/posts/"))
        .header(COOKIE, &cookie)
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    // Assert
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(app.count("posts").await, 0);
    // A bearer client keeps the original's leniency.
    let token = app.token_for("bob@example.com").await;
    let bearer = app
        .client
        .post(app.url("/api/posts/"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::CREATED);
}

#[sqlx::test(migrations = "../migrations")]
async fn answers_that_carry_tokens_are_never_cached(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let tokens = app.signed_up("ann@example.com").await;
    let refreshed = app
        .send_json(
            reqwest::Method::POST,
            "/api/token/refresh",
            None,
            &serde_json::json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    let ui_login = rpc(
        &app,
        "login",
        &[("email", "ann@example.com"), ("password", PASSWORD)],
        None,
    )
    .await;
    let rest_login = app.login("ann@example.com", PASSWORD).await;
    for (name, response) in [
        ("refresh", refreshed),
        ("rpc login", ui_login),
        ("rest login", rest_login),
    ] {
        assert_eq!(response.status(), StatusCode::OK, "{name}");
        assert_eq!(response.headers()["cache-control"], "no-store", "{name}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn over_https_every_answer_asks_for_https_from_then_on(pool: PgPool) {
    let app = TestApp::spawn_with(pool, test_config(&[("COOKIE_SECURE", "true")])).await;
    let response = app.get("/healthz", None).await;
    assert!(response.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    let plain = TestApp::spawn(app.pool.clone()).await;
    let response = plain.get("/healthz", None).await;
    assert!(!response.headers().contains_key("strict-transport-security"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_page_outside_cargo_leptos_watch_allows_no_reload_socket(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.client.get(app.url("/")).send().await.unwrap();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("connect-src 'self'"), "{policy}");
    assert!(!policy.contains("ws:"), "{policy}");
}

#[sqlx::test(migrations = "../migrations")]
async fn server_function_validation_errors_name_the_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let response = rpc(
        &app,
        "create_post",
        &[("title", " "), ("content", "c")],
        Some(&cookie),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = response.json().await.unwrap();
    assert_eq!(
        error["Validation"][0]["loc"],
        serde_json::json!(["body", "title"])
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn every_server_function_answers_malformed_arguments_with_422_as_its_rest_twin_does(
    pool: PgPool,
) {
    // Arrange: a logged-in browser, so that only the arguments are wrong (REST answers 401
    // before 422). `logout` and `current_user` take no arguments.
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let token = app.token_for("bob@example.com").await;
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("register", &[("email", "new@example.com")]),
        ("login", &[("email", "ann@example.com")]),
        ("list_posts", &[("query[limit]", "ten"), ("mine", "false")]),
        ("get_post", &[("id", "first")]),
        ("create_post", &[("content", "a post without a title")]),
        (
            "update_post",
            &[("id", "x"), ("title", "t"), ("content", "c")],
        ),
        ("delete_post", &[("id", "")]),
        ("cast_vote", &[("vote[post_id]", "one"), ("vote[dir]", "1")]),
        ("author_posts", &[("name", "Ann"), ("query[limit]", "ten")]),
        ("rename_account", &[]),
        ("change_password", &[("current_password", PASSWORD)]),
        ("end_session", &[("id", "not-a-session-id")]),
        ("delete_account", &[]),
    ];
    for (name, form) in cases {
        // Act
        let response = rpc(&app, name, form, Some(&cookie)).await;
        // Assert
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "/rpc/{name}"
        );
        let error: Value = response.json().await.unwrap();
        assert!(
            error["Validation"][0]["loc"][0] == "body",
            "/rpc/{name}: {error}"
        );
    }
    // The REST twin of the issue's example: a post without a title.
    let rest = app
        .create_post(&token, &serde_json::json!({"content": "no title"}))
        .await;
    assert_eq!(rest.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_server_function_and_the_rest_api_list_the_same_posts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("bob@example.com").await;
    for title in ["one", "two", "three"] {
        app.post_id(&token, title).await;
    }
    let cookie = browser_login(&app, "ann@example.com").await;
    let rest = rest_list(&app, &token, "?limit=2&skip=1").await;
    let page = rpc_list(
        &app,
        &[
            ("query[limit]", "2"),
            ("query[skip]", "1"),
            ("query[search]", ""),
            ("mine", "false"),
        ],
        Some(&cookie),
    )
    .await;
    let ids = |items: &[Value]| {
        items
            .iter()
            .map(|p| p["Post"]["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(page["items"].as_array().unwrap()), ids(&rest));
    assert_eq!(page["has_more"], false);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_ui_pages_by_cursor_as_the_rest_api_does(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("bob@example.com").await;
    let mut ids = Vec::new();
    for title in ["one", "two", "three", "four"] {
        ids.push(app.post_id(&token, title).await);
    }
    let before = ids[2].to_string();
    let rest = rest_list(&app, &token, &format!("?limit=1&before={before}")).await;
    let page = rpc_list(
        &app,
        &[
            ("query[limit]", "1"),
            ("query[before]", &before),
            ("query[search]", ""),
            ("mine", "false"),
        ],
        None,
    )
    .await;
    assert_eq!(page["items"][0]["Post"]["id"], ids[1]);
    assert_eq!(rest[0]["Post"]["id"], ids[1]);
    assert_eq!(page["has_more"], true);
    let refused = rpc(
        &app,
        "list_posts",
        &[("query[skip]", "5000"), ("mine", "false")],
        None,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_of_a_deleted_user_reads_nothing_through_the_server_functions(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let bob = app.token_for("bob@example.com").await;
    let post = app.post_id(&bob, "hello").await;
    let cookie = browser_login(&app, "ann@example.com").await;
    sqlx::query("delete from users where email = 'ann@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    let id = post.to_string();
    let missing = (post + 1).to_string();
    // Act and assert: the feed and the post would otherwise show Bob's post, and the others be an
    // empty page, a 404 and a 422 (see the next test).
    for (name, form) in [
        ("list_posts", feed_form("false", "10")),
        ("list_posts", feed_form("true", "10")),
        ("list_posts", feed_form("false", "-1")),
        ("get_post", vec![("id", id.as_str())]),
        ("get_post", vec![("id", missing.as_str())]),
    ] {
        let response = rpc(&app, name, &form, Some(&cookie)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{name} {form:?}"
        );
    }
    // Without the cookie the same post is there for anyone.
    let anonymous = rpc(&app, "get_post", &[("id", id.as_str())], None).await;
    assert_eq!(anonymous.status(), StatusCode::OK);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_live_session_gets_empty_pages_404s_and_422s_not_401s(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    // Act
    let own_posts = rpc(&app, "list_posts", &feed_form("true", "10"), Some(&cookie)).await;
    let missing_post = rpc(&app, "get_post", &[("id", "999999")], Some(&cookie)).await;
    let bad_limit = rpc(&app, "list_posts", &feed_form("false", "-1"), Some(&cookie)).await;
    // Assert
    assert_eq!(own_posts.status(), StatusCode::OK);
    let page: Value = own_posts.json().await.unwrap();
    assert_eq!(page["items"], serde_json::json!([]));
    assert_eq!(missing_post.status(), StatusCode::NOT_FOUND);
    assert_eq!(bad_limit.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_vote_form_posted_to_the_server_function_is_counted(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("bob@example.com").await;
    let post = app.post_id(&token, "hello").await.to_string();
    let cookie = browser_login(&app, "ann@example.com").await;
    // Act: the fields as the vote button's form (and the WASM client) encode them.
    let response = rpc(
        &app,
        "cast_vote",
        &[("vote[post_id]", &post), ("vote[dir]", "1")],
        Some(&cookie),
    )
    .await;
    // Assert
    assert_eq!(response.status(), StatusCode::OK);
    let votes = app.count("votes").await;
    assert_eq!(votes, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_write_replayed_with_the_same_idempotency_key_is_applied_once(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let cookie = browser_login(&app, "ann@example.com").await;
    let form = [
        ("title", "written offline"),
        ("content", "c"),
        ("published", "on"),
        ("idempotency_key", "outbox-1"),
    ];
    // Act: the outbox sends the same write twice (the first answer was lost).
    let first: Value = rpc(&app, "create_post", &form, Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    let second: Value = rpc(&app, "create_post", &form, Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    // Assert
    assert_eq!(first["id"], second["id"]);
    let posts = app.count("posts").await;
    assert_eq!(posts, 1);
    // A vote replayed after success is not a 409.
    let post = first["id"].to_string();
    let vote = [
        ("vote[post_id]", post.as_str()),
        ("vote[dir]", "1"),
        ("idempotency_key", "outbox-2"),
    ];
    assert_eq!(
        rpc(&app, "cast_vote", &vote, Some(&cookie)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        rpc(&app, "cast_vote", &vote, Some(&cookie)).await.status(),
        StatusCode::OK
    );
    // A different key is a different write.
    let again = [
        ("vote[post_id]", post.as_str()),
        ("vote[dir]", "1"),
        ("idempotency_key", "outbox-3"),
    ];
    assert_eq!(
        rpc(&app, "cast_vote", &again, Some(&cookie)).await.status(),
        StatusCode::CONFLICT
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn script_payloads_in_posts_are_rendered_as_text(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let payload = "<script>alert('pwned')</script><img src=x onerror=alert(1)>";
    app.create_post(
        &token,
        &serde_json::json!({"title": payload, "content": payload}),
    )
    .await;
    // Act
    let response = app.client.get(app.url("/")).send().await.unwrap();
    // Assert: escaped in the HTML, and the page forbids inline scripts without the nonce.
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("'nonce-") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    let html = response.text().await.unwrap();
    assert!(
        !html.contains("<script>alert('pwned')"),
        "the payload must not be live HTML"
    );
    assert!(
        !html.contains("<img src=x"),
        "the payload must not be live HTML"
    );
    assert!(
        html.contains("&lt;script&gt;alert("),
        "the payload is shown as text"
    );
}
