//! `/me`: the caller's own posts, drafts included.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::post::list_posts;
use crate::components::error_view::ErrorView;
use crate::components::post_list::PostList;
use crate::error::AppError;
use crate::model::PostQuery;
use crate::pages::{use_list_params, PAGE_SIZE};
use crate::session::use_session;

/// The "my posts" page.
#[component]
pub fn MyPostsPage() -> impl IntoView {
    let session = use_session();
    let (search, before) = use_list_params();
    let posts = Resource::new(
        move || before.get(),
        |before| {
            list_posts(
                PostQuery {
                    limit: PAGE_SIZE,
                    before,
                    ..PostQuery::default()
                },
                true,
            )
        },
    );
    let can_vote = Signal::derive(move || session.current().is_some());
    view! {
        <Title text="My posts" />
        <h1>"My posts"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading your posts…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    match posts.await {
                        Err(AppError::NotAuthenticated) => Ok(view! {
                            <p class="empty">
                                <A href="/login">"Log in"</A> " to see your posts."
                            </p>
                        }.into_any()),
                        other => other.map(|page_data| view! {
                            <PostList
                                page_data
                                base="/me"
                                search
                                before
                                can_vote
                                empty_message="You have not written anything yet."
                            />
                        }.into_any()),
                    }
                })}
            </ErrorBoundary>
        </Transition>
    }
}
