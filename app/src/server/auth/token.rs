//! Access tokens: HS256 JWTs carrying `user_id` and `exp` (the two the original app mints and
//! requires) and, in the ones Postboard issues, `iat` and the session id `sid`. Only HS256 is accepted, with no leeway on
//! expiry; every failure is the same `InvalidToken` so a client learns nothing about why.
//! Refresh tokens are opaque random strings, handled in `session`.

use std::time::Duration;

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::server::config::Secret;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub user_id: i64,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// Issue time, Unix seconds. Optional: tokens minted by the original app (python-jose) carry
    /// only `user_id` and `exp`, and stay valid after a switch with the same secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// The session the token belongs to (its refresh-token family): logging out of it ends the
    /// token at once. Absent from the original app's tokens, which end only at `exp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<uuid::Uuid>,
}

/// The signing and verifying keys, built once from the configured secret.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl JwtKeys {
    /// Keys for `secret`, issuing tokens that live for `ttl`.
    pub fn new(secret: &Secret, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            ttl,
        }
    }

    /// How long a new token lives, in seconds.
    pub fn ttl_seconds(&self) -> i64 {
        i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX)
    }

    /// A signed token for `user_id` in `session`.
    pub fn issue(&self, user_id: i64, session: uuid::Uuid) -> Result<String, AppError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            user_id,
            exp: now.saturating_add(self.ttl_seconds()),
            iat: Some(now),
            sid: Some(session),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(AppError::internal)
    }

    /// The claims of a valid token: right algorithm, right signature, not expired, with an
    /// integer `user_id`.
    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| AppError::InvalidToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ttl_secs: u64) -> JwtKeys {
        JwtKeys::new(&Secret::new("k".repeat(32)), Duration::from_secs(ttl_secs))
    }

    #[test]
    fn an_issued_token_verifies_to_its_user() {
        let keys = keys(60);
        let session = uuid::Uuid::new_v4();
        let claims = keys.verify(&keys.issue(7, session).unwrap()).unwrap();
        assert_eq!(claims.user_id, 7);
        assert_eq!(claims.sid, Some(session));
        assert_eq!(claims.iat.map(|iat| claims.exp - iat), Some(60));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_rejected() {
        let other = JwtKeys::new(&Secret::new("x".repeat(32)), Duration::from_secs(60));
        assert_eq!(
            keys(60).verify(&other.issue(7, uuid::Uuid::new_v4()).unwrap()),
            Err(AppError::InvalidToken)
        );
    }

    #[test]
    fn an_expired_token_is_rejected() {
        let keys = keys(60);
        let now = chrono::Utc::now().timestamp();
        let expired = encode(
            &Header::new(Algorithm::HS256),
            &Claims {
                user_id: 7,
                exp: now - 1,
                iat: Some(now - 61),
                sid: None,
            },
            &EncodingKey::from_secret("k".repeat(32).as_bytes()),
        )
        .unwrap();
        assert_eq!(keys.verify(&expired), Err(AppError::InvalidToken));
    }

    #[test]
    fn a_token_with_another_algorithm_is_rejected() {
        let keys = keys(60);
        let now = chrono::Utc::now().timestamp();
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &Claims {
                user_id: 7,
                exp: now + 60,
                iat: Some(now),
                sid: None,
            },
            &EncodingKey::from_secret("k".repeat(32).as_bytes()),
        )
        .unwrap();
        assert_eq!(keys.verify(&hs512), Err(AppError::InvalidToken));
    }
}
