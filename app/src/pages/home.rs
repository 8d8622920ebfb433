//! `/`: the feed, newest first, with search and pagination in the URL.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::post::list_posts;
use crate::app::use_session;
use crate::components::error_view::ErrorView;
use crate::components::post_list::PostList;
use crate::components::search_box::SearchBox;
use crate::error::AppError;
use crate::model::PostQuery;
use crate::pages::{use_list_params, PAGE_SIZE};

/// The home page.
#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    let (search, page) = use_list_params();
    let posts = Resource::new(
        move || (search.get(), page.get()),
        |(search, page)| {
            list_posts(
                PostQuery {
                    limit: PAGE_SIZE,
                    skip: (page - 1) * PAGE_SIZE,
                    search,
                },
                false,
            )
        },
    );
    let can_vote = Signal::derive(move || session.current().is_some());
    view! {
        <Title text="Feed" />
        <div class="feed-header">
            <h1>{move || if search.get().is_empty() { "Latest posts".to_owned() } else { format!("Posts matching “{}”", search.get()) }}</h1>
            <SearchBox search />
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading posts…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let page_data = posts.await?;
                    Ok::<_, AppError>(view! {
                        <PostList
                            page_data
                            base="/"
                            search
                            page
                            can_vote
                            empty_message="No posts here yet. Be the first to write one!"
                        />
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
