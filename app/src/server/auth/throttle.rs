//! Abuse limits for login and sign-up: a token bucket per client address (governor), and a
//! counter of failed logins per account that locks the account's login for a while. Both answer
//! 429 with the seconds to wait. They live in this process's memory: with several instances each
//! keeps its own counts (README, "Many instances").

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;
use crate::server::config::Config;

/// Beyond this many remembered keys, stale ones are dropped on the next check.
const PRUNE_ABOVE: usize = 10_000;

struct Failures {
    count: u32,
    since: Instant,
}

/// The limits, shared by every request.
pub struct Throttle {
    per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    failures: Mutex<HashMap<String, Failures>>,
    max_failures: u32,
    failure_window: Duration,
}

impl Throttle {
    /// Limits as configured; a per-minute rate of 0 turns the address limit off.
    pub fn new(config: &Config) -> Self {
        let per_address = NonZeroU32::new(config.auth_requests_per_minute).map(|rate| {
            let burst = NonZeroU32::new(config.auth_burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        Self {
            per_address,
            failures: Mutex::new(HashMap::new()),
            max_failures: config.login_max_failures,
            failure_window: config.login_failure_window,
        }
    }

    /// Counts one login or sign-up attempt from `address`: 429 once its bucket is empty.
    pub fn check_address(&self, address: IpAddr) -> Result<(), AppError> {
        let Some(limiter) = &self.per_address else {
            return Ok(());
        };
        if limiter.len() > PRUNE_ABOVE {
            limiter.retain_recent();
        }
        limiter.check_key(&address).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited {
                retry_after: wait.as_secs().max(1),
            }
        })
    }

    fn key(email: &str) -> String {
        email.trim().to_lowercase()
    }

    /// 429 while the account has had too many failed logins in the current window.
    pub fn check_account(&self, email: &str) -> Result<(), AppError> {
        let failures = self.failures.lock().map_err(|_| AppError::Internal)?;
        match failures.get(&Self::key(email)) {
            Some(entry) if entry.count >= self.max_failures => {
                let elapsed = entry.since.elapsed();
                if elapsed < self.failure_window {
                    let wait = self.failure_window - elapsed;
                    return Err(AppError::RateLimited {
                        retry_after: wait.as_secs().max(1),
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Records a failed login for the account (known or not: the same for both).
    pub fn record_failure(&self, email: &str) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        let window = self.failure_window;
        if failures.len() > PRUNE_ABOVE {
            failures.retain(|_, entry| entry.since.elapsed() < window);
        }
        let entry = failures.entry(Self::key(email)).or_insert(Failures {
            count: 0,
            since: Instant::now(),
        });
        if entry.since.elapsed() >= window {
            *entry = Failures {
                count: 0,
                since: Instant::now(),
            };
        }
        entry.count += 1;
    }

    /// Forgets the account's failures after a successful login.
    pub fn record_success(&self, email: &str) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&Self::key(email));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn throttle(per_minute: &str, burst: &str, failures: &str) -> Throttle {
        let config = Config::from_lookup(|name| match name {
            "DATABASE_URL" => Some("postgres://x".into()),
            "JWT_SECRET" => Some("s".repeat(32)),
            "AUTH_RATE_LIMIT_PER_MINUTE" => Some(per_minute.into()),
            "AUTH_RATE_LIMIT_BURST" => Some(burst.into()),
            "LOGIN_MAX_FAILURES" => Some(failures.into()),
            _ => None,
        })
        .unwrap();
        Throttle::new(&config)
    }

    #[test]
    fn an_address_is_limited_once_its_burst_is_spent() {
        let throttle = throttle("60", "3", "10");
        let address: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(throttle.check_address(address).is_ok());
        }
        let Err(AppError::RateLimited { retry_after }) = throttle.check_address(address) else {
            panic!("expected 429");
        };
        assert!((1..=60).contains(&retry_after));
        assert!(
            throttle.check_address([10, 0, 0, 1].into()).is_ok(),
            "other addresses are not affected"
        );
    }

    #[test]
    fn an_account_is_locked_after_too_many_failures_whatever_the_case() {
        let throttle = throttle("60", "3", "2");
        throttle.record_failure("Ann@example.com");
        assert!(throttle.check_account("ann@example.com").is_ok());
        throttle.record_failure("ann@example.com");
        assert!(matches!(
            throttle.check_account("ANN@example.com"),
            Err(AppError::RateLimited { .. })
        ));
        throttle.record_success("ann@example.com");
        assert!(throttle.check_account("ann@example.com").is_ok());
    }
}
