//! `/`: the feed, newest first, with search and pagination in the URL.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::post::list_posts;
use crate::components::error_view::ErrorView;
use crate::components::post_list::PostList;
use crate::components::search_box::SearchBox;
use crate::error::AppError;
use crate::model::page::{search_is_bounded, SHORT_SEARCH_SCOPE};
use crate::model::{Page, PostOut, PostQuery};
use crate::offline::{self, use_offline, Stamped};
use crate::pages::{use_list_params, PAGE_SIZE};
use crate::session::use_session;

/// The home page.
#[component]
pub fn HomePage() -> impl IntoView {
    let session = use_session();
    let offline = use_offline();
    let (search, before) = use_list_params();
    let posts = Resource::new(
        move || (search.get(), before.get(), offline.synced.get()),
        |(search, before, _)| {
            list_posts(
                PostQuery {
                    limit: PAGE_SIZE,
                    before,
                    search,
                    ..PostQuery::default()
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
                    let cache_name = offline::feed_page_name(&search.get_untracked(), before.get_untracked());
                    let user = session.user_id_untracked();
                    // Online, each page seen is kept; offline, the kept copy stands in for it.
                    let (page_data, cached_age) = match posts.await {
                        Ok(page_data) => {
                            if offline.online.get_untracked() {
                                // A copy for offline reading only: no room, no copy.
                                let _ = offline::save_stamped(user, &cache_name, &page_data);
                                (page_data, None)
                            } else {
                                let age = offline::load::<Stamped<Page<PostOut>>>(user, &cache_name)
                                    .map(|stamped| stamped.age());
                                (page_data, age)
                            }
                        }
                        Err(AppError::Transport(reason)) => {
                            match offline::load::<Stamped<Page<PostOut>>>(user, &cache_name) {
                                Some(stamped) => {
                                    let age = stamped.age();
                                    (stamped.value, Some(age))
                                }
                                None => return Err(AppError::Transport(reason)),
                            }
                        }
                        Err(error) => return Err(error),
                    };
                    Ok::<_, AppError>(view! {
                        {cached_age.map(|age| view! {
                            <p class="banner cached" data-testid="cached-feed">
                                "Offline copy of this page, saved " {age} "."
                            </p>
                        })}
                        {page_data.bounded.then(|| {
                            // A short term, or one whose exact search took too long.
                            let advice = if search_is_bounded(&search.get_untracked()) {
                                " A longer term, with three letters or digits in a row, searches them all."
                            } else {
                                " Searching all of them took too long; a rarer term may do."
                            };
                            view! {
                                <p class="search-scope" data-testid="short-search">
                                    "This search looked through the newest "
                                    {SHORT_SEARCH_SCOPE.to_string()} " posts only." {advice}
                                </p>
                            }
                        })}
                        <PostList
                            page_data
                            base="/"
                            search
                            before
                            can_vote
                            empty_message=if search.get_untracked().is_empty() {
                                "No posts here yet. Be the first to write one!"
                            } else {
                                "No posts match this search."
                            }
                        />
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
