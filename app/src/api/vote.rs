//! The vote server function for the UI. Same rules as `POST /api/vote/`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{VoteInput, VoteOutcome};

/// Adds (`dir` 1) or removes (`dir` 0) the caller's vote on a post.
#[server(prefix = "/rpc", endpoint = "cast_vote")]
pub async fn cast_vote(
    vote: VoteInput,
    idempotency_key: Option<String>,
) -> Result<VoteOutcome, AppError> {
    use super::ssr::{begin_write, check_key, finish_write, require_caller, respond, state};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let voter = require_caller(&state).await?;
            let direction = vote.direction()?;
            check_key(&idempotency_key)?;
            let key = idempotency_key.as_deref();
            let (mut tx, replay) = begin_write::<VoteOutcome>(&state, voter.id, key).await?;
            if let Some(earlier) = replay {
                return Ok(earlier);
            }
            db::vote::cast(&mut tx, voter.id, None, vote.post_id, direction).await?;
            let outcome = VoteOutcome::for_direction(direction);
            finish_write(tx, voter.id, key, &outcome).await?;
            Ok(outcome)
        }
        .await,
    )
}
