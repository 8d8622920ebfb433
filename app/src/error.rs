//! The one error type of Postboard. Server functions return it to the UI, REST handlers turn it
//! into the JSON bodies of docs/api.md, and the server-only conversions (database, status codes,
//! responses) live in the nested `ssr` module. Internal causes never leave the server: they are
//! logged where they are converted and replaced by a generic message.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What kind of problem a [`FieldError`] reports: the `type` of FastAPI's (pydantic's) 422
/// entries, so clients of the original app can keep matching on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorKind {
    /// A required field, or the whole body, is absent.
    Missing,
    /// The value is there but breaks a rule that has no kind of its own (an e-mail's form,
    /// undecodable text, arguments that could not be decoded).
    ValueError,
    /// Text shorter than its minimum.
    StringTooShort,
    /// Text longer than its maximum.
    StringTooLong,
    /// Text holding characters it may not (NUL), or not the one value allowed.
    StringPatternMismatch,
    /// A JSON value that should have been a string.
    StringType,
    /// A JSON value that should have been a boolean.
    BoolType,
    /// A JSON value that should have been an integer.
    IntType,
    /// Text (a path or query parameter) that is not an integer.
    IntParsing,
    /// Text (a path parameter) that is not a UUID.
    UuidParsing,
    /// A number below its minimum.
    GreaterThanEqual,
    /// A number above its maximum (a `skip` past the bound, where the cursor takes over).
    LessThanEqual,
    /// A value outside the few that are allowed (a vote's `dir`).
    LiteralError,
    /// A body that is not valid JSON.
    JsonInvalid,
    /// A JSON body that is not an object.
    ModelAttributesType,
    /// A value that clashes with stored data (409: an e-mail taken, a vote already cast).
    Conflict,
}

/// One problem with one input, in the shape FastAPI uses for 422 bodies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Where the problem is: `["body", "title"]`, `["query", "limit"]`, `["path", "id"]`.
    pub loc: Vec<String>,
    /// A sentence for a person.
    pub msg: String,
    /// A stable machine-readable kind, e.g. `missing`, `string_too_long`, `int_parsing`.
    #[serde(rename = "type")]
    pub kind: FieldErrorKind,
}

impl FieldError {
    /// A problem with a field of the request body.
    pub fn body(field: &str, kind: FieldErrorKind, msg: impl Into<String>) -> Self {
        Self::at(&["body", field], kind, msg)
    }

    /// A problem at an arbitrary location.
    pub fn at(loc: &[&str], kind: FieldErrorKind, msg: impl Into<String>) -> Self {
        Self {
            loc: loc.iter().map(|part| (*part).to_owned()).collect(),
            msg: msg.into(),
            kind,
        }
    }

    /// The field the problem belongs to: the last element of `loc`.
    pub fn field(&self) -> &str {
        self.loc.last().map(String::as_str).unwrap_or_default()
    }
}

/// Every problem found in one input, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// Records a problem.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The messages recorded for one field, for showing under its input.
    pub fn messages_for<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |error| error.field() == field)
            .map(|error| error.msg.as_str())
    }

    /// `Ok(value)` when nothing was recorded, else a validation error.
    pub fn into_result<T>(self, value: T) -> Result<T, AppError> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(AppError::Validation(self))
        }
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

/// A single broken rule is a 422.
impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        Self::Validation(error.into())
    }
}

