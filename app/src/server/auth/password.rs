//! argon2id password hashing with OWASP's parameters (m = 19 MiB, t = 2, p = 1, the argon2
//! crate's defaults). Hashing takes ~25 ms of CPU and 19 MiB, so it runs on a few threads of its
//! own, one per core, behind a semaphore: a flood of logins queues here instead of stalling the
//! async workers or exhausting memory. Those threads run at a lower CPU priority than the async
//! workers, so that under such a flood every other request still gets the CPU first, and each
//! keeps one 19 MiB block buffer for all its hashes: allocating a fresh one per hash either
//! stayed resident in the allocator's arenas (~240 MB under a login flood) or, when forced back
//! to the system, cost a page-fault storm per hash (bench/run, #6).

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::{oneshot, Semaphore};

use crate::error::AppError;
use crate::model::Password;

/// How long a login waits for a hashing slot before the server says it is too busy.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

/// The nice value of the hashing threads (the async workers keep 0): about a tenth of the CPU
/// when both want it, all of it when nothing else does.
const HASHING_NICE: i32 = 10;

/// Why a hash could not be computed or read (a stored hash that is not argon2id, say).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
struct HashError(String);

fn hash_error(error: impl std::fmt::Display) -> HashError {
    HashError(error.to_string())
}

/// Work for a hashing thread, given that thread's block buffer.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashes and verifies passwords off the async workers, a bounded number at a time.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// The queue of the hashing threads; they stop once every clone of this is dropped.
    jobs: mpsc::Sender<Job>,
    /// A real hash of a random password: verifying against it when the e-mail is unknown makes
    /// that failure take as long as a wrong password.
    dummy_hash: Arc<str>,
    /// Passwords verified so far, against stored or dummy hashes alike (for tests and metrics:
    /// a login does the same work whether or not its e-mail is known).
    verified: Arc<AtomicU64>,
    /// Hashes waiting for a slot (the queue depth a metric shows).
    waiting: Arc<AtomicUsize>,
    /// Whether some account may still have a bcrypt hash (imported from the original app, not
    /// yet logged in since; `db::user::has_bcrypt_hashes`). While it is set, every verification
    /// also does a bcrypt one, against a dummy when the account has none, so that neither an
    /// unknown e-mail nor an argon2id account answers faster than an imported account (#18).
    bcrypt_in_use: Arc<std::sync::atomic::AtomicBool>,
    /// A bcrypt hash (cost 12, as passlib's) of a random password, made the first time it is
    /// needed.
    bcrypt_dummy: Arc<std::sync::OnceLock<String>>,
    /// bcrypt verifications so far, against stored or dummy hashes alike.
    bcrypt_verified: Arc<AtomicU64>,
}

/// The kinds of stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// Postboard's own: an argon2id PHC string.
    Argon2id,
    /// The original app's: passlib's bcrypt (`$2b$12$...`), also `$2a$` and `$2y$`.
    Bcrypt,
    /// Anything else (an account imported without a password): no password matches it.
    Unusable,
}

impl HashKind {
    /// The kind of a stored hash.
    pub fn of(stored: &str) -> Self {
        if stored.starts_with("$argon2id$") {
            Self::Argon2id
        } else if ["$2a$", "$2b$", "$2y$"]
            .iter()
            .any(|prefix| stored.starts_with(prefix))
        {
            Self::Bcrypt
        } else {
            Self::Unusable
        }
    }
}

/// The cost of the bcrypt dummy: passlib's default, that of the hashes it stands in for.
const BCRYPT_DUMMY_COST: u32 = 12;

impl Passwords {
    /// Starts one hashing thread per core. (No `Default`: making one starts threads and computes
    /// a hash, which nothing should do implicitly.)
    pub fn start() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let dummy = SaltString::generate(&mut OsRng);
        let dummy_hash = hash_with(&mut Vec::new(), dummy.as_str().as_bytes())
            .expect("hashing a dummy password at startup");
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            jobs: start_hashing_threads(cores),
            dummy_hash: dummy_hash.into(),
            verified: Arc::new(AtomicU64::new(0)),
            waiting: Arc::new(AtomicUsize::new(0)),
            bcrypt_in_use: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            bcrypt_dummy: Arc::new(std::sync::OnceLock::new()),
            bcrypt_verified: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Says whether some account may still have a bcrypt hash (see `bcrypt_in_use`); when it
    /// does, the bcrypt dummy is made now rather than at the next login (~250 ms, once).
    pub async fn set_bcrypt_in_use(&self, is_in_use: bool) -> Result<(), AppError> {
        if is_in_use {
            self.bcrypt_dummy().await?;
        }
        self.bcrypt_in_use.store(is_in_use, Ordering::Relaxed);
        Ok(())
    }

