//! The header: the site name, navigation, and who is logged in (known already in the
//! server-rendered HTML, from the session cookie).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::auth::Logout;
use crate::offline::{self, use_offline};
use crate::session::use_session;

/// The site header.
#[component]
pub fn Nav() -> impl IntoView {
    let session = use_session();
    let offline = use_offline();
    provide_context(RwSignal::new(None::<LogoutHold>));
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
                            <LogoutButton />
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
        <LogoutQuestion />
        <Show when=move || offline.needs_login.get()>
            <p class="banner pending" role="status" data-testid="outbox-login">
                "Your session has ended. " <A href="/login">"Log in again"</A>
                " as the same user to send what is waiting; nothing is lost meanwhile."
            </p>
        </Show>
        <Show when=move || { offline.pending.get() > 0 }>
            <div class="banner pending" role="status" data-testid="outbox-pending">
                <p>
                    {move || match offline.pending.get() {
                        1 => "1 change is waiting to be sent.".to_owned(),
                        n => format!("{n} changes are waiting to be sent."),
                    }}
                </p>
                <ul>
                    {move || offline.waiting.get().into_iter().map(|waiting| {
                        let name = waiting.name.clone();
                        let label = format!("Discard your {}", waiting.description);
                        view! {
                            <li>
                                "Your " {waiting.description} ": " {waiting.state} "."
                                {waiting.stuck.map(|text| view! {
                                    " It has failed several times."
                                    {text.map(|text| view! {
                                        <details>
                                            <summary>"What you wrote"</summary>
                                            <textarea readonly rows="6" aria-label="What you wrote">{text}</textarea>
                                        </details>
                                    })}
                                    <button class="link" aria-label=label on:click=move |_| {
                                        if let Some(user) = offline.user.get_untracked() {
                                            offline::discard(offline, user, &name);
                                        }
                                    }>"Discard it"</button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        </Show>
        <Show when=move || !offline.outcomes.get().is_empty() || !offline.refusals.get().is_empty()>
            <div class="banner outcomes" role="status" data-testid="outbox-outcomes">
                <ul>
                    {move || offline.outcomes.get().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
                    {move || offline.refusals.get().into_iter().map(|refusal| view! {
                        <li class="refused">
                            {refusal.message}
                            {refusal.text.map(|text| view! {
                                <details>
                                    <summary>"What you wrote"</summary>
                                    <textarea readonly rows="6" aria-label="What you wrote">{text}</textarea>
                                </details>
                            })}
                        </li>
                    }).collect_view()}
                </ul>
                <button class="link" on:click=move |_| {
                    offline.outcomes.set(Vec::new());
                    if let Some(user) = offline.user.get_untracked() {
                        offline::dismiss_refusals(offline, user);
                    }
                }>"Dismiss"</button>
            </div>
        </Show>
    }
}

/// Why logging out has to wait, or what it would cost, as the header shows it.
#[derive(Clone, Copy, PartialEq)]
enum LogoutHold {
    /// Offline: the server must end the session, and cannot be reached.
    Offline,
    /// Writes are waiting: send them first, discard them, or stay.
    Pending(usize),
}

/// The log-out button. It logs out at once when nothing is waiting; offline it explains why it
/// cannot; with writes waiting it asks first (`LogoutQuestion`). Without WASM it is a plain form.
#[component]
fn LogoutButton() -> impl IntoView {
    let session = use_session();
    let offline = use_offline();
    let hold = use_logout_hold();
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if !offline.online.get_untracked() {
            hold.set(Some(LogoutHold::Offline));
        } else if offline.pending.get_untracked() > 0 {
            hold.set(Some(LogoutHold::Pending(offline.pending.get_untracked())));
        } else {
            hold.set(None);
            session.logout.dispatch(Logout {});
        }
    };
    view! {
        <form method="post" action="/rpc/logout" class="inline" on:submit=on_submit>
            <button type="submit" class="link" disabled=move || session.logout.pending().get()>
                "Log out"
            </button>
        </form>
    }
}

/// The header's shared "why logging out waits" state, provided by `Nav`.
fn use_logout_hold() -> RwSignal<Option<LogoutHold>> {
    expect_context::<RwSignal<Option<LogoutHold>>>()
}

/// The answer to a held logout: why it cannot happen offline, or the choice about the writes
/// still waiting.
#[component]
fn LogoutQuestion() -> impl IntoView {
    let session = use_session();
    let offline = use_offline();
    let hold = use_logout_hold();
    let send_first = move |_| {
        hold.set(None);
        if let Some(user) = offline.user.get_untracked() {
            leptos::task::spawn_local(async move {
                offline::flush(offline, user).await;
                if offline.pending.get_untracked() == 0 {
                    session.logout.dispatch(Logout {});
                } else {
                    hold.set(Some(LogoutHold::Pending(offline.pending.get_untracked())));
                }
            });
        }
    };
    // The waiting writes go with the rest of the user's data once the logout has succeeded
    // (app::track_connectivity); if it fails, they are still there.
    let discard = move |_| {
        hold.set(None);
        session.logout.dispatch(Logout {});
    };
    move || {
        match hold.get() {
        None => None,
        Some(LogoutHold::Offline) => Some(view! {
            <p class="banner pending" role="alert">
                "You are offline, so you cannot log out yet: the server has to end your session. "
                "Log out once the connection is back."
                " " <button class="link" on:click=move |_| hold.set(None)>"OK"</button>
            </p>
        }.into_any()),
        Some(LogoutHold::Pending(count)) => {
            let changes = if count == 1 { "1 change".to_owned() } else { format!("{count} changes") };
            let discard_label = format!("Discard {changes} and log out");
            // The question takes the focus, so that keyboard and screen-reader users are on it.
            let first = NodeRef::<leptos::html::Button>::new();
            Effect::new(move |_| {
                if let Some(button) = first.get() {
                    let _ = button.focus();
                }
            });
            Some(view! {
                <div class="banner pending" role="alertdialog" aria-labelledby="logout-question" aria-modal="false">
                    <p id="logout-question">
                        {format!("{changes} made here {} not been sent yet. Logging out would lose {}.",
                            if count == 1 { "has" } else { "have" },
                            if count == 1 { "it" } else { "them" })}
                    </p>
                    <button node_ref=first on:click=send_first>"Send, then log out"</button>
                    " "
                    <button class="danger" on:click=discard>{discard_label}</button>
                    " "
                    <button class="link" on:click=move |_| hold.set(None)>"Stay logged in"</button>
                </div>
            }.into_any())
        }
    }
    }
}
