//! The outbox: writes made offline, kept in this browser until the server gives a definitive
//! answer, and sent in order, each with its idempotency key (so a write whose answer was lost is
//! not applied twice when sent again).
//!
//! - **One storage key per entry** (`postboard:<user>:outbox:<seq>`): queueing adds a key and
//!   sending removes one, so a write queued by another tab, or by this one during a send, is
//!   never overwritten by a stale copy of the queue. `seq` sorts in the order writes were made.
//! - **A write leaves only on a definitive answer** (`Verdict`): applied, or refused for good
//!   (403, 404, 409, 422; reported with the text the user wrote, so it can be copied). A 401 keeps
//!   it until the same user logs in again; 408, 429, 5xx and network failures keep it and retry
//!   with a growing delay, or after the server's `Retry-After`.
//! - **One sender across tabs**: sending runs under the Web Lock `postboard-outbox-<user>`; a
//!   tab that finds it taken leaves the work to the holder, which reads the queue afresh before
//!   each write and so also sends what other tabs queue meanwhile.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::storage::{load, names_starting_with, remove, save, StorageFull};
use super::{now_ms, Offline};
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
    /// "new post “Title”", for messages about it.
    pub fn describe(&self) -> String {
        match self {
            Self::Create { title, .. } => format!("new post “{title}”"),
            Self::Update { title, .. } => format!("edit of “{title}”"),
            Self::Delete { id } => format!("deletion of post {id}"),
            Self::Vote { post_id, dir: 1 } => format!("vote on post {post_id}"),
            Self::Vote { post_id, .. } => format!("removal of your vote on post {post_id}"),
        }
    }

    /// The text the user wrote, if any, so that a refused write can still be copied.
    fn text(&self) -> Option<String> {
        match self {
            Self::Create { title, content, .. } | Self::Update { title, content, .. } => {
                Some(format!("{title}\n\n{content}"))
            }
            Self::Delete { .. } | Self::Vote { .. } => None,
        }
    }
}

/// An outbox entry: the write, the idempotency key that makes resending it safe, and how its
/// sending has gone so far.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Queued {
    pub key: String,
    pub write: Write,
    /// Tries that got a temporary failure.
    #[serde(default)]
    pub attempts: u32,
    /// Not to be sent before this time (milliseconds since the epoch).
    #[serde(default)]
    pub retry_at: f64,
}

/// What the user is told about one waiting write.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiting {
    /// The entry's storage name (for `discard`).
    pub name: String,
    pub description: String,
    pub state: &'static str,
    /// After `STUCK_AFTER` failed tries, the write the user may copy and discard: a write the
    /// server keeps failing on would otherwise hold back every later one.
    pub stuck: Option<Option<String>>,
}

/// Failed tries after which the user is offered to copy and discard a write.
const STUCK_AFTER: u32 = 3;

/// A write the server refused for good, with the text the user wrote.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Refusal {
    pub message: String,
    pub text: Option<String>,
}

/// What an answer means for the write that was sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Applied (or applied before: the idempotency key replays the first answer).
    Sent,
    /// Refused for good: the post is gone or not the writer's, or the text breaks a rule. The
    /// same answer would come again.
    Refused(String),
    /// The session has ended: kept until the same user logs in again.
    LogIn,
    /// Worth trying again: after this many seconds if the server said (`Retry-After`).
    Retry { after_seconds: Option<u64> },
}

impl Verdict {
    /// The verdict on a server function's answer.
    pub fn of(answer: &Result<(), AppError>) -> Self {
        let error = match answer {
            Ok(()) => return Self::Sent,
            Err(error) => error,
        };
        match error {
            AppError::NotAuthenticated | AppError::InvalidToken => Self::LogIn,
            AppError::RateLimited { retry_after } => Self::Retry {
                after_seconds: Some(*retry_after),
            },
            AppError::Transport(_) | AppError::Unavailable | AppError::Internal => Self::Retry {
                after_seconds: None,
            },
            AppError::Validation(_)
            | AppError::InvalidCredentials
            | AppError::Forbidden(_)
            | AppError::NotFound(_)
            | AppError::Conflict(_)
            | AppError::PayloadTooLarge
            | AppError::UnsupportedMediaType => Self::Refused(reason(error)),
        }
    }
}

