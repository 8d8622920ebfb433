//! Extractors for the REST API whose rejections are the API's own errors: 422 with FastAPI's
//! `{loc, msg, type}` entries for a malformed body, path id or query number (Axum's defaults
//! would be 400/415 with plain-text bodies), 413 for an oversized body.

use app::server::auth::session;
use app::{AppError, FieldError, FieldErrorKind, FieldErrors};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum_extra::extract::cookie::CookieJar;
use serde::de::DeserializeOwned;

/// A JSON body. With a bearer token, or no credential, it is parsed whatever the `Content-Type`
/// says (as FastAPI does), so a client that forgets the header still gets a useful answer. A
/// request that carries the session cookie instead must say `application/json` (415 otherwise):
/// a page on another site can send `text/plain` with the visitor's cookies, but not that.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if is_cookie_authenticated(request.headers()) && !is_json(request.headers()) {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = read_body(request, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Whether the request would be authenticated by a session cookie (no `Authorization` header,
/// and a cookie of either name, with or without the `__Host-` prefix).
fn is_cookie_authenticated(headers: &HeaderMap) -> bool {
    !headers.contains_key(AUTHORIZATION)
        && CookieJar::from_headers(headers)
            .iter()
            .any(|cookie| session::is_session_cookie(cookie.name()))
}

/// Whether the body is declared `application/json` (parameters such as a charset allowed).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The raw body, or 413 when it is over the limit.
pub async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge
            } else {
                AppError::Validation(
                    FieldError::at(
                        &["body"],
                        FieldErrorKind::ValueError,
                        "The request body could not be read",
                    )
                    .into(),
                )
            }
        })
}

/// Cuts serde_json's " at line L column C" suffix.
fn without_position(message: &str) -> &str {
    message.split(" at line ").next().unwrap_or(message)
}

/// Deserialises a JSON body, turning serde's error into a 422 entry that names the field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::Validation(
            FieldError::at(&["body"], FieldErrorKind::Missing, "Field required").into(),
        ));
    }
    // Every body of this API is an object; serde would also accept a struct as an array.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() {
        return Err(AppError::Validation(
            FieldError::at(
                &["body"],
                FieldErrorKind::ModelAttributesType,
                "Input should be a valid dictionary or object to extract fields from",
            )
            .into(),
        ));
    }
    let invalid = |path: &str, error: &serde_json::Error| {
        AppError::Validation(FieldErrors::from(json_error(path, error)))
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|error| invalid(&error.path().to_string(), error.inner()))?;
    deserializer.end().map_err(|error| invalid("", &error))?;
    Ok(value)
}

fn json_error(path: &str, error: &serde_json::Error) -> FieldError {
    use serde_json::error::Category;

    let mut loc: Vec<String> = vec!["body".to_owned()];
    loc.extend(
        path.split('.')
            .filter(|part| !part.is_empty() && *part != "?")
            .map(str::to_owned),
    );
    let message = without_position(&error.to_string()).to_owned();
    let (kind, msg) = match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => (
            FieldErrorKind::JsonInvalid,
            format!("JSON decode error: {message}"),
        ),
        Category::Data => {
            if let Some(field) = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.strip_suffix('`'))
            {
                loc.push(field.to_owned());
                (FieldErrorKind::Missing, "Field required".to_owned())
            } else if message.contains("expected a string") {
                (
                    FieldErrorKind::StringType,
                    "Input should be a valid string".to_owned(),
                )
            } else if message.contains("expected a boolean") {
                (
                    FieldErrorKind::BoolType,
                    "Input should be a valid boolean".to_owned(),
                )
            } else if message.contains("expected i64") || message.contains("integer") {
                (
                    FieldErrorKind::IntType,
                    "Input should be a valid integer".to_owned(),
                )
            } else {
                (FieldErrorKind::ValueError, message)
            }
        }
    };
    FieldError { loc, msg, kind }
}

/// The `{id}` segment of a path parsed as `T`, or 422 at `["path", "id"]` with this kind and
/// message.
async fn path_id<T: std::str::FromStr>(
    parts: &mut Parts,
    kind: FieldErrorKind,
    msg: &str,
) -> Result<T, AppError> {
    let invalid = || AppError::Validation(FieldError::at(&["path", "id"], kind, msg).into());
    let Path(raw) = Path::<String>::from_request_parts(parts, &())
        .await
        .map_err(|_| invalid())?;
    raw.parse::<T>().map_err(|_| invalid())
}

/// The `{id}` segment of a path, as a 64-bit integer.
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let msg = "Input should be a valid integer, unable to parse string as an integer";
        path_id(parts, FieldErrorKind::IntParsing, msg)
            .await
            .map(PathId)
    }
}

