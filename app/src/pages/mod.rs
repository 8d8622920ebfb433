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

/// The `q` and `before` query parameters of a list view: the search term, and the cursor (the
/// id of the last post of the page before; none on the first page).
pub fn use_list_params() -> (Memo<String>, Memo<Option<i64>>) {
    let query = use_query_map();
    let search = Memo::new(move |_| query.read().get("q").unwrap_or_default().trim().to_owned());
    let before = Memo::new(move |_| {
        query
            .read()
            .get("before")
            .and_then(|raw| raw.parse::<i64>().ok())
            .filter(|before| *before >= 1)
    });
    (search, before)
}
