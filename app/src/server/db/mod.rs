//! Every SQL statement of Postboard, one module per table. Functions take any executor (pool,
//! connection or transaction) so callers decide what runs in one transaction. Uniqueness and
//! existence are decided by the database and mapped here from the named constraints of
//! `migrations/`, never checked first and inserted later.

pub mod client_limit;
pub mod idempotency;
pub mod imported_row;
pub mod login_failure;
pub mod original;
pub mod post;
pub mod session;
pub mod token;
pub mod user;
pub mod vote;

use sqlx::postgres::PgConnectOptions;

/// The settings of every database session the server opens: `options` with JIT compilation off.
/// JIT is for long analytic queries; ours take well under a millisecond, and JIT only adds its
/// compile time to them. Postgres compiles a statement once its plan's estimated cost passes
/// `jit_above_cost`, and a generic plan with `limit`/`offset` parameters is estimated high: the
/// feed's crossed it at ~1.5M posts, and a page then took ~34 ms instead of ~0.2 ms.
pub fn session_options(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("jit", "off")])
}

/// Takes the advisory lock of `job` until the transaction ends, if no other session holds it:
/// whether it did. A transaction-level lock, so that it works through a pooler in transaction
/// mode (PgBouncer) and cannot outlive a connection handed back to the pool.
pub async fn try_lock_job(
    conn: &mut sqlx::PgConnection,
    job: i64,
) -> Result<bool, crate::error::AppError> {
    let is_locked =
        sqlx::query_scalar!(r#"select pg_try_advisory_xact_lock($1) as "locked!""#, job)
            .fetch_one(conn)
            .await?;
    Ok(is_locked)
}

/// Locks `users` and `posts` against writes until the transaction ends (reads go on): the
/// import checks which ids are free and then takes them, which a sign-up or a new post in
/// between must not race. (A vote needs its user and post, so votes need no lock of their own.)
pub async fn lock_for_import(conn: &mut sqlx::PgConnection) -> Result<(), crate::error::AppError> {
    sqlx::query!("lock table users, posts in share row exclusive mode")
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves the identity sequences of `users` and `posts` past the highest id in each table, past
/// the highest id of the import's source (`source_users`, `source_posts`: merged accounts' ids
/// must not be handed out again, since the original app's tokens name users by id alone), and
/// never backwards.
pub async fn move_sequences_past_ids(
    conn: &mut sqlx::PgConnection,
    source_users: i64,
    source_posts: i64,
) -> Result<(), crate::error::AppError> {
    sqlx::query!(
        r#"select setval(pg_get_serial_sequence('users', 'id'),
                         greatest((select max(id) from users), $1,
                                  pg_sequence_last_value(pg_get_serial_sequence('users', 'id')::regclass), 1)) as "users!",
                  setval(pg_get_serial_sequence('posts', 'id'),
                         greatest((select max(id) from posts), $2,
                                  pg_sequence_last_value(pg_get_serial_sequence('posts', 'id')::regclass), 1)) as "posts!""#,
        source_users,
        source_posts
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// `texts` lowered by the database's own `lower()` (Rust's differs for a few letters), in order.
pub async fn lowercase(
    conn: &mut sqlx::PgConnection,
    texts: &[String],
) -> Result<Vec<String>, crate::error::AppError> {
    let lowered = sqlx::query_scalar!(
        r#"select lower(text) as "lower!" from unnest($1::text[]) with ordinality as t(text, n) order by n"#,
        texts
    )
    .fetch_all(conn)
    .await?;
    Ok(lowered)
}

/// Lifts `DATABASE_STATEMENT_TIMEOUT_MS` for the rest of the transaction (background work that
/// no request waits for).
pub async fn lift_statement_timeout(
    conn: &mut sqlx::PgConnection,
) -> Result<(), crate::error::AppError> {
    sqlx::query!("set local statement_timeout = 0")
        .execute(conn)
        .await?;
    Ok(())
}

/// The name of the constraint a database error violated, if it is a constraint violation.
pub(crate) fn violated_constraint(error: &sqlx::Error) -> Option<&str> {
    match error {
        sqlx::Error::Database(db_error) => db_error.constraint(),
        _ => None,
    }
}
