//! Posts as clients see them, and the create / replace / partial-update inputs with their rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldErrors};
use crate::model::field::{Content, Title};
use crate::model::user::User;

/// A post with its owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Post {
    pub id: i64,
    pub title: String,
    pub content: String,
    pub published: bool,
    #[serde(with = "crate::model::timestamp")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: DateTime<Utc>,
    pub owner_id: i64,
    pub owner: User,
}

/// An author's public page: their display name and a page of their published posts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorFeed {
    pub name: String,
    pub posts: crate::model::Page<PostOut>,
}

/// A post in a listing, with its vote count. The capital `Post` key is the original API's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostOut {
    #[serde(rename = "Post")]
    pub post: Post,
    pub votes: i64,
    /// Whether the caller has voted on this post (ours; false for anonymous readers).
    #[serde(default)]
    pub has_voted: bool,
}

fn default_published() -> bool {
    true
}

/// Create or full-replace input: `published` defaults to true when omitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewPost {
    /// 1-300 characters after trimming.
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 300,
            pattern = r"^[^\u0000]*\S[^\u0000]*$"
        )
    )]
    pub title: String,
    /// 1-20,000 characters, not all whitespace.
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 20000,
            pattern = r"^[^\u0000]*\S[^\u0000]*$"
        )
    )]
    pub content: String,
    #[serde(default = "default_published")]
    pub published: bool,
}

/// A post's content after validation, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPost {
    pub title: Title,
    pub content: Content,
    pub published: bool,
}

impl NewPost {
    /// A post from the UI's form, whose `published` checkbox is sent only when ticked.
    pub fn from_form(title: String, content: String, published: Option<String>) -> Self {
        Self {
            title,
            content,
            published: published.is_some(),
        }
    }

    /// Applies the title and content rules, reporting every problem at once.
    pub fn validate(self) -> Result<ValidPost, AppError> {
        let mut errors = FieldErrors::default();
        let title = Title::parse(&self.title).map_err(|e| errors.push(e)).ok();
        let content = Content::parse(&self.content)
            .map_err(|e| errors.push(e))
            .ok();
        match (title, content) {
            (Some(title), Some(content)) => Ok(ValidPost {
                title,
                content,
                published: self.published,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// Partial update: only the fields present change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PostChanges {
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 300,
            pattern = r"^[^\u0000]*\S[^\u0000]*$"
        )
    )]
    pub title: Option<String>,
    #[cfg_attr(
        feature = "ssr",
        schema(
            min_length = 1,
            max_length = 20000,
            pattern = r"^[^\u0000]*\S[^\u0000]*$"
        )
    )]
    pub content: Option<String>,
    pub published: Option<bool>,
}

/// A partial update after validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidChanges {
    pub title: Option<Title>,
    pub content: Option<Content>,
    pub published: Option<bool>,
}

impl ValidChanges {
    /// A full replacement (PUT): every field is set.
    pub fn replacing(post: ValidPost) -> Self {
        Self {
            title: Some(post.title),
            content: Some(post.content),
            published: Some(post.published),
        }
    }
}

impl PostChanges {
    /// Applies the rules to the fields that are present.
    pub fn validate(self) -> Result<ValidChanges, AppError> {
        let mut errors = FieldErrors::default();
        let title = self
            .title
            .map(|raw| Title::parse(&raw).map_err(|e| errors.push(e)).ok());
        let content = self
            .content
            .map(|raw| Content::parse(&raw).map_err(|e| errors.push(e)).ok());
        errors.into_result(ValidChanges {
            title: title.flatten(),
            content: content.flatten(),
            published: self.published,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_post_without_published_is_published() {
        let post: NewPost = serde_json::from_str(r#"{"title":"t","content":"c"}"#).unwrap();
        assert!(post.published);
    }

    #[test]
    fn a_new_post_reports_every_broken_rule() {
        let post = NewPost {
            title: " ".into(),
            content: "".into(),
            published: true,
        };
        let Err(AppError::Validation(errors)) = post.validate() else {
            panic!("expected 422")
        };
        let fields: Vec<_> = errors.0.iter().map(|e| e.field().to_owned()).collect();
        assert_eq!(fields, ["title", "content"]);
    }

    #[test]
    fn a_post_out_uses_the_capitalised_post_key() {
        let json = serde_json::to_value(PostOut {
            post: Post {
                id: 1,
                title: "t".into(),
                content: "c".into(),
                published: true,
                created_at: Utc::now(),
                owner_id: 2,
                owner: User {
                    id: 2,
                    email: "a@b.co".into(),
                    name: "user2".into(),
                    created_at: Utc::now(),
                },
            },
            votes: 3,
            has_voted: false,
        })
        .unwrap();
        assert_eq!(json["Post"]["owner"]["id"], 2);
        assert_eq!(json["votes"], 3);
    }
}
