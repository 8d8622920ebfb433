//! The account page's server functions: rename, change the password, list and end sessions,
//! delete the account. Each is the twin of a REST route (`/api/users/me`, `/api/sessions`) and
//! calls the same use case (`server::auth::account`, `server::auth::session`).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{ActiveSession, User};

/// Changes the caller's display name (field errors under `name`; 409 when taken).
#[server(prefix = "/rpc", endpoint = "rename_account")]
pub async fn rename_account(name: String) -> Result<User, AppError> {
    use super::ssr::{require_session, respond, state};
    use crate::model::NameChange;
    use crate::server::auth::account;

    respond(
        async {
            let state = state()?;
            let caller = require_session(&state).await?;
            account::rename(&state, &caller, &NameChange { name }).await
        }
        .await,
    )
}

/// Changes the caller's password and ends every other session: how many ended. A wrong current
/// password is 403; a weak new one is a field error under `new_password`.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<u64, AppError> {
    use super::ssr::{parts, require_session, respond, state};
    use crate::model::PasswordChange;
    use crate::server::auth::account;
    use crate::server::auth::throttle::ClientKey;

    respond(
        async {
            let state = state()?;
            let caller = require_session(&state).await?;
            let client = ClientKey::of_extensions(&parts()?.extensions);
            let change = PasswordChange {
                current_password,
                new_password,
            };
            account::change_password(&state, client, &caller, &change).await
        }
        .await,
    )
}

/// The caller's live sessions, most recently used first.
#[server(prefix = "/rpc", endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<Vec<ActiveSession>, AppError> {
    use super::ssr::{caller_id, respond, state};
    use crate::server::auth::session;

    respond(
        async {
            let state = state()?;
            let caller = caller_id(&state)?.ok_or(AppError::NotAuthenticated)?;
            session::list(&state, caller).await
        }
        .await,
    )
}

/// Ends one of the caller's sessions. Ending the one this browser is in logs it out.
#[server(prefix = "/rpc", endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    use super::ssr::{require_session, respond, set_cookies, state};
    use crate::error::FieldErrorKind;
    use crate::server::auth::session;

    respond(
        async {
            let state = state()?;
            let caller = require_session(&state).await?;
            let id = id.trim().parse::<uuid::Uuid>().map_err(|_| {
                AppError::invalid("id", FieldErrorKind::UuidParsing, "Not a session id")
            })?;
            session::end_one(&state, caller.user.id, id).await?;
            if caller.session == Some(id) {
                set_cookies(session::cleared_cookies(&state.config));
            }
            Ok(())
        }
        .await,
    )
}

/// Ends every session of the caller's but this one: how many ended.
#[server(prefix = "/rpc", endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use super::ssr::{require_session, respond, state};
    use crate::server::auth::session;

    respond(
        async {
            let state = state()?;
            let caller = require_session(&state).await?;
            session::end_others(&state, caller.user.id, caller.session).await
        }
        .await,
    )
}

/// Deletes the caller's account once the password confirms it, with its posts and votes, and
/// logs the browser out. A wrong password is 403.
#[server(prefix = "/rpc", endpoint = "delete_account")]
pub async fn delete_account(password: String) -> Result<(), AppError> {
    use super::ssr::{parts, require_session, respond, set_cookies, state};
    use crate::model::AccountDeletion;
    use crate::server::auth::throttle::ClientKey;
    use crate::server::auth::{account, session};

    respond(
        async {
            let state = state()?;
            let caller = require_session(&state).await?;
            let client = ClientKey::of_extensions(&parts()?.extensions);
            account::delete(&state, client, &caller, &AccountDeletion { password }).await?;
            set_cookies(session::cleared_cookies(&state.config));
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}
