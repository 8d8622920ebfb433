//! Accounts as clients see them, the sign-up/login input, and the token pair login returns.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldErrors};
use crate::model::field::{Email, Password};

/// A user as anyone may see them: never a password or a hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct User {
    pub id: i64,
    pub email: String,
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
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Applies the sign-up rules to both fields, reporting every problem at once.
    pub fn validate(&self) -> Result<(Email, Password), AppError> {
        let mut errors = FieldErrors::default();
        let email = Email::parse(&self.email).map_err(|e| errors.push(e)).ok();
        let password = Password::parse(&self.password)
            .map_err(|e| errors.push(e))
            .ok();
        match (email, password) {
            (Some(email), Some(password)) => Ok((email, password)),
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
