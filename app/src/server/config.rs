//! Typed configuration, read once at startup from the environment (and, in development, from a
//! `.env` file loaded by the binary). A missing or weak secret stops the process with a message
//! that says what to set; there are no fallback secrets.

use std::time::Duration;

/// A value that must never be printed: its `Debug` is redacted.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself; call only where it is used, never to log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{name} is not set: {hint}")]
    Missing {
        name: &'static str,
        hint: &'static str,
    },
    #[error("{name} is invalid: {hint}")]
    Invalid { name: &'static str, hint: String },
}

/// Shortest JWT secret accepted: HS256 wants at least as many bytes as the hash output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// The server's settings (the Leptos options come separately from cargo-leptos).
#[derive(Debug, Clone)]
pub struct Config {
    /// Postgres connection string; it may hold a password, hence secret.
    pub database_url: Secret,
    /// Where migrations run, when not through `DATABASE_URL` (`DATABASE_MIGRATION_URL`; default
    /// none: `DATABASE_URL`). For a connection pooler in transaction mode in front of Postgres:
    /// migrations take a session-level advisory lock, which only a direct connection holds.
    pub database_migration_url: Option<Secret>,
    /// HS256 key for access tokens.
    pub jwt_secret: Secret,
    /// Lifetime of an access token (`ACCESS_TOKEN_TTL_MINUTES`, default 30).
    pub access_token_ttl: Duration,
    /// Lifetime of a refresh token (`REFRESH_TOKEN_TTL_DAYS`, default 30).
    pub refresh_token_ttl: Duration,
    /// Whether cookies are marked `Secure` and get `__Host-` names (`COOKIE_SECURE`; set it when
    /// the site is served over https).
    pub secure_cookies: bool,
    /// Most database connections this process opens (`DATABASE_MAX_CONNECTIONS`, default
    /// [`default_pool_size`]).
    pub database_max_connections: u32,
    /// How long a request waits for a free database connection before a 503
    /// (`DATABASE_ACQUIRE_TIMEOUT_MS`, default 1000). With the database down, this is how long
    /// a request takes to fail.
    pub database_acquire_timeout: Duration,
    /// Longest a single statement may run before Postgres cancels it and the request gets a
    /// 503 (`DATABASE_STATEMENT_TIMEOUT_MS`, default 5000; 0 turns it off): one expensive read
    /// cannot hold a pooled connection for long. Migrations and the periodic clean-up are not
    /// bound by it.
    pub database_statement_timeout: Duration,
    /// How long an exact search may run before it gives way to the bounded one, over the newest
    /// posts only (`SEARCH_TIMEOUT_MS`, default 250; 0: searches share the pool and its
    /// `DATABASE_STATEMENT_TIMEOUT_MS`). A term whose trigrams are common but rare together
    /// ('the and') costs seconds at ten million posts; docs/api.md, "Search". Exact searches run
    /// on a pool of their own with this statement timeout (`AppState::search_pool`).
    pub search_timeout: Duration,
    /// Login and sign-up attempts allowed per client address and minute
    /// (`AUTH_RATE_LIMIT_PER_MINUTE`, default 300; 0 turns the limit off).
    pub auth_requests_per_minute: u32,
    /// How many of those may come at once (`AUTH_RATE_LIMIT_BURST`, default 100).
    pub auth_burst: u32,
    /// Page renders and `/rpc` calls allowed per minute to each client address without a
    /// session (`ANONYMOUS_READS_PER_MINUTE`, default 240; 0 turns the budget off). Past it,
    /// 429 with `Retry-After`. Counted by each instance on its own.
    pub anonymous_reads_per_minute: u32,
    /// How many of those may come at once (`ANONYMOUS_READ_BURST`, default 60).
    pub anonymous_read_burst: u32,
    /// Failed logins after which an account's login is refused for the window
    /// (`LOGIN_MAX_FAILURES`, default 10).
    pub login_max_failures: u32,
    /// The window of the failure counter (`LOGIN_FAILURE_WINDOW_MINUTES`, default 15).
    pub login_failure_window: Duration,
    /// How long the refresh token just exchanged may be presented again and still continue its
    /// session (`REFRESH_REUSE_GRACE_SECONDS`, default 10; 0 turns the grace off): two tabs
    /// renewing at once, or a client retrying a refresh whose answer was lost. At most 300.
    pub refresh_reuse_grace: Duration,
    /// The proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`, a comma-separated
    /// list of CIDR blocks such as `127.0.0.1/32, 10.0.0.0/8`; default none, so the client is
    /// the TCP peer).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The origins the site is served from (`PUBLIC_ORIGIN`, e.g. `https://board.example`; a
    /// comma-separated list if it has several). Browser requests that change state with the
    /// session cookie, and the UI's login and sign-up, must come from one of them. Default
    /// none: such a request's `Origin` must then name the host it was sent to.
    pub public_origins: Vec<String>,
    /// How long a client may take to send a request's head, and how long a keep-alive
    /// connection may sit idle (`HEADER_READ_TIMEOUT_SECONDS`, 1 to 30, default 10).
    pub header_read_timeout: Duration,
    /// Most connections served at once (`MAX_CONNECTIONS`, default 4096); past it, new ones
    /// wait in the kernel's backlog. Keep it under the process's file-descriptor limit.
    pub max_connections: usize,
    /// How long a write to a client may make no progress before the connection is dropped
    /// (`WRITE_TIMEOUT_SECONDS`, default 30): a client that stops reading a large answer
    /// cannot hold its connection slot. A slow client that keeps reading is not affected.
    pub write_timeout: Duration,
    /// How often one instance deletes what nobody needs any more: expired and revoked refresh
    /// tokens, the sessions they leave empty, old idempotency keys, limits whose window has
    /// passed (`CLEANUP_INTERVAL_SECONDS`, default 300). Instances take turns under an advisory
    /// lock: one runs at a time.
    pub cleanup_interval: Duration,
    /// How long the answer of a write is kept for replays of its idempotency key
    /// (`IDEMPOTENCY_KEY_RETENTION_DAYS`, default 30). An offline browser whose first attempt
    /// was stored but whose answer was lost must come back within this time, or its replay
    /// makes the write again.
    pub idempotency_key_retention: Duration,
    /// On SIGTERM, how long `/readyz` answers 503 while requests are still served, before the
    /// listener closes (`SHUTDOWN_DELAY_SECONDS`, default 0): time for a load balancer that
    /// polls readiness to stop sending. nginx does not poll; it retries a refused connection
    /// on the next server, so 0 suits it.
    pub shutdown_delay: Duration,
    /// Then how long in-flight requests may take before the process exits anyway
    /// (`SHUTDOWN_TIMEOUT_SECONDS`, default 30).
    pub shutdown_timeout: Duration,
    /// Where Prometheus metrics are served, at `/metrics` (`METRICS_ADDR`, e.g.
    /// `127.0.0.1:9100`; default none: no metrics listener). A separate listener, so that the
    /// public port never shows them.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Whether `cargo leptos watch` serves this process (`LEPTOS_WATCH` set): its pages then
    /// reload over a websocket that the Content-Security-Policy must allow.
    pub dev_reload: bool,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = lookup("DATABASE_URL")
            .filter(|value| !value.trim().is_empty())
            .ok_or(ConfigError::Missing {
                name: "DATABASE_URL",
                hint: "set it to a Postgres URL, e.g. postgres://postgres@127.0.0.1:5432/postboard",
            })?;
        let jwt_secret = lookup("JWT_SECRET")
            .filter(|value| !value.is_empty())
            .ok_or(ConfigError::Missing {
                name: "JWT_SECRET",
                hint: "set it to a random string of at least 32 bytes, e.g. the output of `openssl rand -hex 32`",
            })?;
        if jwt_secret.len() < MIN_JWT_SECRET_BYTES {
            return Err(ConfigError::Invalid {
                name: "JWT_SECRET",
                hint: format!(
                    "it is {} bytes long; set it to a random string of at least {MIN_JWT_SECRET_BYTES} bytes, e.g. the output of `openssl rand -hex 32`",
                    jwt_secret.len()
                ),
            });
        }
        let whole = |name: &'static str, default: u64, min: u64| -> Result<u64, ConfigError> {
            match lookup(name) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|value| *value >= min)
                    .ok_or(ConfigError::Invalid {
                        name,
                        hint: format!("expected a whole number of at least {min}, got {raw:?}"),
                    }),
            }
        };
        let number = |name: &'static str, default: u64| whole(name, default, 1);
        let small = |value: u64| u32::try_from(value).unwrap_or(u32::MAX);
        let flag = |name: &'static str| -> Result<bool, ConfigError> {
            match lookup(name).as_deref().map(str::trim) {
                None | Some("") | Some("0") | Some("false") => Ok(false),
                Some("1") | Some("true") => Ok(true),
                Some(other) => Err(ConfigError::Invalid {
                    name,
                    hint: format!("expected true or false, got {other:?}"),
                }),
            }
        };
        Ok(Self {
            database_url: Secret::new(database_url),
            database_migration_url: lookup("DATABASE_MIGRATION_URL")
                .filter(|value| !value.trim().is_empty())
                .map(Secret::new),
            jwt_secret: Secret::new(jwt_secret),
            access_token_ttl: Duration::from_secs(60 * number("ACCESS_TOKEN_TTL_MINUTES", 30)?),
            refresh_token_ttl: Duration::from_secs(86_400 * number("REFRESH_TOKEN_TTL_DAYS", 30)?),
            secure_cookies: flag("COOKIE_SECURE")?,
            database_max_connections: small(number(
                "DATABASE_MAX_CONNECTIONS",
                default_pool_size(),
            )?),
            database_acquire_timeout: Duration::from_millis(number(
                "DATABASE_ACQUIRE_TIMEOUT_MS",
                1000,
            )?),
            database_statement_timeout: Duration::from_millis(
                whole("DATABASE_STATEMENT_TIMEOUT_MS", 5000, 0)?.min(3_600_000),
            ),
            search_timeout: Duration::from_millis(
                whole("SEARCH_TIMEOUT_MS", 250, 0)?.min(3_600_000),
            ),
            auth_requests_per_minute: small(whole("AUTH_RATE_LIMIT_PER_MINUTE", 300, 0)?),
            auth_burst: small(number("AUTH_RATE_LIMIT_BURST", 100)?),
            anonymous_reads_per_minute: small(whole("ANONYMOUS_READS_PER_MINUTE", 240, 0)?),
            anonymous_read_burst: small(number("ANONYMOUS_READ_BURST", 60)?),
            login_max_failures: small(number("LOGIN_MAX_FAILURES", 10)?),
            login_failure_window: Duration::from_secs(
                60 * number("LOGIN_FAILURE_WINDOW_MINUTES", 15)?,
            ),
            refresh_reuse_grace: Duration::from_secs(
                whole("REFRESH_REUSE_GRACE_SECONDS", 10, 0)?.min(300),
            ),
            trusted_proxies: cidr_list("TRUSTED_PROXIES", lookup("TRUSTED_PROXIES"))?,
            public_origins: origin_list("PUBLIC_ORIGIN", lookup("PUBLIC_ORIGIN"))?,
            header_read_timeout: Duration::from_secs(
                number("HEADER_READ_TIMEOUT_SECONDS", 10)?.min(30),
            ),
            max_connections: usize::try_from(number("MAX_CONNECTIONS", 4096)?)
                .unwrap_or(usize::MAX),
            write_timeout: Duration::from_secs(number("WRITE_TIMEOUT_SECONDS", 30)?),
            // Capped at a day and ten years: larger values would overflow the timers and the
            // database's intervals, and the clean-up would fail every round.
            cleanup_interval: Duration::from_secs(
                number("CLEANUP_INTERVAL_SECONDS", 300)?.min(86_400),
            ),
            idempotency_key_retention: Duration::from_secs(
                86_400 * number("IDEMPOTENCY_KEY_RETENTION_DAYS", 30)?.min(3_650),
            ),
            shutdown_delay: Duration::from_secs(whole("SHUTDOWN_DELAY_SECONDS", 0, 0)?.min(3_600)),
            shutdown_timeout: Duration::from_secs(
                number("SHUTDOWN_TIMEOUT_SECONDS", 30)?.min(3_600),
            ),
            metrics_addr: socket_address("METRICS_ADDR", lookup("METRICS_ADDR"))?,
            dev_reload: lookup("LEPTOS_WATCH").is_some(),
        })
    }
}

