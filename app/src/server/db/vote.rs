//! The `votes` table. The primary key decides whether a vote already exists, so identical votes
//! racing each other give one success and conflicts; the triggers of migration 0003 keep
//! `posts.votes` in step within the same statement.

use sqlx::PgConnection;
use uuid::Uuid;

use crate::error::AppError;
use crate::model::VoteDirection;
use crate::server::db::violated_constraint;

/// The 404 body of the original API's vote route (it differs from the posts routes' wording).
fn post_not_found(post_id: i64) -> AppError {
    AppError::NotFound(format!("Post with id: {post_id} does not exist"))
}

/// Adds or removes `user_id`'s vote on `post_id`, voting in `session`. 401 when the voter no
/// longer exists or the session has ended, and 404 when
/// the post is missing or hidden (both checked first, in one statement), 409 when voting twice,
/// 404 when removing a vote that does not exist.
#[tracing::instrument(skip(conn))]
pub async fn cast(
    conn: &mut PgConnection,
    user_id: i64,
    session: Option<Uuid>,
    post_id: i64,
    direction: VoteDirection,
) -> Result<(), AppError> {
    let found = sqlx::query!(
        r#"select live_viewer($1, $3) is not null as "voter!",
                  exists(select 1 from posts where id = $2 and (published or owner_id = $1))
                      as "post!""#,
        user_id,
        post_id,
        session
    )
    .fetch_one(&mut *conn)
    .await?;
    if !found.voter {
        return Err(AppError::InvalidToken);
    }
    if !found.post {
        return Err(post_not_found(post_id));
    }
    match direction {
        VoteDirection::Add => {
            let inserted = sqlx::query!(
                r#"insert into votes (user_id, post_id) values ($1, $2)
                   on conflict on constraint votes_pkey do nothing"#,
                user_id,
                post_id
            )
            .execute(&mut *conn)
            .await
            .map_err(|error| match violated_constraint(&error) {
                // The post was deleted between the check above and the insert.
                Some("votes_post_id_fkey") => post_not_found(post_id),
                Some("votes_user_id_fkey") => AppError::InvalidToken,
                _ => AppError::from_db(error),
            })?
            .rows_affected();
            if inserted == 0 {
                return Err(AppError::conflict(
                    "post_id",
                    format!("user {user_id} has already voted on post {post_id}"),
                ));
            }
        }
        VoteDirection::Remove => {
            let deleted = sqlx::query!(
                "delete from votes where user_id = $1 and post_id = $2",
                user_id,
                post_id
            )
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if deleted == 0 {
                return Err(AppError::NotFound("Vote does not exist".to_owned()));
            }
        }
    }
    Ok(())
}

/// Inserts votes (the import); a vote already there is left as it is. How many were inserted
/// (the triggers count them on their posts).
#[tracing::instrument(skip_all, fields(count = user_ids.len()))]
pub async fn import(
    conn: &mut PgConnection,
    user_ids: &[i64],
    post_ids: &[i64],
) -> Result<u64, AppError> {
    let inserted = sqlx::query!(
        r#"insert into votes (user_id, post_id)
           select * from unnest($1::bigint[], $2::bigint[])
           on conflict on constraint votes_pkey do nothing"#,
        user_ids,
        post_ids
    )
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected())
}
