//! Server functions: the UI's API, mounted under `/rpc/`. Each is thin — find the caller, parse,
//! call `server::db` / `server::auth`, map errors — and shares every rule with the REST handlers.

pub mod account;
pub mod auth;
pub mod post;
pub mod vote;

#[cfg(feature = "ssr")]
mod ssr {
    use axum::http::request::Parts;
    use axum::http::{header, HeaderValue, StatusCode};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use crate::error::{AppError, FieldErrorKind};
    use crate::model::User;
    use crate::server::auth::extract::{authenticate, authenticate_session, identify};
    use crate::server::auth::{AuthSession, AuthUserId};
    use crate::server::AppState;

    /// The shared state, provided by the router to every server function and page render.
    pub fn state() -> Result<AppState, AppError> {
        use_context::<AppState>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal
        })
    }

    /// The request's head (headers, cookies, URI).
    pub fn parts() -> Result<Parts, AppError> {
        use_context::<Parts>().ok_or_else(|| {
            tracing::error!("request Parts missing from the Leptos context");
            AppError::Internal
        })
    }

    /// The caller, if logged in; an invalid credential is an error.
    pub async fn caller(state: &AppState) -> Result<Option<User>, AppError> {
        authenticate(state, &parts()?).await
    }

    /// The id the caller's credential names, checked without the database: for reads whose own
    /// statement checks that the user exists (`AuthUserId`).
    pub fn caller_id(state: &AppState) -> Result<Option<AuthUserId>, AppError> {
        identify(state, &parts()?)
    }

    /// The caller, who must be logged in.
    pub async fn require_caller(state: &AppState) -> Result<User, AppError> {
        caller(state).await?.ok_or(AppError::NotAuthenticated)
    }

    /// The caller, who must be logged in, and the session the credential names.
    pub async fn require_session(state: &AppState) -> Result<AuthSession, AppError> {
        authenticate_session(state, &parts()?)
            .await?
            .ok_or(AppError::NotAuthenticated)
    }

    /// Gives the response the error's status code (server functions otherwise answer every
    /// error with 500), and passes the result through.
    pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(error) = &result {
            if let Some(options) = use_context::<ResponseOptions>() {
                options.set_status(
                    StatusCode::from_u16(error.status_code())
                        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                );
            }
        }
        result
    }

    /// Runs a write of the logged-in caller's, in one transaction, at most once per idempotency
    /// key: a write replayed by the offline outbox with a key it already used gets the answer of
    /// the earlier attempt instead of being applied again. `as_user` is the user the outbox
    /// queued the write for: when the browser's session is now someone else's, the write is not
    /// theirs to send (401; the outbox keeps it until that user logs in again). 401 comes before
    /// anything `work` checks (its 422s).
    pub async fn write_once<T, W>(
        state: &AppState,
        key: Option<&str>,
        as_user: Option<i64>,
        work: W,
    ) -> Result<T, AppError>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
        W: AsyncFnOnce(&mut sqlx::PgConnection, i64) -> Result<T, AppError>,
    {
        use crate::server::db::idempotency;

        let caller = require_caller(state).await?;
        if as_user.is_some_and(|writer| writer != caller.id) {
            return Err(AppError::InvalidToken);
        }
        check_key(key)?;
        let mut tx = state.pool.begin().await?;
        if let Some(key) = key {
            if let Some(earlier) = idempotency::replayed(&mut tx, caller.id, key).await? {
                // The outbox's replays, on the metrics listener (#17).
                metrics::counter!("postboard_idempotent_replays_total").increment(1);
                return Ok(earlier);
            }
        }
        let answer = work(&mut tx, caller.id).await?;
        if let Some(key) = key {
            idempotency::record(&mut tx, caller.id, key, &answer).await?;
        }
        tx.commit().await?;
        Ok(answer)
    }

    /// Longest idempotency key accepted, in characters.
    const MAX_KEY_LEN: usize = 100;

    /// Checks an idempotency key's shape (1 to `MAX_KEY_LEN` characters).
    fn check_key(key: Option<&str>) -> Result<(), AppError> {
        let Some(key) = key else { return Ok(()) };
        let kind = if key.is_empty() {
            FieldErrorKind::StringTooShort
        } else if key.chars().count() > MAX_KEY_LEN {
            FieldErrorKind::StringTooLong
        } else {
            return Ok(());
        };
        Err(AppError::invalid(
            "idempotency_key",
            kind,
            format!("An idempotency key has 1 to {MAX_KEY_LEN} characters"),
        ))
    }

    /// Adds `Set-Cookie` headers to the response.
    pub fn set_cookies<'a>(cookies: impl IntoIterator<Item = cookie::Cookie<'a>>) {
        let Some(options) = use_context::<ResponseOptions>() else {
            return;
        };
        for cookie in cookies {
            if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
                options.append_header(header::SET_COOKIE, value);
            }
        }
    }
}
