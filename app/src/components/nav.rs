//! The header: the site name, navigation, and who is logged in (known already in the
//! server-rendered HTML, from the session cookie).

use leptos::prelude::*;
use leptos_router::components::A;

use crate::app::use_session;

/// The site header.
#[component]
pub fn Nav() -> impl IntoView {
    let session = use_session();
    view! {
        <header class="site-header">
            <nav class="container">
                <A href="/" attr:class="brand">"Postboard"</A>
                <Transition fallback=|| ()>
                    {move || match session.current() {
                        Some(user) => view! {
                            <A href="/posts/new">"New post"</A>
                            <A href="/me">"My posts"</A>
                            <span class="who" data-testid="current-user">{user.email}</span>
                            <ActionForm action=session.logout attr:class="inline">
                                <button type="submit" class="link">"Log out"</button>
                            </ActionForm>
                        }
                        .into_any(),
                        None => view! {
                            <A href="/login">"Log in"</A>
                            <A href="/register">"Sign up"</A>
                        }
                        .into_any(),
                    }}
                </Transition>
            </nav>
        </header>
    }
}
