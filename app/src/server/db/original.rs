//! Reading the original app's database (`server import-original`): its `users`, `posts` and
//! `votes` as its alembic migrations create them (head `c47ecbf163d4`). These statements use
//! sqlx's unchecked functions: the query macros check SQL against Postboard's own schema, and
//! these tables are not in it. Everything here only reads.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use crate::error::AppError;
use crate::server::import::rules::{SourcePost, SourceUser};

/// The source's alembic revision, or `None` when it has no `alembic_version` table.
pub async fn revision(conn: &mut PgConnection) -> Result<Option<String>, AppError> {
    let has_table: bool = sqlx::query_scalar("select to_regclass('alembic_version') is not null")
        .fetch_one(&mut *conn)
        .await?;
    if !has_table {
        return Ok(None);
    }
    Ok(
        sqlx::query_scalar("select version_num::text from alembic_version limit 1")
            .fetch_optional(&mut *conn)
            .await?,
    )
}

/// Every user, by id. A missing password or date is read as empty or now (the original's
/// columns allow neither, but a hand-edited database might).
pub async fn users(conn: &mut PgConnection) -> Result<Vec<SourceUser>, AppError> {
    let rows = sqlx::query(
        "select id::bigint, email::text, coalesce(password, '')::text as password,
                coalesce(created_at, now()) as created_at, phone_number::text
         from users order by id",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SourceUser {
                id: row.try_get("id")?,
                email: row.try_get("email")?,
                password: row.try_get("password")?,
                created_at: row.try_get::<DateTime<Utc>, _>("created_at")?,
                phone_number: row.try_get("phone_number")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Up to `limit` posts with an id above `after`, by id.
pub async fn posts_after(
    conn: &mut PgConnection,
    after: i64,
    limit: i64,
) -> Result<Vec<SourcePost>, AppError> {
    let rows = sqlx::query(
        "select id::bigint, coalesce(title, '')::text as title, coalesce(content, '')::text as content,
                coalesce(published, true) as published, coalesce(created_at, now()) as created_at,
                owner_id::bigint
         from posts where id > $1 order by id limit $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(SourcePost {
                id: row.try_get("id")?,
                title: row.try_get("title")?,
                content: row.try_get("content")?,
                published: row.try_get("published")?,
                created_at: row.try_get("created_at")?,
                owner_id: row.try_get("owner_id")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}

/// Up to `limit` votes after the (user, post) pair `after`, in that order.
pub async fn votes_after(
    conn: &mut PgConnection,
    after: (i64, i64),
    limit: i64,
) -> Result<Vec<(i64, i64)>, AppError> {
    let rows = sqlx::query(
        "select user_id::bigint, post_id::bigint from votes
         where (user_id, post_id) > ($1, $2) order by user_id, post_id limit $3",
    )
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(AppError::from)
}
