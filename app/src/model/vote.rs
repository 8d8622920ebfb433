//! Votes: the input of `POST /api/vote/` and what it answers.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldErrorKind};

/// `{post_id, dir}` where `dir` 1 adds the caller's vote and 0 removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VoteInput {
    #[serde(deserialize_with = "whole_number")]
    pub post_id: i64,
    /// 1 to vote, 0 to take the vote back.
    #[serde(deserialize_with = "whole_number")]
    #[cfg_attr(feature = "ssr", schema(minimum = 0, maximum = 1))]
    pub dir: i64,
}

/// An integer, also when written as a float without a fraction (`1.0`, which JSON Schema counts
/// as an integer) or as a string of digits (`"1"`: what an HTML form sends, and what the original
/// API's lax parsing accepted).
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Number {
        Int(i64),
        Float(f64),
        Text(String),
    }
    let invalid = || serde::de::Error::custom("invalid type: expected i64, a whole number");
    match Number::deserialize(deserializer).map_err(|_| invalid())? {
        Number::Int(value) => Ok(value),
        // Exact: the value is whole and in range.
        Number::Float(value)
            if value.fract() == 0.0 && value >= i64::MIN as f64 && value <= i64::MAX as f64 =>
        {
            Ok(value as i64)
        }
        Number::Text(text) => text.trim().parse::<i64>().map_err(|_| invalid()),
        Number::Float(_) => Err(invalid()),
    }
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
                FieldErrorKind::LiteralError,
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
    fn whole_numbers_written_as_floats_are_integers() {
        let vote: VoteInput = serde_json::from_str(r#"{"post_id": 3.0, "dir": 1}"#).unwrap();
        assert_eq!(vote, VoteInput { post_id: 3, dir: 1 });
        assert!(serde_json::from_str::<VoteInput>(r#"{"post_id": 3.5, "dir": 1}"#).is_err());
        assert!(serde_json::from_str::<VoteInput>(r#"{"post_id": "3x", "dir": 1}"#).is_err());
        assert!(serde_json::from_str::<VoteInput>(r#"{"post_id": true, "dir": 1}"#).is_err());
        let form: VoteInput = serde_json::from_str(r#"{"post_id": "3", "dir": "0"}"#).unwrap();
        assert_eq!(form, VoteInput { post_id: 3, dir: 0 });
    }

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
