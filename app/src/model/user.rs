//! Accounts as clients see them, the sign-up/login input, and the token pair login returns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldErrors};
use crate::model::field::{DisplayName, Email, Password};

/// A user: never a password or a hash. The e-mail is for its owner and for authenticated REST
/// clients (the original contract); the UI shows others only the display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub email: String,
    /// The display name: the one chosen at sign-up, or `user#` and the id (ours).
    #[serde(default)]
    pub name: String,
    #[serde(with = "crate::model::timestamp")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: DateTime<Utc>,
}

/// Sign-up input (`POST /api/users/` and the register form).
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Credentials {
    #[cfg_attr(
        feature = "ssr",
        schema(format = "email", min_length = 3, max_length = 254)
    )]
    pub email: String,
    #[cfg_attr(feature = "ssr", schema(min_length = 8, max_length = 128))]
    pub password: String,
    /// Optional display name, 3-30 letters, digits, spaces, `.`, `_` or `-`, trimmed (ours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 3, max_length = 30, pattern = r"^[\w.-][\w .-]*[\w.-]$")
    )]
    pub name: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A sign-up, once its rules are checked.
#[derive(Debug)]
pub struct ValidSignUp {
    pub email: Email,
    pub password: Password,
    pub name: Option<DisplayName>,
}

impl Credentials {
    /// Applies the sign-up rules to every field, reporting every problem at once. A blank name
    /// is no name.
    pub fn validate(&self) -> Result<ValidSignUp, AppError> {
        let mut errors = FieldErrors::default();
        let email = Email::parse(&self.email).map_err(|e| errors.push(e)).ok();
        let password = Password::parse(&self.password)
            .map_err(|e| errors.push(e))
            .ok();
        let name = match self.name.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(raw) => DisplayName::parse(raw)
                .map_err(|e| errors.push(e))
                .ok()
                .map(Some),
        };
        match (email, password, name) {
            (Some(email), Some(password), Some(name)) => Ok(ValidSignUp {
                email,
                password,
                name,
            }),
            _ => Err(AppError::Validation(errors)),
        }
    }
}

/// What login and refresh return. `access_token` and `token_type` are the original API's;
/// `refresh_token` and `expires_in` (seconds) are ours.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Token {
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}
