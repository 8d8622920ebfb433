//! The `imported_rows` table: the import's ledger of what it brought over from the original app
//! (`server::import`), so that a second run adds only what is new.

use sqlx::PgConnection;

use crate::error::AppError;

/// Every row of `kind` ('user' or 'post') an earlier import dealt with, as `(source id, id
/// here)`; the id is none for a post it left out.
#[tracing::instrument(skip(conn))]
pub async fn all(conn: &mut PgConnection, kind: &str) -> Result<Vec<(i64, Option<i64>)>, AppError> {
    let rows = sqlx::query!(
        "select source_id, target_id from imported_rows where kind = $1",
        kind
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.source_id, row.target_id))
        .collect())
}

/// Records rows of `kind` as dealt with (same transaction as the rows themselves); a target id
/// of none records a post left out.
#[tracing::instrument(skip(conn, source_ids, target_ids), fields(count = source_ids.len()))]
pub async fn record(
    conn: &mut PgConnection,
    kind: &str,
    source_ids: &[i64],
    target_ids: &[Option<i64>],
) -> Result<(), AppError> {
    sqlx::query!(
        r#"insert into imported_rows (kind, source_id, target_id)
           select $1, * from unnest($2::bigint[], $3::bigint[])
           on conflict on constraint imported_rows_pkey do nothing"#,
        kind,
        source_ids,
        target_ids as &[Option<i64>]
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
