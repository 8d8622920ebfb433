//! The vote toggle. It owns its action (the state of one button is local to it) and updates
//! optimistically: the count and state change on click, and go back if the server refuses.
//! Offline, the vote goes to the outbox. Without WASM it is a plain form that posts to the
//! server function.

use leptos::prelude::*;

use crate::api::vote::CastVote;
use crate::model::VoteInput;
use crate::offline::{self, use_offline, Write};
use crate::session::use_session;

/// A vote count with a toggle for logged-in readers.
#[component]
pub fn VoteButton(
    post_id: i64,
    votes: i64,
    has_voted: bool,
    #[prop(into)] can_vote: Signal<bool>,
) -> impl IntoView {
    let action = ServerAction::<CastVote>::new();
    let offline = use_offline();
    let session = use_session();
    let voted = RwSignal::new(has_voted);
    let count = RwSignal::new(votes);
    let problem = RwSignal::new(None::<String>);

    // The server refused: undo the optimistic change and say why.
    Effect::new(move |_| {
        if let Some(Err(error)) = action.value().get() {
            let was_adding = voted.get_untracked();
            voted.set(!was_adding);
            count.update(|n| *n += if was_adding { -1 } else { 1 });
            problem.set(Some(error.to_string()));
        }
    });

    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let adding = !voted.get_untracked();
        voted.set(adding);
        count.update(|n| *n += if adding { 1 } else { -1 });
        problem.set(None);
        let dir = i64::from(adding);
        // Offline, the vote waits in the outbox; the button already shows it.
        if !offline.online.get_untracked() {
            if let Some(user) = session.user_id_untracked() {
                if let Err(full) = offline::enqueue(offline, user, Write::Vote { post_id, dir }) {
                    voted.set(!adding);
                    count.update(|n| *n += if adding { -1 } else { 1 });
                    problem.set(Some(format!(
                        "Your vote cannot be kept to send later: {full}."
                    )));
                }
            }
            return;
        }
        action.dispatch(CastVote {
            vote: VoteInput { post_id, dir },
            idempotency_key: None,
            as_user: None,
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
