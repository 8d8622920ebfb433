//! Postboard's shared crate: the wire types and validation rules (compiled for the browser and the
//! server alike), the Leptos UI, the server functions, and — behind the `ssr` feature — everything
//! that touches the database, passwords or tokens. Nothing server-only may be reachable from the
//! `hydrate` build: the gate is the single `server` module below.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod model;
pub mod offline;
pub mod pages;
pub mod session;

#[cfg(feature = "ssr")]
pub mod server;

pub use app::{shell, App};
pub use error::{AppError, FieldError, FieldErrorKind, FieldErrors};
