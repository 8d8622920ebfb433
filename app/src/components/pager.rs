//! Links to the newest and the next (older) page of a list. Pages are reached by cursor: the next
//! page starts after the last post shown (`?before=ID`), so it costs the same at any depth and
//! does not shift when posts are written meanwhile. The URL holds the cursor, so every page can
//! be reloaded and shared; the search term is kept. The browser's Back goes to newer pages.

use leptos::prelude::*;
use leptos_router::components::A;

/// The query string for a page of a list: the search term and the cursor, when there are any.
pub fn page_href(base: &str, search: &str, before: Option<i64>) -> String {
    let mut params = Vec::new();
    if !search.is_empty() {
        params.push(format!("q={}", encode(search)));
    }
    if let Some(before) = before {
        params.push(format!("before={before}"));
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

/// Links to the first page and to the one after this page.
#[component]
pub fn Pager(
    /// The list's path, e.g. `/` or `/me`.
    #[prop(into)]
    base: String,
    /// The current search term ("" for none).
    #[prop(into)]
    search: Signal<String>,
    /// This page's cursor (none on the first page).
    #[prop(into)]
    before: Signal<Option<i64>>,
    /// The cursor of the next page (the id of this page's last post), when one follows.
    next: Option<i64>,
) -> impl IntoView {
    let newest = base.clone();
    view! {
        <nav class="pager" aria-label="Pages">
            <Show when=move || before.get().is_some()>
                <A href={
                    let base = newest.clone();
                    move || page_href(&base, &search.get(), None)
                } attr:rel="first">
                    "← Newest"
                </A>
            </Show>
            {next.map(|next| view! {
                <A href={
                    let base = base.clone();
                    move || page_href(&base, &search.get(), Some(next))
                } attr:rel="next">
                    "Older →"
                </A>
            })}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::page_href;

    #[test]
    fn page_links_keep_the_search_and_the_cursor() {
        assert_eq!(page_href("/", "", None), "/");
        assert_eq!(page_href("/", "", Some(42)), "/?before=42");
        assert_eq!(
            page_href("/", "rust & co", Some(7)),
            "/?q=rust%20%26%20co&before=7"
        );
    }
}
