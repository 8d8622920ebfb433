//! The Postboard server as a library: the binary (`main.rs`) and the integration tests both build
//! the app through `startup`, so the tests exercise exactly what runs in production.

pub mod cli;
pub mod connection;
pub mod metrics;
pub mod middleware;
pub mod rest;
pub mod startup;
pub mod telemetry;
