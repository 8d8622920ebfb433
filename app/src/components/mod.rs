//! Reusable views. They take data and callbacks as props and never call server functions
//! themselves; pages own resources and actions.

pub mod error_view;
pub mod field_errors;
pub mod nav;
pub mod pager;
pub mod post_card;
pub mod post_list;
pub mod search_box;
pub mod vote_button;
