//! Cross-cutting request handling: refusing cross-site state changes made with the session
//! cookie, renewing an expired access cookie from the refresh cookie, giving server-function
//! errors their status, and security headers.

use app::server::auth::extract::{identify, UncheckedCaller};
use app::server::auth::session;
use app::server::auth::throttle::ClientKey;
use app::server::budget::retry_after;
use app::server::AppState;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, HOST, ORIGIN,
    SET_COOKIE, STRICT_TRANSPORT_SECURITY,
};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

use app::AppError;

const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const VIEWER: HeaderName = HeaderName::from_static("postboard-viewer");
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Whether the request carries a session cookie, under either naming (`COOKIE_SECURE` or not).
fn has_session_cookie(jar: &CookieJar) -> bool {
    jar.iter()
        .any(|cookie| session::is_session_cookie(cookie.name()))
}

/// Whether a browser says the request comes from anywhere but this site itself: a
/// `Sec-Fetch-Site` other than `same-origin` or `none` (an address typed in or bookmarked), or an
/// `Origin` that is not one of `PUBLIC_ORIGIN` (or, without it, not the host the request was
/// sent to). A request with neither header is not a browser's (curl, a REST client) and passes.
fn is_foreign(request: &Request, public_origins: &[String]) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get(SEC_FETCH_SITE) {
        if !matches!(site.to_str(), Ok("same-origin" | "none")) {
            return true;
        }
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    if !public_origins.is_empty() {
        return !public_origins
            .iter()
            .any(|allowed| allowed.eq_ignore_ascii_case(origin));
    }
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or_default();
    match origin.split_once("://") {
        Some((_, origin_host)) => host.is_empty() || !origin_host.eq_ignore_ascii_case(host),
        // "null" (a sandboxed frame, a redirect across sites) and anything malformed.
        None => true,
    }
}

/// The UI's login and sign-up: refused from other sites even without a session cookie, so
/// that no site can log a visitor into an account of its choosing (login CSRF).
const UI_CREDENTIAL_FORMS: [&str; 2] = ["/rpc/login", "/rpc/register"];

