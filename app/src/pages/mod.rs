//! One module per route. Pages own their resources, actions and URL state, and pass data down to
//! components.

pub mod account;
pub mod author;
pub mod editor;
pub mod home;
pub mod login;
pub mod my_posts;
pub mod not_found;
pub mod post_detail;
pub mod register;

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Posts per page in the UI.
pub const PAGE_SIZE: i64 = 10;

/// The `q` and `page` query parameters of a list view.
pub fn use_list_params() -> (Memo<String>, Memo<i64>) {
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("q").unwrap_or_default().trim().to_owned());
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|raw| raw.parse::<i64>().ok())
            .filter(|page| (1..=100_000).contains(page))
            .unwrap_or(1)
    });
    (search, page)
}
