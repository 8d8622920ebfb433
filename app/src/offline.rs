//! The browser's local data, so a reader on a train keeps reading and writing: drafts, the last
//! feed pages seen, and an outbox of writes made offline that is replayed, in order, when the
//! connection returns. Everything lives in localStorage (gloo-storage) under keys scoped to the
//! logged-in user, is touched only after hydration (so the server render and the first client
//! render always match), and is wiped on logout. On the server every function here is a no-op.

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Shared offline state, provided by `App`.
#[derive(Clone, Copy)]
pub struct Offline {
    /// Whether the browser has a connection (assumed true until hydration says otherwise).
    pub online: RwSignal<bool>,
    /// Writes waiting in the outbox.
    pub pending: RwSignal<usize>,
    /// What happened to replayed writes, for the user to read.
    pub outcomes: RwSignal<Vec<String>>,
    /// Bumped after the outbox was sent, so views refetch.
    pub synced: RwSignal<u32>,
    flushing: RwSignal<bool>,
}

/// The offline state from context.
pub fn use_offline() -> Offline {
    expect_context::<Offline>()
}

/// Creates the offline state and provides it as context.
pub fn provide_offline() -> Offline {
    let offline = Offline {
        online: RwSignal::new(true),
        pending: RwSignal::new(0),
        outcomes: RwSignal::new(Vec::new()),
        synced: RwSignal::new(0),
        flushing: RwSignal::new(false),
    };
    provide_context(offline);
    offline
}

/// A stored value and when it was stored (milliseconds since the epoch).
#[derive(Clone, Serialize, Deserialize)]
pub struct Stamped<T> {
    pub saved_at: f64,
    pub value: T,
}

impl<T> Stamped<T> {
    /// How long ago the value was saved: "just now", "5 min ago", "2 h ago", "3 days ago".
    pub fn age(&self) -> String {
        ago(((now_ms() - self.saved_at) / 60_000.0).max(0.0) as i64)
    }
}

/// "just now", "5 min ago", "2 h ago", "3 days ago", for a time this many minutes past.
pub fn ago(minutes: i64) -> String {
    match minutes {
        i64::MIN..=0 => "just now".to_owned(),
        1..=59 => format!("{minutes} min ago"),
        60..=1439 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::Utc::now().timestamp_millis() as f64
    }
}

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
        if let Ok(Some(storage)) = window().local_storage() {
            let length = storage.length().unwrap_or(0);
            let keys: Vec<String> = (0..length)
                .filter_map(|index| storage.key(index).ok().flatten())
                .filter(|key| key.starts_with(PREFIX))
                .collect();
            for key in keys {
                let _ = storage.remove_item(&key);
            }
        }
        tell_worker("clear-pages");
    }
}

/// Whether this browser has service workers (not in insecure contexts, nor in old browsers).
#[cfg(feature = "hydrate")]
fn has_service_workers() -> bool {
    js_sys::Reflect::has(
        &window().navigator(),
        &wasm_bindgen::JsValue::from_str("serviceWorker"),
    )
    .unwrap_or(false)
}

/// Sends a message to the service worker controlling this page, if there is one.
#[cfg(feature = "hydrate")]
fn tell_worker(message: &str) {
    if !has_service_workers() {
        return;
    }
    if let Some(worker) = window().navigator().service_worker().controller() {
        let _ = worker.post_message(&wasm_bindgen::JsValue::from_str(message));
    }
}

/// Whether the browser says it has a connection (always true on the server).
pub fn is_browser_online() -> bool {
    #[cfg(feature = "hydrate")]
    {
        window().navigator().on_line()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        true
    }
}

/// Asks the service worker to keep an offline copy of `url` (a page reached by client-side
/// navigation, which the worker does not see).
pub fn remember_page(url: &str) {
    #[cfg(feature = "hydrate")]
    tell_worker(&format!("cache:{url}"));
    #[cfg(not(feature = "hydrate"))]
    let _ = url;
}

/// Registers the service worker for the build named in the page's `postboard-build` meta tag
/// (`/sw.js?v=<build>`), so a new build replaces the worker and its caches.
pub fn register_service_worker() {
    #[cfg(feature = "hydrate")]
    {
        let build = document()
            .query_selector("meta[name=postboard-build]")
            .ok()
            .flatten()
            .and_then(|meta| meta.get_attribute("content"))
            .unwrap_or_else(|| "dev".to_owned());
        if has_service_workers() {
            let _ = window()
                .navigator()
                .service_worker()
                .register(&format!("/sw.js?v={build}"));
        }
    }
}

