//! The periodic clean-up: deletes what nobody needs any more, so that tables that grow with use
//! (refresh tokens, sessions, idempotency keys, the limits' counts) stay the size of what is
//! live. Every instance runs the loop; an advisory lock lets one of them do the work at a time,
//! so two instances never delete the same rows twice or contend for them.

use crate::error::AppError;
use crate::server::db;
use crate::server::state::AppState;

/// The advisory lock of the clean-up: the same in every instance, unlike any other lock here.
pub const CLEANUP_LOCK: i64 = i64::from_be_bytes(*b"pb-clean");

/// What one round deleted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Deleted {
    pub refresh_tokens: u64,
    pub sessions: u64,
    pub idempotency_keys: u64,
    pub login_failures: u64,
    pub client_limits: u64,
}

impl Deleted {
    fn total(&self) -> u64 {
        self.refresh_tokens
            + self.sessions
            + self.idempotency_keys
            + self.login_failures
            + self.client_limits
    }
}

/// One round, in one transaction under the clean-up's lock: `None` when another instance holds
/// the lock (it is doing this very work).
#[tracing::instrument(skip_all)]
pub async fn run_once(state: &AppState) -> Result<Option<Deleted>, AppError> {
    let mut tx = state.pool.begin().await?;
    if !db::try_lock_job(&mut tx, CLEANUP_LOCK).await? {
        return Ok(None);
    }
    // A first round on a large backlog may take longer than a request's statement may.
    db::lift_statement_timeout(&mut tx).await?;
    // Tokens before sessions: a session goes once its last token has.
    let deleted = Deleted {
        refresh_tokens: db::token::delete_spent(&mut *tx).await?,
        sessions: db::session::delete_ended(&mut *tx).await?,
        idempotency_keys: db::idempotency::delete_older_than(
            &mut *tx,
            state.config.idempotency_key_retention,
        )
        .await?,
        login_failures: db::login_failure::delete_stale(&mut *tx, state.throttle.window()).await?,
        client_limits: db::client_limit::delete_full(&mut *tx).await?,
    };
    tx.commit().await?;
    Ok(Some(deleted))
}

/// Runs a round every `CLEANUP_INTERVAL_SECONDS`, forever (the binary spawns it). A failed round
/// (the database away) is logged and tried again at the next tick.
pub async fn run_periodically(state: AppState) {
    let mut ticks = tokio::time::interval(state.config.cleanup_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(error) = crate::server::auth::account::note_bcrypt_hashes(&state).await {
            tracing::warn!(%error, "cannot tell whether bcrypt hashes remain");
        }
        match run_once(&state).await {
            Ok(Some(deleted)) if deleted.total() > 0 => tracing::info!(?deleted, "cleaned up"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "clean-up failed; retrying at the next tick"),
        }
    }
}
