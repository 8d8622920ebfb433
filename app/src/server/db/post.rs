//! The `posts` table. A post is visible to everyone when published and only to its owner when
//! not; that rule is part of every read here. Changes are made with the owner in the `where`
//! clause, and only when nothing matched is the row looked at again to tell 404 from 403.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use crate::error::AppError;
use crate::model::page::search_is_bounded;
use crate::model::{Post, PostOut, User, ValidChanges, ValidPost};
use crate::server::db::violated_constraint;

/// A post joined with its owner and vote count, as one flat row.
struct PostRow {
    id: i64,
    title: String,
    content: String,
    published: bool,
    created_at: DateTime<Utc>,
    owner_id: i64,
    owner_email: String,
    owner_name: String,
    owner_created_at: DateTime<Utc>,
    votes: i64,
    has_voted: bool,
}

impl PostRow {
    fn into_post_out(self) -> PostOut {
        PostOut {
            votes: self.votes,
            has_voted: self.has_voted,
            post: Post {
                id: self.id,
                title: self.title,
                content: self.content,
                published: self.published,
                created_at: self.created_at,
                owner_id: self.owner_id,
                owner: User {
                    id: self.owner_id,
                    email: self.owner_email,
                    name: self.owner_name,
                    created_at: self.owner_created_at,
                },
            },
        }
    }
}

/// The 404 body of the original API.
pub fn not_found(id: i64) -> AppError {
    AppError::NotFound(format!("post with id: {id} was not found"))
}

fn forbidden() -> AppError {
    AppError::Forbidden("Not authorized to perform requested action".to_owned())
}

/// Stores a new post owned by `owner_id`, writing in `session`. The statement checks that the
/// owner still exists and the session is live: a token naming a deleted user or an ended session
/// gets 401 from here, so REST callers need no lookup beforehand.
#[tracing::instrument(skip(executor, post), fields(title_len = post.title.as_str().len()))]
pub async fn insert(
    executor: impl PgExecutor<'_>,
    owner_id: i64,
    session: Option<Uuid>,
    post: &ValidPost,
) -> Result<Post, AppError> {
    let row = sqlx::query_as!(
        PostRow,
        r#"with p as (
               insert into posts (title, content, published, owner_id)
               select $1, $2, $3, $4
               where live_viewer($4, $5) is not null
               returning id, title, content, published, created_at, owner_id
           )
           select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
                  u.email as owner_email, coalesce(u.name, 'user#' || u.id) as "owner_name!",
                  u.created_at as owner_created_at,
                  0::bigint as "votes!", false as "has_voted!"
           from p join users u on u.id = p.owner_id"#,
        post.title.as_str(),
        post.content.as_str(),
        post.published,
        owner_id,
        session
    )
    .fetch_optional(executor)
    .await
    .map_err(|error| match violated_constraint(&error) {
        // The owner was deleted between the check and the insert.
        Some("posts_owner_id_fkey") => AppError::InvalidToken,
        _ => AppError::from_db(error),
    })?;
    row.map(|row| row.into_post_out().post)
        .ok_or(AppError::InvalidToken)
}

/// One post as `viewer` may see it, with its vote count. `None` as well when `viewer` is not a
/// user (any more) or `session` has ended: a caller that checked only the token looks the user
/// up when it gets `None`, so that a read takes one statement (migrations/0008 and 0009).
#[tracing::instrument(skip(executor))]
pub async fn find(
    executor: impl PgExecutor<'_>,
    id: i64,
    viewer: Option<i64>,
    session: Option<Uuid>,
) -> Result<Option<PostOut>, AppError> {
    let row = sqlx::query_as!(
        PostRow,
        r#"select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
                  u.email as owner_email, coalesce(u.name, 'user#' || u.id) as "owner_name!",
                  u.created_at as owner_created_at,
                  p.votes::bigint as "votes!",
                  mine.user_id is not null as "has_voted!"
           from posts p join users u on u.id = p.owner_id
               left join votes mine on mine.user_id = $2 and mine.post_id = p.id
           where p.id = $1 and (p.published or p.owner_id = $2)
             and ($2::bigint is null or live_viewer($2, $3) is not null)"#,
        id,
        viewer,
        session
    )
    .fetch_optional(executor)
    .await?;
    Ok(row.map(PostRow::into_post_out))
}

/// A page of the feed as `list` found it.
#[derive(Debug)]
pub struct Listed {
    pub posts: Vec<PostOut>,
    /// Whether a search looked among the newest [`crate::model::page::SHORT_SEARCH_SCOPE`] posts only: its term had
    /// no three letters or digits in a row, or the exact search ran past its time budget.
    pub bounded: bool,
}

