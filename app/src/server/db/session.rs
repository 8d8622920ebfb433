//! The `sessions` table: one row a login, beside its refresh tokens (`token`). A session is live
//! while one of its refresh tokens is unrevoked; this table holds what its owner is shown, and
//! the row that exchanges and revocations of the session lock, so that they run one at a time.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::ActiveSession;

/// Records a new session.
#[tracing::instrument(skip(executor, user_agent))]
pub async fn insert(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    user_id: i64,
    user_agent: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into sessions (id, user_id, user_agent) values ($1, $2, $3)",
        id,
        user_id,
        user_agent
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Notes that the session's tokens were just renewed, from this client (a client that sends no
/// `User-Agent` leaves the one on record).
#[tracing::instrument(skip(executor, user_agent))]
pub async fn touch(
    executor: impl PgExecutor<'_>,
    id: Uuid,
    user_agent: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        r#"update sessions set last_used_at = now(), user_agent = coalesce(nullif($2, ''), user_agent)
           where id = $1"#,
        id,
        user_agent
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Locks, until the transaction ends, the session that the refresh token with this hash
/// belongs to: a revocation cannot then miss a successor that a concurrent exchange is
/// inserting. Unknown tokens lock nothing.
#[tracing::instrument(skip_all)]
pub async fn lock_by_token(conn: &mut PgConnection, token_hash: &[u8]) -> Result<(), AppError> {
    sqlx::query_scalar!(
        r#"select s.id from sessions s
           join refresh_tokens t on t.family_id = s.id
           where t.token_hash = $1
           for update of s"#,
        token_hash
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(())
}

/// Locks the user's live sessions (a token neither revoked nor expired) for ending them: the one
/// with id `only`, or, when `only` is `None`, every one but `keep`. Locks in id order, so that
/// two such calls cannot deadlock. Returns the ids locked.
#[tracing::instrument(skip(conn))]
pub async fn lock_of_user(
    conn: &mut PgConnection,
    user_id: i64,
    only: Option<Uuid>,
    keep: Option<Uuid>,
) -> Result<Vec<Uuid>, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select id from sessions
           where user_id = $1
             and ($2::uuid is null or id = $2)
             and id is distinct from $3
             and exists (select 1 from refresh_tokens t
                         where t.family_id = sessions.id
                           and t.revoked_at is null
                           and t.expires_at > now())
           order by id
           for update"#,
        user_id,
        only,
        keep
    )
    .fetch_all(&mut *conn)
    .await?)
}

/// Locks every session row of the user, live or not, in id order: deleting the user deletes
/// them (and their tokens), and a refresh that holds one of them must finish first, or the two
/// would wait for each other.
#[tracing::instrument(skip(conn))]
pub async fn lock_all_of_user(conn: &mut PgConnection, user_id: i64) -> Result<(), AppError> {
    sqlx::query_scalar!(
        "select id from sessions where user_id = $1 order by id for update",
        user_id
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(())
}

/// The live sessions of the viewer (none when the viewer's own session has ended or the user is
/// gone), most recently used first. `current` marks the viewer's.
#[tracing::instrument(skip(executor))]
pub async fn list_live(
    executor: impl PgExecutor<'_>,
    viewer: i64,
    session: Option<Uuid>,
) -> Result<Vec<ActiveSession>, AppError> {
    Ok(sqlx::query_as!(
        ActiveSession,
        r#"select s.id::text as "id!", s.created_at, s.last_used_at, s.user_agent,
                  (s.id is not distinct from $2) as "current!"
           from sessions s
           where s.user_id = live_viewer($1, $2)
             and exists (select 1 from refresh_tokens t
                         where t.family_id = s.id
                           and t.revoked_at is null
                           and t.expires_at > now())
           order by s.last_used_at desc, s.id"#,
        viewer,
        session
    )
    .fetch_all(executor)
    .await?)
}

/// Deletes the sessions left without a single refresh token (they ended, and their tokens were
/// deleted); how many. A session younger than a minute is left alone: a server of the previous
/// version, mid-deploy, may still be adding its first token.
#[tracing::instrument(skip_all)]
pub async fn delete_ended(executor: impl PgExecutor<'_>) -> Result<u64, AppError> {
    let deleted = sqlx::query!(
        r#"delete from sessions s
           where s.created_at < now() - interval '1 minute'
             and not exists (select 1 from refresh_tokens t where t.family_id = s.id)"#
    )
    .execute(executor)
    .await?
    .rows_affected();
    Ok(deleted)
}
