//! Authentication, shared by REST handlers and server functions: password hashing, access tokens,
//! refresh-token sessions and the extractors that turn a request into a user.

pub mod account;
pub mod extract;
pub mod password;
pub mod session;
pub mod throttle;
pub mod token;

pub use extract::{AuthSession, AuthUser, AuthUserId};
