//! `/posts/:id`: one post, its votes, and for its owner the edit link and delete button.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::post::get_post;
use crate::components::error_view::ErrorView;
use crate::components::field_errors::FormError;
use crate::components::post_card::PostMeta;
use crate::components::vote_button::VoteButton;
use crate::error::AppError;
use crate::model::PostOut;
use crate::offline::{self, use_offline, Submitted, Write};
use crate::session::use_session;

/// The post id from the URL, if it is a number.
pub fn use_post_id() -> Memo<Option<i64>> {
    let params = use_params_map();
    Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    })
}

/// The post page.
#[component]
pub fn PostPage() -> impl IntoView {
    let id = use_post_id();
    let session = use_session();
    // Offline, the copy this browser saw last stands in for the post, marked with its age.
    let post = Resource::new(
        move || id.get(),
        move |id| async move {
            let Some(id) = id else {
                return Err(AppError::NotFound(
                    "There is no post at this address".to_owned(),
                ));
            };
            match get_post(id).await {
                Ok(post) => Ok((post, None)),
                Err(AppError::Transport(reason)) => {
                    match offline::known_post(session.user_id_untracked(), id) {
                        Some(copy) => {
                            let age = copy.age();
                            Ok((copy.value, Some(age)))
                        }
                        None => Err(AppError::Transport(reason)),
                    }
                }
                Err(error) => Err(error),
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading the post…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let (post, copy_age) = post.await?;
                    Ok::<_, AppError>(view! {
                        {copy_age.map(|age| view! {
                            <p class="banner cached" data-testid="cached-post">
                                "Offline copy of this post, saved " {age} "."
                            </p>
                        })}
                        <PostView post />
                    })
                })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[component]
fn PostView(post: PostOut) -> impl IntoView {
    let session = use_session();
    let offline = use_offline();
    let navigate = use_navigate();
    // Kept, so that it can be read and edited again offline.
    {
        let post = post.clone();
        Effect::new(move |_| offline::remember_post(session.user_id_untracked(), &post));
    }
    let PostOut {
        post,
        votes,
        has_voted,
    } = post;
    let owner_id = post.owner_id;
    let is_owner =
        Signal::derive(move || session.current().is_some_and(|user| user.id == owner_id));
    let can_vote = Signal::derive(move || session.current().is_some());
    let offline_problem = RwSignal::new(None::<String>);
    let delete_error = RwSignal::new(None::<AppError>);
    let id = post.id;
    let deleting = RwSignal::new(false);
    let on_delete = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(user) = session.user_id_untracked() else {
            return;
        };
        // One deletion at a time: a second click would send (or queue) it twice.
        if deleting.get_untracked() {
            return;
        }
        deleting.set(true);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match offline::submit(offline, user, Write::Delete { id }).await {
                Submitted::Sent(_) | Submitted::Queued => navigate("/", Default::default()),
                Submitted::Refused(error) => delete_error.set(Some(error)),
                Submitted::Unstored(full) => offline_problem.set(Some(format!(
                    "The deletion cannot be kept to send later: {full}. Try again once online."
                ))),
            }
            deleting.set(false);
        });
    };
    view! {
        <Title text=post.title.clone() />
        <article class="post" data-post-id=id>
            <header class="post-header">
                <VoteButton post_id=id votes has_voted can_vote />
                <div>
                    <h1>
                        {post.title}
                        {(!post.published).then(|| view! { <span class="badge">"Draft"</span> })}
                    </h1>
                    <PostMeta author=post.owner.name created_at=post.created_at />
                </div>
            </header>
            <div class="content">{post.content}</div>
            <Show when=move || is_owner.get()>
                <footer class="owner-actions">
                    <A href=format!("/posts/{id}/edit")>"Edit"</A>
                    <details class="confirm-delete">
                        <summary>"Delete…"</summary>
                        <p>"Delete this post and its votes? This cannot be undone."</p>
                        <form method="post" action="/rpc/delete_post" on:submit=on_delete.clone()>
                            <input type="hidden" name="id" value=id />
                            <button type="submit" class="danger" disabled=move || deleting.get()>"Yes, delete this post"</button>
                        </form>
                        <FormError error=delete_error />
                        {move || offline_problem.get().map(|problem| view! {
                            <p class="form-error" role="alert">{problem}</p>
                        })}
                    </details>
                </footer>
            </Show>
        </article>
    }
}
