//! Post server functions for the UI. Same rules and queries as `/api/posts`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{AuthorFeed, Page, Post, PostOut, PostQuery};

/// Others' e-mail addresses never reach the browser: the UI shows display names. (The REST API
/// keeps the original contract's `owner.email`, for authenticated clients only.)
#[cfg(feature = "ssr")]
fn without_others_email(
    mut post: PostOut,
    caller: Option<crate::server::auth::AuthUserId>,
) -> PostOut {
    if caller.map(|caller| caller.id) != Some(post.post.owner_id) {
        post.post.owner.email.clear();
    }
    post
}

/// A page of the feed (or, with `mine`, of the caller's own posts, drafts included), newest
/// first. Anonymous readers see published posts. Errors: 401 for `mine` without a session, or a
/// session that is invalid or whose user is gone; 422 for a bad limit, skip or search.
#[server(prefix = "/rpc", endpoint = "list_posts")]
pub async fn list_posts(query: PostQuery, mine: bool) -> Result<Page<PostOut>, AppError> {
    use super::ssr::{caller_id, respond, state};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let caller = caller_id(&state)?;
            let owner = if mine {
                Some(caller.ok_or(AppError::NotAuthenticated)?)
            } else {
                None
            };
            let query = query.validate()?;
            // One row past the page tells whether another page follows.
            let overfetch = query.limit + 1;
            let (rows, bounded) = if let Some(owner) = owner {
                let rows = db::post::list_owned(
                    &state.pool,
                    owner.id,
                    owner.session,
                    query.before,
                    overfetch,
                    query.skip,
                )
                .await?;
                (rows, false)
            } else {
                let (viewer, session) = (caller.map(|c| c.id), caller.and_then(|c| c.session));
                let listed = db::post::list(
                    &state.pool,
                    viewer,
                    session,
                    &query.search,
                    query.before,
                    overfetch,
                    query.skip,
                    &state.search_pool,
                )
                .await?;
                (listed.posts, listed.bounded)
            };
            // Both statements return nothing for a deleted user: only then is it worth asking.
            if let Some(caller) = caller.filter(|_| rows.is_empty()) {
                caller.confirm(&state).await?;
            }
            let rows = rows
                .into_iter()
                .map(|post| without_others_email(post, caller))
                .collect();
            Ok(Page {
                bounded,
                ..Page::from_overfetch(rows, query.limit)
            })
        }
        .await,
    )
}

/// A page of an author's published posts, for their public page (`/u/{name}`); anyone may read
/// it. `name` is a chosen name in any letter case, or `user#` and the id. Errors: 404 when no
/// user has that name; 422 for a bad limit or skip; 401 for an invalid session.
#[server(prefix = "/rpc", endpoint = "author_posts")]
pub async fn author_posts(name: String, query: PostQuery) -> Result<AuthorFeed, AppError> {
    use super::ssr::{caller_id, respond, state};
    use crate::model::{DisplayName, Page};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let caller = caller_id(&state)?;
            let query = query.validate()?;
            let name = name.trim();
            let unknown = || AppError::NotFound(format!("No user is named {name}"));
            // Longer than any name or default can be: not worth a lookup.
            if name.chars().count() > DisplayName::MAX_LEN + "user#".len() + 19 {
                return Err(unknown());
            }
            let (author_id, author) = db::post::find_author(&state.pool, name)
                .await?
                .ok_or_else(unknown)?;
            let rows = db::post::list_published_by(
                &state.pool,
                author_id,
                caller.map(|c| c.id),
                caller.and_then(|c| c.session),
                query.before,
                query.limit + 1,
                query.skip,
            )
            .await?
            .into_iter()
            .map(|post| without_others_email(post, caller))
            .collect();
            Ok(AuthorFeed {
                name: author,
                posts: Page::from_overfetch(rows, query.limit),
            })
        }
        .await,
    )
}

/// One post with its vote count. Errors: 404 when missing or not visible to the caller; 401 for
/// a session that is invalid or whose user is gone.
#[server(prefix = "/rpc", endpoint = "get_post")]
pub async fn get_post(id: i64) -> Result<PostOut, AppError> {
    use super::ssr::{caller_id, respond, state};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let caller = caller_id(&state)?;
            let (viewer, session) = (caller.map(|c| c.id), caller.and_then(|c| c.session));
            // None: missing, hidden, or the caller is gone (the statement cannot tell which; a
            // 404 is checked for the last by the server's `authenticate_refusals`).
            db::post::find(&state.pool, id, viewer, session)
                .await?
                .map(|post| without_others_email(post, caller))
                .ok_or_else(|| db::post::not_found(id))
        }
        .await,
    )
}

/// Creates a post. `published` is a checkbox: present means published. A write replayed from
/// the offline outbox carries an `idempotency_key` and is applied at most once.
#[server(prefix = "/rpc", endpoint = "create_post")]
pub async fn create_post(
    title: String,
    content: String,
    published: Option<String>,
    idempotency_key: Option<String>,
    #[server(default)] as_user: Option<i64>,
) -> Result<Post, AppError> {
    use super::ssr::{respond, state, write_once};
    use crate::model::NewPost;
    use crate::server::db;

    respond(
        async {
            let key = idempotency_key.as_deref();
            let created = write_once(&state()?, key, as_user, async |tx, owner| {
                let post = NewPost::from_form(title, content, published).validate()?;
                // `write_once` has checked the user and the session in its own statement.
                db::post::insert(&mut *tx, owner, None, &post).await
            })
            .await?;
            // A form submission goes on to the new post; a background replay stays put.
            if key.is_none() {
                leptos_axum::redirect(&format!("/posts/{}", created.id));
            }
            Ok(created)
        }
        .await,
    )
}

/// Replaces a post's title, content and published flag; only its owner may.
#[server(prefix = "/rpc", endpoint = "update_post")]
pub async fn update_post(
    id: i64,
    title: String,
    content: String,
    published: Option<String>,
    idempotency_key: Option<String>,
    #[server(default)] as_user: Option<i64>,
) -> Result<Post, AppError> {
    use super::ssr::{respond, state, write_once};
    use crate::model::{NewPost, ValidChanges};
    use crate::server::db;

    respond(
        async {
            let key = idempotency_key.as_deref();
            let updated = write_once(&state()?, key, as_user, async |tx, owner| {
                let post = NewPost::from_form(title, content, published).validate()?;
                db::post::update(tx, id, owner, &ValidChanges::replacing(post)).await
            })
            .await?;
            if key.is_none() {
                leptos_axum::redirect(&format!("/posts/{}", updated.id));
            }
            Ok(updated)
        }
        .await,
    )
}

/// Deletes a post and its votes; only its owner may.
#[server(prefix = "/rpc", endpoint = "delete_post")]
pub async fn delete_post(
    id: i64,
    idempotency_key: Option<String>,
    #[server(default)] as_user: Option<i64>,
) -> Result<(), AppError> {
    use super::ssr::{respond, state, write_once};
    use crate::server::db;

    respond(
        async {
            let key = idempotency_key.as_deref();
            write_once(&state()?, key, as_user, async |tx, owner| {
                db::post::delete(tx, id, owner).await
            })
            .await?;
            if key.is_none() {
                leptos_axum::redirect("/");
            }
            Ok(())
        }
        .await,
    )
}
