//! Paging and searching through posts: the query of `GET /api/posts/` and the page the UI gets.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError, FieldErrorKind, FieldErrors};

/// Largest page served; larger requests are capped, not refused (docs/api.md).
pub const MAX_PAGE_SIZE: i64 = 100;
/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: i64 = 10;
/// Longest search term accepted (a search is a substring match, not a document).
pub const MAX_SEARCH_LEN: usize = 200;

fn default_limit() -> i64 {
    DEFAULT_PAGE_SIZE
}

/// `limit` / `skip` / `search`, as the original API takes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct PostQuery {
    /// How many posts to return, 0-100 (larger values are capped at 100).
    #[serde(default = "default_limit")]
    #[cfg_attr(feature = "ssr", param(required = false, minimum = 0, default = 10))]
    pub limit: i64,
    /// How many posts to skip, from the newest.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", param(required = false, minimum = 0, default = 0))]
    pub skip: i64,
    /// Case-insensitive substring of the title or content; `%` and `_` are taken literally.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        param(
            required = false,
            max_length = 200,
            pattern = r"^[^\u0000]*$",
            default = ""
        )
    )]
    pub search: String,
}

impl Default for PostQuery {
    fn default() -> Self {
        Self {
            limit: DEFAULT_PAGE_SIZE,
            skip: 0,
            search: String::new(),
        }
    }
}

impl PostQuery {
    /// Refuses negative numbers and overlong search terms, and caps the limit. The search term is
    /// kept as given: it is a literal substring, spaces included.
    pub fn validate(self) -> Result<Self, AppError> {
        let mut errors = FieldErrors::default();
        if self.limit < 0 {
            errors.push(FieldError::at(
                &["query", "limit"],
                FieldErrorKind::GreaterThanEqual,
                "Input should be greater than or equal to 0",
            ));
        }
        if self.skip < 0 {
            errors.push(FieldError::at(
                &["query", "skip"],
                FieldErrorKind::GreaterThanEqual,
                "Input should be greater than or equal to 0",
            ));
        }
        if self.search.contains('\0') {
            errors.push(FieldError::at(
                &["query", "search"],
                FieldErrorKind::StringPatternMismatch,
                "Search must not contain NUL characters",
            ));
        }
        if self.search.chars().count() > MAX_SEARCH_LEN {
            errors.push(FieldError::at(
                &["query", "search"],
                FieldErrorKind::StringTooLong,
                format!("Search should have at most {MAX_SEARCH_LEN} characters"),
            ));
        }
        errors.into_result(Self {
            limit: self.limit.min(MAX_PAGE_SIZE),
            skip: self.skip,
            search: self.search,
        })
    }
}

/// One page of results for the UI: `has_more` comes from fetching one row past the page, so no
/// page ever costs a `count(*)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows.
    pub fn from_overfetch(mut rows: Vec<T>, limit: i64) -> Self {
        let limit = usize::try_from(limit).unwrap_or_default();
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        Self {
            items: rows,
            has_more,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_capped_at_one_hundred() {
        let query = PostQuery {
            limit: 1000,
            ..PostQuery::default()
        }
        .validate()
        .unwrap();
        assert_eq!(query.limit, MAX_PAGE_SIZE);
    }

    #[test]
    fn negative_limit_and_skip_are_both_reported() {
        let Err(AppError::Validation(errors)) = PostQuery {
            limit: -1,
            skip: -1,
            search: String::new(),
        }
        .validate() else {
            panic!("expected 422")
        };
        assert_eq!(errors.0.len(), 2);
        assert_eq!(errors.0[0].loc, ["query", "limit"]);
    }

    #[test]
    fn a_page_knows_whether_more_rows_follow() {
        assert_eq!(
            Page::from_overfetch(vec![1, 2, 3], 2),
            Page {
                items: vec![1, 2],
                has_more: true
            }
        );
        assert_eq!(
            Page::from_overfetch(vec![1, 2], 2),
            Page {
                items: vec![1, 2],
                has_more: false
            }
        );
        assert_eq!(
            Page::from_overfetch(vec![1], 0),
            Page {
                items: vec![],
                has_more: true
            }
        );
    }
}