/// A comma-separated list of CIDR blocks; a bare address is a block of one.
fn cidr_list(name: &'static str, raw: Option<String>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|block| !block.is_empty())
        .map(|block| {
            block
                .parse::<ipnet::IpNet>()
                .or_else(|_| block.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ConfigError::Invalid {
                    name,
                    hint: format!("expected CIDR blocks such as 10.0.0.0/8, got {block:?}"),
                })
        })
        .collect()
}

/// An address to listen on (`host:port`), or none when unset or empty.
fn socket_address(
    name: &'static str,
    raw: Option<String>,
) -> Result<Option<std::net::SocketAddr>, ConfigError> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(address) => address.parse().map(Some).map_err(|_| ConfigError::Invalid {
            name,
            hint: format!("expected an address such as 127.0.0.1:9100, got {address:?}"),
        }),
    }
}

/// A comma-separated list of origins (`scheme://host[:port]`, no path), lower-cased.
fn origin_list(name: &'static str, raw: Option<String>) -> Result<Vec<String>, ConfigError> {
    raw.unwrap_or_default()
        .split(',')
        .map(|origin| origin.trim().trim_end_matches('/').to_lowercase())
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            match host {
                Some(host) if !host.is_empty() && !host.contains('/') => Ok(origin),
                _ => Err(ConfigError::Invalid {
                    name,
                    hint: format!("expected origins such as https://board.example, got {origin:?}"),
                }),
            }
        })
        .collect()
}