/// The server's reason, in words (a validation error gives its messages).
fn reason(error: &AppError) -> String {
    match error.field_errors() {
        Some(errors) if !errors.is_empty() => errors
            .0
            .iter()
            .map(|e| e.msg.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        _ => error.to_string(),
    }
}

/// How long to wait before the next try after `attempts` temporary failures, in milliseconds:
/// 2 s, 4 s, 8 s ... up to 5 minutes, or what the server asked for (at least 1 s).
pub fn backoff_ms(attempts: u32, after_seconds: Option<u64>) -> f64 {
    match after_seconds {
        Some(seconds) => (seconds as f64 * 1000.0).clamp(1000.0, MAX_BACKOFF_MS),
        None => (1000.0 * 2f64.powi(attempts.clamp(1, 16) as i32)).min(MAX_BACKOFF_MS),
    }
}

/// The longest wait between two tries: 5 minutes.
const MAX_BACKOFF_MS: f64 = 300_000.0;

/// Entry names start with this; the old single-key queue had exactly this name.
const OUTBOX: &str = "outbox";

/// Refused writes are kept under this name until dismissed.
const REFUSED: &str = "refused";

/// A fresh entry name, `outbox:<13-digit ms>-<random>`: unique, and sorted by time of queueing.
fn new_name() -> String {
    #[cfg(feature = "hydrate")]
    let random = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    #[cfg(not(feature = "hydrate"))]
    let random = 0u64;
    format!("{OUTBOX}:{:013}-{random:08x}", now_ms() as u64)
}

/// The user's waiting writes, oldest first, by entry name. A queue stored by an older version
/// (one key holding a list) is moved to one key per entry first.
fn entries(user: i64) -> Vec<(String, Queued)> {
    if let Some(old) = load::<Vec<Queued>>(Some(user), OUTBOX) {
        // Named by their own keys (which sort by time too), so that moving twice is harmless.
        let moved = old.iter().all(|queued| {
            let name = format!("{OUTBOX}:0000000000000-{}", queued.key);
            save(Some(user), &name, queued).is_ok()
        });
        if moved {
            remove(Some(user), OUTBOX);
        }
    }
    names_starting_with(user, &format!("{OUTBOX}:"))
        .into_iter()
        .filter_map(|name| load::<Queued>(Some(user), &name).map(|queued| (name, queued)))
        .collect()
}

/// A new entry for `write`, and the name it is stored under.
fn new_entry(write: Write) -> (String, Queued) {
    let name = new_name();
    let queued = Queued {
        key: name.trim_start_matches("outbox:").to_owned(),
        write,
        attempts: 0,
        retry_at: 0.0,
    };
    (name, queued)
}

/// Queues a write for `user`: stored before this returns, or refused (`StorageFull`).
pub fn enqueue(offline: Offline, user: i64, write: Write) -> Result<(), StorageFull> {
    let (name, queued) = new_entry(write);
    save(Some(user), &name, &queued)?;
    refresh_pending(offline, user);
    Ok(())
}

/// What became of a write handed to `submit`.
#[derive(Debug)]
pub enum Submitted {
    /// Applied; for a new or edited post, its id.
    Sent(Option<i64>),
    /// In the outbox: sent when the connection (or the server, or the session) is back.
    Queued,
    /// Refused for good; the form shows why and keeps what was written.
    Refused(AppError),
    /// Neither sent nor storable: the form keeps what was written and says so.
    Unstored(StorageFull),
}

/// Sends `user`'s write, or queues it: offline at once; online when the send fails on the way
/// (network, 5xx, 429: the browser may say "online" on a connection that does not carry) or the
/// session has ended. A queued write keeps the idempotency key it was sent with, so one that was
/// applied although its answer was lost is not applied twice. The one path for the editor,
/// deleting and voting.
pub async fn submit(offline: Offline, user: i64, write: Write) -> Submitted {
    // Behind writes still waiting, this one waits its turn: sent in the order they were made.
    let online = offline.online.get_untracked();
    let behind_others = offline.pending.get_untracked() > 0 || offline.flushing.get_untracked();
    if !online || behind_others {
        return match enqueue(offline, user, write) {
            Ok(()) => {
                if online {
                    leptos::task::spawn_local(flush(offline, user));
                }
                Submitted::Queued
            }
            Err(full) => Submitted::Unstored(full),
        };
    }
    let (name, queued) = new_entry(write);
    let answer = send(user, &queued).await;
    match Verdict::of(&answer.clone().map(drop)) {
        Verdict::Sent => Submitted::Sent(answer.ok().flatten()),
        Verdict::Refused(_) => match answer {
            Err(error) => Submitted::Refused(error),
            Ok(id) => Submitted::Sent(id),
        },
        verdict => {
            let later = match verdict {
                Verdict::Retry { after_seconds } => Queued {
                    attempts: 1,
                    retry_at: now_ms() + backoff_ms(1, after_seconds),
                    ..queued
                },
                _ => {
                    offline.needs_login.set(true);
                    queued
                }
            };
            if let Err(full) = save(Some(user), &name, &later) {
                return Submitted::Unstored(full);
            }
            refresh_pending(offline, user);
            retry_later(offline, user, later.retry_at - now_ms());
            Submitted::Queued
        }
    }
}

/// Reads the user's outbox into `offline.pending` and `offline.waiting` (after login, after a
/// change in another tab).
pub fn refresh_pending(offline: Offline, user: i64) {
    let now = now_ms();
    let waiting: Vec<Waiting> = entries(user)
        .into_iter()
        .map(|(name, queued)| Waiting {
            name,
            stuck: (queued.attempts >= STUCK_AFTER).then(|| queued.write.text()),
            description: queued.write.describe(),
            state: if offline.needs_login.get_untracked() {
                "waiting for you to log in again"
            } else if queued.retry_at > now {
                "the server did not take it yet; trying again shortly"
            } else {
                "waiting to be sent"
            },
        })
        .collect();
    let refusals: Vec<Refusal> = names_starting_with(user, &format!("{REFUSED}:"))
        .into_iter()
        .filter_map(|name| load::<Refusal>(Some(user), &name))
        .collect();
    // Set only on change: the banners are live regions, read out again when they change.
    if offline.waiting.get_untracked() != waiting {
        offline.pending.set(waiting.len());
        offline.waiting.set(waiting);
    }
    if offline.refusals.get_untracked() != refusals {
        offline.refusals.set(refusals);
    }
}

/// How long a send may take before it counts as a network failure.
const SEND_TIMEOUT_MS: u32 = 30_000;

/// Sends a write as `user`'s: the server refuses it (401) if the browser's session is now
/// someone else's, as it may be after a login in another tab. For a new or edited post, its id.
/// A send that hangs (a connection that neither carries nor fails) is given up after
/// `SEND_TIMEOUT_MS` as a network failure: the write is tried again later with the same
/// idempotency key, so the answer that may still come applies it once.
async fn send(user: i64, queued: &Queued) -> Result<Option<i64>, AppError> {
    match within(SEND_TIMEOUT_MS, send_now(user, queued)).await {
        Some(answer) => answer,
        None => Err(AppError::Transport(
            "no answer within 30 seconds".to_owned(),
        )),
    }
}

/// `work`'s output, or `None` when it takes longer than `ms` milliseconds.
async fn within<T>(ms: u32, work: impl std::future::Future<Output = T>) -> Option<T> {
    use std::future::Future;
    use std::task::Poll;

    let mut work = std::pin::pin!(work);
    let mut timer = std::pin::pin!(sleep(ms));
    std::future::poll_fn(move |cx| {
        if let Poll::Ready(output) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// Resolves after `ms` milliseconds (in the browser; never on the server, where nothing is sent
/// from here).
async fn sleep(ms: u32) {
    #[cfg(feature = "hydrate")]
    {
        let delay = js_sys::Promise::new(&mut |resolve, _| {
            let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(
                &resolve,
                i32::try_from(ms).unwrap_or(i32::MAX),
            );
        });
        let _ = wasm_bindgen_futures::JsFuture::from(delay).await;
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
        std::future::pending::<()>().await;
    }
}

async fn send_now(user: i64, queued: &Queued) -> Result<Option<i64>, AppError> {
    use crate::api::post::{create_post, delete_post, update_post};
    use crate::api::vote::cast_vote;
    use crate::model::VoteInput;

    let key = Some(queued.key.clone());
    let me = Some(user);
    let checkbox = |published: bool| published.then(|| "on".to_owned());
    match queued.write.clone() {
        Write::Create {
            title,
            content,
            published,
        } => create_post(title, content, checkbox(published), key, me)
            .await
            .map(|post| Some(post.id)),
        Write::Update {
            id,
            title,
            content,
            published,
        } => update_post(id, title, content, checkbox(published), key, me)
            .await
            .map(|post| Some(post.id)),
        Write::Delete { id } => delete_post(id, key, me).await.map(|()| None),
        Write::Vote { post_id, dir } => cast_vote(VoteInput { post_id, dir }, key, me)
            .await
            .map(|_| None),
    }
}

/// Sends the user's outbox in order, as far as the answers allow (see the module's rules). Does
/// nothing unless `user` is the one logged in on this page (the session's cookies would send
/// someone else's writes as theirs), or while another tab is sending.
pub async fn flush(offline: Offline, user: i64) {
    if offline.user.get_untracked() != Some(user) {
        return;
    }
    if offline.flushing.get_untracked() {
        // The running flush looks again before it ends.
        offline.flush_again.set(true);
        return;
    }
    offline.flushing.set(true);
    loop {
        offline.flush_again.set(false);
        if !with_lock(user, flush_locked(offline, user)).await {
            // Another tab is sending: look again once it is likely done.
            retry_later(offline, user, 2_000.0);
        }
        if !offline.flush_again.get_untracked() {
            break;
        }
    }
    offline.flushing.set(false);
}

async fn flush_locked(offline: Offline, user: i64) {
    let mut sent_any = false;
    loop {
        if offline.user.get_untracked() != Some(user) {
            return;
        }
        if !offline.online.get_untracked() {
            // Sent when the connection returns (the `online` event flushes again).
            break;
        }
        let Some((name, queued)) = entries(user).into_iter().next() else {
            break;
        };
        let now = now_ms();
        // A time further off than the longest backoff means the clock was set back: due now.
        if queued.retry_at > now && queued.retry_at <= now + MAX_BACKOFF_MS {
            retry_later(offline, user, queued.retry_at - now);
            break;
        }
        match Verdict::of(&send(user, &queued).await.map(drop)) {
            Verdict::Sent => {
                remove(Some(user), &name);
                let sent = format!("Sent your {} made offline.", queued.write.describe());
                offline.outcomes.update(|outcomes| outcomes.push(sent));
                sent_any = true;
            }
            Verdict::Refused(why) => {
                // Kept, with the text written, until the user dismisses it: in every tab, and
                // across reloads.
                let refusal = Refusal {
                    message: format!("Could not apply your {}: {why}", queued.write.describe()),
                    text: queued.write.text(),
                };
                // The entry goes first, which makes room; should the refusal still not fit, the
                // entry comes back (and is shown as failing) rather than the text being lost.
                let refused = name.replacen(OUTBOX, REFUSED, 1);
                remove(Some(user), &name);
                if save(Some(user), &refused, &refusal).is_err() {
                    let _ = save(Some(user), &name, &queued);
                    break;
                }
                sent_any = true;
            }
            Verdict::LogIn => {
                offline.needs_login.set(true);
                break;
            }
            Verdict::Retry { after_seconds } => {
                let attempts = queued.attempts.saturating_add(1);
                let delay = backoff_ms(attempts, after_seconds);
                let later = Queued {
                    attempts,
                    retry_at: now_ms() + delay,
                    ..queued
                };
                // Only if it is still queued: it may have been discarded or wiped meanwhile. (If
                // the save fails, it stays as it was and is retried sooner, that is all.)
                if load::<Queued>(Some(user), &name).is_some() {
                    let _ = save(Some(user), &name, &later);
                }
                retry_later(offline, user, delay);
                break;
            }
        }
        refresh_pending(offline, user);
    }
    if offline.user.get_untracked() == Some(user) {
        refresh_pending(offline, user);
    }
    if sent_any {
        offline.synced.update(|n| *n += 1);
    }
}

/// Makes every waiting write of the user due now (the connection just came back: the backoff
/// was about the server or the network, which may both be fine again).
pub fn due_now(user: i64) {
    for (name, queued) in entries(user) {
        if queued.retry_at > 0.0 {
            let _ = save(
                Some(user),
                &name,
                &Queued {
                    retry_at: 0.0,
                    ..queued
                },
            );
        }
    }
}

/// Drops one waiting write, at the user's word (one that keeps failing).
pub fn discard(offline: Offline, user: i64, name: &str) {
    if name.starts_with(&format!("{OUTBOX}:")) {
        remove(Some(user), name);
    }
    refresh_pending(offline, user);
}

/// Forgets a refused write once the user has read about it.
pub fn dismiss_refusals(offline: Offline, user: i64) {
    for name in names_starting_with(user, &format!("{REFUSED}:")) {
        remove(Some(user), &name);
    }
    refresh_pending(offline, user);
}

/// Flushes again after `delay_ms` (at most the longest backoff).
fn retry_later(offline: Offline, user: i64, delay_ms: f64) {
    #[cfg(feature = "hydrate")]
    set_timeout(
        move || leptos::task::spawn_local(flush(offline, user)),
        std::time::Duration::from_millis(delay_ms.clamp(0.0, MAX_BACKOFF_MS) as u64),
    );
    #[cfg(not(feature = "hydrate"))]
    let _ = (offline, user, delay_ms);
}

/// Runs `work` holding the user's outbox lock, shared by every tab of this site (the Web Locks
/// API); false, without running it, when another tab holds the lock. Browsers without Web Locks
/// run it at once: the idempotency keys still keep a write from being applied twice.
async fn with_lock(user: i64, work: impl std::future::Future<Output = ()> + 'static) -> bool {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::{Function, Object, Promise, Reflect};
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;

        let navigator = window().navigator();
        let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).unwrap_or_default();
        let request = Reflect::get(&locks, &JsValue::from_str("request"))
            .ok()
            .and_then(|request| request.dyn_into::<Function>().ok());
        let Some(request) = request.filter(|_| !locks.is_undefined()) else {
            work.await;
            return true;
        };
        let ran = std::rc::Rc::new(std::cell::Cell::new(false));
        let ran_inside = ran.clone();
        let mut work = Some(work);
        let callback = Closure::<dyn FnMut(JsValue) -> Promise>::new(move |lock: JsValue| {
            let work = work.take();
            let ran = ran_inside.clone();
            wasm_bindgen_futures::future_to_promise(async move {
                if let (false, Some(work)) = (lock.is_null(), work) {
                    ran.set(true);
                    work.await;
                }
                Ok(JsValue::UNDEFINED)
            })
        });
        let options = Object::new();
        let _ = Reflect::set(&options, &"ifAvailable".into(), &JsValue::TRUE);
        let name = JsValue::from_str(&format!("postboard-outbox-{user}"));
        let held = request.call3(&locks, &name, &options, callback.as_ref().unchecked_ref());
        if let Ok(promise) = held.and_then(|held| held.dyn_into::<Promise>()) {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        }
        drop(callback);
        ran.get()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = user;
        work.await;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{FieldError, FieldErrorKind};

    #[test]
    fn only_a_definitive_answer_lets_a_write_leave_the_outbox() {
        assert_eq!(Verdict::of(&Ok(())), Verdict::Sent);
        for lasting in [
            AppError::NotFound("post with id: 3 was not found".into()),
            AppError::Forbidden("Not authorized to perform requested action".into()),
            AppError::conflict("post_id", "already voted"),
        ] {
            assert!(matches!(Verdict::of(&Err(lasting)), Verdict::Refused(_)));
        }
        let invalid = AppError::Validation(
            FieldError::body("title", FieldErrorKind::StringTooLong, "Title is too long").into(),
        );
        assert_eq!(
            Verdict::of(&Err(invalid)),
            Verdict::Refused("Title is too long".into())
        );
        assert_eq!(Verdict::of(&Err(AppError::InvalidToken)), Verdict::LogIn);
        assert_eq!(
            Verdict::of(&Err(AppError::NotAuthenticated)),
            Verdict::LogIn
        );
        for passing in [
            AppError::Unavailable,
            AppError::Internal,
            AppError::Transport("offline".into()),
        ] {
            assert_eq!(
                Verdict::of(&Err(passing)),
                Verdict::Retry {
                    after_seconds: None
                }
            );
        }
        assert_eq!(
            Verdict::of(&Err(AppError::RateLimited { retry_after: 7 })),
            Verdict::Retry {
                after_seconds: Some(7)
            }
        );
    }

    #[test]
    fn retries_back_off_and_honour_retry_after() {
        assert_eq!(backoff_ms(1, None), 2_000.0);
        assert_eq!(backoff_ms(2, None), 4_000.0);
        assert_eq!(backoff_ms(30, None), 300_000.0);
        assert_eq!(backoff_ms(1, Some(7)), 7_000.0);
        assert_eq!(backoff_ms(1, Some(0)), 1_000.0);
        assert_eq!(backoff_ms(1, Some(86_400)), 300_000.0);
    }
}
