//! The HTML shell, the root component and the route table. The root provides the session
//! (`session`) and the offline state once, through context, so the header, the forms and every
//! page agree on them.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::nav::Nav;
use crate::offline::{self, provide_offline, Offline};
use crate::pages::{
    account::AccountPage, author::AuthorPage, editor::EditorPage, home::HomePage, login::LoginPage,
    my_posts::MyPostsPage, not_found::NotFoundPage, post_detail::PostPage, register::RegisterPage,
};
use crate::session::{provide_session, Session};

/// The document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    #[cfg(feature = "ssr")]
    let build = use_context::<crate::server::AppState>()
        .map(|state| state.build_id.to_string())
        .unwrap_or_else(|| "dev".to_owned());
    #[cfg(not(feature = "ssr"))]
    let build = "dev".to_owned();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Postboard: short posts, votes and search." />
                <meta name="postboard-build" content=build />
                <AutoReload options=options.clone() />
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// Sends a Content-Security-Policy with this response's nonce: no inline script runs unless
/// Leptos wrote it (hydration and streaming scripts carry the nonce), WASM may be compiled,
/// everything else comes from this origin, and no other site may frame the page.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use axum::http::{header::CONTENT_SECURITY_POLICY, HeaderValue};
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // `cargo leptos watch` reloads the page over a websocket; any other server has none.
    let is_watched =
        use_context::<crate::server::AppState>().is_some_and(|state| state.config.dev_reload);
    let reload = if is_watched {
        " ws://127.0.0.1:* ws://localhost:*"
    } else {
        ""
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; \
         worker-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

/// Keeps `offline.online` true to the browser and `offline.user` to the session, sends the
/// outbox whenever the connection comes back (and once the user is known), follows outbox
/// changes made in other tabs, registers the service worker, and wipes the user's local data
/// once they have logged out or deleted their account. Effects only run in the browser, after
/// hydration.
fn track_connectivity(session: Session, offline: Offline) {
    // The user who last logged out (or deleted their account) in this tab.
    let ended = RwSignal::new(None::<i64>);
    let user_id = move || session.current().map(|user| user.id);
    let flush = move || {
        if let Some(user) = offline.user.get_untracked() {
            leptos::task::spawn_local(offline::flush(offline, user));
        }
    };
    Effect::new(move |_| {
        offline.online.set(offline::is_browser_online());
        offline::register_service_worker();
    });
    let _ = window_event_listener(leptos::ev::online, move |_| {
        offline.online.set(true);
        if let Some(user) = offline.user.get_untracked() {
            offline::due_now(user);
        }
        flush();
    });
    let _ = window_event_listener(leptos::ev::offline, move |_| offline.online.set(false));
    // Another tab queued, sent or refused a write: show it, and send it if this tab can (the
    // other one may have been closed meanwhile).
    let _ = window_event_listener(leptos::ev::storage, move |event| {
        let about_writes = event
            .key()
            .is_some_and(|key| offline::is_about_writes(&key));
        if let (true, Some(user)) = (about_writes, offline.user.get_untracked()) {
            offline::refresh_pending(offline, user);
            if offline.online.get_untracked() {
                flush();
            }
        }
    });
    // When the user becomes known (or changes): count their queued writes and send them if
    // possible. Another account's writes wait, unsent, for that account.
    Effect::new(move |_| {
        let user = user_id();
        offline.user.set(user);
        offline.needs_login.set(false);
        offline.outcomes.set(Vec::new());
        match user {
            Some(user) => {
                // A new login: an earlier logout of this user is no reason to wipe anything.
                ended.set(None);
                offline::refresh_pending(offline, user);
                if offline.online.get_untracked() {
                    flush();
                }
            }
            None => {
                offline.pending.set(0);
                offline.waiting.set(Vec::new());
            }
        }
    });
    // After a logout or an account deletion, nothing of that user stays in this browser. Wiped
    // when the action succeeds, and again once the session reads as logged out, since a page
    // rendered in between may still have stored something. A session that merely expired keeps
    // its data: the writes waiting in it are sent once the user logs in again.
    Effect::new(move |_| {
        let logged_out = matches!(session.logout.value().get(), Some(Ok(())));
        let deleted = matches!(session.delete_account.value().get(), Some(Ok(())));
        if logged_out || deleted {
            if let Some(user) = offline.user.get_untracked() {
                ended.set(Some(user));
                offline::clear_user(user);
            }
        }
    });
    Effect::new(move |previous: Option<Option<i64>>| {
        let now = user_id();
        if let (Some(Some(before)), None) = (previous, now) {
            if ended.get_untracked() == Some(before) {
                offline::clear_user(before);
            }
        }
        now
    });
}

/// The root component: metadata, session, header and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let session = provide_session();
    let offline = provide_offline();
    track_connectivity(session, offline);

    // Marks the page once the WASM has taken over (effects never run on the server); browser
    // tests wait for it before using anything interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    // Every route renders completely on the server before the first byte is sent (SsrMode::Async):
    // readers without WASM yet (or at all), and crawlers, get the whole page rather than
    // loading placeholders that only a script could fill in.
    view! {
        <Title formatter=|text| format!("{text} · Postboard") text="Postboard" />
        <Router>
            <Nav />
            <main class="container">
                <Routes fallback=NotFoundPage>
                    <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                    <Route path=path!("/me") view=MyPostsPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/posts/new") view=EditorPage ssr=SsrMode::Async />
                    <Route path=path!("/posts/:id") view=PostPage ssr=SsrMode::Async />
                    <Route path=path!("/posts/:id/edit") view=EditorPage ssr=SsrMode::Async />
                    <Route path=path!("/u/:name") view=AuthorPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
