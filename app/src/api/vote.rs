//! The vote server function for the UI. Same rules as `POST /api/vote/`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{VoteInput, VoteOutcome};

/// Adds (`dir` 1) or removes (`dir` 0) the caller's vote on a post.
#[server(prefix = "/rpc", endpoint = "cast_vote")]
pub async fn cast_vote(vote: VoteInput) -> Result<VoteOutcome, AppError> {
    use super::ssr::{require_caller, respond, state};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let voter = require_caller(&state).await?;
            let direction = vote.direction()?;
            db::vote::cast(&state.pool, voter.id, vote.post_id, direction).await?;
            Ok(VoteOutcome::for_direction(direction))
        }
        .await,
    )
}