/// A page of the feed, newest first: published posts plus the viewer's own drafts, after the
/// post `before` when given (the cursor; migrations/0014), skipping `skip`. With a non-empty
/// `search`, only posts whose title or content contains it (case-insensitive, `%` and `_`
/// literal): exactly, over `exact_pool`, for a term with three letters or digits in a row;
/// else, or when that statement ran past its time (the exact pool's connections have a short
/// statement timeout: `AppState::search_pool`) or found no connection in that time, among the
/// newest
/// [`crate::model::page::SHORT_SEARCH_SCOPE`] posts only (migrations/0015). Fetches `limit` rows; callers wanting `has_more` ask for one more.
/// Empty when `viewer` is not a user (any more) or `session` has ended, as for `find` (the
/// functions check the user; the session is checked here, once per statement).
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip(pool, exact_pool))]
pub async fn list(
    pool: &PgPool,
    viewer: Option<i64>,
    session: Option<Uuid>,
    search: &str,
    before: Option<i64>,
    limit: i64,
    skip: i64,
    exact_pool: &PgPool,
) -> Result<Listed, AppError> {
    if search.is_empty() {
        // Its own function rather than search_page with an empty term: each has plans suited to
        // its own case, made once per connection (migrations/0006 and 0007 say why). The
        // functions predate display names, so the owner's name is looked up here, by primary
        // key, once per row.
        let rows = sqlx::query_as!(
            PostRow,
            r#"select id as "id!", title as "title!", content as "content!",
                      published as "published!", created_at as "created_at!",
                      owner_id as "owner_id!", owner_email as "owner_email!",
                      (select coalesce(u.name, 'user#' || u.id) from users u
                       where u.id = f.owner_id) as "owner_name!",
                      owner_created_at as "owner_created_at!", votes as "votes!",
                      has_voted as "has_voted!"
               from feed_page($1, $2, $3, $4) f
               where $1::bigint is null or live_viewer($1, $5) is not null"#,
            viewer,
            before,
            limit,
            skip,
            session
        )
        .fetch_all(pool)
        .await?;
        return Ok(Listed {
            posts: rows.into_iter().map(PostRow::into_post_out).collect(),
            bounded: false,
        });
    }
    let page = SearchPage {
        viewer,
        session,
        pattern: like_pattern(search),
        before,
        limit,
        skip,
    };
    if !search_is_bounded(search) {
        match page.fetch(exact_pool, true).await {
            Ok(rows) => {
                return Ok(Listed {
                    posts: rows,
                    bounded: false,
                })
            }
            Err(error) if is_cancelled(&error) => {
                tracing::info!("an exact search ran past its time; answered from the newest posts");
            }
            Err(sqlx::Error::PoolTimedOut) => {
                tracing::info!("no connection for an exact search; answered from the newest posts");
            }
            Err(error) => return Err(error.into()),
        }
    }
    Ok(Listed {
        posts: page.fetch(pool, false).await?,
        bounded: true,
    })
}

/// Whether a statement was cancelled for running past its statement timeout (57014).
fn is_cancelled(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(database) if database.code().as_deref() == Some("57014"))
}

/// The arguments of `search_page` (migrations/0015).
#[derive(Debug)]
struct SearchPage {
    viewer: Option<i64>,
    session: Option<Uuid>,
    pattern: String,
    before: Option<i64>,
    limit: i64,
    skip: i64,
}

impl SearchPage {
    /// The page, the exact way (`exact`) or over the newest posts only.
    async fn fetch(
        &self,
        executor: impl PgExecutor<'_>,
        exact: bool,
    ) -> Result<Vec<PostOut>, sqlx::Error> {
        let rows = sqlx::query_as!(
            PostRow,
            r#"select id as "id!", title as "title!", content as "content!",
                      published as "published!", created_at as "created_at!",
                      owner_id as "owner_id!", owner_email as "owner_email!",
                      (select coalesce(u.name, 'user#' || u.id) from users u
                       where u.id = f.owner_id) as "owner_name!",
                      owner_created_at as "owner_created_at!", votes as "votes!",
                      has_voted as "has_voted!"
               from search_page($1, $2, $3, $4, $5, $6) f
               where $1::bigint is null or live_viewer($1, $7) is not null"#,
            self.viewer,
            self.pattern,
            self.before,
            self.limit,
            self.skip,
            exact,
            self.session
        )
        .fetch_all(executor)
        .await?;
        Ok(rows.into_iter().map(PostRow::into_post_out).collect())
    }
}

