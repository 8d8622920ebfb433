//! The integration tests: one binary, one module per resource. Every test gets a fresh database
//! from `#[sqlx::test]` (migrated from `migrations/`), builds the real router through
//! `server::startup`, serves it on an ephemeral port as the binary does and talks HTTP to it.

mod account;
mod auth;
mod connection;
mod health;
mod helpers;
mod import;
mod openapi;
mod operations;
mod post;
mod read_budget;
mod server_fn;
mod static_files;
mod throttle;
mod user;
mod vote;
