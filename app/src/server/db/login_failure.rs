//! The `login_failures` table: failed logins per account and per client at an account, shared by
//! every instance. The rules they serve (who is refused, who waits) are `auth::throttle`'s; the
//! statements here only count and hand out turns, each in one round trip.

use std::time::Duration;

use sqlx::{PgExecutor, PgPool};

use crate::error::AppError;

/// What one login attempt found when it was counted.
#[derive(Debug)]
pub struct Attempt {
    /// Attempts of this client at this account in the window, this one included (at most one
    /// more than the limit).
    pub client_attempts: i32,
    /// Seconds until this client's window at the account ends.
    pub client_window_left: f64,
    /// Whether the account, counted from everywhere, is past the limit.
    pub is_account_attacked: bool,
    /// Past the limit: seconds until this attempt's turn, when it was given one; none when the
    /// account is not past the limit or the turn was too far away to give.
    pub turn_in: Option<f64>,
    /// Past the limit: seconds until the account's next free turn.
    pub next_turn_in: f64,
}

/// Counts an attempt of `client` (its address or network, `ClientKey::octets`) at the account
/// `name` and, when the account has failed `limit`
/// times in the window, gives the attempt the account's next turn (`step` after the previous
/// one) unless the client has tried before and that turn is more than `max_wait` away. All in
/// one statement: the client's row and the account's are locked together for its length only.
#[tracing::instrument(skip_all)]
pub async fn count_attempt(
    executor: impl PgExecutor<'_>,
    client: &[u8],
    name: &str,
    limit: u32,
    window: Duration,
    step: Duration,
    max_wait: Duration,
) -> Result<Attempt, AppError> {
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    let row = sqlx::query!(
        r#"with client as (
               insert into login_failures as f (key, failures)
               values (login_client_key($1, $2), 1)
               on conflict on constraint login_failures_pkey do update set
                   failures = case when f.since <= now() - make_interval(secs => $4)
                                   then 1 else least(f.failures, $3) + 1 end,
                   since = case when f.since <= now() - make_interval(secs => $4)
                                then now() else f.since end
               returning failures, since
           ),
           account as (
               select failures, next_slot from login_failures
               where key = login_account_key($2) and since > now() - make_interval(secs => $4)
           ),
           turn as (
               update login_failures as a
               set next_slot = greatest(a.next_slot, now()) + make_interval(secs => $5)
               from client
               where a.key = login_account_key($2)
                 and client.failures <= $3
                 and a.since > now() - make_interval(secs => $4)
                 and a.failures >= $3
                 and (client.failures = 1
                      or greatest(a.next_slot, now()) <= now() + make_interval(secs => $6))
               returning greatest(a.next_slot - make_interval(secs => $5), now()) as slot
           )
           select client.failures as "client_attempts!",
                  extract(epoch from client.since + make_interval(secs => $4) - now())::float8
                      as "client_window_left!",
                  coalesce((select failures >= $3 from account), false) as "is_account_attacked!",
                  (select extract(epoch from slot - now())::float8 from turn) as turn_in,
                  coalesce((select extract(epoch from next_slot - now())::float8 from account), 0)
                      as "next_turn_in!"
           from client"#,
        client,
        name,
        limit,
        window.as_secs_f64(),
        step.as_secs_f64(),
        max_wait.as_secs_f64(),
    )
    .fetch_one(executor)
    .await?;
    Ok(Attempt {
        client_attempts: row.client_attempts,
        client_window_left: row.client_window_left,
        is_account_attacked: row.is_account_attacked,
        turn_in: row.turn_in,
        next_turn_in: row.next_turn_in,
    })
}

/// Counts a failed login of the account `name` (a window over `window` old starts afresh).
#[tracing::instrument(skip_all)]
pub async fn record_failure(
    executor: impl PgExecutor<'_>,
    name: &str,
    window: Duration,
) -> Result<(), AppError> {
    sqlx::query!(
        r#"insert into login_failures as f (key, failures) values (login_account_key($1), 1)
           on conflict on constraint login_failures_pkey do update set
               failures = case when f.since <= now() - make_interval(secs => $2)
                               then 1 else least(f.failures, 1000000) + 1 end,
               next_slot = case when f.since <= now() - make_interval(secs => $2)
                                then now() else f.next_slot end,
               since = case when f.since <= now() - make_interval(secs => $2)
                            then now() else f.since end"#,
        name,
        window.as_secs_f64(),
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Forgets the counts of the account `name` and of `client` at it (a successful login): the
/// client's row first, then the account's, the order `count_attempt` locks them in.
#[tracing::instrument(skip_all)]
pub async fn forget(pool: &PgPool, client: &[u8], name: &str) -> Result<(), AppError> {
    sqlx::query!(
        "delete from login_failures where key = login_client_key($1, $2)",
        client,
        name
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "delete from login_failures where key = login_account_key($1)",
        name
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes the counts whose window ended before `window` ago; how many.
#[tracing::instrument(skip_all)]
pub async fn delete_stale(
    executor: impl PgExecutor<'_>,
    window: Duration,
) -> Result<u64, AppError> {
    let deleted = sqlx::query!(
        "delete from login_failures where since < now() - make_interval(secs => $1)",
        window.as_secs_f64()
    )
    .execute(executor)
    .await?
    .rows_affected();
    Ok(deleted)
}
