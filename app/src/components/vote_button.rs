//! The vote toggle. Its state is local to it, and it updates optimistically: the count and state
//! change on click, and go back if the server refuses. Offline, or on a connection that fails,
//! the vote goes to the outbox (`offline::submit`). Without WASM it is a plain form that posts to
//! the server function.

use leptos::prelude::*;

use crate::offline::{self, use_offline, Submitted, Write};
use crate::session::use_session;

/// A vote count with a toggle for logged-in readers.
#[component]
pub fn VoteButton(
    post_id: i64,
    votes: i64,
    has_voted: bool,
    #[prop(into)] can_vote: Signal<bool>,
) -> impl IntoView {
    let offline = use_offline();
    let session = use_session();
    let voted = RwSignal::new(has_voted);
    let count = RwSignal::new(votes);
    let problem = RwSignal::new(None::<String>);

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(user) = session.user_id_untracked() else {
            return;
        };
        let adding = !voted.get_untracked();
        voted.set(adding);
        count.update(|n| *n += if adding { 1 } else { -1 });
        problem.set(None);
        let dir = i64::from(adding);
        // Sent now, or kept in the outbox (the button already shows it); refused, the
        // optimistic change is undone and the reason shown.
        leptos::task::spawn_local(async move {
            let why = match offline::submit(offline, user, Write::Vote { post_id, dir }).await {
                Submitted::Sent(_) | Submitted::Queued => return,
                Submitted::Refused(error) => error.to_string(),
                Submitted::Unstored(full) => {
                    format!("Your vote cannot be kept to send later: {full}.")
                }
            };
            voted.set(!adding);
            count.update(|n| *n += if adding { -1 } else { 1 });
            problem.set(Some(why));
        });
    };

    view! {
        <div class="vote">
            <form method="post" action="/rpc/cast_vote" on:submit=on_submit>
                <input type="hidden" name="vote[post_id]" value=post_id />
                <input type="hidden" name="vote[dir]" value=move || i64::from(!voted.get()) />
                <button
                    type="submit"
                    class="vote-button"
                    class:voted=move || voted.get()
                    disabled=move || !can_vote.get()
                    aria-pressed=move || voted.get().to_string()
                    title=move || {
                        if !can_vote.get() {
                            "Log in to vote"
                        } else if voted.get() {
                            "Remove your vote"
                        } else {
                            "Vote for this post"
                        }
                    }
                >
                    "▲"
                </button>
            </form>
            <span class="vote-count" data-testid="vote-count">{count}</span>
            {move || problem.get().map(|msg| view! { <span class="vote-error" role="alert">{msg}</span> })}
        </div>
    }
}
