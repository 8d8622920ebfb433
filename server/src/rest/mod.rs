//! The REST API of docs/api.md under `/api`: one router per resource, each documented with
//! utoipa so the OpenAPI document is generated from the very handlers that are routed
//! (utoipa-axum), plus the document itself and a Swagger UI served from the binary.

pub mod auth;
pub mod extract;
pub mod post;
pub mod session;
pub mod user;
pub mod vote;

use app::server::AppState;
use app::{AppError, FieldError};
use axum::Router;
use serde::Serialize;
use utoipa::openapi::security::{Flow, OAuth2, Password, Scopes, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// `{"detail": "..."}`: the body of every non-422 error.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub detail: String,
}

/// `{"detail": [{loc, msg, type}, ...]}`: the body of a 422.
#[derive(Serialize, ToSchema)]
pub struct ValidationErrorBody {
    pub detail: Vec<FieldError>,
}

struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        // OAuth2 password flow against /api/login: Swagger UI's Authorize button logs in with
        // an e-mail and password and then sends the bearer token.
        components.add_security_scheme(
            "OAuth2PasswordBearer",
            SecurityScheme::OAuth2(OAuth2::new([Flow::Password(Password::new(
                "/api/login",
                Scopes::new(),
            ))])),
        );
    }
}

/// The document's fixed parts; the paths come from the routers below.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Postboard API",
        description = "Posts, users, login and votes: a drop-in replacement for the FastAPI social media API."
    ),
    modifiers(&BearerSecurity),
    components(schemas(ErrorBody, ValidationErrorBody)),
    tags(
        (name = "users", description = "Accounts"),
        (name = "authentication", description = "Login, token refresh and logout"),
        (name = "sessions", description = "The caller's sessions: list them, end them"),
        (name = "posts", description = "Posts, newest first"),
        (name = "votes", description = "One vote per user and post"),
    )
)]
pub struct ApiDoc;

/// The API routes and their OpenAPI document, unsplit (tests read the document from here).
pub fn documented_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(
        "/api",
        OpenApiRouter::new()
            .merge(user::router())
            .merge(auth::router())
            .merge(session::router())
            .merge(post::router())
            .merge(vote::router()),
    )
}

/// `/api/*`: the REST routes, `/api/openapi.json`, `/api/docs`, and JSON 404/405 answers.
pub fn router() -> Router<AppState> {
    let (routes, openapi) = documented_router().split_for_parts();
    let api_fallbacks = Router::new()
        .route("/api", axum::routing::any(not_found))
        .route("/api/{*rest}", axum::routing::any(not_found));
    routes
        .method_not_allowed_fallback(method_not_allowed)
        .merge(SwaggerUi::new("/api/docs").url("/api/openapi.json", openapi))
        .merge(api_fallbacks)
}

async fn not_found() -> AppError {
    AppError::NotFound("Not Found".to_owned())
}

async fn method_not_allowed() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(ErrorBody {
            detail: "Method Not Allowed".to_owned(),
        }),
    )
        .into_response()
}
