//! Validated input. Each newtype has one `parse` constructor holding the rule of docs/api.md;
//! the same code gives the browser instant feedback and is the server's authority, so the two
//! can never disagree. A value of one of these types is valid by construction.

use crate::error::{FieldError, FieldErrorKind};

/// Postgres text cannot hold NUL, so text containing it is refused up front (a 422, not a 500).
fn has_nul(value: &str) -> bool {
    value.contains('\0')
}

/// Characters, not bytes: docs/api.md counts Unicode characters.
fn char_len(value: &str) -> usize {
    value.chars().count()
}

/// An e-mail address, trimmed. Uniqueness (without regard to case) is the database's job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Longest address accepted: RFC 5321's 256-character path less its angle brackets (RFC 3696
    /// errata 1690). It also bounds what a login may present before anything is counted.
    pub const MAX_LEN: usize = 254;

    /// Trims and checks the address: one `@`, a non-empty local part, a dotted domain, no
    /// whitespace or control characters.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        let invalid = |msg: &str| FieldError::body("email", FieldErrorKind::ValueError, msg);
        if value.is_empty() {
            return Err(invalid("value is not a valid email address: it is empty"));
        }
        if char_len(value) > Self::MAX_LEN {
            return Err(invalid(
                "value is not a valid email address: it is too long",
            ));
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(invalid(
                "value is not a valid email address: it must have an @-sign",
            ));
        };
        let well_formed = !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if !well_formed {
            return Err(invalid(
                "value is not a valid email address: use the form name@example.com",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The address as typed, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 3 to 30 characters after trimming, letters, digits, spaces, `.`, `_` and `-`.
/// A user without one is shown as `user#` and the id, which no chosen name can be (no `#`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    /// Fewest characters accepted.
    pub const MIN_LEN: usize = 3;
    /// Most characters accepted.
    pub const MAX_LEN: usize = 30;

    /// Trims and checks the name.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        let len = char_len(value);
        let invalid = |kind, msg: String| Err(FieldError::body("name", kind, msg));
        if len < Self::MIN_LEN {
            return invalid(
                FieldErrorKind::StringTooShort,
                format!("A name has at least {} characters", Self::MIN_LEN),
            );
        }
        if len > Self::MAX_LEN {
            return invalid(
                FieldErrorKind::StringTooLong,
                format!("A name has at most {} characters", Self::MAX_LEN),
            );
        }
        if !value
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-'))
        {
            return invalid(
                FieldErrorKind::StringPatternMismatch,
                "A name may hold letters, digits, spaces, '.', '_' and '-'".to_owned(),
            );
        }
        Ok(Self(value.to_owned()))
    }

    /// The name, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name a login is attempted with, trimmed: any text of at most [`Email::MAX_LEN`]
/// characters (it is only looked up, never stored). Longer input is refused before anything is
/// looked up or counted, so a login cannot make the server remember a megabyte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginName(String);

impl LoginName {
    /// Trims and bounds `raw`; `field` names the input in the error (`username` for the REST
    /// form, `email` for the UI's).
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        if char_len(value) > Email::MAX_LEN {
            return Err(FieldError::body(
                field,
                FieldErrorKind::StringTooLong,
                format!(
                    "An e-mail address has at most {} characters",
                    Email::MAX_LEN
                ),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The name as given, trimmed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8 to 128 characters. Never logged, never stored as given.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Fewest characters accepted.
    pub const MIN_LEN: usize = 8;
    /// Most characters accepted (bounds the hashing work an attacker can ask for).
    pub const MAX_LEN: usize = 128;

    /// Checks the length rule. Whitespace is kept: it is part of the password.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field(raw, "password")
    }

    /// `parse` for an input named `field` (`new_password` on the account page).
    pub fn parse_field(raw: &str, field: &str) -> Result<Self, FieldError> {
        let len = char_len(raw);
        if len < Self::MIN_LEN {
            return Err(FieldError::body(
                field,
                FieldErrorKind::StringTooShort,
                format!("Password should have at least {} characters", Self::MIN_LEN),
            ));
        }
        if len > Self::MAX_LEN {
            return Err(FieldError::body(
                field,
                FieldErrorKind::StringTooLong,
                format!("Password should have at most {} characters", Self::MAX_LEN),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(\"[redacted]\")")
    }
}

/// The rule titles and contents share: no NUL, not blank, at most `max` characters. `label`
/// names the field in messages ("Title"), `field` in the error's location ("title").
fn check_text(value: &str, field: &str, label: &str, max: usize) -> Result<(), FieldError> {
    if has_nul(value) {
        return Err(FieldError::body(
            field,
            FieldErrorKind::StringPatternMismatch,
            format!("{label} must not contain NUL characters"),
        ));
    }
    if value.trim().is_empty() {
        return Err(FieldError::body(
            field,
            FieldErrorKind::StringTooShort,
            format!("{label} should have at least 1 character"),
        ));
    }
    if char_len(value) > max {
        return Err(FieldError::body(
            field,
            FieldErrorKind::StringTooLong,
            format!("{label} should have at most {max} characters"),
        ));
    }
    Ok(())
}

/// A post title: 1 to 300 characters after trimming; stored trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Title(String);

impl Title {
    /// Most characters accepted after trimming.
    pub const MAX_LEN: usize = 300;

    /// Trims and checks the length.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        check_text(value, "title", "Title", Self::MAX_LEN)?;
        Ok(Self(value.to_owned()))
    }

    /// The trimmed title.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// The validated text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A post body: 1 to 20,000 characters, kept exactly as written (leading spaces can matter); a
/// body of only whitespace counts as empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content(String);

impl Content {
    /// Most characters accepted.
    pub const MAX_LEN: usize = 20_000;

    /// Checks the length.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        check_text(raw, "content", "Content", Self::MAX_LEN)?;
        Ok(Self(raw.to_owned()))
    }

    /// The body as written.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// The validated text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_is_trimmed_and_keeps_its_case() {
        assert_eq!(
            Email::parse("  Ann@Example.com ").unwrap().as_str(),
            "Ann@Example.com"
        );
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "a b@example.com",
            "a@b@c.com",
            "ann@.com",
            "ann@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn passwords_are_measured_in_characters_not_bytes() {
        assert!(
            Password::parse("ééééééé").is_err(),
            "7 characters is too short"
        );
        assert!(
            Password::parse("éééééééé").is_ok(),
            "8 characters is enough"
        );
        assert!(Password::parse(&"é".repeat(128)).is_ok());
        assert_eq!(
            Password::parse(&"a".repeat(129)).unwrap_err().kind,
            FieldErrorKind::StringTooLong
        );
    }

    #[test]
    fn addresses_and_login_names_are_bounded_at_254_characters() {
        let longest = format!("{}@example.com", "a".repeat(242));
        assert_eq!(longest.chars().count(), 254);
        assert!(Email::parse(&longest).is_ok());
        assert!(Email::parse(&format!("a{longest}")).is_err());
        assert!(LoginName::parse(&longest, "username").is_ok());
        let refused = LoginName::parse(&"u".repeat(1_000_000), "username").unwrap_err();
        assert_eq!(refused.loc, ["body", "username"]);
    }

    #[test]
    fn display_names_are_bounded_and_plain_so_never_a_default() {
        assert_eq!(
            DisplayName::parse("  Ann Lee ").unwrap().as_str(),
            "Ann Lee"
        );
        assert!(DisplayName::parse("Zoë_K.-9").is_ok());
        for bad in [
            "ab",
            &"n".repeat(31),
            "ann<script>",
            "user#42",
            "ann@example.com",
        ] {
            assert!(
                DisplayName::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        assert!(DisplayName::parse("User42").is_ok());
    }

    #[test]
    fn a_password_never_shows_in_debug_output() {
        let password = Password::parse("hunter2hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(Title::parse("  hello ").unwrap().into_inner(), "hello");
        assert_eq!(
            Title::parse("   ").unwrap_err().kind,
            FieldErrorKind::StringTooShort
        );
        assert!(Title::parse(&format!(" {} ", "t".repeat(300))).is_ok());
        assert_eq!(
            Title::parse(&"t".repeat(301)).unwrap_err().kind,
            FieldErrorKind::StringTooLong
        );
    }

    #[test]
    fn nul_characters_are_refused_in_stored_text() {
        assert!(Title::parse("a\0b").is_err());
        assert!(Content::parse("a\0b").is_err());
        assert!(Email::parse("a\0@b.co").is_err());
    }

    #[test]
    fn content_is_kept_as_written_and_bounded() {
        assert_eq!(
            Content::parse("  indented").unwrap().into_inner(),
            "  indented"
        );
        assert!(Content::parse("\n\t").is_err());
        assert!(Content::parse(&"c".repeat(20_000)).is_ok());
        assert!(Content::parse(&"c".repeat(20_001)).is_err());
    }
}
