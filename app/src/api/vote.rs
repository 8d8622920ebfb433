//! The vote server function for the UI. Same rules as `POST /api/vote/`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{VoteInput, VoteOutcome};

/// Adds (`dir` 1) or removes (`dir` 0) the caller's vote on a post.
#[server(prefix = "/rpc", endpoint = "cast_vote")]
pub async fn cast_vote(
    vote: VoteInput,
    idempotency_key: Option<String>,
    #[server(default)] as_user: Option<i64>,
) -> Result<VoteOutcome, AppError> {
    use super::ssr::{respond, state, write_once};
    use crate::server::db;

    respond(
        async {
            let key = idempotency_key.as_deref();
            write_once(&state()?, key, as_user, async |tx, voter| {
                let direction = vote.direction()?;
                db::vote::cast(tx, voter, None, vote.post_id, direction).await?;
                Ok(VoteOutcome::for_direction(direction))
            })
            .await
        }
        .await,
    )
}
