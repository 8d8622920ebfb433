//! Everything that runs only on the server: configuration, shared state, the database layer and
//! authentication. Compiled only with the `ssr` feature, so none of it (nor its crates) can end
//! up in the browser's WASM.

pub mod auth;
pub mod budget;
pub mod cleanup;
pub mod config;
pub mod db;
pub mod import;
pub mod state;

pub use config::{Config, ConfigError, Secret};
pub use state::AppState;
