//! The browser's local data, so a reader on a train keeps reading and writing: drafts, the last
//! feed pages seen, and an outbox of writes made offline that is replayed, in order, when the
//! connection returns (`outbox`). Everything lives in localStorage (`storage`) under keys scoped
//! to the logged-in user, is touched only after hydration (so the server render and the first
//! client render always match), and is wiped when that user logs out. The service worker
//! (`worker`) keeps the app shell and the pages seen. On the server every function here is a
//! no-op.

mod copies;
mod outbox;
mod storage;
mod worker;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use copies::{known_post, remember_post};
pub use outbox::{discard, dismiss_refusals, due_now, flush, refresh_pending, submit};
pub use outbox::{Refusal, Submitted, Waiting, Write};
pub use storage::{
    clear_user, feed_page_name, is_about_writes, load, remove, save, save_stamped, StorageFull,
    FEED_PAGE,
};
pub use worker::{is_browser_online, register_service_worker, remember_page};

/// Shared offline state, provided by `App`.
#[derive(Clone, Copy)]
pub struct Offline {
    /// Whether the browser has a connection (assumed true until hydration says otherwise).
    pub online: RwSignal<bool>,
    /// The user logged in on this page: the only one whose writes it may send.
    pub user: RwSignal<Option<i64>>,
    /// Writes waiting in the outbox.
    pub pending: RwSignal<usize>,
    /// Each waiting write and its state, for the user to read.
    pub waiting: RwSignal<Vec<Waiting>>,
    /// The server answered 401 to a waiting write: the writer must log in again.
    pub needs_login: RwSignal<bool>,
    /// Writes that were sent, for the user to read.
    pub outcomes: RwSignal<Vec<String>>,
    /// Writes the server refused for good, with the text the user wrote.
    pub refusals: RwSignal<Vec<Refusal>>,
    /// Bumped after the outbox was sent, so views refetch.
    pub synced: RwSignal<u32>,
    flushing: RwSignal<bool>,
    /// Asked to flush while a flush ran: it looks again before it ends.
    flush_again: RwSignal<bool>,
}

/// The offline state from context.
pub fn use_offline() -> Offline {
    expect_context::<Offline>()
}

/// Creates the offline state and provides it as context.
pub fn provide_offline() -> Offline {
    let offline = Offline {
        online: RwSignal::new(true),
        user: RwSignal::new(None),
        pending: RwSignal::new(0),
        waiting: RwSignal::new(Vec::new()),
        needs_login: RwSignal::new(false),
        outcomes: RwSignal::new(Vec::new()),
        refusals: RwSignal::new(Vec::new()),
        synced: RwSignal::new(0),
        flushing: RwSignal::new(false),
        flush_again: RwSignal::new(false),
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
