//! Sessions: an access token plus a rotating refresh token. A login starts a token family; every
//! refresh consumes the presented token and issues the next one in the family. The token
//! exchanged last may be presented again for `REFRESH_REUSE_GRACE_SECONDS` (two tabs renewing
//! at once, a retry after a lost answer) and gets another successor; any other token that was
//! already consumed means it was copied, so the whole family is revoked. Logout revokes the
//! family, and the session's access tokens (which name it, claim `sid`) stop working with it. The
//! browser carries both tokens in HttpOnly cookies built here.

use axum_extra::extract::cookie::{Cookie, SameSite};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use axum::http::header::USER_AGENT;
use axum::http::HeaderMap;
use sqlx::PgConnection;

use crate::error::AppError;
use crate::model::{ActiveSession, Token};
use crate::server::auth::AuthUserId;
use crate::server::config::Config;
use crate::server::db;
use crate::server::state::AppState;

/// The cookie names for this deployment: `__Host-` names need `Secure`, so plain http (local
/// development) gets unprefixed names.
pub fn cookie_names(config: &Config) -> (&'static str, &'static str) {
    if config.secure_cookies {
        ("__Host-pb_access", "__Host-pb_refresh")
    } else {
        ("pb_access", "pb_refresh")
    }
}

/// Whether a cookie of this name carries a session, in either naming (`COOKIE_SECURE` or not).
pub fn is_session_cookie(name: &str) -> bool {
    matches!(
        name.trim_start_matches("__Host-"),
        "pb_access" | "pb_refresh"
    )
}

/// A fresh opaque refresh token: 256 random bits, URL-safe.
fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores instead of the token.
pub fn hash_refresh_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn refresh_expiry(state: &AppState) -> chrono::DateTime<chrono::Utc> {
    let ttl = chrono::Duration::from_std(state.config.refresh_token_ttl)
        .unwrap_or(chrono::Duration::days(30));
    chrono::Utc::now() + ttl
}

fn token_pair(
    state: &AppState,
    user_id: i64,
    session: Uuid,
    refresh_token: String,
) -> Result<Token, AppError> {
    Ok(Token {
        access_token: state.jwt.issue(user_id, session)?,
        token_type: "bearer".to_owned(),
        refresh_token,
        expires_in: state.jwt.ttl_seconds(),
    })
}

/// The longest `User-Agent` a session keeps, in characters.
const MAX_USER_AGENT_LEN: usize = 200;

/// The client's `User-Agent`, as the account page lists it beside the session: printable
/// characters only, at most `MAX_USER_AGENT_LEN` of them; empty when none was sent.
pub fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER_AGENT_LEN)
        .collect()
}

/// Starts a new session (a new token family) for a user who just proved who they are, from the
/// client `user_agent`. `checked` is the password hash the password was verified against: if it
/// changed meanwhile (a password change ends every other session), no session starts (403), so
/// that a login racing the change cannot keep a session the change did not see. `None` for an
/// account created a moment ago. `upgrade` replaces the checked hash in the same transaction
/// (a bcrypt hash from the original app becomes argon2id at its first login).
pub async fn start(
    state: &AppState,
    user_id: i64,
    user_agent: &str,
    checked: Option<&str>,
    upgrade: Option<&str>,
) -> Result<Token, AppError> {
    let refresh_token = new_refresh_token();
    let session = Uuid::new_v4();
    let mut tx = state.pool.begin().await?;
    if let Some(checked) = checked {
        let is_held = match upgrade {
            Some(new_hash) => {
                db::user::replace_password_hash(&mut *tx, user_id, checked, new_hash).await?
            }
            None => db::user::hold_password(&mut tx, user_id, checked).await?,
        };
        if !is_held {
            return Err(AppError::InvalidCredentials);
        }
    }
    db::session::insert(&mut *tx, session, user_id, user_agent).await?;
    db::token::insert(
        &mut *tx,
        &hash_refresh_token(&refresh_token),
        session,
        user_id,
        refresh_expiry(state),
    )
    .await?;
    tx.commit().await?;
    token_pair(state, user_id, session, refresh_token)
}

