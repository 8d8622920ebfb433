//! The account use cases shared by the REST API and the server functions: sign up and log in.
//! Transport concerns (cookies, form parsing, status codes) stay with the callers.

use crate::error::AppError;
use crate::model::{Credentials, LoginName, Token, User};
use crate::server::auth::session;
use crate::server::auth::throttle::ClientKey;
use crate::server::db;
use crate::server::state::AppState;

/// Creates an account: 422 for a bad e-mail, password or name, 409 when the e-mail or the name
/// is taken in any letter case.
#[tracing::instrument(skip_all, fields(email = %credentials.email.trim()))]
pub async fn register(state: &AppState, credentials: &Credentials) -> Result<User, AppError> {
    let sign_up = credentials.validate()?;
    let hash = state.passwords.hash(sign_up.password).await?;
    db::user::insert(&state.pool, &sign_up.email, sign_up.name.as_ref(), &hash).await
}

/// Checks a login name and password and starts a session. An unknown e-mail and a wrong
/// password give the same error after the same amount of work. A client that failed too often
/// for this account gets 429 for a while; an account failing from many clients takes its login
/// attempts one at a time, and its owner elsewhere still gets in (`throttle`).
#[tracing::instrument(skip_all, fields(?client))]
pub async fn login(
    state: &AppState,
    client: ClientKey,
    name: &LoginName,
    password: &str,
) -> Result<(i64, Token), AppError> {
    let delay = state.throttle.check_login(name, client)?;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let stored = db::user::find_credentials(&state.pool, name.as_str()).await?;
    let (user_id, hash) = match stored {
        Some(stored) => (Some(stored.user_id), Some(stored.password_hash)),
        None => (None, None),
    };
    let is_valid = state.passwords.verify(password.to_owned(), hash).await?;
    match user_id {
        Some(user_id) if is_valid => {
            state.throttle.record_success(name, client);
            Ok((user_id, session::start(state, user_id).await?))
        }
        _ => {
            state.throttle.record_failure(name);
            Err(AppError::InvalidCredentials)
        }
    }
}
