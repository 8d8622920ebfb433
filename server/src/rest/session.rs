//! `/api/sessions`: the caller's live sessions (one a login), and ending them.

use app::model::ActiveSession;
use app::server::auth::{session, AuthSession, AuthUserId};
use app::server::AppState;
use app::AppError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::rest::extract::PathUuid;
use crate::rest::{ErrorBody, ValidationErrorBody};

/// The sessions router (tag `sessions`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_sessions, end_other_sessions))
        .route(
            "/sessions/",
            axum::routing::get(list_sessions).delete(end_other_sessions),
        )
        .routes(routes!(end_session))
}

/// How many sessions a request ended.
#[derive(Serialize, ToSchema)]
pub struct Ended {
    pub ended: u64,
}

/// The caller's live sessions, most recently used first; `current` marks the one the request
/// was made in.
#[utoipa::path(
    get, path = "/sessions", tag = "sessions",
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "The live sessions", body = Vec<ActiveSession>),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    )
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: AuthUserId,
) -> Result<Json<Vec<ActiveSession>>, AppError> {
    Ok(Json(session::list(&state, caller).await?))
}

/// End every session of the caller's but the one the request was made in (all of them for a
/// token that names no session, as the original app's do).
#[utoipa::path(
    delete, path = "/sessions", tag = "sessions",
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "How many sessions ended", body = Ended),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    )
)]
pub async fn end_other_sessions(
    State(state): State<AppState>,
    caller: AuthSession,
) -> Result<Json<Ended>, AppError> {
    let ended = session::end_others(&state, caller.user.id, caller.session).await?;
    Ok(Json(Ended { ended }))
}

/// End one of the caller's sessions (this one included): its refresh token and its access
/// tokens stop working at once.
#[utoipa::path(
    delete, path = "/sessions/{id}", tag = "sessions",
    params(("id" = String, Path, format = "uuid", description = "Session id")),
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "The caller has no live session with this id", body = ErrorBody),
        (status = 422, description = "The id is not a UUID", body = ValidationErrorBody),
    )
)]
pub async fn end_session(
    State(state): State<AppState>,
    caller: AuthSession,
    PathUuid(id): PathUuid,
) -> Result<StatusCode, AppError> {
    session::end_one(&state, caller.user.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