    /// A password already verified against a stored hash, hashed anew with argon2id: for the
    /// first login of an account whose hash is bcrypt. Unlike `hash`, it takes the password as
    /// it is, since the original app had no rules for it.
    pub async fn rehash(&self, password: String) -> Result<String, AppError> {
        self.run(move |buffer| hash_with(buffer, password.as_bytes()))
            .await
    }

    /// How many bcrypt verifications this process has made.
    pub fn bcrypt_verifications(&self) -> u64 {
        self.bcrypt_verified.load(Ordering::Relaxed)
    }

    /// The PHC string for a new password.
    pub async fn hash(&self, password: Password) -> Result<String, AppError> {
        self.run(move |buffer| hash_with(buffer, password.expose().as_bytes()))
            .await
    }

    /// Whether `candidate` matches `stored`. With no stored hash (unknown e-mail), or one no
    /// password matches, it verifies against the dummy hash and answers false, taking the same
    /// time as a wrong password. While bcrypt hashes may remain, each call also verifies one
    /// bcrypt hash (the stored one, or a dummy) and one argon2id hash (likewise), whatever the
    /// account: every login then takes the same time.
    pub async fn verify(
        &self,
        candidate: String,
        stored: Option<String>,
    ) -> Result<bool, AppError> {
        let kind = stored.as_deref().map_or(HashKind::Unusable, HashKind::of);
        let argon2_phc = match (&stored, kind) {
            (Some(stored), HashKind::Argon2id) => stored.clone(),
            _ => self.dummy_hash.to_string(),
        };
        if kind == HashKind::Bcrypt {
            // Imported since the flag was last read (startup, the clean-up's tick): from now on
            // every login does the bcrypt work too.
            self.bcrypt_in_use.store(true, Ordering::Relaxed);
        }
        let with_bcrypt = self.bcrypt_in_use.load(Ordering::Relaxed);
        let bcrypt_hash = match (stored, kind) {
            (Some(stored), HashKind::Bcrypt) => Some(stored),
            _ if with_bcrypt => Some(self.bcrypt_dummy().await?),
            _ => None,
        };
        let bcrypt_candidate = candidate.clone();
        let argon2_matches = self
            .run(move |buffer| verify_with(buffer, candidate.as_bytes(), &argon2_phc))
            .await?;
        self.verified.fetch_add(1, Ordering::Relaxed);
        let bcrypt_matches = match bcrypt_hash {
            Some(hash) => {
                let matches = self
                    .run(move |_| {
                        // A malformed bcrypt string matches nothing.
                        Ok::<_, HashError>(
                            bcrypt::verify(&bcrypt_candidate, &hash).unwrap_or(false),
                        )
                    })
                    .await?;
                self.bcrypt_verified.fetch_add(1, Ordering::Relaxed);
                matches
            }
            None => false,
        };
        Ok(match kind {
            HashKind::Argon2id => argon2_matches,
            HashKind::Bcrypt => bcrypt_matches,
            HashKind::Unusable => false,
        })
    }

    /// The bcrypt dummy, made on first use (~250 ms, once, on a hashing thread).
    async fn bcrypt_dummy(&self) -> Result<String, AppError> {
        if let Some(hash) = self.bcrypt_dummy.get() {
            return Ok(hash.clone());
        }
        let random = SaltString::generate(&mut OsRng).as_str().to_owned();
        let hash = self
            .run(move |_| bcrypt::hash(random, BCRYPT_DUMMY_COST).map_err(hash_error))
            .await?;
        Ok(self.bcrypt_dummy.get_or_init(|| hash).clone())
    }

