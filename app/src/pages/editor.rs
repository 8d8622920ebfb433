//! `/posts/new` and `/posts/:id/edit`: the post form. The title and content rules run in the
//! browser as you type (the same `Title` / `Content` code the server enforces), and the server's
//! field errors show under the same inputs. What you type is kept as a draft in local storage
//! until the post is saved; offline, or when the connection fails during the save, saving puts
//! the post in the outbox (`offline::submit`).

use leptos::prelude::*;
use leptos_meta::Title as PageTitle;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api::post::get_post;
use crate::components::error_view::ErrorView;
use crate::components::field_errors::{FieldErrorList, FormError};
use crate::error::AppError;
use crate::model::{Content, Post, Title};
use crate::offline::{self, use_offline, Submitted, Write};
use crate::pages::post_detail::use_post_id;
use crate::session::use_session;

/// The editor page: empty for a new post, prefilled for an edit.
#[component]
pub fn EditorPage() -> impl IntoView {
    let session = use_session();
    let id = use_post_id();
    // Offline, an edit starts from the copy of the post this browser saw last.
    let existing = Resource::new(
        move || id.get(),
        move |id| async move {
            let Some(id) = id else { return Ok(None) };
            match get_post(id).await {
                Ok(post) => Ok(Some((post.post, None))),
                Err(AppError::Transport(reason)) => {
                    match offline::known_post(session.user_id_untracked(), id) {
                        Some(copy) => Ok(Some((copy.value.post.clone(), Some(copy.age())))),
                        None => Err(AppError::Transport(reason)),
                    }
                }
                Err(error) => Err(error),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the editor…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let (post, copy_age) = existing.await?.unzip();
                    let logged_in = session.user.await.ok().flatten().is_some();
                    Ok::<_, AppError>(if logged_in {
                        view! { <PostForm post copy_age=copy_age.flatten() /> }.into_any()
                    } else {
                        view! {
                            <p class="empty"><A href="/login">"Log in"</A> " to write a post."</p>
                        }
                        .into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// The message of a client-side check, once the field has been touched.
fn check<T>(
    touched: bool,
    value: &str,
    parse: fn(&str) -> Result<T, crate::FieldError>,
) -> Option<String> {
    if !touched {
        return None;
    }
    parse(value).err().map(|error| error.msg)
}

/// The form. `copy_age` says how old the local copy is that an offline edit starts from.
#[component]
fn PostForm(post: Option<Post>, copy_age: Option<String>) -> impl IntoView {
    let session = use_session();
    let offline = use_offline();
    let navigate = use_navigate();
    let editing = post.as_ref().map(|post| post.id);
    let draft_name = match editing {
        Some(id) => format!("draft:{id}"),
        None => "draft:new".to_owned(),
    };
    let title = RwSignal::new(post.as_ref().map(|p| p.title.clone()).unwrap_or_default());
    let content = RwSignal::new(post.as_ref().map(|p| p.content.clone()).unwrap_or_default());
    let published = RwSignal::new(post.as_ref().is_none_or(|p| p.published));
    let title_touched = RwSignal::new(false);
    let content_touched = RwSignal::new(false);
    let restored = RwSignal::new(false);
    // Set when an offline save could not be stored.
    let unstored = RwSignal::new(None::<offline::StorageFull>);
    let title_problem = Memo::new(move |_| check(title_touched.get(), &title.get(), Title::parse));
    let content_problem =
        Memo::new(move |_| check(content_touched.get(), &content.get(), Content::parse));
    let server_error = RwSignal::new(None::<AppError>);
    let pending = RwSignal::new(false);
    let is_invalid =
        move || Title::parse(&title.get()).is_err() || Content::parse(&content.get()).is_err();

    // Drafts: restored once hydrated, saved as you type, dropped once the post is saved.
    {
        let draft_name = draft_name.clone();
        Effect::new(move |_| {
            let user = session.user_id_untracked();
            if let Some(draft) = offline::load::<Draft>(user, &draft_name) {
                title.set(draft.title);
                content.set(draft.content);
                restored.set(true);
            }
        });
    }
    {
        let draft_name = draft_name.clone();
        Effect::new(move |previous: Option<()>| {
            let draft = Draft {
                title: title.get(),
                content: content.get(),
            };
            if previous.is_some() {
                // A draft that does not fit is still in the editor; the save says so if it matters.
                let _ = offline::save(session.user_id_untracked(), &draft_name, &draft);
            }
        });
    }
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        if is_invalid() {
            title_touched.set(true);
            content_touched.set(true);
            return;
        }
        let Some(user) = session.user_id_untracked() else {
            return;
        };
        let (title, content, published) = (
            title.get_untracked(),
            content.get_untracked(),
            published.get_untracked(),
        );
        let draft = Draft {
            title: title.clone(),
            content: content.clone(),
        };
        let write = match editing {
            Some(id) => Write::Update {
                id,
                title,
                content,
                published,
            },
            None => Write::Create {
                title,
                content,
                published,
            },
        };
        // Offline, the draft (which holds the same text as the write) goes first: on a full
        // storage that makes room for the write. Online it stays until the write is sent or
        // queued, so that a reload during the save loses nothing. It comes back if the write is
        // neither sent nor kept.
        if !offline.online.get_untracked() {
            offline::remove(Some(user), &draft_name);
        }
        let draft_name = draft_name.clone();
        let navigate = navigate.clone();
        server_error.set(None);
        unstored.set(None);
        pending.set(true);
        leptos::task::spawn_local(async move {
            match offline::submit(offline, user, write).await {
                Submitted::Sent(Some(id)) => {
                    offline::remove(Some(user), &draft_name);
                    navigate(&format!("/posts/{id}"), Default::default());
                }
                Submitted::Sent(None) | Submitted::Queued => {
                    offline::remove(Some(user), &draft_name);
                    navigate("/", Default::default());
                }
                // Nothing is lost: the text stays in the editor (and in its draft, if that fits),
                // and the user is told why.
                Submitted::Refused(error) => {
                    let _ = offline::save(Some(user), &draft_name, &draft);
                    server_error.set(Some(error));
                }
                Submitted::Unstored(full) => {
                    let _ = offline::save(Some(user), &draft_name, &draft);
                    unstored.set(Some(full));
                }
            }
            pending.set(false);
        });
    };

    let (heading, action) = match editing {
        Some(_) => ("Edit post", "/rpc/update_post"),
        None => ("New post", "/rpc/create_post"),
    };
    view! {
        <PageTitle text=heading />
        <h1>{heading}</h1>
        <form method="post" action=action class="editor" on:submit=on_submit>
            {editing.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            {move || unstored.get().map(|_| view! {
                <p class="form-error" role="alert">
                    "This browser's storage is full, so this post cannot be kept to send when the connection returns. "
                    "Your text is still here: copy it somewhere safe, or save again once you are online."
                </p>
            })}
            {copy_age.map(|age| view! {
                <p class="note" data-testid="local-copy">
                    "You are offline: this is the copy of the post saved on this device " {age}
                    ". Your edit is sent when the connection returns."
                </p>
            })}
            <Show when=move || restored.get()>
                <p class="note" data-testid="draft-restored">"Your unsaved draft was restored."</p>
            </Show>
            <label for="title">"Title"</label>
            <input
                id="title"
                name="title"
                required
                maxlength=Title::MAX_LEN
                prop:value=title
                on:input=move |event| {
                    title.set(event_target_value(&event));
                    title_touched.set(true);
                }
                on:blur=move |_| title_touched.set(true)
            />
            <p class="hint" data-field="title">{move || title_problem.get()}</p>
            <FieldErrorList error=server_error field="title" />
            <label for="content">"Content"</label>
            <textarea
                id="content"
                name="content"
                required
                rows="10"
                prop:value=content
                on:input=move |event| {
                    content.set(event_target_value(&event));
                    content_touched.set(true);
                }
                on:blur=move |_| content_touched.set(true)
            >
                {content.get_untracked()}
            </textarea>
            <p class="counter">
                {move || format!("{} / {}", content.get().chars().count(), Content::MAX_LEN)}
            </p>
            <p class="hint" data-field="content">{move || content_problem.get()}</p>
            <FieldErrorList error=server_error field="content" />
            <label class="checkbox">
                <input
                    type="checkbox"
                    name="published"
                    value="on"
                    prop:checked=published
                    on:change=move |event| published.set(event_target_checked(&event))
                />
                "Published (untick to keep it as a draft only you can see)"
            </label>
            <FormError error=server_error />
            <button type="submit" disabled=move || pending.get() || is_invalid()>
                {move || if pending.get() { "Saving…" } else { "Save" }}
            </button>
            <Show when=move || !offline.online.get()>
                <p class="note">"You are offline: saving puts the post in the outbox."</p>
            </Show>
        </form>
    }
}

/// What the draft of a post keeps.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Draft {
    title: String,
    content: String,
}
