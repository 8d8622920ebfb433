//! argon2id password hashing with OWASP's parameters (m = 19 MiB, t = 2, p = 1, the argon2
//! crate's defaults). Hashing takes ~25 ms of CPU and 19 MiB, so it runs on the blocking pool
//! behind a semaphore: a flood of logins queues here instead of stalling the async workers or
//! exhausting memory.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::Semaphore;

use crate::error::AppError;
use crate::model::Password;

/// How long a login waits for a hashing slot before the server says it is too busy.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

/// Hashes and verifies passwords off the async workers, a bounded number at a time.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// A real hash of a random password: verifying against it when the e-mail is unknown makes
    /// that failure take as long as a wrong password.
    dummy_hash: Arc<str>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

impl Passwords {
    /// One hashing slot per core.
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let dummy = SaltString::generate(&mut OsRng);
        let dummy_hash = hash_now(dummy.as_str()).expect("hashing a dummy password at startup");
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: dummy_hash.into(),
        }
    }

    /// The PHC string for a new password.
    pub async fn hash(&self, password: Password) -> Result<String, AppError> {
        self.run(move || hash_now(password.expose()).map_err(AppError::internal))
            .await?
    }

    /// Whether `candidate` matches `stored`. With no stored hash (unknown e-mail) it verifies
    /// against the dummy hash and answers false, taking the same time as a wrong password.
    pub async fn verify(
        &self,
        candidate: String,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        let is_known = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = self
            .run(move || {
                let parsed = PasswordHash::new(&phc).map_err(AppError::internal)?;
                Ok::<_, AppError>(
                    Argon2::default()
                        .verify_password(candidate.as_bytes(), &parsed)
                        .is_ok(),
                )
            })
            .await??;
        Ok(is_known && matches)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = tokio::time::timeout(QUEUE_TIMEOUT, self.permits.acquire())
            .await
            .map_err(|_| AppError::Unavailable)?
            .map_err(AppError::internal)?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(AppError::internal)
    }
}

fn hash_now(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let passwords = Passwords::new();
        let hash = passwords
            .hash(Password::parse("correct horse").unwrap())
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(passwords
            .verify("correct horse".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!passwords
            .verify("wrong horse".into(), Some(hash))
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let passwords = Passwords::new();
        assert!(!passwords.verify("anything".into(), None).await.unwrap());
    }
}
