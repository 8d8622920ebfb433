//! `/api/login`, `/api/token/refresh`, `/api/logout`.

use app::model::{LoginName, Token};
use app::server::auth::throttle::ClientKey;
use app::server::auth::{account, session};
use app::server::AppState;
use app::{AppError, FieldError, FieldErrorKind, FieldErrors};
use axum::extract::{Request, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::rest::extract::{read_body, ApiJson, Pairs};
use crate::rest::{ErrorBody, ValidationErrorBody};

/// The authentication router (tag `authentication`).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh_token))
        .routes(routes!(logout))
}

/// The OAuth2 password form (`application/x-www-form-urlencoded`).
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)] // Read field by field from the form; the struct documents it.
pub struct LoginForm {
    /// The e-mail address (at most 254 characters, checked before anything is looked up).
    #[schema(max_length = 254)]
    username: String,
    password: String,
    /// If present, must be `password`.
    #[schema(pattern = "^password$")]
    grant_type: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// An answer that carries tokens: no cache may keep it (RFC 6749, section 5.1).
type TokenAnswer = ([(HeaderName, HeaderValue); 1], Json<Token>);

fn token_answer(token: Token) -> TokenAnswer {
    (
        [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(token),
    )
}

/// A refresh token presented for rotation or logout.
#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Log in with the OAuth2 password form: `username` is the e-mail.
#[utoipa::path(
    post, path = "/login", tag = "authentication",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Logged in", body = Token),
        (status = 403, description = "Invalid Credentials", body = ErrorBody),
        (status = 422, description = "Missing field, or not a form", body = ValidationErrorBody),
        (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    request: Request,
) -> Result<TokenAnswer, AppError> {
    let client = ClientKey::of_extensions(request.extensions());
    let user_agent = session::user_agent(request.headers());
    let form = Pairs::parse(&read_body(request, &state).await?, "body")?;
    let mut errors = FieldErrors::default();
    let username = form.required("username", &mut errors);
    let password = form.required("password", &mut errors);
    if form
        .get("grant_type")
        .is_some_and(|grant| grant != "password")
    {
        errors.push(FieldError::body(
            "grant_type",
            FieldErrorKind::StringPatternMismatch,
            "String should match pattern '^password$'",
        ));
    }
    let (Some(username), Some(password)) = (username, password) else {
        return Err(AppError::Validation(errors));
    };
    errors.into_result(())?;
    let name = LoginName::parse(&username, "username")?;
    let (_, token) = account::login(&state, client, &name, &password, &user_agent).await?;
    Ok(token_answer(token))
}

/// Exchange a refresh token for a new pair; the old one stops working. Presenting a token that
/// was already exchanged revokes every token of its session.
#[utoipa::path(
    post, path = "/token/refresh", tag = "authentication",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = Token),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token", body = ErrorBody),
        (status = 422, description = "Malformed body", body = ValidationErrorBody),
    )
)]
pub async fn refresh_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<TokenAnswer, AppError> {
    let user_agent = session::user_agent(&headers);
    let (token, _) = session::refresh(&state, &body.refresh_token, &user_agent).await?;
    Ok(token_answer(token))
}

/// Revoke the session a refresh token belongs to. Idempotent.
#[utoipa::path(
    post, path = "/logout", tag = "authentication",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Logged out"),
        (status = 422, description = "Malformed body", body = ValidationErrorBody),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    session::end(&state, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
