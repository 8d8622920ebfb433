//! `/api/users`: sign up, look a user up, and "me": read, rename, change the password, delete.

use app::model::{AccountDeletion, Credentials, NameChange, PasswordChange, User};
use app::server::auth::throttle::ClientKey;
use app::server::auth::{account, AuthSession, AuthUser, AuthUserId};
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
        .routes(routes!(
            current_user,
            rename_current_user,
            delete_current_user
        ))
        .routes(routes!(change_password))
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

/// Change the caller's display name.
#[utoipa::path(
    patch, path = "/users/me", tag = "users",
    request_body = NameChange,
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "The caller, renamed", body = User),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 409, description = "Another user has this name", body = ErrorBody),
        (status = 415, description = "Cookie-authenticated, and not sent as application/json", body = ErrorBody),
        (status = 422, description = "Invalid name, or malformed body", body = ValidationErrorBody),
    )
)]
pub async fn rename_current_user(
    State(state): State<AppState>,
    caller: AuthSession,
    ApiJson(change): ApiJson<NameChange>,
) -> Result<Json<User>, AppError> {
    Ok(Json(account::rename(&state, &caller, &change).await?))
}

/// Change the caller's password. The current one is required; every other session of the
/// account ends (this one goes on).
#[utoipa::path(
    post, path = "/users/me/password", tag = "users",
    request_body = PasswordChange,
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 204, description = "Changed; the other sessions are ended"),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "The current password is wrong", body = ErrorBody),
        (status = 415, description = "Cookie-authenticated, and not sent as application/json", body = ErrorBody),
        (status = 422, description = "Weak new password, or malformed body", body = ValidationErrorBody),
        (status = 429, description = "Too many wrong passwords; see Retry-After", body = ErrorBody),
    )
)]
pub async fn change_password(
    State(state): State<AppState>,
    client: ClientKey,
    caller: AuthSession,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<StatusCode, AppError> {
    account::change_password(&state, client, &caller, &change).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete the caller's account, confirmed by its password: the user's posts, votes and
/// sessions are deleted with it.
#[utoipa::path(
    delete, path = "/users/me", tag = "users",
    request_body = AccountDeletion,
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "The password is wrong", body = ErrorBody),
        (status = 415, description = "Cookie-authenticated, and not sent as application/json", body = ErrorBody),
        (status = 422, description = "Missing password, or malformed body", body = ValidationErrorBody),
        (status = 429, description = "Too many wrong passwords; see Retry-After", body = ErrorBody),
    )
)]
pub async fn delete_current_user(
    State(state): State<AppState>,
    client: ClientKey,
    caller: AuthSession,
    ApiJson(deletion): ApiJson<AccountDeletion>,
) -> Result<StatusCode, AppError> {
    account::delete(&state, client, &caller, &deletion).await?;
    Ok(StatusCode::NO_CONTENT)
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
    PathId(id): PathId,
) -> Result<Json<User>, AppError> {
    // None: missing, or the caller is gone (the statement cannot tell which; a 404 is checked
    // for the latter, `middleware::authenticate_refusals`).
    db::user::find_seen_by(&state.pool, id, caller.id, caller.session)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("User with id: {id} does not exist")))
}
