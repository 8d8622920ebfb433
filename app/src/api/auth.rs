//! Account server functions for the UI: register, login, logout and "who am I". The session
//! travels in HttpOnly cookies set here; no script can read a token.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::User;

/// Creates an account and logs it in. Field errors come back under `email`, `password` and
/// `name` (optional: a blank name is none).
#[server(prefix = "/rpc", endpoint = "register")]
pub async fn register(
    email: String,
    password: String,
    #[server(default)] name: Option<String>,
) -> Result<User, AppError> {
    use super::ssr::{parts, respond, set_cookies, state};
    use crate::model::Credentials;
    use crate::server::auth::{account, session};

    respond(
        async {
            let state = state()?;
            let user_agent = session::user_agent(&parts()?.headers);
            let user = account::register(
                &state,
                &Credentials {
                    email,
                    password,
                    name,
                },
            )
            .await?;
            let token = session::start(&state, user.id, &user_agent, None, None).await?;
            set_cookies(session::session_cookies(&state.config, &token));
            leptos_axum::redirect("/");
            Ok(user)
        }
        .await,
    )
}

/// Logs in with an e-mail and password; on success the session cookies are set.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<User, AppError> {
    use super::ssr::{parts, respond, set_cookies, state};
    use crate::model::LoginName;
    use crate::server::auth::throttle::ClientKey;
    use crate::server::auth::{account, session};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let parts = parts()?;
            let client = ClientKey::of_extensions(&parts.extensions);
            let user_agent = session::user_agent(&parts.headers);
            let name = LoginName::parse(&email, "email")?;
            let (user_id, token) =
                account::login(&state, client, &name, &password, &user_agent).await?;
            let user = db::user::find(&state.pool, user_id)
                .await?
                .ok_or(AppError::InvalidCredentials)?;
            set_cookies(session::session_cookies(&state.config, &token));
            leptos_axum::redirect("/");
            Ok(user)
        }
        .await,
    )
}

/// Ends the session: revokes the refresh token's family and clears the cookies.
#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use super::ssr::{parts, respond, set_cookies, state};
    use crate::server::auth::session;
    use axum_extra::extract::cookie::CookieJar;

    respond(
        async {
            let state = state()?;
            let (_, refresh_name) = session::cookie_names(&state.config);
            let jar = CookieJar::from_headers(&parts()?.headers);
            if let Some(refresh) = jar.get(refresh_name) {
                session::end(&state, refresh.value()).await?;
            }
            set_cookies(session::cleared_cookies(&state.config));
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}

/// The logged-in user, or `None` for a visitor. A stale or forged cookie reads as logged out
/// here (the page still renders), while every state change still rejects it.
#[server(prefix = "/rpc", endpoint = "current_user")]
pub async fn current_user() -> Result<Option<User>, AppError> {
    use super::ssr::{caller, respond, state};

    respond(
        async {
            let state = state()?;
            match caller(&state).await {
                Err(AppError::InvalidToken) => Ok(None),
                other => other,
            }
        }
        .await,
    )
}