/// Everything that can go wrong in a request, as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 422: the input broke one or more rules.
    #[error("the request is not valid")]
    Validation(FieldErrors),
    /// 401: no credential was presented.
    #[error("Not authenticated")]
    NotAuthenticated,
    /// 401: a credential was presented but is forged, expired, malformed or for a deleted user.
    #[error("Could not validate credentials")]
    InvalidToken,
    /// 403: login with an unknown e-mail or a wrong password (deliberately indistinguishable).
    #[error("Invalid Credentials")]
    InvalidCredentials,
    /// 403: authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: the thing does not exist, or is not visible to the caller.
    #[error("{0}")]
    NotFound(String),
    /// 409: the request conflicts with the current state (e-mail taken, already voted).
    #[error("{}", .0.0.first().map(|error| error.msg.as_str()).unwrap_or("conflict"))]
    Conflict(FieldErrors),
    /// 413: the request body is larger than the server accepts.
    #[error("Request body too large")]
    PayloadTooLarge,
    /// 415: a JSON body sent with the session cookie but not as `application/json` (the
    /// content type a cross-site form cannot send).
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// 429: too many attempts; try again after this many seconds.
    #[error("Too many requests, try again in {retry_after} seconds")]
    RateLimited { retry_after: u64 },
    /// 503: the database cannot be reached right now.
    #[error("The service is temporarily unavailable, please try again shortly")]
    Unavailable,
    /// 500: something failed on the server; the cause is in the server's log, not here.
    #[error("Internal server error")]
    Internal,
    /// The request never got an answer from the server (offline, timeout, bad response). Only
    /// produced in the browser.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// A 409 tied to one body field, so the UI can show it under that input.
    pub fn conflict(field: &str, msg: impl Into<String>) -> Self {
        Self::Conflict(FieldError::body(field, FieldErrorKind::Conflict, msg).into())
    }

    /// A 422 for one body field.
    pub fn invalid(field: &str, kind: FieldErrorKind, msg: impl Into<String>) -> Self {
        Self::Validation(FieldError::body(field, kind, msg).into())
    }

    /// The field errors this error carries, if any (validation and conflicts).
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            Self::Validation(errors) | Self::Conflict(errors) => Some(errors),
            _ => None,
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::Validation(_) => 422,
            Self::NotAuthenticated | Self::InvalidToken => 401,
            Self::InvalidCredentials | Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited { .. } => 429,
            Self::Unavailable => 503,
            Self::Internal => 500,
            Self::Transport(_) => 502,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that could not even be decoded, or are absent, are the caller's mistake:
            // a 422 like the REST twin's (server/src/middleware.rs gives the response its status).
            ServerFnErrorErr::Args(msg) => {
                Self::Validation(FieldError::at(&["body"], FieldErrorKind::ValueError, msg).into())
            }
            ServerFnErrorErr::MissingArg(msg) => {
                Self::Validation(FieldError::at(&["body"], FieldErrorKind::Missing, msg).into())
            }
            // On the server, a request body that could not be read or decoded (not UTF-8, too
            // large); in the browser, an answer that could not be, which is a transport problem.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(msg) | ServerFnErrorErr::Request(msg) => {
                Self::Validation(FieldError::at(&["body"], FieldErrorKind::ValueError, msg).into())
            }
            other => Self::Transport(other.to_string()),
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::Json;
    use serde_json::json;

    impl AppError {
        /// Maps a database error, logging its cause. A database that cannot be reached, is
        /// shutting down or starting up, or a connection pool that is exhausted is 503
        /// (retryable); everything else is an opaque 500.
        pub fn from_db(error: sqlx::Error) -> Self {
            let unavailable = match &error {
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => true,
                // SQLSTATE class 08 (connection exception) and 57P (admin shutdown, crash
                // shutdown, cannot connect now: the database is stopping or starting), and
                // 57014: a statement that ran past DATABASE_STATEMENT_TIMEOUT_MS (the server is
                // too busy for it now; it holds its connection no longer).
                sqlx::Error::Database(database) => database.code().is_some_and(|code| {
                    code.starts_with("08") || code.starts_with("57P") || code == "57014"
                }),
                _ => false,
            };
            if unavailable {
                tracing::warn!(error = %error, "database unavailable");
                Self::Unavailable
            } else {
                Self::internal(error)
            }
        }

        /// An internal error: the cause chain goes to the log, the client gets nothing of it.
        pub fn internal(cause: impl std::error::Error) -> Self {
            let mut chain = cause.to_string();
            let mut source = cause.source();
            while let Some(inner) = source {
                chain.push_str(": ");
                chain.push_str(&inner.to_string());
                source = inner.source();
            }
            tracing::error!(cause = %chain, "internal error");
            Self::Internal
        }

        /// The response status as an axum type.
        pub fn status(&self) -> StatusCode {
            StatusCode::from_u16(self.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }

        /// Whether the response must carry a `WWW-Authenticate: Bearer` challenge.
        pub fn is_unauthorized(&self) -> bool {
            matches!(self, Self::NotAuthenticated | Self::InvalidToken)
        }
    }

    impl From<sqlx::Error> for AppError {
        fn from(error: sqlx::Error) -> Self {
            Self::from_db(error)
        }
    }

    /// The REST shape of docs/api.md: `{"detail": "..."}`, or for 422 a list of `{loc, msg, type}`.
    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = self.status();
            let body = match &self {
                Self::Validation(errors) => json!({ "detail": errors.0 }),
                other => json!({ "detail": other.to_string() }),
            };
            let mut response = (status, Json(body)).into_response();
            let headers = response.headers_mut();
            if self.is_unauthorized() {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            if let Self::RateLimited { retry_after } = self {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_maps_to_the_status_of_the_contract() {
        let cases = [
            (
                AppError::invalid("title", FieldErrorKind::Missing, "Field required"),
                422,
            ),
            (AppError::NotAuthenticated, 401),
            (AppError::InvalidToken, 401),
            (AppError::InvalidCredentials, 403),
            (AppError::Forbidden("no".into()), 403),
            (AppError::NotFound("gone".into()), 404),
            (AppError::conflict("email", "taken"), 409),
            (AppError::PayloadTooLarge, 413),
            (AppError::UnsupportedMediaType, 415),
            (AppError::RateLimited { retry_after: 3 }, 429),
            (AppError::Unavailable, 503),
            (AppError::Internal, 500),
        ];
        for (error, status) in cases {
            assert_eq!(error.status_code(), status, "{error:?}");
        }
    }

    #[test]
    fn error_kinds_are_written_as_pydantic_writes_them() {
        let error = FieldError::at(&["query", "limit"], FieldErrorKind::IntParsing, "no");
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["type"], "int_parsing");
        assert_eq!(
            serde_json::to_value(FieldErrorKind::ModelAttributesType).unwrap(),
            "model_attributes_type"
        );
    }

    #[test]
    fn a_conflict_displays_its_first_message() {
        assert_eq!(AppError::conflict("email", "taken").to_string(), "taken");
    }

    #[test]
    fn field_messages_are_found_by_the_last_element_of_their_location() {
        let mut errors = FieldErrors::default();
        errors.push(FieldError::body(
            "title",
            FieldErrorKind::Missing,
            "Field required",
        ));
        errors.push(FieldError::body(
            "content",
            FieldErrorKind::Missing,
            "Field required",
        ));
        assert_eq!(
            errors.messages_for("title").collect::<Vec<_>>(),
            ["Field required"]
        );
    }
}
