//! The `idempotency_keys` table: remembered answers of writes replayed by the offline outbox.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::PgConnection;

use crate::error::AppError;

/// The answer stored for `key`, if a write with this key already succeeded. Takes the key's row
/// lock first (by inserting a placeholder), so a concurrent replay waits for the first attempt
/// to commit or roll back. Call inside the write's transaction, before the write.
#[tracing::instrument(skip(conn))]
pub async fn replayed<T: DeserializeOwned>(
    conn: &mut PgConnection,
    user_id: i64,
    key: &str,
) -> Result<Option<T>, AppError> {
    let claimed = sqlx::query!(
        r#"insert into idempotency_keys (user_id, key, response) values ($1, $2, 'null')
           on conflict on constraint idempotency_keys_pkey do nothing"#,
        user_id,
        key
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if claimed == 1 {
        return Ok(None);
    }
    let stored = sqlx::query_scalar!(
        "select response from idempotency_keys where user_id = $1 and key = $2",
        user_id,
        key
    )
    .fetch_one(&mut *conn)
    .await?;
    serde_json::from_value(stored)
        .map(Some)
        .map_err(AppError::internal)
}

/// Stores the answer of the write made under `key` (same transaction as the write).
#[tracing::instrument(skip(conn, response))]
pub async fn record<T: Serialize>(
    conn: &mut PgConnection,
    user_id: i64,
    key: &str,
    response: &T,
) -> Result<(), AppError> {
    let json = serde_json::to_value(response).map_err(AppError::internal)?;
    sqlx::query!(
        "update idempotency_keys set response = $3 where user_id = $1 and key = $2",
        user_id,
        key,
        json
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes the answers stored longer ago than `retention`; how many.
#[tracing::instrument(skip(executor))]
pub async fn delete_older_than(
    executor: impl sqlx::PgExecutor<'_>,
    retention: std::time::Duration,
) -> Result<u64, AppError> {
    let deleted = sqlx::query!(
        "delete from idempotency_keys where created_at < now() - make_interval(secs => $1)",
        retention.as_secs_f64()
    )
    .execute(executor)
    .await?
    .rows_affected();
    Ok(deleted)
}
