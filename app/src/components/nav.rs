//! The header: the site name, navigation, and who is logged in (known already in the
//! server-rendered HTML, from the session cookie).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::offline::{self, use_offline};
use crate::session::use_session;

/// The site header.
#[component]
pub fn Nav() -> impl IntoView {
    let session = use_session();
    let offline = use_offline();
    // Keep an offline copy of every page shown, not only those loaded in full (the first page
    // load goes through the service worker already).
    let location = leptos_router::hooks::use_location();
    Effect::new(move |previous: Option<String>| {
        let search = location.search.get();
        let url = if search.is_empty() {
            location.pathname.get()
        } else {
            format!(
                "{}?{}",
                location.pathname.get(),
                search.trim_start_matches('?')
            )
        };
        if previous.is_some_and(|previous| previous != url) && offline.online.get_untracked() {
            offline::remember_page(&url);
        }
        url
    });
    view! {
        <header class="site-header">
            <nav class="container">
                <A href="/" attr:class="brand">"Postboard"</A>
                <Transition fallback=|| ()>
                    {move || match session.current() {
                        Some(user) => view! {
                            <A href="/posts/new">"New post"</A>
                            <A href="/me">"My posts"</A>
                            <span class="status-dot" class:offline=move || !offline.online.get() title="Connection"></span>
                            <A href="/account" attr:class="who" attr:data-testid="current-user" attr:title="Your account">{user.name}</A>
                            <ActionForm action=session.logout attr:class="inline">
                                <button type="submit" class="link">"Log out"</button>
                            </ActionForm>
                        }
                        .into_any(),
                        None => view! {
                            <span class="status-dot" class:offline=move || !offline.online.get() title="Connection"></span>
                            <A href="/login">"Log in"</A>
                            <A href="/register">"Sign up"</A>
                        }
                        .into_any(),
                    }}
                </Transition>
            </nav>
        </header>
        <Show when=move || !offline.online.get()>
            <p class="banner offline" role="status" data-testid="offline-banner">
                "You are offline. You can keep reading what you have opened before; new posts, edits and votes are kept and sent when the connection returns."
            </p>
        </Show>
        <Show when=move || { offline.pending.get() > 0 }>
            <p class="banner pending" role="status" data-testid="outbox-pending">
                {move || match offline.pending.get() {
                    1 => "1 change is waiting to be sent.".to_owned(),
                    n => format!("{n} changes are waiting to be sent."),
                }}
            </p>
        </Show>
        <Show when=move || !offline.outcomes.get().is_empty()>
            <div class="banner outcomes" role="status" data-testid="outbox-outcomes">
                <ul>
                    {move || offline.outcomes.get().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                </ul>
                <button class="link" on:click=move |_| offline.outcomes.set(Vec::new())>"Dismiss"</button>
            </div>
        </Show>
    }
}
