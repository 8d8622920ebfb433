//! The outbox: writes made offline, replayed in order when the connection returns.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::storage::{load, remove, save};
use super::Offline;
use crate::error::AppError;

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
