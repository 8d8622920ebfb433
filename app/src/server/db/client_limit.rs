//! The `client_limits` table: each client's budget of login and sign-up attempts, shared by every
//! instance, as a generic cell rate algorithm (one timestamp per client).

use std::time::Duration;

use sqlx::PgExecutor;

use crate::error::AppError;

/// Spends one attempt of `client`'s budget, which refills one attempt every `interval` and holds
/// at most `burst`. `Ok(None)` when admitted; otherwise the seconds until the next attempt
/// would be. One statement: concurrent attempts of one client queue on its row.
#[tracing::instrument(skip_all)]
pub async fn spend(
    executor: impl PgExecutor<'_>,
    client: &[u8],
    interval: Duration,
    burst: u32,
) -> Result<Option<f64>, AppError> {
    // Admitted while the budget's refill time stays within `burst` intervals of now.
    let ahead = interval.as_secs_f64() * f64::from(burst.saturating_sub(1));
    let row = sqlx::query!(
        r#"with admitted as (
               insert into client_limits as l (client, full_at)
               values ($1, now() + make_interval(secs => $2))
               on conflict on constraint client_limits_pkey do update
               set full_at = greatest(l.full_at, now()) + make_interval(secs => $2)
               where l.full_at <= now() + make_interval(secs => $3)
               returning 1
           )
           select exists (select 1 from admitted) as "is_admitted!",
                  (select extract(epoch from full_at - now())::float8 - $3
                   from client_limits where client = $1) as wait"#,
        client,
        interval.as_secs_f64(),
        ahead,
    )
    .fetch_one(executor)
    .await?;
    Ok(if row.is_admitted {
        None
    } else {
        Some(row.wait.unwrap_or(0.0).max(0.0))
    })
}

/// Deletes the budgets that are whole again (nothing to remember); how many.
#[tracing::instrument(skip_all)]
pub async fn delete_full(executor: impl PgExecutor<'_>) -> Result<u64, AppError> {
    let deleted = sqlx::query!("delete from client_limits where full_at < now()")
        .execute(executor)
        .await?
        .rows_affected();
    Ok(deleted)
}
