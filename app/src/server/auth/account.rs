//! The account use cases shared by the REST API and the server functions: sign up, log in, and
//! what the account page does (rename, change the password, delete the account). Transport
//! concerns (cookies, form parsing, status codes) stay with the callers.

use std::future::Future;

use crate::error::AppError;
use crate::model::{
    AccountDeletion, Credentials, LoginName, NameChange, PasswordChange, Token, User,
};
use crate::server::auth::extract::AuthSession;
use crate::server::auth::password::HashKind;
use crate::server::auth::session;
use crate::server::auth::throttle::ClientKey;
use crate::server::db;
use crate::server::db::user::StoredCredentials;
use crate::server::state::AppState;

/// Creates an account: 422 for a bad e-mail, password or name, 409 when the e-mail or the name
/// is taken in any letter case.
#[tracing::instrument(skip_all, fields(email = %credentials.email.trim()))]
pub async fn register(state: &AppState, credentials: &Credentials) -> Result<User, AppError> {
    let sign_up = credentials.validate()?;
    let hash = state.passwords.hash(sign_up.password).await?;
    db::user::insert(&state.pool, &sign_up.email, sign_up.name.as_ref(), &hash).await
}

/// Checks a password against the account `lookup` finds, under the login throttle: a client
/// that failed too often for this account gets 429 for a while; an account failing from many
/// clients takes its attempts one at a time, and its owner elsewhere still gets in (`throttle`).
/// An unknown account and a wrong password give the same error after the same amount of work.
/// The account and the hash the password matched when it is right: what the caller changes must
/// still hold that hash (a password change may be racing it).
async fn verify_password(
    state: &AppState,
    client: ClientKey,
    name: &LoginName,
    password: &str,
    lookup: impl Future<Output = Result<Option<StoredCredentials>, AppError>>,
) -> Result<StoredCredentials, AppError> {
    let delay = state
        .throttle
        .check_login(&state.pool, name, client)
        .await?;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let stored = lookup.await?;
    let hash = stored.as_ref().map(|stored| stored.password_hash.clone());
    let is_valid = state.passwords.verify(password.to_owned(), hash).await?;
    match stored {
        Some(stored) if is_valid => {
            state
                .throttle
                .record_success(&state.pool, name, client)
                .await?;
            Ok(stored)
        }
        _ => {
            state.throttle.record_failure(&state.pool, name).await?;
            Err(AppError::InvalidCredentials)
        }
    }
}

/// Checks a login name and password and starts a session from this client (`user_agent`).
#[tracing::instrument(skip_all, fields(?client))]
pub async fn login(
    state: &AppState,
    client: ClientKey,
    name: &LoginName,
    password: &str,
    user_agent: &str,
) -> Result<(i64, Token), AppError> {
    let lookup = db::user::find_credentials(&state.pool, name.as_str());
    let verified = verify_password(state, client, name, password, lookup).await?;
    // The first login of an account imported with its bcrypt hash: argon2id from now on.
    let upgrade = match HashKind::of(&verified.password_hash) {
        HashKind::Bcrypt => Some(state.passwords.rehash(password.to_owned()).await?),
        HashKind::Argon2id | HashKind::Unusable => None,
    };
    let checked = Some(verified.password_hash.as_str());
    let started = session::start(
        state,
        verified.user_id,
        user_agent,
        checked,
        upgrade.as_deref(),
    )
    .await;
    let token = match started {
        // Another login of this account (a double click) upgraded the hash first: the password
        // is checked once more, against the hash it left (a password change in between still
        // refuses it).
        Err(AppError::InvalidCredentials) if upgrade.is_some() => {
            let lookup = db::user::find_credentials(&state.pool, name.as_str());
            let again = verify_password(state, client, name, password, lookup).await?;
            let checked = Some(again.password_hash.as_str());
            let token = session::start(state, again.user_id, user_agent, checked, None).await?;
            return Ok((again.user_id, token));
        }
        other => other?,
    };
    Ok((verified.user_id, token))
}

