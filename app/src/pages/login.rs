//! `/login`: the login form. It works before hydration (a plain form post) and shows the error
//! under the form.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::components::field_errors::{FieldErrorList, FormError};
use crate::session::use_session;

/// The login page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let session = use_session();
    let error = Signal::derive(move || session.login.value().get().and_then(Result::err));
    view! {
        <Title text="Log in" />
        <h1>"Log in"</h1>
        <ActionForm action=session.login attr:class="auth-form">
            <label for="email">"E-mail"</label>
            <input id="email" type="email" name="email" autocomplete="username" required />
            <FieldErrorList error field="email" />
            <label for="password">"Password"</label>
            <input id="password" type="password" name="password" autocomplete="current-password" required />
            <FieldErrorList error field="password" />
            <FormError error />
            <button type="submit" disabled=move || session.login.pending().get()>"Log in"</button>
        </ActionForm>
        <p>"New here? " <A href="/register">"Create an account"</A></p>
    }
}
