//! What the account page sends and shows: a new display name, a password change, the password
//! that confirms a deletion, and the owner's active sessions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldErrors};
use crate::model::field::{DisplayName, Password};

/// `PATCH /api/users/me`: the new display name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NameChange {
    /// 3-30 letters, digits, spaces, `.`, `_` or `-`, trimmed.
    #[cfg_attr(
        feature = "ssr",
        schema(min_length = 3, max_length = 30, pattern = r"^[\w.-][\w .-]*[\w.-]$")
    )]
    pub name: String,
}

impl NameChange {
    /// The name, if it follows the rules (422 otherwise).
    pub fn validate(&self) -> Result<DisplayName, AppError> {
        Ok(DisplayName::parse(&self.name)?)
    }
}

/// `POST /api/users/me/password`.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current_password: String,
    /// 8 to 128 characters.
    #[cfg_attr(feature = "ssr", schema(min_length = 8, max_length = 128))]
    pub new_password: String,
}

impl PasswordChange {
    /// The new password, if it follows the rules (422 at `new_password` otherwise).
    pub fn validate(&self) -> Result<Password, AppError> {
        let mut errors = FieldErrors::default();
        let new = Password::parse_field(&self.new_password, "new_password")
            .map_err(|e| errors.push(e))
            .ok();
        match new {
            Some(new) => Ok(new),
            None => Err(AppError::Validation(errors)),
        }
    }
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { .. }")
    }
}

/// `DELETE /api/users/me`: the password, so that a borrowed session cannot delete the account.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountDeletion {
    pub password: String,
}

impl std::fmt::Debug for AccountDeletion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccountDeletion { .. }")
    }
}

/// A live session of the caller's: one login, on one browser or client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ActiveSession {
    /// The session id (a UUID): `DELETE /api/sessions/{id}` ends it.
    #[cfg_attr(feature = "ssr", schema(format = "uuid"))]
    pub id: String,
    /// When it began (the login).
    #[serde(with = "crate::model::timestamp")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: DateTime<Utc>,
    /// When its tokens were last issued: at login, then at each refresh.
    #[serde(with = "crate::model::timestamp")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub last_used_at: DateTime<Utc>,
    /// The `User-Agent` it last renewed from (at most 200 characters; empty when none was ever
    /// sent).
    pub user_agent: String,
    /// Whether this is the session the request was made in.
    pub current: bool,
}

impl ActiveSession {
    /// A short description of the client for people: "Firefox on Linux", "curl", or "Unknown
    /// client". The whole `user_agent` stays available for a closer look.
    pub fn device(&self) -> String {
        let agent = self.user_agent.as_str();
        let has = |needle: &str| agent.contains(needle);
        let browser = [
            ("Edg/", "Edge"),
            ("OPR/", "Opera"),
            ("Firefox/", "Firefox"),
            ("Chrome/", "Chrome"),
            ("Chromium/", "Chromium"),
            ("Safari/", "Safari"),
        ]
        .into_iter()
        .find(|(needle, _)| has(needle))
        .map(|(_, name)| name.to_owned())
        .or_else(|| {
            // A non-browser client names itself first: "curl/8.5.0", "python-requests/2.31".
            agent
                .split(['/', ' '])
                .next()
                .filter(|product| !product.is_empty() && *product != "Mozilla")
                .map(str::to_owned)
        });
        let system = [
            ("Android", "Android"),
            ("iPhone", "iOS"),
            ("iPad", "iPadOS"),
            ("CrOS", "ChromeOS"),
            ("Windows", "Windows"),
            ("Mac OS X", "macOS"),
            ("Linux", "Linux"),
        ]
        .into_iter()
        .find(|(needle, _)| has(needle))
        .map(|(_, name)| name);
        match (browser, system) {
            (Some(browser), Some(system)) => format!("{browser} on {system}"),
            (Some(browser), None) => browser,
            (None, Some(system)) => format!("A browser on {system}"),
            (None, None) => "Unknown client".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen_from(user_agent: &str) -> String {
        ActiveSession {
            id: "0".into(),
            created_at: Utc::now(),
            last_used_at: Utc::now(),
            user_agent: user_agent.into(),
            current: false,
        }
        .device()
    }

    #[test]
    fn a_session_names_its_browser_and_system_in_words() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(seen_from(firefox), "Firefox on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(seen_from(chrome), "Chrome on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(seen_from(safari), "Safari on iOS");
        assert_eq!(seen_from("curl/8.5.0"), "curl");
        assert_eq!(seen_from(""), "Unknown client");
    }

    #[test]
    fn a_weak_new_password_is_reported_at_new_password() {
        let change = PasswordChange {
            current_password: "whatever".into(),
            new_password: "short".into(),
        };
        let Err(AppError::Validation(errors)) = change.validate() else {
            panic!("expected 422")
        };
        assert_eq!(errors.0[0].loc, ["body", "new_password"]);
    }

    #[test]
    fn passwords_are_never_printed() {
        let change = PasswordChange {
            current_password: "old secret".into(),
            new_password: "new secret".into(),
        };
        let printed = format!(
            "{change:?} {:?}",
            AccountDeletion {
                password: "old secret".into()
            }
        );
        assert!(!printed.contains("secret"), "{printed}");
    }
}
