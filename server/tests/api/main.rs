//! The integration tests: one binary, one module per resource. Every test gets a fresh database
//! from `#[sqlx::test]` (migrated from `migrations/`), builds the real router through
//! `server::startup::router`, serves it on an ephemeral port and talks HTTP to it.

mod auth;
mod health;
mod helpers;
mod openapi;
mod post;
mod server_fn;
mod static_files;
mod user;
mod vote;
