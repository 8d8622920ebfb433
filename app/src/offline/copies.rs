//! Copies of posts as this browser last saw them, so that a post already on screen can be read
//! again and edited without a connection: kept when its page is shown, else found in the cached
//! feed pages. Copies are cached data: they give way first when storage is full.

use super::storage::{load, names_starting_with, save_stamped, FEED_PAGE};
use super::Stamped;
use crate::model::{Page, PostOut};

/// The name a post's copy is stored under.
pub const POST_COPY: &str = "post:";

/// Keeps a copy of a post the user is looking at. Best effort: no room, no copy.
pub fn remember_post(user: Option<i64>, post: &PostOut) {
    let _ = save_stamped(user, &format!("{POST_COPY}{}", post.post.id), post);
}

/// The latest copy of post `id` this browser holds for `user`, with when it was saved.
pub fn known_post(user: Option<i64>, id: i64) -> Option<Stamped<PostOut>> {
    let own = load::<Stamped<PostOut>>(user, &format!("{POST_COPY}{id}"));
    let in_feeds = user.into_iter().flat_map(|user| {
        names_starting_with(user, FEED_PAGE)
            .into_iter()
            .filter_map(move |name| load::<Stamped<Page<PostOut>>>(Some(user), &name))
            .filter_map(move |page| {
                let saved_at = page.saved_at;
                let post = page
                    .value
                    .items
                    .into_iter()
                    .find(|item| item.post.id == id)?;
                Some(Stamped {
                    saved_at,
                    value: post,
                })
            })
    });
    own.into_iter()
        .chain(in_feeds)
        .max_by(|a, b| a.saved_at.total_cmp(&b.saved_at))
}
