//! Cross-cutting request handling: refusing cross-site state changes made with the session
//! cookie, renewing an expired access cookie from the refresh cookie, giving server-function
//! errors their status, and security headers.

use app::server::auth::session;
use app::server::auth::throttle::ClientKey;
use app::server::AppState;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN, SET_COOKIE};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

use app::AppError;

const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

fn has_session_cookie(state: &AppState, jar: &CookieJar) -> bool {
    let (access, refresh) = session::cookie_names(&state.config);
    jar.get(access).is_some() || jar.get(refresh).is_some()
}

/// Whether the request says it comes from another site: `Sec-Fetch-Site: cross-site`, or an
/// `Origin` whose host is not this server's.
fn is_cross_site(request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get(SEC_FETCH_SITE).and_then(|v| v.to_str().ok()) {
        return site == "cross-site";
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// Refuses (403) a state-changing request that is authenticated by the session cookie and comes
/// from another site. SameSite=Lax already keeps the cookie off most such requests; this covers
/// the rest (older browsers, same-site subdomains). Bearer-token requests are not affected: a
/// browser never attaches those by itself.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_state_change = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if is_state_change
        && !request.headers().contains_key(AUTHORIZATION)
        && has_session_cookie(&state, &CookieJar::from_headers(request.headers()))
        && is_cross_site(&request)
    {
        tracing::warn!(path = %request.uri().path(), "cross-site cookie request refused");
        return AppError::Forbidden("Cross-site request refused".to_owned()).into_response();
    }
    next.run(request).await
}

/// The server functions that set or clear the session themselves: renewing the old session on
/// top of what they answer would undo a logout or keep the previous user's session.
const SESSION_CHANGES: [&str; 3] = ["/rpc/login", "/rpc/register", "/rpc/logout"];

/// When a browser request carries a refresh cookie but no access cookie that still verifies
/// (absent, or present with an expired token), rotates the refresh token and lets the request
/// continue as logged in, sending the new cookies back. A refresh token that no longer works
/// clears both cookies.
pub async fn renew_session(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let is_page_or_rpc =
        !path.starts_with("/api/") && !path.starts_with("/pkg/") && path != "/favicon.ico";
    if !is_page_or_rpc
        || SESSION_CHANGES.contains(&path)
        || request.headers().contains_key(AUTHORIZATION)
    {
        return next.run(request).await;
    }
    let (access_name, refresh_name) = session::cookie_names(&state.config);
    let jar = CookieJar::from_headers(request.headers());
    let has_working_access = jar
        .get(access_name)
        .is_some_and(|access| state.jwt.verify(access.value()).is_ok());
    let refresh = match jar.get(refresh_name) {
        Some(refresh) if !has_working_access && !refresh.value().is_empty() => {
            refresh.value().to_owned()
        }
        _ => return next.run(request).await,
    };
    let cookies = match session::refresh(&state, &refresh).await {
        Ok((token, _)) => {
            // The rest of this request sees the new access token, as the next ones will.
            let renewed = jar.add(axum_extra::extract::cookie::Cookie::new(
                access_name,
                token.access_token.clone(),
            ));
            let header = renewed
                .iter()
                .map(|cookie| format!("{}={}", cookie.name(), cookie.value()))
                .collect::<Vec<_>>()
                .join("; ");
            if let Ok(value) = HeaderValue::from_str(&header) {
                request.headers_mut().insert(COOKIE, value);
            }
            session::session_cookies(&state.config, &token)
        }
        Err(AppError::InvalidToken) => session::cleared_cookies(&state.config),
        // The database is down or similar: leave the cookies alone and carry on anonymously.
        Err(error) => {
            tracing::warn!(%error, "could not renew the session");
            return next.run(request).await;
        }
    };
    let mut response = next.run(request).await;
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The requests that try a password or create an account.
fn is_credential_attempt(request: &Request) -> bool {
    request.method() == Method::POST
        && matches!(
            request.uri().path(),
            "/api/login" | "/api/users" | "/api/users/" | "/rpc/login" | "/rpc/register"
        )
}

/// Records who the client is (`ClientKey`) for the rest of the request: the TCP peer, or the
/// address a trusted proxy forwarded (`TRUSTED_PROXIES`).
pub async fn identify_client(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(peer) = peer {
        let forwarded_for = request
            .headers()
            .get(X_FORWARDED_FOR)
            .and_then(|value| value.to_str().ok());
        let client = ClientKey::of_request(peer, forwarded_for, &state.config.trusted_proxies);
        request.extensions_mut().insert(client);
    }
    next.run(request).await
}

/// Rate-limits login and sign-up per client (429 with `Retry-After`).
pub async fn limit_credential_attempts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if is_credential_attempt(&request) {
        let client = ClientKey::of_extensions(request.extensions());
        if let Err(error) = state.throttle.check_client(client) {
            return error.into_response();
        }
    }
    next.run(request).await
}

/// Largest server-function error body read back (an `AppError` with a few field errors).
const MAX_SERVER_FN_ERROR_BYTES: usize = 64 * 1024;

/// A server function that fails before its body runs (its arguments could not be decoded, or
/// are missing) is answered by the server_fn crate with 500 whatever the error. This gives such
/// an answer the status its `AppError` carries, so `/rpc` answers malformed input with the same
/// 4xx as the REST twin. Errors raised inside a body already have their status
/// (`api::ssr::respond`) and pass through untouched.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/rpc/");
    let response = next.run(request).await;
    if !is_server_fn
        || response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_SERVER_FN_ERROR_BYTES).await else {
        tracing::error!("a server function's error body could not be read");
        return AppError::Internal.into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Headers every response carries.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        HeaderName::from_static("referrer-policy"),
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    response
}
