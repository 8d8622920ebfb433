//! Paging and searching through posts: the query of `GET /api/posts/` and the page the UI gets.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError, FieldErrorKind, FieldErrors};

/// Largest page served; larger requests are capped, not refused (docs/api.md).
pub const MAX_PAGE_SIZE: i64 = 100;
/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: i64 = 10;
/// Longest search term accepted (a search is a substring match, not a document).
pub const MAX_SEARCH_LEN: usize = 200;
/// Largest `skip` served: an offset costs a walk past every row it skips, so deep pages use the
/// cursor (`before`) instead, which costs the same at any depth (docs/api.md, "Paging").
pub const MAX_SKIP: i64 = 1000;

/// How many of the newest posts a bounded search looks through: that of a term without three
/// letters or digits in a row (which the trigram index cannot answer), or of one whose exact
/// search ran past its time (migrations/0015).
pub const SHORT_SEARCH_SCOPE: i64 = 2000;

/// Whether a search for `term` looks only among the newest [`SHORT_SEARCH_SCOPE`] posts: it has
/// no run of three letters or digits (what the trigram index needs). Letters are Unicode's,
/// digits ASCII; a term the database's locale counts otherwise costs at most the search's time
/// budget before it is bounded too.
pub fn search_is_bounded(term: &str) -> bool {
    let mut run = 0;
    for c in term.chars() {
        // Not `is_alphanumeric`: it counts superscripts, fractions and circled numbers, which
        // pg_trgm (in the database's C.UTF-8 locale) does not.
        run = if c.is_alphabetic() || c.is_ascii_digit() {
            run + 1
        } else {
            0
        };
        if run == 3 {
            return false;
        }
    }
    true
}

fn default_limit() -> i64 {
    DEFAULT_PAGE_SIZE
}

/// `limit` / `skip` / `search`, as the original API takes them, and `before`, the cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "ssr", into_params(parameter_in = Query))]
pub struct PostQuery {
    /// How many posts to return, 0-100 (larger values are capped at 100).
    #[serde(default = "default_limit")]
    #[cfg_attr(feature = "ssr", param(required = false, minimum = 0, default = 10))]
    pub limit: i64,
    /// How many posts to skip, from the newest (or from `before`); at most 1000.
    #[serde(default)]
    #[cfg_attr(
        feature = "ssr",
        param(required = false, minimum = 0, maximum = 1000, default = 0)
    )]
    pub skip: i64,
    /// The cursor: only posts after this one in the feed's order (older ones), as when paging
    /// on from the last post seen. A post since deleted still marks its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", param(required = false, minimum = 1))]
    pub before: Option<i64>,
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
            before: None,
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
        if self.skip > MAX_SKIP {
            errors.push(FieldError::at(
                &["query", "skip"],
                FieldErrorKind::LessThanEqual,
                format!(
                    "Input should be less than or equal to {MAX_SKIP}; to page further, pass \
                     `before`: the id of the last post seen"
                ),
            ));
        }
        if self.before.is_some_and(|before| before < 1) {
            errors.push(FieldError::at(
                &["query", "before"],
                FieldErrorKind::GreaterThanEqual,
                "Input should be greater than or equal to 1",
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
            before: self.before,
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
    /// Whether a search looked among the newest [`SHORT_SEARCH_SCOPE`] posts only (a short
    /// term, or a search that ran past its time), so older matches may exist.
    #[serde(default)]
    pub bounded: bool,
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
            bounded: false,
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
            ..PostQuery::default()
        }
        .validate() else {
            panic!("expected 422")
        };
        assert_eq!(errors.0.len(), 2);
        assert_eq!(errors.0[0].loc, ["query", "limit"]);
    }

    #[test]
    fn a_skip_past_the_bound_is_refused_naming_the_cursor() {
        let Err(AppError::Validation(errors)) = PostQuery {
            skip: MAX_SKIP + 1,
            ..PostQuery::default()
        }
        .validate() else {
            panic!("expected 422")
        };
        assert_eq!(errors.0[0].loc, ["query", "skip"]);
        assert_eq!(errors.0[0].kind, FieldErrorKind::LessThanEqual);
        assert!(errors.0[0].msg.contains("`before`"));
        let at_the_bound = PostQuery {
            skip: MAX_SKIP,
            ..PostQuery::default()
        };
        assert!(at_the_bound.validate().is_ok());
    }

    #[test]
    fn a_cursor_is_a_post_id() {
        for before in [0, -5] {
            let Err(AppError::Validation(errors)) = PostQuery {
                before: Some(before),
                ..PostQuery::default()
            }
            .validate() else {
                panic!("expected 422 for before={before}")
            };
            assert_eq!(errors.0[0].loc, ["query", "before"]);
        }
    }

    #[test]
    fn only_terms_without_three_letters_or_digits_in_a_row_are_bounded() {
        for term in ["a", "go", "c#", "a b c", "é.é", "x1", "²³¹", "①②③", "½¼¾"] {
            assert!(search_is_bounded(term), "{term}");
        }
        for term in ["rust", "abc", "c++ and go", "été", "100%"] {
            assert!(!search_is_bounded(term), "{term}");
        }
    }

    #[test]
    fn a_page_knows_whether_more_rows_follow() {
        assert_eq!(
            Page::from_overfetch(vec![1, 2, 3], 2),
            Page {
                items: vec![1, 2],
                has_more: true,
                bounded: false
            }
        );
        assert_eq!(
            Page::from_overfetch(vec![1, 2], 2),
            Page {
                items: vec![1, 2],
                has_more: false,
                bounded: false
            }
        );
        assert_eq!(
            Page::from_overfetch(vec![1], 0),
            Page {
                items: vec![],
                has_more: true,
                bounded: false
            }
        );
    }
}
