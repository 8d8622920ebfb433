//! `/account`: the caller's own account. Change the display name and the password, see every
//! session (browser or client) logged in and end any of them, or delete the account.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::account::{list_sessions, ChangePassword, EndOtherSessions, EndSession};
use crate::components::error_view::ErrorView;
use crate::components::field_errors::{FieldErrorList, FormError};
use crate::components::post_card::PostTime;
use crate::error::AppError;
use crate::model::{ActiveSession, DisplayName, Password, User};
use crate::session::use_session;

/// The account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    let session = use_session();
    // The sections are built once per user, not again each time the user is read anew (after a
    // rename): the forms keep what they show.
    let user_id = Memo::new(move |_| session.current().map(|user| user.id));
    view! {
        <Title text="Your account" />
        <h1>"Your account"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading your account…"</p> }>
            {move || match user_id.get().and(session.current_untracked()) {
                Some(user) => view! { <AccountSections user /> }.into_any(),
                None => view! {
                    <p class="empty"><A href="/login">"Log in"</A> " to manage your account."</p>
                }
                .into_any(),
            }}
        </Transition>
    }
}

/// Everything on the page, for a logged-in user.
#[component]
fn AccountSections(user: User) -> impl IntoView {
    // Shared by the password form and the session list: a change ends other sessions.
    let change_password = ServerAction::<ChangePassword>::new();
    view! {
        <section class="account-section" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <p>"E-mail: " <strong data-testid="account-email">{user.email.clone()}</strong>
                " " <span class="meta">"(only you see it)"</span></p>
            <RenameForm name=user.name.clone() />
        </section>
        <section class="account-section" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <PasswordForm change=change_password />
        </section>
        <section class="account-section" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you are logged in"</h2>
            <SessionList change_password />
        </section>
        <section class="account-section danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete your account"</h2>
            <DeleteForm />
        </section>
    }
}

/// The display name form.
#[component]
fn RenameForm(name: String) -> impl IntoView {
    let session = use_session();
    let rename = session.rename;
    let error = Signal::derive(move || rename.value().get().and_then(Result::err));
    let saved = move || matches!(rename.value().get(), Some(Ok(_)));
    view! {
        <ActionForm action=rename attr:class="auth-form">
            <label for="name">"Display name"</label>
            <input
                id="name"
                type="text"
                name="name"
                autocomplete="nickname"
                value=name
                required
                minlength=DisplayName::MIN_LEN
                maxlength=DisplayName::MAX_LEN
            />
            <p class="hint">"Shown on your posts and on your author page."</p>
            <FieldErrorList error field="name" />
            <FormError error />
            <Show when=saved>
                <p class="form-ok" role="status">"Saved."</p>
            </Show>
            <button type="submit" disabled=move || rename.pending().get()>"Save name"</button>
        </ActionForm>
    }
}

/// The password form. Changing the password logs out every other session.
#[component]
fn PasswordForm(change: ServerAction<ChangePassword>) -> impl IntoView {
    let current = NodeRef::<leptos::html::Input>::new();
    let new = NodeRef::<leptos::html::Input>::new();
    // Once changed, neither password stays on the page.
    Effect::new(move |_| {
        if matches!(change.value().get(), Some(Ok(_))) {
            for input in [current, new] {
                if let Some(input) = input.get_untracked() {
                    input.set_value("");
                }
            }
        }
    });
    let error = Signal::derive(move || {
        let error = change.value().get().and_then(Result::err);
        error.map(|error| explain_wrong_password(error, "The current password is not right."))
    });
    let done = move || {
        change.value().get().and_then(Result::ok).map(|ended| {
            let others = match ended {
                0 => "No other session was logged in.".to_owned(),
                1 => "1 other session was logged out.".to_owned(),
                n => format!("{n} other sessions were logged out."),
            };
            view! { <p class="form-ok" role="status">"Password changed. " {others}</p> }
        })
    };
    view! {
        <ActionForm action=change attr:class="auth-form">
            <label for="current_password">"Current password"</label>
            <input
                id="current_password"
                node_ref=current
                type="password"
                name="current_password"
                autocomplete="current-password"
                required
            />
            <label for="new_password">"New password"</label>
            <input
                id="new_password"
                node_ref=new
                type="password"
                name="new_password"
                autocomplete="new-password"
                required
                minlength=Password::MIN_LEN
                maxlength=Password::MAX_LEN
            />
            <p class="hint">
                {format!("{} to {} characters. ", Password::MIN_LEN, Password::MAX_LEN)}
                "Every other browser and app logged in to your account will be logged out."
            </p>
            <FieldErrorList error field="new_password" />
            <FormError error />
            {done}
            <button type="submit" disabled=move || change.pending().get()>"Change password"</button>
        </ActionForm>
    }
}

