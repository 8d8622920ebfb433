//! `/u/{name}`: an author's public page, their published posts newest first. Anyone may read it;
//! it shows the author's display name, never their e-mail.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::post::author_posts;
use crate::components::error_view::ErrorView;
use crate::components::post_card::author_href;
use crate::components::post_list::PostList;
use crate::model::PostQuery;
use crate::pages::{use_list_params, PAGE_SIZE};
use crate::session::use_session;

/// An author's page.
#[component]
pub fn AuthorPage() -> impl IntoView {
    let session = use_session();
    let params = use_params_map();
    // Decoded here as well as by the router: names hold no `%`, so decoding twice is harmless.
    let name = Memo::new(move |_| {
        let raw = params.read().get("name").unwrap_or_default();
        percent_encoding::percent_decode_str(&raw)
            .decode_utf8_lossy()
            .into_owned()
    });
    let (search, before) = use_list_params();
    let posts = Resource::new(
        move || (name.get(), before.get()),
        |(name, before)| {
            author_posts(
                name,
                PostQuery {
                    limit: PAGE_SIZE,
                    before,
                    ..PostQuery::default()
                },
            )
        },
    );
    let can_vote = Signal::derive(move || session.current().is_some());
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading posts…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    posts.await.map(|author| {
                        let heading = format!("Posts by {}", author.name);
                        view! {
                            <Title text=author.name.clone() />
                            <h1>{heading}</h1>
                            <PostList
                                page_data=author.posts
                                base=author_href(&author.name)
                                search
                                before
                                can_vote
                                empty_message="No published posts yet."
                            />
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