/// The refresh token that follows `presented`: an HMAC of it under the server's secret, so that
/// the exchange is deterministic. A retried exchange (two tabs, an answer lost) gets the very
/// token the first one issued, and a session never forks into two live chains.
fn successor_of(state: &AppState, presented: &str) -> Result<String, AppError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.config.jwt_secret.expose().as_bytes())
        .map_err(AppError::internal)?;
    mac.update(b"postboard refresh successor\0");
    mac.update(presented.as_bytes());
    Ok(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// Exchanges a refresh token for a new pair. An unknown, expired or revoked token is 401. The
/// token exchanged last in its session may come again within the grace period and gets the
/// same successor as before; any other token that was already exchanged revokes its session
/// and is 401 too. Runs under the session's lock, so a logout cannot miss a successor that a
/// concurrent exchange is inserting.
/// `user_agent` is the client's, recorded as the session's latest.
pub async fn refresh(
    state: &AppState,
    refresh_token: &str,
    user_agent: &str,
) -> Result<(Token, i64), AppError> {
    let hash = hash_refresh_token(refresh_token);
    let mut tx = state.pool.begin().await?;
    db::session::lock_by_token(&mut tx, &hash).await?;
    let grace = state.config.refresh_reuse_grace;
    let consumed = db::token::consume(&mut tx, &hash, grace).await?;
    let next = successor_of(state, refresh_token)?;
    let (user_id, family_id) = match consumed {
        db::token::Consumed::Fresh { user_id, family_id } => {
            db::token::insert(
                &mut *tx,
                &hash_refresh_token(&next),
                family_id,
                user_id,
                refresh_expiry(state),
            )
            .await?;
            (user_id, family_id)
        }
        // The successor was stored by the first exchange.
        db::token::Consumed::Retried { user_id, family_id } => (user_id, family_id),
        db::token::Consumed::Reused { family_id } => {
            db::token::revoke_family(&mut *tx, family_id).await?;
            tx.commit().await?;
            tracing::warn!(%family_id, "refresh token reused: family revoked");
            return Err(AppError::InvalidToken);
        }
        db::token::Consumed::Invalid => return Err(AppError::InvalidToken),
    };
    db::session::touch(&mut *tx, family_id, user_agent).await?;
    tx.commit().await?;
    Ok((token_pair(state, user_id, family_id, next)?, user_id))
}

/// Ends the session the refresh token belongs to. Unknown tokens are ignored: logging out twice
/// is not an error.
pub async fn end(state: &AppState, refresh_token: &str) -> Result<(), AppError> {
    let hash = hash_refresh_token(refresh_token);
    let mut tx = state.pool.begin().await?;
    db::session::lock_by_token(&mut tx, &hash).await?;
    db::token::revoke_by_token(&mut *tx, &hash).await?;
    tx.commit().await?;
    Ok(())
}

/// The caller's live sessions, most recently used first.
pub async fn list(state: &AppState, caller: AuthUserId) -> Result<Vec<ActiveSession>, AppError> {
    let sessions = db::session::list_live(&state.pool, caller.id, caller.session).await?;
    // The statement finds nothing for a caller whose own session has ended.
    if sessions.is_empty() {
        caller.confirm(state).await?;
    }
    Ok(sessions)
}

/// Ends sessions of a user inside `tx`: the one with id `only`, or (when `only` is `None`)
/// every one but `keep`. Returns how many live sessions ended.
pub async fn end_in(
    tx: &mut PgConnection,
    user_id: i64,
    only: Option<Uuid>,
    keep: Option<Uuid>,
) -> Result<u64, AppError> {
    let locked = db::session::lock_of_user(tx, user_id, only, keep).await?;
    db::token::revoke_families(&mut *tx, &locked).await
}

/// Ends one of the user's sessions (the caller's own included): 404 when the user has no live
/// session with this id.
pub async fn end_one(state: &AppState, user_id: i64, id: Uuid) -> Result<(), AppError> {
    let mut tx = state.pool.begin().await?;
    let ended = end_in(&mut tx, user_id, Some(id), None).await?;
    tx.commit().await?;
    if ended == 0 {
        return Err(AppError::NotFound("Session not found".to_owned()));
    }
    Ok(())
}

/// Ends every session of the user but `keep` (all of them when `None`); how many ended.
pub async fn end_others(
    state: &AppState,
    user_id: i64,
    keep: Option<Uuid>,
) -> Result<u64, AppError> {
    let mut tx = state.pool.begin().await?;
    let ended = end_in(&mut tx, user_id, None, keep).await?;
    tx.commit().await?;
    Ok(ended)
}

fn build_cookie(
    config: &Config,
    name: &'static str,
    value: String,
    max_age_secs: i64,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies)
        .max_age(::cookie::time::Duration::seconds(max_age_secs))
        .build()
}

/// The two cookies that carry a session to the browser.
pub fn session_cookies(config: &Config, token: &Token) -> [Cookie<'static>; 2] {
    let (access, refresh) = cookie_names(config);
    let refresh_ttl = i64::try_from(config.refresh_token_ttl.as_secs()).unwrap_or(i64::MAX);
    [
        build_cookie(config, access, token.access_token.clone(), token.expires_in),
        build_cookie(config, refresh, token.refresh_token.clone(), refresh_ttl),
    ]
}

/// Cookies that make the browser forget the session.
pub fn cleared_cookies(config: &Config) -> [Cookie<'static>; 2] {
    let (access, refresh) = cookie_names(config);
    [
        build_cookie(config, access, String::new(), 0),
        build_cookie(config, refresh, String::new(), 0),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_carry_256_random_bits_and_are_stored_hashed() {
        let token = new_refresh_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 32);
        assert_ne!(token, new_refresh_token());
        let hash = hash_refresh_token(&token);
        assert_eq!(hash.len(), 32, "a SHA-256 digest");
        assert_eq!(
            hash,
            hash_refresh_token(&token),
            "a token finds its own row"
        );
        assert_ne!(hash, hash_refresh_token(&new_refresh_token()));
        // Same length as the token once encoded, so this comparison can fail.
        assert_ne!(
            URL_SAFE_NO_PAD.encode(&hash),
            token,
            "the token is not stored"
        );
    }
}