/// A page of one owner's posts, drafts included, newest first (the "my posts" view), after the
/// post `before` when given (as for `list`). Empty when the owner is not a user (any more), or
/// `session` has ended.
#[tracing::instrument(skip(executor))]
pub async fn list_owned(
    executor: impl PgExecutor<'_>,
    owner_id: i64,
    session: Option<Uuid>,
    before: Option<i64>,
    limit: i64,
    skip: i64,
) -> Result<Vec<PostOut>, AppError> {
    let rows = sqlx::query_as!(
        PostRow,
        r#"select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
                  u.email as owner_email, coalesce(u.name, 'user#' || u.id) as "owner_name!",
                  u.created_at as owner_created_at,
                  p.votes::bigint as "votes!",
                  mine.user_id is not null as "has_voted!"
           from posts p join users u on u.id = p.owner_id
               left join votes mine on mine.user_id = $1 and mine.post_id = p.id
           where p.owner_id = $1 and live_viewer($1, $4) is not null
             and p.created_at <= (select feed_position($5, $1))
             and (p.created_at < (select feed_position($5, $1))
                  or p.id < coalesce($5, 9223372036854775807))
           order by p.created_at desc, p.id desc
           limit $2 offset $3"#,
        owner_id,
        limit,
        skip,
        session,
        before
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(PostRow::into_post_out).collect())
}

/// The author a public author page names: a chosen name in any letter case, or the default
/// `user#` and the id of a user without one. Their id and display name.
#[tracing::instrument(skip(executor))]
pub async fn find_author(
    executor: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<(i64, String)>, AppError> {
    let default_id = name
        .strip_prefix("user#")
        .and_then(|digits| digits.parse::<i64>().ok());
    let row = match default_id {
        Some(id) => sqlx::query!(
            r#"select id, 'user#' || id as "name!" from users where id = $1 and name is null"#,
            id
        )
        .fetch_optional(executor)
        .await?
        .map(|row| (row.id, row.name)),
        None => sqlx::query!(
            r#"select id, name as "name!" from users where lower(name) = lower($1)"#,
            name
        )
        .fetch_optional(executor)
        .await?
        .map(|row| (row.id, row.name)),
    };
    Ok(row)
}

/// A page of an author's published posts, newest first, after the post `before` when given (as
/// for `list`), as `viewer` (in `session`) sees them: `has_voted` only for a live viewer.
#[tracing::instrument(skip(executor))]
pub async fn list_published_by(
    executor: impl PgExecutor<'_>,
    author_id: i64,
    viewer: Option<i64>,
    session: Option<Uuid>,
    before: Option<i64>,
    limit: i64,
    skip: i64,
) -> Result<Vec<PostOut>, AppError> {
    let rows = sqlx::query_as!(
        PostRow,
        r#"select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
                  u.email as owner_email, coalesce(u.name, 'user#' || u.id) as "owner_name!",
                  u.created_at as owner_created_at,
                  p.votes::bigint as "votes!",
                  mine.user_id is not null as "has_voted!"
           from posts p join users u on u.id = p.owner_id
               left join votes mine
                   on mine.user_id = live_viewer($2, $3) and mine.post_id = p.id
           where p.owner_id = $1 and p.published
             and p.created_at <= (select feed_position($6, $2))
             and (p.created_at < (select feed_position($6, $2))
                  or p.id < coalesce($6, 9223372036854775807))
           order by p.created_at desc, p.id desc
           limit $4 offset $5"#,
        author_id,
        viewer,
        session,
        limit,
        skip,
        before
    )
    .fetch_all(executor)
    .await?;
    Ok(rows.into_iter().map(PostRow::into_post_out).collect())
}

/// Applies `changes` to a post owned by `owner_id`: 404 when the post does not exist or is not
/// visible to the caller, 403 when it belongs to someone else.
#[tracing::instrument(skip(conn, changes))]
pub async fn update(
    conn: &mut PgConnection,
    id: i64,
    owner_id: i64,
    changes: &ValidChanges,
) -> Result<Post, AppError> {
    let row = sqlx::query_as!(
        PostRow,
        r#"with p as (
               update posts
               set title = coalesce($3, title),
                   content = coalesce($4, content),
                   published = coalesce($5, published),
                   updated_at = now()
               where id = $1 and owner_id = $2
               returning id, title, content, published, created_at, owner_id, votes
           )
           select p.id, p.title, p.content, p.published, p.created_at, p.owner_id,
                  u.email as owner_email, coalesce(u.name, 'user#' || u.id) as "owner_name!",
                  u.created_at as owner_created_at,
                  p.votes::bigint as "votes!", false as "has_voted!"
           from p join users u on u.id = p.owner_id"#,
        id,
        owner_id,
        changes.title.as_ref().map(|title| title.as_str()),
        changes.content.as_ref().map(|content| content.as_str()),
        changes.published
    )
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(row.into_post_out().post),
        None => Err(why_not_owned(conn, id, owner_id).await),
    }
}