/// The live sessions, each with a button that ends it.
#[component]
fn SessionList(change_password: ServerAction<ChangePassword>) -> impl IntoView {
    let end_one = ServerAction::<EndSession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new(
        move || {
            (
                end_one.version().get(),
                end_others.version().get(),
                change_password.version().get(),
            )
        },
        |_| list_sessions(),
    );
    let error = Signal::derive(move || {
        end_one
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| end_others.value().get().and_then(Result::err))
    });
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading your sessions…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors /> }>
                {move || Suspend::new(async move {
                    sessions.await.map(|list| {
                        let others = list.iter().filter(|s| !s.current).count();
                        view! {
                            <ul class="sessions" data-testid="sessions">
                                {list.into_iter().map(|active| view! { <SessionItem active end_one /> }).collect_view()}
                            </ul>
                            <Show when=move || { others > 0 }>
                                <ActionForm action=end_others attr:class="inline">
                                    <button type="submit" disabled=move || end_others.pending().get()>
                                        "Log out every other session"
                                    </button>
                                </ActionForm>
                            </Show>
                        }
                    })
                })}
            </ErrorBoundary>
        </Transition>
        <FormError error />
    }
}

/// One session: what it is, when it began and was last used, and its button.
/// This browser's own session has no button here: the header's "Log out" ends it, and first
/// deals with any writes still waiting to be sent.
#[component]
fn SessionItem(active: ActiveSession, end_one: ServerAction<EndSession>) -> impl IntoView {
    let device = active.device();
    let label = format!("Log out {device}");
    let id = active.id.clone();
    view! {
        <li class="session" class:current=active.current>
            <span class="device" title=active.user_agent.clone()>{device}</span>
            {active.current.then(|| view! { <span class="badge">"This browser"</span> })}
            <span class="meta">
                " Logged in " <PostTime at=active.created_at />
                ", last active " <PostTime at=active.last_used_at />
            </span>
            {(!active.current).then(|| view! {
                <ActionForm action=end_one attr:class="inline">
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="link" aria-label=label>"Log out"</button>
                </ActionForm>
            })}
        </li>
    }
}

/// The account deletion form: the password confirms it.
#[component]
fn DeleteForm() -> impl IntoView {
    let delete = use_session().delete_account;
    let error = Signal::derive(move || {
        let error = delete.value().get().and_then(Result::err);
        error.map(|error| explain_wrong_password(error, "The password is not right."))
    });
    view! {
        <p>"This deletes your account, your posts and your votes, and logs you out everywhere. It cannot be undone."</p>
        <ActionForm action=delete attr:class="auth-form">
            <label for="delete_password">"Your password"</label>
            <input
                id="delete_password"
                type="password"
                name="password"
                autocomplete="current-password"
                required
            />
            <FormError error />
            <button type="submit" class="danger" disabled=move || delete.pending().get()>
                "Delete my account"
            </button>
        </ActionForm>
    }
}

/// The error as the form shows it: a wrong password in the words of this form (the server says
/// `Invalid Credentials`, as login does).
fn explain_wrong_password(error: AppError, message: &str) -> AppError {
    match error {
        AppError::InvalidCredentials => AppError::Forbidden(message.to_owned()),
        other => other,
    }
}
