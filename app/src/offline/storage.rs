//! This browser's localStorage (through gloo-storage), under keys scoped to the logged-in user:
//! `postboard:<user id>:<name>`, or `postboard:anon:<name>` for a visitor.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::now_ms;
use super::Stamped;

const PREFIX: &str = "postboard:";

fn storage_key(user: Option<i64>, name: &str) -> String {
    match user {
        Some(id) => format!("{PREFIX}{id}:{name}"),
        None => format!("{PREFIX}anon:{name}"),
    }
}

/// Stores `value` for `user` under `name`.
pub fn save<T: Serialize>(user: Option<i64>, name: &str, value: &T) {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        let _ = gloo_storage::LocalStorage::set(storage_key(user, name), value);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (storage_key(user, name), value);
}

/// Stores `value` with the current time.
pub fn save_stamped<T: Serialize + Clone>(user: Option<i64>, name: &str, value: &T) {
    save(
        user,
        name,
        &Stamped {
            saved_at: now_ms(),
            value: value.clone(),
        },
    );
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

/// Wipes every piece of Postboard data in this browser (logout), including the pages the
/// service worker kept.
pub fn clear_all() {
    #[cfg(feature = "hydrate")]
    {
        if let Ok(Some(storage)) = leptos::prelude::window().local_storage() {
            let length = storage.length().unwrap_or(0);
            let keys: Vec<String> = (0..length)
                .filter_map(|index| storage.key(index).ok().flatten())
                .filter(|key| key.starts_with(PREFIX))
                .collect();
            for key in keys {
                let _ = storage.remove_item(&key);
            }
        }
        super::worker::tell_worker("clear-pages");
    }
}