/// Refuses (403) a state-changing browser request from anywhere but this site that is
/// authenticated by the session cookie, or that logs in or signs up through the UI.
/// SameSite=Lax already keeps the cookie off most cross-site requests; this covers sibling
/// sites (`same-site`), older browsers and login CSRF. Bearer-token requests are not affected:
/// a browser never attaches those by itself, and REST clients stay drop-in.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_state_change = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let must_be_same_origin = is_state_change
        && (UI_CREDENTIAL_FORMS.contains(&request.uri().path())
            || (!request.headers().contains_key(AUTHORIZATION)
                && has_session_cookie(&CookieJar::from_headers(request.headers()))));
    if must_be_same_origin && is_foreign(&request, &state.config.public_origins) {
        tracing::warn!(path = %request.uri().path(), "cross-site request refused");
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
    let user_agent = session::user_agent(request.headers());
    let cookies = match session::refresh(&state, &refresh, &user_agent).await {
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
    // A handler that set or cleared the session itself (deleting the account, ending this
    // session) has the last word: the renewed cookies would undo it.
    let sets_session = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split('=').next())
        .any(|name| session::is_session_cookie(name.trim()));
    if sets_session {
        return response;
    }
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

/// The requests that try a password or create an account.
fn is_credential_attempt(request: &Request) -> bool {
    let path = request.uri().path();
    match *request.method() {
        Method::POST => matches!(
            path,
            "/api/login"
                | "/api/users"
                | "/api/users/"
                | "/api/users/me/password"
                | "/rpc/login"
                | "/rpc/register"
                | "/rpc/change_password"
                | "/rpc/delete_account"
        ),
        Method::DELETE => path == "/api/users/me",
        _ => false,
    }
}

/// Records who the client is (`ClientKey`) for the rest of the request: the TCP peer, or the
/// address a trusted proxy forwarded (`TRUSTED_PROXIES`).
pub async fn identify_client(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(peer) = peer_of(&request) {
        let forwarded_for: Vec<&str> = request
            .headers()
            .get_all(X_FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .collect();
        let client = ClientKey::of_request(peer, &forwarded_for, &state.config.trusted_proxies);
        request.extensions_mut().insert(client);
    }
    next.run(request).await
}

/// The address of the TCP peer (the client, or the proxy in front), when the server knows it.
fn peer_of(request: &Request) -> Option<std::net::IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
}

/// Drops an `X-Request-Id` that a client other than a trusted proxy (`TRUSTED_PROXIES`) sent: a
/// stranger must not choose the id the server's logs file its requests under. The request then
/// gets a fresh one (tower-http's `SetRequestId`).
pub async fn forget_untrusted_request_id(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let trusted = peer_of(&request).is_some_and(|peer| {
        state
            .config
            .trusted_proxies
            .iter()
            .any(|proxy| proxy.contains(&peer.to_canonical()))
    });
    if !trusted {
        request.headers_mut().remove(REQUEST_ID);
    }
    next.run(request).await
}

/// Once a draining instance's listener has closed, every answer says `Connection: close`: its
/// client (a proxy) then opens a new connection, which the closed listener refuses, and it
/// retries that on another instance. Before the listener closes (`SHUTDOWN_DELAY_SECONDS`) the
/// proxy keeps reusing its connections: closing them then would make it open new ones, and one
/// opened in the very instant the listener closes is reset after its request was sent, which a
/// proxy cannot retry for a POST (end2end/many-instances saw it). Idle connections are left for
/// the client to close (`connection::serve`).
pub async fn close_while_draining(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if state.is_closing() {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// Rate-limits login and sign-up per client (429 with `Retry-After`).
pub async fn limit_credential_attempts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if is_credential_attempt(&request) {
        let client = ClientKey::of_extensions(request.extensions());
        if let Err(error) = state.throttle.check_client(&state.pool, client).await {
            return error.into_response();
        }
    }
    next.run(request).await
}

/// How long a request over the anonymous read budget waits before its 429: a client that
/// ignores `Retry-After` and keeps sending on a few connections then gets about one answer per
/// connection a second, so its flood costs idle waits rather than work (bench/scale's flood).
const OVER_BUDGET_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// At most this many refused requests wait at once; past it they are answered at once and their
/// connection closed, so that a flood over many connections cannot hold every connection slot
/// (`MAX_CONNECTIONS`) in pauses.
static PAUSES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(64);

/// Whether a request is a read that the anonymous budget counts: a server function other than
/// the ones that log in, sign up or out (the credential budget counts those), or a page render.
/// A page is any `GET`/`HEAD` outside `/api/` and `/pkg/` that is not a health check or a file:
/// the app's routes, and the paths the fallback renders (`/u/ann/` with its trailing slash
/// renders the author page too). A file is a path the router did not match whose last segment
/// has a dot (`/favicon.ico`, `/sw.js`): the fallback serves it from the site's root, or renders
/// the "not found" page, which reads nothing.
fn is_budgeted_read(request: &Request) -> bool {
    let path = request.uri().path();
    if path.starts_with("/rpc/") {
        return !SESSION_CHANGES.contains(&path);
    }
    let is_file = request.extensions().get::<MatchedPath>().is_none()
        && path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains('.'));
    matches!(*request.method(), Method::GET | Method::HEAD)
        && !path.starts_with("/api/")
        && !path.starts_with("/pkg/")
        && !matches!(path, "/healthz" | "/readyz")
        && !is_file
}

/// Budgets the reads of callers without a working session per client address
/// (`ANONYMOUS_READS_PER_MINUTE`): past it, 429 with `Retry-After`, after a pause. A credential
/// that verifies (cookie or bearer token, checked without the database) is not counted; a
/// broken or expired one is. Outside the session renewal: a request over budget costs no
/// database work, whatever cookies it carries.
pub async fn budget_anonymous_reads(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(budget) = &state.anonymous_reads else {
        return next.run(request).await;
    };
    if !is_budgeted_read(&request) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    if matches!(identify(&state, &parts), Ok(Some(_))) {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let client = ClientKey::of_extensions(&parts.extensions);
    let Err(wait) = budget.spend(client) else {
        return next.run(Request::from_parts(parts, body)).await;
    };
    let paused = match PAUSES.try_acquire() {
        Ok(permit) => {
            tokio::time::sleep(OVER_BUDGET_PAUSE).await;
            drop(permit);
            true
        }
        Err(_) => false,
    };
    let waited = if paused {
        OVER_BUDGET_PAUSE
    } else {
        std::time::Duration::ZERO
    };
    let retry_after = retry_after(wait.saturating_sub(waited).as_secs_f64());
    let mut response = error_response(AppError::RateLimited { retry_after }, parts.uri.path());
    if !paused {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// `error` as the client of `path` reads it: a server function's (`/rpc/`) as the JSON of
/// `AppError` that the UI decodes, marked with server_fn's error header; anything else in the
/// REST shape. Same status and headers (`Retry-After`) either way.
fn error_response(error: AppError, path: &str) -> Response {
    let response = error.clone().into_response();
    if !path.starts_with("/rpc/") {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    if let Ok(value) = HeaderValue::from_str(path) {
        parts.headers.insert(SERVER_FN_ERROR_HEADER, value);
    }
    match serde_json::to_vec(&error) {
        Ok(body) => Response::from_parts(parts, Body::from(body)),
        Err(_) => AppError::Internal.into_response(),
    }
}

/// Largest server-function error body read back (an `AppError` with a few field errors).
const MAX_SERVER_FN_ERROR_BYTES: usize = 64 * 1024;

/// Authentication is answered before anything else (docs/api.md): a request whose credential
/// names a user who is gone, or a session that has ended, is 401 even where its handler refused
/// it first. Handlers that identify their caller without the database (`AuthUserId`,
/// `identify`) check it in the very statement that does their work, so they learn of it only
/// when that statement runs; what they refused before it (413, 415, 422) or found nothing for
/// (404) is checked here instead, in this one place. Only such refusals pay for the lookup, and
/// only for those handlers: sign-up, login and unknown paths answer as they are.
pub async fn authenticate_refusals(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if !path.starts_with("/api/") && !path.starts_with("/rpc/") {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let caller = identify(&state, &parts);
    let unchecked = UncheckedCaller::default();
    parts.extensions.insert(unchecked.clone());
    let response = next.run(Request::from_parts(parts, body)).await;
    let is_refusal = matches!(
        response.status(),
        StatusCode::NOT_FOUND
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY
    );
    let Ok(Some(caller)) = caller else {
        return response;
    };
    if !is_refusal || !unchecked.was_identified() {
        return response;
    }
    let Err(error) = caller.confirm(&state).await else {
        return response;
    };
    if !response.headers().contains_key(SERVER_FN_ERROR_HEADER) {
        return error.into_response();
    }
    // A server function's error: the same encoding (the JSON of `AppError`), another status.
    error_response(error, &path)
}

/// Names the viewer a page was rendered for, in `Postboard-Viewer` (the user id, or `anon`), so
/// that the service worker keeps each person's pages apart (public/sw.js). Only the viewer's own
/// id, on their own page; checked without the database, as the page's render is.
pub async fn name_the_viewer(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let is_page = request.method() == Method::GET
        && !path.starts_with("/api/")
        && !path.starts_with("/rpc/")
        && !path.starts_with("/pkg/");
    if !is_page {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let viewer = match identify(&state, &parts) {
        Ok(Some(caller)) => caller.id.to_string(),
        _ => "anon".to_owned(),
    };
    let mut response = next.run(Request::from_parts(parts, body)).await;
    let is_html = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html {
        if let Ok(value) = HeaderValue::from_str(&viewer) {
            response.headers_mut().insert(VIEWER, value);
        }
    }
    response
}

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
    match serde_json::from_slice::<AppError>(&bytes) {
        // Transport errors only arise in the browser; should one be encoded here, it stays 500.
        Ok(AppError::Transport(_)) | Err(_) => {}
        Ok(error) => parts.status = error.status(),
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Headers every response carries; `Cache-Control: no-store` on any answer that sets the
/// session cookies, and `private, no-store` on any other answer to a request with a credential
/// (unless the handler chose its own); and over https (`COOKIE_SECURE`), HSTS.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    // An answer to a request that says who is asking may hold that person's data (their e-mail,
    // drafts, sessions): no cache keeps it, so that the next person at a shared computer does not
    // get it from the back button. Static assets carry nothing personal.
    let is_personal = !request.uri().path().starts_with("/pkg/")
        && (request.headers().contains_key(AUTHORIZATION)
            || has_session_cookie(&CookieJar::from_headers(request.headers())));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if is_personal && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    // A page names the build's asset files: a cache may keep it, but must ask before reusing it,
    // so that a deploy's new HTML (and its new file names) is seen at once.
    let is_html = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if is_html && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
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
    if headers.contains_key(SET_COOKIE) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}
