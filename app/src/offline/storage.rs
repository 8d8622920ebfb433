//! This browser's localStorage (through gloo-storage), under keys scoped to the logged-in user:
//! `postboard:<user id>:<name>`, or `postboard:anon:<name>` for a visitor.
//!
//! localStorage rather than IndexedDB: it is synchronous, so a write is either stored or refused
//! before the editor moves on (and the editor can say so at once), every browser has it, and the
//! outbox is small (a few writes of at most ~20 KB each) next to its ~5 MB per site. When it is
//! full, the copies of feed pages kept for offline reading go first, oldest first: they can be
//! fetched again, a write cannot. What still does not fit is refused with `StorageFull`.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::now_ms;
use super::Stamped;

const PREFIX: &str = "postboard:";

/// The prefix of the names cached feed pages are stored under ([`feed_page_name`]).
pub const FEED_PAGE: &str = "feed:";

/// The name a page of the feed is cached under: `feed:<search>:first`, or `feed:<search>:b<id>`
/// for the page after post `id`. (Names of the paged-by-number pages of earlier releases,
/// `feed:<search>:<n>`, are never read again; their prefix lets them give way when room is
/// needed.)
pub fn feed_page_name(search: &str, before: Option<i64>) -> String {
    match before {
        None => format!("{FEED_PAGE}{search}:first"),
        Some(id) => format!("{FEED_PAGE}{search}:b{id}"),
    }
}

/// The names of cached data, which can be fetched again: the only data dropped to make room
/// (feed pages, and copies of posts).
#[cfg(any(feature = "hydrate", test))]
const CACHED: [&str; 2] = [FEED_PAGE, super::copies::POST_COPY];

/// The browser would not store a value: its storage for this site is full even without the
/// cached pages (or it keeps none, as some private modes do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StorageFull;

impl std::fmt::Display for StorageFull {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("this browser's storage is full")
    }
}

fn storage_key(user: Option<i64>, name: &str) -> String {
    match user {
        Some(id) => format!("{PREFIX}{id}:{name}"),
        None => format!("{PREFIX}anon:{name}"),
    }
}

/// Stores `value` for `user` under `name`, dropping cached data (feed pages, copies of posts;
/// oldest first) while the storage is full.
pub fn save<T: Serialize>(user: Option<i64>, name: &str, value: &T) -> Result<(), StorageFull> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        let key = storage_key(user, name);
        let text = serde_json::to_string(value).map_err(|_| StorageFull)?;
        let storage = gloo_storage::LocalStorage::raw();
        while storage.set_item(&key, &text).is_err() {
            if !drop_oldest_cached(&key) {
                return Err(StorageFull);
            }
        }
        Ok(())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (storage_key(user, name), value);
        Ok(())
    }
}

/// Stores `value` with the current time.
pub fn save_stamped<T: Serialize + Clone>(
    user: Option<i64>,
    name: &str,
    value: &T,
) -> Result<(), StorageFull> {
    save(
        user,
        name,
        &Stamped {
            saved_at: now_ms(),
            value: value.clone(),
        },
    )
}

/// When a cached page was saved: all that eviction reads of it.
#[cfg(feature = "hydrate")]
#[derive(serde::Deserialize)]
struct SavedAt {
    saved_at: f64,
}

/// Removes the cached data saved longest ago, of any user, other than `keep`. Whether there was
/// any to remove.
#[cfg(feature = "hydrate")]
fn drop_oldest_cached(keep: &str) -> bool {
    use gloo_storage::Storage;
    let storage = gloo_storage::LocalStorage::raw();
    let oldest = keys_starting_with(PREFIX)
        .into_iter()
        .filter(|key| key != keep && is_cached(key))
        .map(|key| {
            let saved_at = storage
                .get_item(&key)
                .ok()
                .flatten()
                .and_then(|text| serde_json::from_str::<SavedAt>(&text).ok())
                .map_or(0.0, |stamp| stamp.saved_at);
            (saved_at, key)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0));
    match oldest {
        Some((_, key)) => storage.remove_item(&key).is_ok(),
        None => false,
    }
}

/// Whether a storage key holds cached data (`postboard:<user or anon>:feed:...` or `...:post:...`).
#[cfg(any(feature = "hydrate", test))]
fn is_cached(key: &str) -> bool {
    key.strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(_, name)| CACHED.iter().any(|cached| name.starts_with(cached)))
}

/// The value stored for `user` under `name`, if any (and readable).
pub fn load<T: DeserializeOwned>(user: Option<i64>, name: &str) -> Option<T> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        gloo_storage::LocalStorage::get(storage_key(user, name)).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = storage_key(user, name);
        None
    }
}

/// Forgets what is stored for `user` under `name`.
pub fn remove(user: Option<i64>, name: &str) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        gloo_storage::LocalStorage::delete(storage_key(user, name));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = storage_key(user, name);
}

/// The names `user` has stored starting with `start`, sorted.
pub fn names_starting_with(user: i64, start: &str) -> Vec<String> {
    let prefix = storage_key(Some(user), start);
    let owner = storage_key(Some(user), "");
    let mut names: Vec<String> = keys_starting_with(&prefix)
        .into_iter()
        .filter_map(|key| key.strip_prefix(&owner).map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// Every key of this site's storage that starts with `prefix`.
fn keys_starting_with(prefix: &str) -> Vec<String> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        let storage = gloo_storage::LocalStorage::raw();
        let length = storage.length().unwrap_or(0);
        (0..length)
            .filter_map(|index| storage.key(index).ok().flatten())
            .filter(|key| key.starts_with(prefix))
            .collect()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = prefix;
        Vec::new()
    }
}

/// Whether a storage key holds a queued or refused write (for `storage` events from other
/// tabs: drafts and cached pages change far more often, and are not news).
pub fn is_about_writes(key: &str) -> bool {
    key.strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(_, name)| name.starts_with("outbox:") || name.starts_with("refused:"))
}

/// Wipes everything `user` stored in this browser (logout), and the pages the service worker
/// kept. Other users' data stays: a write another account queued waits for that account.
pub fn clear_user(user: i64) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        for key in keys_starting_with(&storage_key(Some(user), "")) {
            gloo_storage::LocalStorage::delete(key);
        }
        super::worker::tell_worker(&format!("forget:{user}"));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = user;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cached_pages_and_posts_may_be_dropped_to_make_room() {
        assert!(is_cached("postboard:7:feed::1"));
        assert!(is_cached("postboard:anon:feed:rust:2"));
        assert!(is_cached("postboard:7:post:12"));
        assert!(!is_cached("postboard:7:outbox:0001"));
        assert!(!is_cached("postboard:7:draft:new"));
        assert!(!is_cached("other-app:feed:1"));
    }

    #[test]
    fn feed_pages_are_named_by_their_cursor_and_stay_droppable() {
        assert_eq!(feed_page_name("", None), "feed::first");
        assert_eq!(feed_page_name("rust", Some(42)), "feed:rust:b42");
        assert!(is_cached(&storage_key(
            Some(7),
            &feed_page_name("go", Some(3))
        )));
    }
}