    /// How many hashes wait for a hashing thread right now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// How many passwords this process has verified.
    pub fn verifications(&self) -> u64 {
        self.verified.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, AppError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = tokio::time::timeout(QUEUE_TIMEOUT, self.permits.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let _permit = permit
            .map_err(|_| AppError::Unavailable)?
            .map_err(AppError::internal)?;
        let (reply, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move |buffer| {
                // The caller may have gone away meanwhile; then nobody wants the answer.
                let _ = reply.send(work(buffer));
            }))
            .map_err(|_| AppError::internal(HashError("no hashing thread is running".into())))?;
        result
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)
    }
}

/// Starts `count` hashing threads that take jobs from one queue until it is closed.
fn start_hashing_threads(count: usize) -> mpsc::Sender<Job> {
    let (jobs, queue) = mpsc::channel::<Job>();
    let queue = Arc::new(Mutex::new(queue));
    for number in 0..count {
        let queue = Arc::clone(&queue);
        std::thread::Builder::new()
            .name(format!("argon2-{number}"))
            .spawn(move || {
                lower_this_threads_priority();
                let mut buffer = Vec::new();
                loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    // A panicking hash loses its own answer (the caller sees an internal
                    // error), not the thread.
                    let _ = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut buffer)));
                }
            })
            .expect("starting the password hashing threads");
    }
    jobs
}

/// Gives the calling thread a lower CPU priority. On Linux the nice value belongs to the thread,
/// and `setpriority(PRIO_PROCESS, 0, ..)` sets the caller's. Failing to lower it only costs
/// latency, so the result is ignored.
fn lower_this_threads_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority takes plain integers and touches no memory of ours.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICE);
    }
}

/// argon2id over `password` and `salt` with `params`, in `buffer` (grown to size if needed).
fn compute(
    buffer: &mut Vec<Block>,
    params: &Params,
    version: Version,
    password: &[u8],
    salt: &[u8],
    output_len: usize,
) -> Result<Output, HashError> {
    let blocks = params.block_count();
    if buffer.len() < blocks {
        buffer.resize(blocks, Block::default());
    }
    let argon2 = Argon2::new(Algorithm::Argon2id, version, params.clone());
    Output::init_with(output_len, |out| {
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut buffer[..blocks])
            .map_err(|_| argon2::password_hash::Error::Crypto)
    })
    .map_err(hash_error)
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) with a random salt.
fn hash_with(buffer: &mut Vec<Block>, password: &[u8]) -> Result<String, HashError> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(hash_error)?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = compute(
        buffer,
        &params,
        Version::V0x13,
        password,
        salt_bytes,
        output_len,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(hash_error)?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` produces the hash in `phc`, compared in constant time.
fn verify_with(buffer: &mut Vec<Block>, password: &[u8], phc: &str) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(phc).map_err(hash_error)?;
    if parsed.algorithm != Algorithm::Argon2id.ident() {
        return Err(HashError(format!(
            "unexpected algorithm {}",
            parsed.algorithm
        )));
    }
    let params = Params::try_from(&parsed).map_err(hash_error)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(hash_error)?
        .unwrap_or_default();
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(HashError(
            "the stored hash has no salt or output".to_owned(),
        ));
    };
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).map_err(hash_error)?;
    let actual = compute(
        buffer,
        &params,
        version,
        password,
        salt_bytes,
        expected.len(),
    )?;
    // Output's equality is constant-time.
    Ok(actual == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_own_password_only() {
        let passwords = Passwords::start();
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

    #[test]
    fn hashes_are_standard_phc_strings_that_the_argon2_crate_verifies() {
        use argon2::PasswordVerifier;
        let mut buffer = Vec::new();
        let phc = hash_with(&mut buffer, b"correct horse").unwrap();
        let parsed = PasswordHash::new(&phc).unwrap();
        assert!(Argon2::default()
            .verify_password(b"correct horse", &parsed)
            .is_ok());
        // And hashes made by the crate itself verify here, with the reused buffer.
        use argon2::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"battery staple", &salt)
            .unwrap()
            .to_string();
        assert!(verify_with(&mut buffer, b"battery staple", &theirs).unwrap());
        assert!(!verify_with(&mut buffer, b"battery stapler", &theirs).unwrap());
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies() {
        let passwords = Passwords::start();
        assert!(!passwords.verify("anything".into(), None).await.unwrap());
    }
}
