//! An in-process budget per client address (governor's GCRA, keyed by [`ClientKey`]): `rate`
//! requests a minute, `burst` at once. Used in front of the shared login budget
//! (`auth::throttle`), and for anonymous reads (`AppState::anonymous_reads`, spent by the server's
//! `budget_anonymous_reads` middleware).

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::server::auth::throttle::ClientKey;

/// Beyond this many remembered clients, governor's stale ones are dropped on the next check.
const PRUNE_ABOVE: usize = 10_000;

/// A budget per client, kept in this process.
pub struct LocalBudget {
    limiter: DefaultKeyedRateLimiter<ClientKey>,
    /// When the map was last pruned (pruning walks it all).
    last_pruned: Mutex<Instant>,
}

impl LocalBudget {
    /// `per_minute` requests a minute per client, `burst` at once (0: as many as per minute);
    /// `None` when `per_minute` is 0, which turns the budget off.
    pub fn new(per_minute: u32, burst: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_minute)?;
        let burst = NonZeroU32::new(burst).unwrap_or(rate);
        Some(Self {
            limiter: RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
            last_pruned: Mutex::new(Instant::now()),
        })
    }

    /// Spends one request of `client`'s budget, or says how long until it may make one.
    pub fn spend(&self, client: ClientKey) -> Result<(), Duration> {
        if self.limiter.len() > PRUNE_ABOVE {
            // At most once a second: it walks the whole map.
            if let Ok(mut last) = self.last_pruned.lock() {
                if last.elapsed() >= Duration::from_secs(1) {
                    *last = Instant::now();
                    self.limiter.retain_recent();
                }
            }
        }
        self.limiter
            .check_key(&client)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// Whole seconds to wait, at least one (a `Retry-After` of 0 would invite a retry at once).
pub fn retry_after(seconds: f64) -> u64 {
    // Saturating: a negative or huge value cannot wrap.
    (seconds.ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};

    fn client(last: u8) -> ClientKey {
        ClientKey::of(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    #[test]
    fn a_client_spends_its_burst_and_then_waits_while_others_do_not() {
        let budget = LocalBudget::new(60, 3).unwrap();
        for _ in 0..3 {
            assert!(budget.spend(client(1)).is_ok());
        }
        let wait = budget.spend(client(1)).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(budget.spend(client(2)).is_ok());
    }

    #[test]
    fn a_rate_of_zero_turns_the_budget_off() {
        assert!(LocalBudget::new(0, 10).is_none());
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(retry_after(0.01), 1);
        assert_eq!(retry_after(1.5), 2);
        assert_eq!(retry_after(-3.0), 1);
    }
}
