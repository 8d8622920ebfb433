//! Who is calling. REST clients send `Authorization: Bearer <jwt>`; the browser sends the access
//! cookie. The header wins when both are present. A credential that is present but invalid is
//! always an error, never a silent fall-back to anonymous.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum_extra::extract::cookie::CookieJar;

use crate::error::AppError;
use crate::model::User;
use crate::server::auth::session::cookie_names;
use crate::server::db;
use crate::server::state::AppState;

/// The credential a request carries, before it is checked.
enum Credential {
    None,
    Bearer(String),
}

fn credential(state: &AppState, parts: &Parts) -> Credential {
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        // A scheme other than Bearer is no credential at all (FastAPI's OAuth2PasswordBearer
        // answers it with "Not authenticated").
        let value = header.to_str().unwrap_or_default().trim();
        return match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                Credential::Bearer(token.trim().to_owned())
            }
            _ => Credential::None,
        };
    }
    let (access_cookie, _) = cookie_names(&state.config);
    CookieJar::from_headers(&parts.headers)
        .get(access_cookie)
        .map(|cookie| cookie.value().to_owned())
        .filter(|token| !token.is_empty())
        .map_or(Credential::None, Credential::Bearer)
}

/// The caller, if any credential was presented. `Err(InvalidToken)` when the credential is
/// forged, expired, malformed, or names a user who no longer exists.
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<Option<User>, AppError> {
    Ok(authenticate_session(state, parts)
        .await?
        .map(|caller| caller.user))
}

/// `authenticate`, with the session the credential names.
pub async fn authenticate_session(
    state: &AppState,
    parts: &Parts,
) -> Result<Option<AuthSession>, AppError> {
    let Credential::Bearer(token) = credential(state, parts) else {
        return Ok(None);
    };
    let claims = state.jwt.verify(&token)?;
    match db::user::find_live(&state.pool, claims.user_id, claims.sid).await? {
        Some(user) => Ok(Some(AuthSession {
            user,
            session: claims.sid,
        })),
        None => Err(AppError::InvalidToken),
    }
}

/// The id the request's credential names, if it carries one, checked without touching the
/// database (see `AuthUserId`). `Err(InvalidToken)` when the credential is forged, expired or
/// malformed. Marks the request's `UncheckedCaller`, if it has one.
pub fn identify(state: &AppState, parts: &Parts) -> Result<Option<AuthUserId>, AppError> {
    if let Some(unchecked) = parts.extensions.get::<UncheckedCaller>() {
        unchecked.0.store(true, Ordering::Relaxed);
    }
    match credential(state, parts) {
        Credential::Bearer(token) => {
            let claims = state.jwt.verify(&token)?;
            Ok(Some(AuthUserId {
                id: claims.user_id,
                session: claims.sid,
            }))
        }
        Credential::None => Ok(None),
    }
}

/// Whether a request's handler identified its caller without the database (`identify`), so that
/// the server checks that caller when the handler refuses the request
/// (`server::middleware::authenticate_refusals`). The server puts one in each request it wants
/// to know about; clones share the answer.
#[derive(Debug, Clone, Default)]
pub struct UncheckedCaller(Arc<AtomicBool>);

impl UncheckedCaller {
    /// Whether `identify` ran for the request.
    pub fn was_identified(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// A handler argument that requires a valid credential (401 otherwise).
#[derive(Debug, Clone)]
pub struct AuthUser(pub User);

/// A handler argument for the account routes: the caller, checked against the database before
/// the body is read (so a 401 always comes before a 422), and the session the credential names
/// (`None` for a token minted by the original app).
#[derive(Debug, Clone)]
pub struct AuthSession {
    pub user: User,
    pub session: Option<uuid::Uuid>,
}

/// The caller of a route or server function whose own statement proves the caller still exists:
/// the id a valid token names, checked without touching the database, so that the request takes
/// one statement instead of two. REST handlers take it as an argument; server functions get it
/// from `identify`.
/// "Still a user" also means "in a session that has not ended": every such statement checks the
/// session too (`live_viewer`, migrations/0009).
/// - Writes learn that the user is gone, or the session over, from the statement itself, and
///   answer `AppError::InvalidToken`.
/// - Lists get nothing back for such a viewer, and call `AuthUserId::confirm` when that
///   happens, to tell a deleted user or an ended session (401) from an empty page.
/// - A request refused before its statement runs (a malformed body, query or path: 422), or a
///   read that found nothing (404), is checked by the server, in one place, before it is
///   answered (`server::middleware::authenticate_refusals`).
#[derive(Debug, Clone, Copy)]
pub struct AuthUserId {
    /// The user the token names.
    pub id: i64,
    /// The session it was issued for; `None` for a token minted by the original app.
    pub session: Option<uuid::Uuid>,
}

impl AuthUserId {
    /// Checks that the user still exists and the session is live: 401 `InvalidToken` if not.
    pub async fn confirm(self, state: &AppState) -> Result<(), AppError> {
        match db::user::find_live(&state.pool, self.id, self.session).await? {
            Some(_) => Ok(()),
            None => Err(AppError::InvalidToken),
        }
    }
}

impl<S> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = AuthSession::from_request_parts(parts, state).await?;
        Ok(AuthUser(caller.user))
    }
}

impl<S> FromRequestParts<S> for AuthUserId
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        identify(&state, parts)?.ok_or(AppError::NotAuthenticated)
    }
}

impl<S> FromRequestParts<S> for AuthSession
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        authenticate_session(&state, parts)
            .await?
            .ok_or(AppError::NotAuthenticated)
    }
}
