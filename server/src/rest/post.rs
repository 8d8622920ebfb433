//! `/api/posts`: list, create, read, replace, update and delete posts.

use app::model::{NewPost, Post, PostChanges, PostOut, PostQuery, ValidChanges};
use app::server::auth::{AuthUser, AuthUserId};
use app::server::{db, AppState};
use app::{AppError, FieldErrors};
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::rest::extract::{ApiJson, Pairs, PathId};
use crate::rest::{ErrorBody, ValidationErrorBody};

/// The posts router (tag `posts`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_posts, create_post))
        .route("/posts", axum::routing::get(list_posts).post(create_post))
        .routes(routes!(get_post, replace_post, update_post, delete_post))
}

/// `limit` / `skip` / `before` / `search` from the query string, with 422s for non-integers,
/// negatives and a `skip` past its bound.
fn post_query(pairs: &Pairs) -> Result<PostQuery, AppError> {
    let mut errors = FieldErrors::default();
    let query = PostQuery {
        limit: pairs.integer("limit", app::model::page::DEFAULT_PAGE_SIZE, &mut errors),
        skip: pairs.integer("skip", 0, &mut errors),
        before: pairs.optional_integer("before", &mut errors),
        search: pairs.get("search").unwrap_or_default().to_owned(),
    };
    errors.into_result(())?;
    query.validate()
}

/// The feed: newest first, with vote counts; the caller's drafts included.
#[utoipa::path(
    get, path = "/posts/", tag = "posts",
    params(PostQuery),
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "A page of posts", body = Vec<PostOut>,
            headers(("Postboard-Search-Scope" = String,
                description = "`newest-2000` when a search looked among the newest 2,000 posts only"))),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 422, description = "Bad limit, skip, before or search", body = ValidationErrorBody),
    )
)]
pub async fn list_posts(
    State(state): State<AppState>,
    caller: AuthUserId,
    pairs: Pairs,
) -> Result<Response, AppError> {
    let query = post_query(&pairs)?;
    let listed = db::post::list(
        &state.pool,
        Some(caller.id),
        caller.session,
        &query.search,
        query.before,
        query.limit,
        query.skip,
        &state.search_pool,
    )
    .await?;
    // The statement returns nothing for a deleted user: only then is it worth asking.
    if listed.posts.is_empty() {
        caller.confirm(&state).await?;
    }
    let mut response = Json(listed.posts).into_response();
    if listed.bounded {
        response
            .headers_mut()
            .insert(SEARCH_SCOPE, HeaderValue::from_static(SEARCH_SCOPE_NEWEST));
    }
    Ok(response)
}

/// Says that a search answer comes from the newest posts only (docs/api.md, "Search").
const SEARCH_SCOPE: HeaderName = HeaderName::from_static("postboard-search-scope");
/// Its value: the newest `model::page::SHORT_SEARCH_SCOPE` posts.
const SEARCH_SCOPE_NEWEST: &str = "newest-2000";

/// Write a post.
#[utoipa::path(
    post, path = "/posts/", tag = "posts",
    request_body = NewPost,
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 201, description = "Created", body = Post),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 422, description = "Invalid title or content", body = ValidationErrorBody),
    )
)]
pub async fn create_post(
    State(state): State<AppState>,
    caller: AuthUserId,
    ApiJson(post): ApiJson<NewPost>,
) -> Result<(StatusCode, Json<Post>), AppError> {
    let post = post.validate()?;
    let created = db::post::insert(&state.pool, caller.id, caller.session, &post).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One post with its vote count.
#[utoipa::path(
    get, path = "/posts/{id}", tag = "posts",
    params(("id" = i64, Path, description = "Post id")),
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "The post", body = PostOut),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 422, description = "The id is not an integer", body = ValidationErrorBody),
    )
)]
pub async fn get_post(
    State(state): State<AppState>,
    caller: AuthUserId,
    PathId(id): PathId,
) -> Result<Json<PostOut>, AppError> {
    // None: missing, hidden, or the caller is gone (the statement cannot tell which; a 404 is
    // checked for the last, `middleware::authenticate_refusals`).
    db::post::find(&state.pool, id, Some(caller.id), caller.session)
        .await?
        .map(Json)
        .ok_or_else(|| db::post::not_found(id))
}

/// Replace a post; an omitted `published` becomes true. Owner only.
#[utoipa::path(
    put, path = "/posts/{id}", tag = "posts",
    params(("id" = i64, Path, description = "Post id")),
    request_body = NewPost,
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "Replaced", body = Post),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not the owner", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 422, description = "Invalid id, title or content", body = ValidationErrorBody),
    )
)]
pub async fn replace_post(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id): PathId,
    ApiJson(post): ApiJson<NewPost>,
) -> Result<Json<Post>, AppError> {
    let changes = ValidChanges::replacing(post.validate()?);
    let mut conn = state.pool.acquire().await?;
    Ok(Json(
        db::post::update(&mut conn, id, user.id, &changes).await?,
    ))
}

/// Change some of a post's fields. Owner only.
#[utoipa::path(
    patch, path = "/posts/{id}", tag = "posts",
    params(("id" = i64, Path, description = "Post id")),
    request_body = PostChanges,
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 200, description = "Updated", body = Post),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not the owner", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 422, description = "Invalid id, title or content", body = ValidationErrorBody),
    )
)]
pub async fn update_post(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id): PathId,
    ApiJson(changes): ApiJson<PostChanges>,
) -> Result<Json<Post>, AppError> {
    let changes = changes.validate()?;
    let mut conn = state.pool.acquire().await?;
    Ok(Json(
        db::post::update(&mut conn, id, user.id, &changes).await?,
    ))
}

/// Delete a post and its votes. Owner only.
#[utoipa::path(
    delete, path = "/posts/{id}", tag = "posts",
    params(("id" = i64, Path, description = "Post id")),
    security(("OAuth2PasswordBearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Missing or invalid token", body = ErrorBody),
        (status = 403, description = "Not the owner", body = ErrorBody),
        (status = 404, description = "No such post", body = ErrorBody),
        (status = 422, description = "The id is not an integer", body = ValidationErrorBody),
    )
)]
pub async fn delete_post(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    PathId(id): PathId,
) -> Result<StatusCode, AppError> {
    let mut conn = state.pool.acquire().await?;
    db::post::delete(&mut conn, id, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