/// A `{id}` path segment that must be a UUID (a session's): 422 `uuid_parsing` otherwise.
pub struct PathUuid(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for PathUuid {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        path_id(
            parts,
            FieldErrorKind::UuidParsing,
            "Input should be a valid UUID",
        )
        .await
        .map(PathUuid)
    }
}

/// The decoded `name=value` pairs of a query string or form body; a repeated name keeps its
/// last value.
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    /// Decodes `application/x-www-form-urlencoded` text; 422 when a name or value is not
    /// UTF-8 once decoded (rather than silently mangling it).
    pub fn parse(raw: &[u8], location: &str) -> Result<Self, AppError> {
        let decode = |part: &[u8]| -> Result<String, AppError> {
            let spaced: Vec<u8> = part
                .iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect();
            percent_encoding::percent_decode(&spaced)
                .decode_utf8()
                .map(|text| text.into_owned())
                .map_err(|_| {
                    AppError::Validation(
                        FieldError::at(
                            &[location],
                            FieldErrorKind::ValueError,
                            "The data is not valid UTF-8",
                        )
                        .into(),
                    )
                })
        };
        let mut pairs = Vec::new();
        for pair in raw.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(at) => (&pair[..at], &pair[at + 1..]),
                None => (pair, &b""[..]),
            };
            pairs.push((decode(name)?, decode(value)?));
        }
        Ok(Self(pairs))
    }

    /// The last value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A required text field of a form body.
    pub fn required(&self, name: &str, errors: &mut FieldErrors) -> Option<String> {
        let value = self.get(name).map(str::to_owned);
        if value.is_none() {
            errors.push(FieldError::body(
                name,
                FieldErrorKind::Missing,
                "Field required",
            ));
        }
        value
    }

    /// An optional integer query parameter.
    pub fn integer(&self, name: &str, default: i64, errors: &mut FieldErrors) -> i64 {
        self.optional_integer(name, errors).unwrap_or(default)
    }

    /// The integer in the parameter `name`, or `None` when it is absent; unparsable text is
    /// recorded in `errors` as for [`Pairs::integer`].
    pub fn optional_integer(&self, name: &str, errors: &mut FieldErrors) -> Option<i64> {
        let raw = self.get(name)?;
        raw.trim()
            .parse::<i64>()
            .map_err(|_| {
                errors.push(FieldError::at(
                    &["query", name],
                    FieldErrorKind::IntParsing,
                    "Input should be a valid integer, unable to parse string as an integer",
                ))
            })
            .ok()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Pairs {
    type Rejection = AppError;

    /// The query string's pairs.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Self::parse(parts.uri.query().unwrap_or_default().as_bytes(), "query")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Sample {
        title: String,
        published: bool,
    }

    fn first_error(body: &str) -> FieldError {
        match parse_json::<Sample>(body.as_bytes()) {
            Err(AppError::Validation(errors)) => errors.0[0].clone(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_field_is_reported_at_its_location() {
        let error = first_error(r#"{"published": true}"#);
        assert_eq!(error.loc, ["body", "title"]);
        assert_eq!(error.kind, FieldErrorKind::Missing);
    }

    #[test]
    fn a_mistyped_field_is_reported_at_its_location() {
        let error = first_error(r#"{"title": 5, "published": true}"#);
        assert_eq!(error.loc, ["body", "title"]);
        assert_eq!(error.kind, FieldErrorKind::StringType);
    }

    #[test]
    fn malformed_json_is_a_decode_error() {
        assert_eq!(
            first_error(r#"{"title": "#).kind,
            FieldErrorKind::JsonInvalid
        );
        assert_eq!(
            first_error(r#"{"title": "a", "published": true} trailing"#).kind,
            FieldErrorKind::JsonInvalid
        );
    }

    #[test]
    fn an_empty_body_is_a_missing_body() {
        assert_eq!(first_error("  ").loc, ["body"]);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_reported_as_such() {
        assert_eq!(
            first_error("[1, 2]").kind,
            FieldErrorKind::ModelAttributesType
        );
    }

    #[test]
    fn form_text_is_percent_decoded_and_must_be_utf8() {
        let pairs = Pairs::parse(b"q=a+b%26c&flag&q=last%21", "query").unwrap();
        assert_eq!(pairs.get("q"), Some("last!"));
        assert_eq!(pairs.get("flag"), Some(""));
        assert_eq!(
            Pairs::parse(b"q=a+b%26c", "query").unwrap().get("q"),
            Some("a b&c")
        );
        assert!(Pairs::parse(b"q=%FF%FE", "query").is_err());
    }

    #[test]
    fn query_numbers_that_are_not_integers_are_reported() {
        let pairs = Pairs::parse(b"limit=ten&skip=2", "query").unwrap();
        let mut errors = FieldErrors::default();
        assert_eq!(pairs.integer("skip", 0, &mut errors), 2);
        pairs.integer("limit", 10, &mut errors);
        assert_eq!(errors.0[0].loc, ["query", "limit"]);
    }
}
