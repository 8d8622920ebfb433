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
                <p class="meta">
                    "by " {post.owner.email} " · "
                    <time datetime=post.created_at.to_rfc3339()>
                        {post.created_at.format("%Y-%m-%d %H:%M UTC").to_string()}
                    </time>
                </p>
            </div>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn long_content_is_cut_on_a_character_boundary() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(300);
        assert_eq!(excerpt(&long).chars().count(), 281);
    }
}
