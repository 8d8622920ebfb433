//! `/api/vote`: add or remove the caller's vote on a post.

use app::model::{VoteInput, VoteOutcome};
use app::server::auth::AuthUserId;
use app::server::{db, AppState};
use app::AppError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::rest::extract::ApiJson;
use crate::rest::{ErrorBody, ValidationErrorBody};

/// The votes router (tag `votes`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(cast_vote))
        .route("/vote", axum::routing::post(cast_vote))
}

/// `dir` 1 adds the caller's vote, `dir` 0 removes it.
#[utoipa::path(
    post, path = "/vote/", tag = "votes",
    request_body = VoteInput,
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 201, description = "Vote added or removed", body = VoteOutcome),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such post, or no vote to remove", body = ErrorBody),
        (status = 409, description = "Already voted", body = ErrorBody),
        (status = 422, description = "Malformed body or dir not 0/1", body = ValidationErrorBody),
    )
)]
pub async fn cast_vote(
    State(state): State<AppState>,
    caller: AuthUserId,
    ApiJson(vote): ApiJson<VoteInput>,
) -> Result<(StatusCode, Json<VoteOutcome>), AppError> {
    let (post_id, direction) = (vote.post_id, vote.direction()?);
    let mut conn = state.pool.acquire().await?;
    db::vote::cast(&mut conn, caller.id, caller.session, post_id, direction).await?;
    Ok((
        StatusCode::CREATED,
        Json(VoteOutcome::for_direction(direction)),
    ))
}
