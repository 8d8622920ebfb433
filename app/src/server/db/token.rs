//! The `refresh_tokens` table. Tokens are looked up by their SHA-256 hash only.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::AppError;

/// What presenting a refresh token found.
#[derive(Debug, PartialEq, Eq)]
pub enum Consumed {
    /// A live token, now marked used: issue its successor in the same family.
    Fresh { user_id: i64, family_id: Uuid },
    /// The token exchanged last in its family, presented again within the grace period: two
    /// tabs renewing at once, or a retry after a lost answer. Its successor is already stored.
    Retried { user_id: i64, family_id: Uuid },
    /// A token exchanged earlier than that, or after the grace period: someone holds a copy.
    Reused { family_id: Uuid },
    /// Unknown, expired or revoked.
    Invalid,
}

/// Stores a new token of a family.
#[tracing::instrument(skip_all, fields(%family_id, user_id))]
pub async fn insert(
    executor: impl PgExecutor<'_>,
    token_hash: &[u8],
    family_id: Uuid,
    user_id: i64,
    expires_at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query!(
        r#"insert into refresh_tokens (token_hash, family_id, user_id, expires_at)
           values ($1, $2, $3, $4)"#,
        token_hash,
        family_id,
        user_id,
        expires_at
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Marks a live token used: of two requests racing with one token, one gets `Fresh` and the
/// other finds it used. A used token is `Retried` when it is the family's most recently
/// exchanged one, was exchanged less than `grace` ago and its family is live; else `Reused`.
/// Run it in the transaction that inserts the successor, after `session::lock_by_token`.
#[tracing::instrument(skip(conn, token_hash))]
pub async fn consume(
    conn: &mut PgConnection,
    token_hash: &[u8],
    grace: std::time::Duration,
) -> Result<Consumed, AppError> {
    // clock_timestamp, not now(): the order of exchanges, not of their transactions' starts.
    let fresh = sqlx::query!(
        r#"update refresh_tokens set used_at = clock_timestamp()
           where token_hash = $1 and used_at is null and revoked_at is null and expires_at > now()
           returning user_id, family_id"#,
        token_hash
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = fresh {
        return Ok(Consumed::Fresh {
            user_id: row.user_id,
            family_id: row.family_id,
        });
    }
    let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
    let used = sqlx::query!(
        r#"select t.user_id, t.family_id,
                  ($2::bigint > 0
                   and t.revoked_at is null
                   and t.expires_at > now()
                   and t.used_at > clock_timestamp() - make_interval(secs => $2::bigint / 1000.0)
                   and not exists (select 1 from refresh_tokens later
                                   where later.family_id = t.family_id
                                     and later.used_at > t.used_at)) as "is_retry!"
           from refresh_tokens t
           where t.token_hash = $1 and t.used_at is not null"#,
        token_hash,
        grace_ms
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match used {
        None => Consumed::Invalid,
        Some(row) if row.is_retry => Consumed::Retried {
            user_id: row.user_id,
            family_id: row.family_id,
        },
        Some(row) => Consumed::Reused {
            family_id: row.family_id,
        },
    })
}

/// Revokes every token of a family.
#[tracing::instrument(skip(executor))]
pub async fn revoke_family(executor: impl PgExecutor<'_>, family_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "update refresh_tokens set revoked_at = now() where family_id = $1 and revoked_at is null",
        family_id
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Revokes the family of the token with this hash (logout). Unknown hashes change nothing.
#[tracing::instrument(skip_all)]
pub async fn revoke_by_token(
    executor: impl PgExecutor<'_>,
    token_hash: &[u8],
) -> Result<(), AppError> {
    sqlx::query!(
        r#"update refresh_tokens set revoked_at = now()
           where revoked_at is null
             and family_id = (select family_id from refresh_tokens where token_hash = $1)"#,
        token_hash
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Revokes the tokens of the given sessions (families); how many sessions were live.
#[tracing::instrument(skip(executor))]
pub async fn revoke_families(
    executor: impl PgExecutor<'_>,
    family_ids: &[Uuid],
) -> Result<u64, AppError> {
    let ended = sqlx::query_scalar!(
        r#"with revoked as (
               update refresh_tokens set revoked_at = now()
               where family_id = any($1) and revoked_at is null
               returning family_id)
           select count(distinct family_id) as "count!" from revoked"#,
        family_ids
    )
    .fetch_one(executor)
    .await?;
    Ok(u64::try_from(ended).unwrap_or_default())
}

/// Deletes the tokens that can no longer do anything: expired ones, and revoked ones (presenting
/// either is a 401 with or without its row). Rotated tokens of a live session stay until they
/// expire: presenting one again is how a stolen token is detected. How many.
#[tracing::instrument(skip_all)]
pub async fn delete_spent(executor: impl PgExecutor<'_>) -> Result<u64, AppError> {
    let deleted = sqlx::query!(
        "delete from refresh_tokens where expires_at < now() or revoked_at is not null"
    )
    .execute(executor)
    .await?
    .rows_affected();
    Ok(deleted)
}
