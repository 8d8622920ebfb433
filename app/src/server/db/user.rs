//! The `users` table.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::{DisplayName, Email, User};
use crate::server::db::violated_constraint;

/// What login needs to check a password. Server-only: never serialised.
pub struct StoredCredentials {
    pub user_id: i64,
    pub password_hash: String,
}

/// Creates an account. An e-mail or a name already taken, in any letter case, is a 409 on
/// `email` or `name`.
#[tracing::instrument(skip(executor, password_hash))]
pub async fn insert(
    executor: impl PgExecutor<'_>,
    email: &Email,
    name: Option<&DisplayName>,
    password_hash: &str,
) -> Result<User, AppError> {
    sqlx::query_as!(
        User,
        r#"insert into users (email, name, password_hash) values ($1, $2, $3)
           returning id, email, coalesce(name, 'user#' || id) as "name!", created_at"#,
        email.as_str(),
        name.map(DisplayName::as_str),
        password_hash,
    )
    .fetch_one(executor)
    .await
    .map_err(taken)
}

/// A uniqueness violation on `users` as the 409 of its field; any other error as it is.
fn taken(error: sqlx::Error) -> AppError {
    match violated_constraint(&error) {
        Some("users_email_key") => {
            AppError::conflict("email", "A user with this e-mail already exists")
        }
        Some("users_name_key") => AppError::conflict("name", "This name is taken"),
        _ => AppError::from_db(error),
    }
}

/// Gives the user a new display name: the user as it now is (`None` if gone). A name another
/// user has, in any letter case, is a 409 on `name`.
#[tracing::instrument(skip(executor))]
pub async fn rename(
    executor: impl PgExecutor<'_>,
    id: i64,
    name: &DisplayName,
) -> Result<Option<User>, AppError> {
    sqlx::query_as!(
        User,
        r#"update users set name = $2 where id = $1
           returning id, email, coalesce(name, 'user#' || id) as "name!", created_at"#,
        id,
        name.as_str()
    )
    .fetch_optional(executor)
    .await
    .map_err(taken)
}

/// Replaces the user's password hash, if it is still `checked` (the one the caller's password
/// was verified against): false when it changed meanwhile, or the user is gone.
#[tracing::instrument(skip_all, fields(id))]
pub async fn replace_password_hash(
    executor: impl PgExecutor<'_>,
    id: i64,
    checked: &str,
    password_hash: &str,
) -> Result<bool, AppError> {
    let replaced = sqlx::query!(
        "update users set password_hash = $3 where id = $1 and password_hash = $2",
        id,
        checked,
        password_hash
    )
    .execute(executor)
    .await?;
    Ok(replaced.rows_affected() > 0)
}