/// A write made offline, waiting to be sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Write {
    Create {
        title: String,
        content: String,
        published: bool,
    },
    Update {
        id: i64,
        title: String,
        content: String,
        published: bool,
    },
    Delete {
        id: i64,
    },
    Vote {
        post_id: i64,
        dir: i64,
    },
}

impl Write {
    fn describe(&self) -> String {
        match self {
            Self::Create { title, .. } => format!("new post “{title}”"),
            Self::Update { title, .. } => format!("edit of “{title}”"),
            Self::Delete { id } => format!("deletion of post {id}"),
            Self::Vote { post_id, dir: 1 } => format!("vote on post {post_id}"),
            Self::Vote { post_id, .. } => format!("removal of your vote on post {post_id}"),
        }
    }
}

/// An outbox entry: the write and the idempotency key that makes resending it safe.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Queued {
    pub key: String,
    pub write: Write,
}

const OUTBOX: &str = "outbox";

fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let random = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        format!("{:x}-{:x}", js_sys::Date::now() as u64, random)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

fn outbox(user: i64) -> Vec<Queued> {
    load(Some(user), OUTBOX).unwrap_or_default()
}

fn store_outbox(offline: Offline, user: i64, queue: &[Queued]) {
    if queue.is_empty() {
        remove(Some(user), OUTBOX);
    } else {
        save(Some(user), OUTBOX, &queue);
    }
    offline.pending.set(queue.len());
}

/// Queues a write made offline.
pub fn enqueue(offline: Offline, user: i64, write: Write) {
    let mut queue = outbox(user);
    queue.push(Queued {
        key: new_key(),
        write,
    });
    store_outbox(offline, user, &queue);
}

/// Reads the outbox size for `user` (after login or hydration).
pub fn refresh_pending(offline: Offline, user: i64) {
    offline.pending.set(outbox(user).len());
}

async fn send(queued: &Queued) -> Result<(), AppError> {
    use crate::api::post::{create_post, delete_post, update_post};
    use crate::api::vote::cast_vote;
    use crate::model::VoteInput;

    let key = Some(queued.key.clone());
    let checkbox = |published: bool| published.then(|| "on".to_owned());
    match queued.write.clone() {
        Write::Create {
            title,
            content,
            published,
        } => create_post(title, content, checkbox(published), key)
            .await
            .map(drop),
        Write::Update {
            id,
            title,
            content,
            published,
        } => update_post(id, title, content, checkbox(published), key)
            .await
            .map(drop),
        Write::Delete { id } => delete_post(id, key).await,
        Write::Vote { post_id, dir } => cast_vote(VoteInput { post_id, dir }, key).await.map(drop),
    }
}

/// Sends the outbox in order. A write the server refuses (the post was deleted meanwhile, a
/// conflict, not allowed) is dropped and reported; a network failure stops the run and keeps
/// the rest for later. Each write carries its idempotency key, so one whose answer was lost is
/// not applied twice when sent again.
pub async fn flush(offline: Offline, user: i64) {
    if offline.flushing.get_untracked() {
        return;
    }
    offline.flushing.set(true);
    let mut queue = outbox(user);
    let mut sent_any = false;
    while let Some(first) = queue.first().cloned() {
        let outcome = match send(&first).await {
            Ok(()) => format!("Sent your {} made offline.", first.write.describe()),
            Err(AppError::Transport(_)) => break,
            Err(error) => format!("Could not apply your {}: {error}", first.write.describe()),
        };
        queue.remove(0);
        store_outbox(offline, user, &queue);
        offline.outcomes.update(|outcomes| outcomes.push(outcome));
        sent_any = true;
    }
    offline.flushing.set(false);
    if sent_any {
        offline.synced.update(|n| *n += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::ago;

    #[test]
    fn ages_read_as_a_person_says_them() {
        assert_eq!(ago(-3), "just now", "a clock slightly behind the server's");
        assert_eq!(ago(0), "just now");
        assert_eq!(ago(5), "5 min ago");
        assert_eq!(ago(125), "2 h ago");
        assert_eq!(ago(3 * 1440 + 7), "3 days ago");
    }
}