/// Deletes a post owned by `owner_id` (its votes go with it); 404 / 403 as for `update`.
#[tracing::instrument(skip(conn))]
pub async fn delete(conn: &mut PgConnection, id: i64, owner_id: i64) -> Result<(), AppError> {
    let deleted = sqlx::query!(
        "delete from posts where id = $1 and owner_id = $2",
        id,
        owner_id
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if deleted == 1 {
        Ok(())
    } else {
        Err(why_not_owned(conn, id, owner_id).await)
    }
}

/// After a change matched no row: 404 when the caller cannot see the post, else 403.
async fn why_not_owned(executor: impl PgExecutor<'_>, id: i64, caller: i64) -> AppError {
    let visible = sqlx::query_scalar!(
        r#"select exists(select 1 from posts where id = $1 and (published or owner_id = $2))
               as "visible!""#,
        id,
        caller
    )
    .fetch_one(executor)
    .await;
    match visible {
        Ok(true) => forbidden(),
        Ok(false) => not_found(id),
        Err(error) => AppError::from_db(error),
    }
}

/// An ILIKE pattern matching `term` anywhere, with the pattern metacharacters escaped so that
/// `%`, `_` and `\` match themselves.
pub fn like_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Inserts posts with their own ids (the import), their votes counted as their votes rows come;
/// rows whose id is already there are left as they are. The ids inserted.
#[tracing::instrument(skip_all, fields(count = ids.len()))]
#[allow(clippy::too_many_arguments)]
pub async fn import(
    executor: impl PgExecutor<'_>,
    ids: &[i64],
    titles: &[String],
    contents: &[String],
    published: &[bool],
    created_at: &[chrono::DateTime<chrono::Utc>],
    owner_ids: &[i64],
) -> Result<Vec<i64>, AppError> {
    let inserted = sqlx::query_scalar!(
        r#"insert into posts (id, title, content, published, created_at, updated_at, owner_id)
           overriding system value
           select id, title, content, published, created_at, created_at, owner_id
           from unnest($1::bigint[], $2::text[], $3::text[], $4::bool[], $5::timestamptz[], $6::bigint[])
               as p(id, title, content, published, created_at, owner_id)
           on conflict (id) do nothing
           returning id"#,
        ids,
        titles,
        contents,
        published,
        created_at,
        owner_ids
    )
    .fetch_all(executor)
    .await?;
    Ok(inserted)
}

/// Which of these post ids exist.
#[tracing::instrument(skip_all, fields(count = ids.len()))]
pub async fn existing(executor: impl PgExecutor<'_>, ids: &[i64]) -> Result<Vec<i64>, AppError> {
    let found = sqlx::query_scalar!("select id from posts where id = any($1)", ids)
        .fetch_all(executor)
        .await?;
    Ok(found)
}

/// Inserts the continuation of an imported post whose content was too long (the import, with
/// `--split-long-posts`): the same owner, date and visibility, and an id after every id there
/// is, every id of the source (`source_max_id`: a later run may bring one over) and every id the
/// sequence has handed out (a deleted post's).
#[tracing::instrument(skip_all)]
pub async fn import_continuation(
    executor: impl PgExecutor<'_>,
    title: &str,
    content: &str,
    published: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    owner_id: i64,
    source_max_id: i64,
) -> Result<(), AppError> {
    sqlx::query!(
        r#"insert into posts (id, title, content, published, created_at, updated_at, owner_id)
           overriding system value
           select greatest(max(id), $6,
                           pg_sequence_last_value(pg_get_serial_sequence('posts', 'id')::regclass), 0) + 1,
                  $1, $2, $3, $4, $4, $5
           from posts"#,
        title,
        content,
        published,
        created_at,
        owner_id,
        source_max_id
    )
    .execute(executor)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn search_metacharacters_are_taken_literally() {
        assert_eq!(like_pattern("50%_off\\"), r"%50\%\_off\\%");
        assert_eq!(like_pattern("plain"), "%plain%");
    }
}