/// Keeps the user's password from changing until the transaction ends, if it is still
/// `checked`: false when it changed since it was verified (a login must not then start a
/// session that the password change did not see).
#[tracing::instrument(skip_all, fields(id))]
pub async fn hold_password(
    conn: &mut sqlx::PgConnection,
    id: i64,
    checked: &str,
) -> Result<bool, AppError> {
    let held = sqlx::query_scalar!(
        r#"select 1 as "held!" from users where id = $1 and password_hash = $2 for share"#,
        id,
        checked
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(held.is_some())
}

/// Deletes the user, if the password hash is still `checked`; their posts, votes, sessions and
/// tokens go with them (`on delete cascade`). Whether the user was deleted.
#[tracing::instrument(skip_all, fields(id))]
pub async fn delete(
    executor: impl PgExecutor<'_>,
    id: i64,
    checked: &str,
) -> Result<bool, AppError> {
    let deleted = sqlx::query!(
        "delete from users where id = $1 and password_hash = $2",
        id,
        checked
    )
    .execute(executor)
    .await?;
    Ok(deleted.rows_affected() > 0)
}

/// The user with this id, if any.
#[tracing::instrument(skip(executor))]
pub async fn find(executor: impl PgExecutor<'_>, id: i64) -> Result<Option<User>, AppError> {
    Ok(sqlx::query_as!(
        User,
        r#"select id, email, coalesce(name, 'user#' || id) as "name!", created_at
           from users where id = $1"#,
        id
    )
    .fetch_optional(executor)
    .await?)
}

/// The user a token names, if the user exists and the token's session (if it names one) is
/// live (`live_viewer`, migrations/0009).
#[tracing::instrument(skip(executor))]
pub async fn find_live(
    executor: impl PgExecutor<'_>,
    id: i64,
    session: Option<Uuid>,
) -> Result<Option<User>, AppError> {
    Ok(sqlx::query_as!(
        User,
        r#"select id, email, coalesce(name, 'user#' || id) as "name!", created_at
           from users where id = live_viewer($1, $2)"#,
        id,
        session
    )
    .fetch_optional(executor)
    .await?)
}

/// The user with this id, as `viewer` sees it: `None` also when the viewer is not a user (any
/// more) or the viewer's session has ended, so that a caller that checked only the token needs
/// one statement (see `post::find`).
#[tracing::instrument(skip(executor))]
pub async fn find_seen_by(
    executor: impl PgExecutor<'_>,
    id: i64,
    viewer: i64,
    session: Option<Uuid>,
) -> Result<Option<User>, AppError> {
    Ok(sqlx::query_as!(
        User,
        r#"select id, email, coalesce(name, 'user#' || id) as "name!", created_at
           from users where id = $1 and live_viewer($2, $3) is not null"#,
        id,
        viewer,
        session
    )
    .fetch_optional(executor)
    .await?)
}

/// The stored hash for an e-mail, matched without regard to case.
#[tracing::instrument(skip(executor))]
pub async fn find_credentials(
    executor: impl PgExecutor<'_>,
    email: &str,
) -> Result<Option<StoredCredentials>, AppError> {
    // No stored address contains NUL, and Postgres would refuse it as a parameter.
    if email.contains('\0') {
        return Ok(None);
    }
    Ok(sqlx::query_as!(
        StoredCredentials,
        "select id as user_id, password_hash from users where lower(email) = lower($1)",
        email.trim()
    )
    .fetch_optional(executor)
    .await?)
}

/// The stored hash of the user with this id.
#[tracing::instrument(skip(executor))]
pub async fn find_credentials_of(
    executor: impl PgExecutor<'_>,
    id: i64,
) -> Result<Option<StoredCredentials>, AppError> {
    Ok(sqlx::query_as!(
        StoredCredentials,
        "select id as user_id, password_hash from users where id = $1",
        id
    )
    .fetch_optional(executor)
    .await?)
}

/// Whether any account still has a bcrypt hash (imported from the original app).
#[tracing::instrument(skip_all)]
pub async fn has_bcrypt_hashes(executor: impl PgExecutor<'_>) -> Result<bool, AppError> {
    let exists = sqlx::query_scalar!(
        r#"select exists (select 1 from users where password_hash like '$2_$%') as "exists!""#
    )
    .fetch_one(executor)
    .await?;
    Ok(exists)
}

/// The users that have one of these ids or, without regard to case, one of these e-mails, as
/// `(id, lower(email))`: what an import finds already there, to tell its own earlier rows from
/// accounts it would collide with.
#[tracing::instrument(skip_all)]
pub async fn matching(
    executor: impl PgExecutor<'_>,
    ids: &[i64],
    lower_emails: &[String],
) -> Result<Vec<(i64, String)>, AppError> {
    let rows = sqlx::query!(
        r#"select id, lower(email) as "email!" from users
           where id = any($1) or lower(email) = any($2)"#,
        ids,
        lower_emails
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(|row| (row.id, row.email)).collect())
}

/// Which of these user ids exist.
#[tracing::instrument(skip_all, fields(count = ids.len()))]
pub async fn existing(executor: impl PgExecutor<'_>, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    let found = sqlx::query_scalar!("select id from users where id = any($1)", ids)
        .fetch_all(executor)
        .await?;
    Ok(found)
}

/// Inserts users with their own ids (the import); rows whose id is already there are left as
/// they are. How many were inserted. (E-mails taken under another id are found first:
/// `matching`.)
#[tracing::instrument(skip_all, fields(count = ids.len()))]
pub async fn import(
    executor: impl PgExecutor<'_>,
    ids: &[i64],
    emails: &[String],
    password_hashes: &[String],
    created_at: &[chrono::DateTime<chrono::Utc>],
) -> Result<u64, AppError> {
    let inserted = sqlx::query!(
        r#"insert into users (id, email, password_hash, created_at) overriding system value
           select * from unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[])
           on conflict (id) do nothing"#,
        ids,
        emails,
        password_hashes,
        created_at
    )
    .execute(executor)
    .await?;
    Ok(inserted.rows_affected())
}

/// Gives the account with this e-mail (any letter case) a new password hash: `server
/// set-password`. Whether there was such an account.
#[tracing::instrument(skip_all)]
pub async fn set_password_hash_by_email(
    executor: impl PgExecutor<'_>,
    email: &str,
    password_hash: &str,
) -> Result<bool, AppError> {
    let updated = sqlx::query!(
        "update users set password_hash = $2 where lower(email) = lower($1)",
        email,
        password_hash
    )
    .execute(executor)
    .await?;
    Ok(updated.rows_affected() == 1)
}
