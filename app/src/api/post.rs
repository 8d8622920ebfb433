//! Post server functions for the UI. Same rules and queries as `/api/posts`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{Page, Post, PostOut, PostQuery};

/// A page of the feed (or, with `mine`, of the caller's own posts, drafts included), newest
/// first. Anonymous readers see published posts.
#[server(prefix = "/rpc", endpoint = "list_posts")]
pub async fn list_posts(query: PostQuery, mine: bool) -> Result<Page<PostOut>, AppError> {
    use super::ssr::{caller, require_caller, respond, state};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let query = query.validate()?;
            // One row past the page tells whether another page follows.
            let overfetch = query.limit + 1;
            let rows = if mine {
                let owner = require_caller(&state).await?;
                db::post::list_owned(&state.pool, owner.id, overfetch, query.skip).await?
            } else {
                let viewer = caller(&state).await?.map(|user| user.id);
                db::post::list(&state.pool, viewer, &query.search, overfetch, query.skip).await?
            };
            Ok(Page::from_overfetch(rows, query.limit))
        }
        .await,
    )
}

/// One post with its vote count; 404 when missing or not visible to the caller.
#[server(prefix = "/rpc", endpoint = "get_post")]
pub async fn get_post(id: i64) -> Result<PostOut, AppError> {
    use super::ssr::{caller, respond, state};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let viewer = caller(&state).await?.map(|user| user.id);
            db::post::find(&state.pool, id, viewer)
                .await?
                .ok_or_else(|| db::post::not_found(id))
        }
        .await,
    )
}

/// Creates a post. `published` is a checkbox: present means published.
#[server(prefix = "/rpc", endpoint = "create_post")]
pub async fn create_post(
    title: String,
    content: String,
    published: Option<String>,
) -> Result<Post, AppError> {
    use super::ssr::{require_caller, respond, state};
    use crate::model::NewPost;
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let owner = require_caller(&state).await?;
            let post = NewPost {
                title,
                content,
                published: published.is_some(),
            }
            .validate()?;
            let created = db::post::insert(&state.pool, owner.id, &post).await?;
            leptos_axum::redirect(&format!("/posts/{}", created.id));
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
) -> Result<Post, AppError> {
    use super::ssr::{require_caller, respond, state};
    use crate::model::{NewPost, ValidChanges};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let owner = require_caller(&state).await?;
            let post = NewPost {
                title,
                content,
                published: published.is_some(),
            }
            .validate()?;
            let changes = ValidChanges::replacing(post);
            let updated = db::post::update(&state.pool, id, owner.id, &changes).await?;
            leptos_axum::redirect(&format!("/posts/{}", updated.id));
            Ok(updated)
        }
        .await,
    )
}

/// Deletes a post and its votes; only its owner may.
#[server(prefix = "/rpc", endpoint = "delete_post")]
pub async fn delete_post(id: i64) -> Result<(), AppError> {
    use super::ssr::{require_caller, respond, state};
    use crate::server::db;

    respond(
        async {
            let state = state()?;
            let owner = require_caller(&state).await?;
            db::post::delete(&state.pool, id, owner.id).await?;
            leptos_axum::redirect("/");
            Ok(())
        }
        .await,
    )
}
