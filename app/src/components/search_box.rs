//! The feed's search form. A GET form: without WASM the browser submits it, with WASM the router
//! navigates client-side; either way the term ends up in the URL.

use leptos::prelude::*;
use leptos_router::components::Form;

/// A search input prefilled with the current term.
#[component]
pub fn SearchBox(#[prop(into)] search: Signal<String>) -> impl IntoView {
    view! {
        <Form method="GET" action="/" attr:class="search" attr:role="search">
            <input
                type="search"
                name="q"
                placeholder="Search posts"
                aria-label="Search posts"
                maxlength="200"
                prop:value=move || search.get()
            />
            <button type="submit">"Search"</button>
        </Form>
    }
}
