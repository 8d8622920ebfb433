//! `/register`: the sign-up form, with each field's error under it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::field_errors::{FieldErrorList, FormError};
use crate::model::{DisplayName, Password};
use crate::session::use_session;

/// The sign-up page.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let session = use_session();
    let error = Signal::derive(move || session.register.value().get().and_then(Result::err));
    view! {
        <Title text="Sign up" />
        <h1>"Create an account"</h1>
        <ActionForm action=session.register attr:class="auth-form">
            <label for="email">"E-mail"</label>
            <input id="email" type="email" name="email" autocomplete="email" required />
            <FieldErrorList error field="email" />
            <label for="name">"Display name " <span class="hint">"(optional)"</span></label>
            <input
                id="name"
                type="text"
                name="name"
                autocomplete="nickname"
                minlength=DisplayName::MIN_LEN
                maxlength=DisplayName::MAX_LEN
            />
            <p class="hint">"What others see on your posts; your e-mail stays private."</p>
            <FieldErrorList error field="name" />
            <label for="password">"Password"</label>
            <input
                id="password"
                type="password"
                name="password"
                autocomplete="new-password"
                required
                minlength=Password::MIN_LEN
                maxlength=Password::MAX_LEN
            />
            <p class="hint">{format!("{} to {} characters.", Password::MIN_LEN, Password::MAX_LEN)}</p>
            <FieldErrorList error field="password" />
            <FormError error />
            <button type="submit" disabled=move || session.register.pending().get()>"Sign up"</button>
        </ActionForm>
        <p>"Already have an account? " <A href="/login">"Log in"</A></p>
    }
}
