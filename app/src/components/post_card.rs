//! One post in a list: title (linking to the post), excerpt, author, age, draft marker and votes.
//! User text is always rendered as text, never as HTML.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::vote_button::VoteButton;
use crate::model::PostOut;

/// Longest excerpt shown in a list, in characters.
const EXCERPT_CHARS: usize = 280;

fn excerpt(content: &str) -> String {
    let mut chars = content.chars();
    let head: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// A post summary.
#[component]
pub fn PostCard(post: PostOut, #[prop(into)] can_vote: Signal<bool>) -> impl IntoView {
    let PostOut {
        post,
        votes,
        has_voted,
    } = post;
    let href = format!("/posts/{}", post.id);
    view! {
        <article class="post-card" data-post-id=post.id>
            <VoteButton post_id=post.id votes=votes has_voted=has_voted can_vote=can_vote />
            <div class="post-body">
                <h2>
                    <A href=href>{post.title}</A>
                    {(!post.published).then(|| view! { <span class="badge">"Draft"</span> })}
                </h2>
                <p class="excerpt">{excerpt(&post.content)}</p>
                <PostMeta author=post.owner.name created_at=post.created_at />
            </div>
        </article>
    }
}

/// "by Ann Lee · 2026-11-25 13:48 UTC", with the name linking to the author's page and a
/// machine-readable time.
#[component]
pub fn PostMeta(author: String, created_at: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    view! {
        <p class="meta">
            "by " <A href=author_href(&author) attr:class="author">{author}</A> " · "
            <PostTime at=created_at />
        </p>
    }
}

/// The path of an author's page: `/u/` and the name, percent-encoded (a default name holds `#`).
pub fn author_href(name: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_');
    format!("/u/{}", percent_encoding::utf8_percent_encode(name, KEEP))
}

/// A post's time. The server renders it in UTC to the minute; once the page runs in the browser
/// it reads as how long ago ("5 min ago", or the local date past a week), with the exact local
/// time on hover. Both renders start from the same text, so hydration matches.
#[component]
pub fn PostTime(at: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let utc = minutes(at);
    // (shown, on hover), once known in the browser.
    let local = RwSignal::new(None::<(String, String)>);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsValue;
        let millis = at.timestamp_millis() as f64;
        let date = js_sys::Date::new(&JsValue::from_f64(millis));
        let exact = String::from(date.to_locale_string("default", &JsValue::UNDEFINED));
        let minutes = ((js_sys::Date::now() - millis) / 60_000.0).max(0.0) as i64;
        let shown = if minutes < 7 * 1440 {
            crate::offline::ago(minutes)
        } else {
            String::from(date.to_locale_date_string("default", &JsValue::UNDEFINED))
        };
        local.set(Some((shown, exact)));
    });
    let on_hover = utc.clone();
    view! {
        <time
            datetime=at.to_rfc3339()
            title=move || local.get().map_or_else(|| on_hover.clone(), |(_, exact)| exact)
        >
            {move || local.get().map_or_else(|| utc.clone(), |(shown, _)| shown)}
        </time>
    }
}

/// "2026-11-25 13:48 UTC". Written out rather than with `format("%Y-…")`, whose pattern parser
/// would otherwise be compiled into the browser's WASM for this one line.
fn minutes(at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::{author_href, excerpt, minutes};
    use chrono::TimeZone;

    #[test]
    fn an_author_link_encodes_spaces_and_the_hash_of_default_names() {
        assert_eq!(author_href("Ann Lee"), "/u/Ann%20Lee");
        assert_eq!(author_href("user#12"), "/u/user%2312");
        assert_eq!(author_href("zoë_k.-9"), "/u/zo%C3%AB_k.-9");
    }

    #[test]
    fn long_content_is_cut_on_a_character_boundary() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(300);
        assert_eq!(excerpt(&long).chars().count(), 281);
    }

    #[test]
    fn a_post_time_is_shown_to_the_minute_in_utc() {
        let at = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 7, 9, 59).unwrap();
        assert_eq!(minutes(at), "2026-01-05 07:09 UTC");
    }
}
