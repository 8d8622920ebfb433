//! Reusable views. They take data and callbacks as props; pages own the resources and the
//! actions. One exception: the vote button owns its `cast_vote` action, because the state of
//! each button (voted, count, a refusal to show) is local to it and a list holds many.

pub mod error_view;
pub mod field_errors;
pub mod nav;
pub mod pager;
pub mod post_card;
pub mod post_list;
pub mod search_box;
pub mod vote_button;
