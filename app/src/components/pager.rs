//! Previous / next links for a paged list. The page lives in the URL (`?page=N`), so every page
//! can be reloaded and shared; the search term is kept.

use leptos::prelude::*;
use leptos_router::components::A;

/// The query string for a page of a list, keeping the search term.
pub fn page_href(base: &str, search: &str, page: i64) -> String {
    let mut params = Vec::new();
    if !search.is_empty() {
        params.push(format!("q={}", encode(search)));
    }
    if page > 1 {
        params.push(format!("page={page}"));
    }
    if params.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Links to the neighbouring pages.
#[component]
pub fn Pager(
    /// The list's path, e.g. `/` or `/me`.
    #[prop(into)]
    base: String,
    /// The current search term ("" for none).
    #[prop(into)]
    search: Signal<String>,
    /// The current page, from 1.
    #[prop(into)]
    page: Signal<i64>,
    /// Whether a next page exists.
    #[prop(into)]
    has_more: Signal<bool>,
) -> impl IntoView {
    let newer = base.clone();
    view! {
        <nav class="pager" aria-label="Pages">
            <Show when=move || { page.get() > 1 }>
                <A href={
                    let base = newer.clone();
                    move || page_href(&base, &search.get(), page.get() - 1)
                } attr:rel="prev">
                    "← Newer"
                </A>
            </Show>
            <span class="page-number">"Page " {page}</span>
            <Show when=move || has_more.get()>
                <A href={
                    let base = base.clone();
                    move || page_href(&base, &search.get(), page.get() + 1)
                } attr:rel="next">
                    "Older →"
                </A>
            </Show>
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::page_href;

    #[test]
    fn page_links_keep_the_search_and_drop_defaults() {
        assert_eq!(page_href("/", "", 1), "/");
        assert_eq!(page_href("/", "", 2), "/?page=2");
        assert_eq!(page_href("/", "rust & co", 3), "/?q=rust%20%26%20co&page=3");
    }
}
