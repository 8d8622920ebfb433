//! The one state value shared by REST handlers, server functions and page rendering.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use crate::server::auth::password::Passwords;
use crate::server::auth::throttle::Throttle;
use crate::server::auth::token::JwtKeys;
use crate::server::config::Config;

/// Cheap to clone: every field is a handle.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub jwt: Arc<JwtKeys>,
    pub passwords: Passwords,
    pub throttle: Arc<Throttle>,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    /// Builds the state around an existing pool (the binary's, or a test's fresh database).
    pub fn new(pool: PgPool, config: Config, leptos_options: LeptosOptions) -> Self {
        let jwt = Arc::new(JwtKeys::new(&config.jwt_secret, config.access_token_ttl));
        let throttle = Arc::new(Throttle::new(&config));
        Self {
            throttle,
            pool,
            config: Arc::new(config),
            jwt,
            passwords: Passwords::new(),
            leptos_options,
        }
    }
}
