//! `/posts/new` and `/posts/:id/edit`: the post form. The title and content rules run in the
//! browser as you type (the same `Title` / `Content` code the server enforces), and the server's
//! field errors show under the same inputs.

use leptos::prelude::*;
use leptos_meta::Title as PageTitle;
use leptos_router::components::A;

use crate::api::post::{get_post, CreatePost, UpdatePost};
use crate::app::use_session;
use crate::components::error_view::ErrorView;
use crate::components::field_errors::{FieldErrorList, FormError};
use crate::error::AppError;
use crate::model::{Content, Post, Title};
use crate::pages::post_detail::use_post_id;

/// The editor page: empty for a new post, prefilled for an edit.
#[component]
pub fn EditorPage() -> impl IntoView {
    let session = use_session();
    let id = use_post_id();
    let existing = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_post(id).await.map(|post| Some(post.post)),
                None => Ok(None),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the editor…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    let post = existing.await?;
                    let logged_in = session.user.await.ok().flatten().is_some();
                    Ok::<_, AppError>(if logged_in {
                        view! { <PostForm post /> }.into_any()
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

#[component]
fn PostForm(post: Option<Post>) -> impl IntoView {
    let create = ServerAction::<CreatePost>::new();
    let update = ServerAction::<UpdatePost>::new();
    let editing = post.as_ref().map(|post| post.id);
    let title = RwSignal::new(post.as_ref().map(|p| p.title.clone()).unwrap_or_default());
    let content = RwSignal::new(post.as_ref().map(|p| p.content.clone()).unwrap_or_default());
    let published = post.as_ref().is_none_or(|p| p.published);
    let title_touched = RwSignal::new(false);
    let content_touched = RwSignal::new(false);
    let title_problem = Memo::new(move |_| check(title_touched.get(), &title.get(), Title::parse));
    let content_problem =
        Memo::new(move |_| check(content_touched.get(), &content.get(), Content::parse));
    let server_error = Signal::derive(move || {
        let result = if editing.is_some() {
            update.value().get().map(|r| r.map(|_| ()))
        } else {
            create.value().get().map(|r| r.map(|_| ()))
        };
        result.and_then(Result::err)
    });
    let pending = Signal::derive(move || create.pending().get() || update.pending().get());
    let is_invalid =
        move || Title::parse(&title.get()).is_err() || Content::parse(&content.get()).is_err();

    let fields = view! {
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
        <p class="counter">{move || format!("{} / {}", content.get().chars().count(), Content::MAX_LEN)}</p>
        <p class="hint" data-field="content">{move || content_problem.get()}</p>
        <FieldErrorList error=server_error field="content" />
        <label class="checkbox">
            <input type="checkbox" name="published" value="on" checked=published />
            "Published (untick to keep it as a draft only you can see)"
        </label>
        <FormError error=server_error />
        <button type="submit" disabled=move || pending.get() || is_invalid()>
            {move || if pending.get() { "Saving…" } else { "Save" }}
        </button>
    };

    match editing {
        Some(id) => view! {
            <PageTitle text="Edit post" />
            <h1>"Edit post"</h1>
            <ActionForm action=update attr:class="editor">
                <input type="hidden" name="id" value=id />
                {fields}
            </ActionForm>
        }
        .into_any(),
        None => view! {
            <PageTitle text="New post" />
            <h1>"New post"</h1>
            <ActionForm action=create attr:class="editor">{fields}</ActionForm>
        }
        .into_any(),
    }
}
