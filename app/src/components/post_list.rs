//! A page of posts with its pager, or an empty state.

use leptos::prelude::*;

use crate::components::pager::Pager;
use crate::components::post_card::PostCard;
use crate::model::{Page, PostOut};

/// The posts of one page.
#[component]
pub fn PostList(
    page_data: Page<PostOut>,
    /// The list's path, for the pager's links.
    #[prop(into)]
    base: String,
    #[prop(into)] search: Signal<String>,
    /// This page's cursor, none on the first page.
    #[prop(into)]
    before: Signal<Option<i64>>,
    #[prop(into)] can_vote: Signal<bool>,
    /// What to say when there is nothing to show.
    empty_message: &'static str,
) -> impl IntoView {
    // The next page starts after this one's last post.
    let next = page_data
        .items
        .last()
        .filter(|_| page_data.has_more)
        .map(|last| last.post.id);
    if page_data.items.is_empty() {
        return view! {
            <p class="empty" data-testid="empty-feed">{empty_message}</p>
            <Pager base search before next />
        }
        .into_any();
    }
    view! {
        <div class="post-list" data-testid="post-list">
            {page_data
                .items
                .into_iter()
                .map(|post| view! { <PostCard post can_vote /> })
                .collect_view()}
        </div>
        <Pager base search before next />
    }
    .into_any()
}
