//! The feed's search form. A GET form: without WASM the browser submits it; with WASM the submit
//! is turned into a client-side navigation to the same address (`/?q=term`).
//!
//! leptos_router's `<Form>` is not used: it appends the submit button's name and value to the
//! query even when the button has no name, which left a stray `&=` in the address.

use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::pager::page_href;

/// A search input prefilled with the current term.
#[component]
pub fn SearchBox(#[prop(into)] search: Signal<String>) -> impl IntoView {
    let navigate = use_navigate();
    let input = NodeRef::<Input>::new();
    let on_submit = move |event: SubmitEvent| {
        // Defensive: should the input be missing, the browser's own submit does the same.
        let Some(input) = input.get() else { return };
        event.prevent_default();
        navigate(
            &page_href("/", input.value().trim(), None),
            Default::default(),
        );
    };
    view! {
        <form method="GET" action="/" class="search" role="search" on:submit=on_submit>
            <input
                node_ref=input
                type="search"
                name="q"
                placeholder="Search posts"
                aria-label="Search posts"
                maxlength="200"
                // The attribute for the server's HTML (a property is not rendered there), the
                // property for the live input after client-side navigation.
                value=move || search.get()
                prop:value=move || search.get()
            />
            <button type="submit">"Search"</button>
        </form>
    }
}