/// Twice the cores this process may run on, and at least 4: PostgreSQL's rule of thumb for the
/// number of busy connections (cores × 2), with the app's cores standing in for the database's
/// (they share the machine in the usual small deployment). More connections than the database
/// can run at once only add context switches: on a 2-core machine, 4 connections served the
/// single post 15-30 % faster than 10, with a lower p99 (wrk, 32 clients, alternated runs).
pub fn default_pool_size() -> u64 {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    u64::try_from(cores)
        .unwrap_or(u64::MAX / 2)
        .saturating_mul(2)
        .max(4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| env.get(name).cloned())
    }

    const URL: (&str, &str) = ("DATABASE_URL", "postgres://localhost/postboard");
    const SECRET: (&str, &str) = ("JWT_SECRET", "0123456789abcdef0123456789abcdef");

    #[test]
    fn a_missing_jwt_secret_refuses_to_start_and_says_what_to_set() {
        let error = config_from(&[URL]).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("JWT_SECRET is not set"), "{message}");
        assert!(message.contains("at least 32 bytes"), "{message}");
    }

    #[test]
    fn a_short_jwt_secret_refuses_to_start_and_says_what_to_set() {
        let message = config_from(&[URL, ("JWT_SECRET", "too-short")])
            .unwrap_err()
            .to_string();
        assert!(message.contains("JWT_SECRET is invalid"), "{message}");
        assert!(message.contains("at least 32 bytes"), "{message}");
    }

    #[test]
    fn a_missing_database_url_is_reported() {
        let message = config_from(&[SECRET]).unwrap_err().to_string();
        assert!(message.contains("DATABASE_URL is not set"), "{message}");
    }

    #[test]
    fn the_documented_defaults_apply_when_only_the_required_settings_are_given() {
        // The README's configuration table.
        let config = config_from(&[URL, SECRET]).unwrap();
        assert_eq!(config.access_token_ttl, Duration::from_secs(30 * 60));
        assert_eq!(config.refresh_token_ttl, Duration::from_secs(30 * 86_400));
        assert!(!config.secure_cookies);
        assert!(config.database_max_connections >= 4);
    }

    #[test]
    fn the_token_lifetime_is_read_in_minutes() {
        let config = config_from(&[URL, SECRET, ("ACCESS_TOKEN_TTL_MINUTES", "5")]).unwrap();
        assert_eq!(config.access_token_ttl, Duration::from_secs(300));
        assert!(config_from(&[URL, SECRET, ("ACCESS_TOKEN_TTL_MINUTES", "soon")]).is_err());
        assert!(config_from(&[URL, SECRET, ("ACCESS_TOKEN_TTL_MINUTES", "0")]).is_err());
    }

    #[test]
    fn trusted_proxies_are_cidr_blocks_or_single_addresses() {
        let config = config_from(&[URL, SECRET, ("TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).unwrap();
        let proxies = &config.trusted_proxies;
        assert!(proxies[0].contains(&"10.1.2.3".parse::<std::net::IpAddr>().unwrap()));
        assert!(proxies[1].contains(&"::1".parse::<std::net::IpAddr>().unwrap()));
        assert!(config_from(&[URL, SECRET, ("TRUSTED_PROXIES", "10.0.0.0/33")]).is_err());
    }

    #[test]
    fn public_origins_are_schemes_and_hosts_without_paths() {
        let config = config_from(&[
            URL,
            SECRET,
            (
                "PUBLIC_ORIGIN",
                "https://Board.example/, http://localhost:3000",
            ),
        ])
        .unwrap();
        assert_eq!(
            config.public_origins,
            ["https://board.example", "http://localhost:3000"]
        );
        for bad in ["board.example", "https://board.example/app", "ftp://x"] {
            assert!(
                config_from(&[URL, SECRET, ("PUBLIC_ORIGIN", bad)]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_metrics_listener_is_off_unless_an_address_is_given() {
        assert_eq!(config_from(&[URL, SECRET]).unwrap().metrics_addr, None);
        let config = config_from(&[URL, SECRET, ("METRICS_ADDR", "127.0.0.1:9100")]).unwrap();
        assert_eq!(config.metrics_addr, Some("127.0.0.1:9100".parse().unwrap()));
        assert!(config_from(&[URL, SECRET, ("METRICS_ADDR", "9100")]).is_err());
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let config = config_from(&[URL, SECRET]).unwrap();
        assert!(!format!("{config:?}").contains("0123456789abcdef"));
    }
}
