//! Any path no route matches: a real 404, in the status code too.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The 404 page.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <div class="not-found">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have been deleted, or never existed."</p>
            <p><A href="/">"Back to the feed"</A></p>
        </div>
    }
}
