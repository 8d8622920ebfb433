//! Server functions: the UI's API, mounted under `/rpc/`. Each is thin — find the caller, parse,
//! call `server::db` / `server::auth`, map errors — and shares every rule with the REST handlers.

pub mod auth;
pub mod post;
pub mod vote;

#[cfg(feature = "ssr")]
mod ssr {
    use axum::http::request::Parts;
    use axum::http::{header, HeaderValue, StatusCode};
    use leptos::prelude::use_context;
    use leptos_axum::ResponseOptions;

    use crate::error::AppError;
    use crate::model::User;
    use crate::server::auth::extract::authenticate;
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

    /// The caller, who must be logged in.
    pub async fn require_caller(state: &AppState) -> Result<User, AppError> {
        caller(state).await?.ok_or(AppError::NotAuthenticated)
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
