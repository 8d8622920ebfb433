//! `/api/users`: sign up, look a user up, and "me".

use app::model::{Credentials, User};
use app::server::auth::{account, AuthUser, AuthUserId};
use app::server::{db, AppState};
use app::AppError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::rest::extract::{ApiJson, PathId};
use crate::rest::{ErrorBody, ValidationErrorBody};

/// The users router (tag `users`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user))
        .route("/users", axum::routing::post(create_user))
        .routes(routes!(current_user))
        .routes(routes!(get_user))
}

/// Sign up.
#[utoipa::path(
    post, path = "/users/", tag = "users",
    request_body = Credentials,
    responses(
        (status = 201, description = "Account created", body = User),
        (status = 409, description = "E-mail already registered", body = ErrorBody),
        (status = 422, description = "Invalid e-mail or password", body = ValidationErrorBody),
        (status = 429, description = "Too many sign-ups from this address; see Retry-After", body = ErrorBody),
    )
)]
pub async fn create_user(
    State(state): State<AppState>,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<User>), AppError> {
    let user = account::register(&state, &credentials).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// The caller's own account.
#[utoipa::path(
    get, path = "/users/me", tag = "users",
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "The caller", body = User),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
    )
)]
pub async fn current_user(AuthUser(user): AuthUser) -> Json<User> {
    Json(user)
}

/// Look a user up by id (requires a token: ids must not be walkable by strangers).
#[utoipa::path(
    get, path = "/users/{id}", tag = "users",
    params(("id" = i64, Path, description = "User id")),
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "The id is not an integer", body = ValidationErrorBody),
    )
)]
pub async fn get_user(
    State(state): State<AppState>,
    caller: AuthUserId,
    id: Result<PathId, AppError>,
) -> Result<Json<User>, AppError> {
    let PathId(id) = match id {
        Ok(id) => id,
        Err(invalid) => return Err(caller.rejecting(&state, invalid).await),
    };
    match db::user::find_seen_by(&state.pool, id, caller.id, caller.session).await? {
        Some(user) => Ok(Json(user)),
        // Missing, or the caller is gone (the statement cannot tell which).
        None => {
            let missing = AppError::NotFound(format!("User with id: {id} does not exist"));
            Err(caller.rejecting(&state, missing).await)
        }
    }
}