/// Tells the password checks whether any account still has a bcrypt hash (imported from the
/// original app and not logged in since), so that, while one does, every login does the same
/// work (`Passwords::verify`). At startup and at every clean-up tick.
pub async fn note_bcrypt_hashes(state: &AppState) -> Result<(), AppError> {
    let is_in_use = db::user::has_bcrypt_hashes(&state.pool).await?;
    state.passwords.set_bcrypt_in_use(is_in_use).await
}

/// Checks the caller's own password (403 `Invalid Credentials` when wrong), counted by the same
/// throttle as logins to the account: a borrowed session cannot be used to guess it. The hash it
/// matched.
async fn confirm_password(
    state: &AppState,
    client: ClientKey,
    caller: &AuthSession,
    password: &str,
) -> Result<String, AppError> {
    let name = LoginName::parse(&caller.user.email, "password")?;
    let lookup = db::user::find_credentials_of(&state.pool, caller.user.id);
    let verified = verify_password(state, client, &name, password, lookup).await?;
    Ok(verified.password_hash)
}

/// Gives the caller a new display name: 422 for a bad one, 409 when another user has it.
#[tracing::instrument(skip_all, fields(user_id = caller.user.id))]
pub async fn rename(
    state: &AppState,
    caller: &AuthSession,
    change: &NameChange,
) -> Result<User, AppError> {
    let name = change.validate()?;
    db::user::rename(&state.pool, caller.user.id, &name)
        .await?
        .ok_or(AppError::InvalidToken)
}

/// Changes the caller's password: the current one is required (403 when wrong), the new one
/// follows the sign-up rule (422). Every other session of the account ends; the caller's own
/// goes on. Returns how many sessions ended.
#[tracing::instrument(skip_all, fields(user_id = caller.user.id))]
pub async fn change_password(
    state: &AppState,
    client: ClientKey,
    caller: &AuthSession,
    change: &PasswordChange,
) -> Result<u64, AppError> {
    let new_password = change.validate()?;
    let checked = confirm_password(state, client, caller, &change.current_password).await?;
    let hash = state.passwords.hash(new_password).await?;
    let user_id = caller.user.id;
    let mut tx = state.pool.begin().await?;
    // Sessions first, then the user row: the order a refresh and a deletion take them in.
    let live = db::session::lock_of_user(&mut tx, user_id, None, None).await?;
    if caller.session.is_some_and(|own| !live.contains(&own)) {
        // Ended meanwhile (by another password change, say): the caller is no longer in.
        return Err(AppError::InvalidToken);
    }
    if !db::user::replace_password_hash(&mut *tx, user_id, &checked, &hash).await? {
        // Changed meanwhile: the password the caller gave is no longer the current one.
        return Err(AppError::InvalidCredentials);
    }
    // Again: a login that verified the old password before the change may have added one.
    let ended = session::end_in(&mut tx, user_id, None, caller.session).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Deletes the caller's account once the password confirms it (403 when wrong): posts, votes and
/// every session go with it.
#[tracing::instrument(skip_all, fields(user_id = caller.user.id))]
pub async fn delete(
    state: &AppState,
    client: ClientKey,
    caller: &AuthSession,
    deletion: &AccountDeletion,
) -> Result<(), AppError> {
    let checked = confirm_password(state, client, caller, &deletion.password).await?;
    let mut tx = state.pool.begin().await?;
    // The sessions first, as a refresh takes them, before the user row: the deletion then waits
    // for a refresh in flight instead of deadlocking with it.
    db::session::lock_all_of_user(&mut tx, caller.user.id).await?;
    if !db::user::delete(&mut *tx, caller.user.id, &checked).await? {
        // The password changed meanwhile (or the user is already gone).
        return Err(AppError::InvalidCredentials);
    }
    tx.commit().await?;
    tracing::info!("account deleted");
    Ok(())
}
