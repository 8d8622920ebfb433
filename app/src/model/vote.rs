//! Votes: the input of `POST /api/vote/` and what it answers.

use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// `{post_id, dir}` where `dir` 1 adds the caller's vote and 0 removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VoteInput {
    pub post_id: i64,
    /// 1 to vote, 0 to take the vote back.
    pub dir: i64,
}

/// What a vote request asks for, once `dir` is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteDirection {
    Add,
    Remove,
}

impl VoteInput {
    /// Checks that `dir` is 0 or 1.
    pub fn direction(&self) -> Result<VoteDirection, AppError> {
        match self.dir {
            1 => Ok(VoteDirection::Add),
            0 => Ok(VoteDirection::Remove),
            _ => Err(AppError::invalid(
                "dir",
                "literal_error",
                "Input should be 0 or 1",
            )),
        }
    }
}

/// The original API's success body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VoteOutcome {
    /// `successfully added vote` or `successfully deleted vote`.
    pub message: String,
}

impl VoteOutcome {
    /// The body for a direction that succeeded.
    pub fn for_direction(direction: VoteDirection) -> Self {
        let message = match direction {
            VoteDirection::Add => "successfully added vote",
            VoteDirection::Remove => "successfully deleted vote",
        };
        Self {
            message: message.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_zero_and_one_are_directions() {
        assert_eq!(
            VoteInput { post_id: 1, dir: 1 }.direction().unwrap(),
            VoteDirection::Add
        );
        assert_eq!(
            VoteInput { post_id: 1, dir: 0 }.direction().unwrap(),
            VoteDirection::Remove
        );
        assert!(VoteInput { post_id: 1, dir: 2 }.direction().is_err());
        assert!(VoteInput {
            post_id: 1,
            dir: -1
        }
        .direction()
        .is_err());
    }
}
