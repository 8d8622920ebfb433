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
    /// Identifies the front-end build (a hash of the WASM), so the service worker's caches are
    /// replaced on deploy.
    pub build_id: Arc<str>,
    pub leptos_options: LeptosOptions,
}

/// The first 16 hex digits of the SHA-256 of the site's WASM, or "dev" when there is none.
fn build_id(options: &LeptosOptions) -> String {
    use sha2::{Digest, Sha256};
    let wasm = std::path::Path::new(&*options.site_root)
        .join(&*options.site_pkg_dir)
        .join(format!("{}.wasm", options.output_name));
    match std::fs::read(&wasm) {
        Ok(bytes) => Sha256::digest(&bytes)
            .iter()
            .take(8)
            .map(|byte| format!("{byte:02x}"))
            .collect(),
        Err(_) => "dev".to_owned(),
    }
}

impl AppState {
    /// Builds the state around an existing pool (the binary's, or a test's fresh database).
    pub fn new(pool: PgPool, config: Config, leptos_options: LeptosOptions) -> Self {
        let jwt = Arc::new(JwtKeys::new(&config.jwt_secret, config.access_token_ttl));
        let throttle = Arc::new(Throttle::new(&config));
        Self {
            throttle,
            build_id: build_id(&leptos_options).into(),
            pool,
            config: Arc::new(config),
            jwt,
            passwords: Passwords::new(),
            leptos_options,
        }
    }
}
