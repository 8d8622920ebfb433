//! `TestApp`: the app under test, with one method per endpoint.

use std::collections::HashMap;

use app::server::{db, AppState, Config};
use leptos::config::LeptosOptions;
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio::task::JoinHandle;

/// The JWT secret of every test app (tests forge tokens with it).
pub const JWT_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";
/// A password that satisfies the rules.
pub const PASSWORD: &str = "correct horse battery";

/// A running app on its own port and database. Dropping it stops the server.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    /// The test's own pool, for arranging and checking rows directly.
    pub pool: PgPool,
    /// The server's state, for reading what it counts.
    pub state: AppState,
    server: JoinHandle<()>,
}

impl Drop for TestApp {
    /// Stops the server, which closes its pool's connections: `#[sqlx::test]` drops the test
    /// database once the test returns, which Postgres refuses while sessions on it stay open.
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The configuration tests run with; `overrides` replace single settings.
pub fn test_config(overrides: &[(&str, &str)]) -> Config {
    let mut env: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".to_owned(), "postgres://unused".to_owned()),
        ("JWT_SECRET".to_owned(), JWT_SECRET.to_owned()),
    ]);
    for (key, value) in overrides {
        env.insert((*key).to_owned(), (*value).to_owned());
    }
    Config::from_lookup(|name| env.get(name).cloned()).expect("test configuration")
}

/// The URL of the test's database, as the binary would be given it in `DATABASE_URL`.
pub fn database_url(pool: &PgPool) -> String {
    let options = pool.connect_options();
    format!(
        "postgres://{}@{}:{}/{}",
        options.get_username(),
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    )
}

impl TestApp {
    /// Serves the app on 127.0.0.1 at an ephemeral port.
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, test_config(&[])).await
    }

    /// Serves the app with a given configuration.
    pub async fn spawn_with(pool: PgPool, config: Config) -> Self {
        Self::spawn_site(pool, config, "target/site").await
    }

    /// Serves the app with a given configuration and the front-end files of `site_root`.
    pub async fn spawn_site(pool: PgPool, config: Config, site_root: &str) -> Self {
        let options = LeptosOptions::builder()
            .output_name("postboard")
            .site_root(site_root)
            .build();
        // The server gets a pool of its own. The one `#[sqlx::test]` hands out borrows its
        // connection slots from a pool of 20 shared by the whole test process, and late in a run
        // a request could wait 30 s there for a slot and time out (launchbadge/sqlx#2567, and the
        // maintainers' diagnosis in sqlx#4338): seen in CI and here on the session-renewal test.
        // Same database, size and acquire timeout; no parent.
        let server_pool = PgPoolOptions::new()
            .max_connections(pool.options().get_max_connections())
            .acquire_timeout(pool.options().get_acquire_timeout())
            .connect_lazy_with(db::session_options(PgConnectOptions::clone(
                &pool.connect_options(),
            )));
        let state = AppState::new(server_pool, config, options);
        let served = state.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(server::startup::serve_on(
            listener,
            served,
            std::future::pending(),
        ));
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            address,
            client,
            pool,
            state,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn register(&self, email: &str, password: &str) -> Response {
        self.send_json(
            reqwest::Method::POST,
            "/api/users/",
            None,
            &json!({"email": email, "password": password}),
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.client
            .post(self.url("/api/login"))
            .form(&[("username", email), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// `POST /api/token/refresh` with `refresh_token` (the token body's `refresh_token`).
    pub async fn refresh(&self, refresh_token: &Value) -> Response {
        self.send_json(
            reqwest::Method::POST,
            "/api/token/refresh",
            None,
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    /// Registers `email` and logs in: the full token body.
    pub async fn signed_up(&self, email: &str) -> Value {
        assert_eq!(
            self.register(email, PASSWORD).await.status(),
            StatusCode::CREATED
        );
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Registers `email` and logs in: the access token.
    pub async fn token_for(&self, email: &str) -> String {
        self.signed_up(email).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn create_post(&self, token: &str, body: &Value) -> Response {
        self.send_json(reqwest::Method::POST, "/api/posts/", Some(token), body)
            .await
    }

    /// Creates a published post and returns its id.
    pub async fn post_id(&self, token: &str, title: &str) -> i64 {
        let response = self
            .create_post(
                token,
                &json!({"title": title, "content": format!("content of {title}")}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    /// Creates an unpublished post and returns its id.
    pub async fn draft_id(&self, token: &str, title: &str) -> i64 {
        let response = self
            .create_post(
                token,
                &json!({"title": title, "content": "not ready", "published": false}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json::<Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap()
    }

    /// How many rows `table` holds (a fixed table name from the test itself).
    /// The id of the user with this e-mail, read from the database.
    pub async fn user_id(&self, email: &str) -> i64 {
        sqlx::query_scalar("select id from users where email = $1")
            .bind(email)
            .fetch_one(&self.pool)
            .await
            .expect("a user with this e-mail")
    }

    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    pub async fn vote(&self, token: &str, post_id: i64, dir: i64) -> Response {
        self.send_json(
            reqwest::Method::POST,
            "/api/vote/",
            Some(token),
            &json!({"post_id": post_id, "dir": dir}),
        )
        .await
    }
}

/// The status codes of requests sent at once.
#[derive(Debug)]
pub struct Statuses(Vec<StatusCode>);

impl Statuses {
    /// How many answered with `status`.
    pub fn of(&self, status: StatusCode) -> usize {
        self.0.iter().filter(|s| **s == status).count()
    }
}

/// Sends the requests concurrently and collects their status codes.
pub async fn statuses(
    requests: impl IntoIterator<Item = impl std::future::Future<Output = Response>>,
) -> Statuses {
    Statuses(
        futures::future::join_all(requests)
            .await
            .iter()
            .map(Response::status)
            .collect(),
    )
}

/// Asserts a `{"detail": "..."}` body with that message.
pub async fn assert_detail(response: Response, status: StatusCode, detail: &str) {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({ "detail": detail }));
}

/// Asserts a 422 whose entries include one at `loc`.
pub async fn assert_invalid_at(response: Response, loc: &[&str]) {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let entries = body["detail"].as_array().expect("422 detail is a list");
    assert!(
        entries.iter().any(|entry| entry["loc"] == json!(loc)
            && entry["msg"].is_string()
            && entry["type"].is_string()),
        "no entry at {loc:?} in {body}"
    );
}
