//! Abuse limits for login and sign-up, shaped so that they slow attackers without locking owners
//! out (OWASP ASVS, anti-automation):
//! - a token bucket per client (governor) for every login and sign-up attempt;
//! - failed logins counted per account *and* client: one client that keeps failing for one
//!   account gets 429 for the rest of the window, while the owner elsewhere is unaffected;
//! - failed logins counted per account from every client: past the limit, each login for that
//!   account is answered after a growing delay (never refused), so a distributed guesser is
//!   slowed and the owner still gets in.
//!
//! A client is its address, or the /64 network of an IPv6 address ([`ClientKey`]). Every map
//! has a hard size bound and forgets by age, and the keys are bounded too (a login name longer
//! than an e-mail address is refused before it gets here). The counts live in this process's
//! memory: with several instances each keeps its own (README, "Many instances").

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;
use crate::model::LoginName;
use crate::server::config::Config;

/// Most entries a counter map holds; past it the oldest are forgotten first.
const MAX_ENTRIES: usize = 50_000;

/// Beyond this many remembered clients, governor's stale ones are dropped on the next check.
const PRUNE_ABOVE: usize = 10_000;

/// The delay added for each account-wide failure past the limit, and its ceiling.
const DELAY_STEP: Duration = Duration::from_millis(250);
const MAX_DELAY: Duration = Duration::from_secs(3);

/// Who is asking, for counting: an IPv4 address, or the /64 network of an IPv6 address (one
/// subscriber is usually given a whole /64, so counting single IPv6 addresses would let one
/// client take 2^64 fresh starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl ClientKey {
    /// The key of a client address.
    pub fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let network = u128::from(v6) & !((1u128 << 64) - 1);
                    Self(IpAddr::V6(Ipv6Addr::from(network)))
                }
            },
        }
    }

    /// The client of a request: its TCP peer, unless the peer is a trusted proxy, in which case
    /// the right-most `X-Forwarded-For` address that is not itself a trusted proxy (the left
    /// part of the header is whatever the client chose to send).
    pub fn of_request(
        peer: IpAddr,
        forwarded_for: Option<&str>,
        trusted_proxies: &[ipnet::IpNet],
    ) -> Self {
        let is_trusted = |address: &IpAddr| trusted_proxies.iter().any(|net| net.contains(address));
        if !is_trusted(&peer) {
            return Self::of(peer);
        }
        let client = forwarded_for
            .unwrap_or_default()
            .rsplit(',')
            .map(|hop| hop.trim().parse::<IpAddr>())
            .take_while(Result::is_ok)
            .filter_map(Result::ok)
            .find(|hop| !is_trusted(hop));
        Self::of(client.unwrap_or(peer))
    }

    /// The client the router recorded for this request (`server::middleware::identify_client`);
    /// one shared key for all if it did not (a router built without that layer).
    pub fn of_extensions(extensions: &axum::http::Extensions) -> Self {
        extensions
            .get::<Self>()
            .copied()
            .unwrap_or(Self(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)))
    }
}

/// Failures of one key within a window.
struct Failures {
    count: u32,
    since: Instant,
}

/// Failure counts by key, with a hard bound on their number.
struct Counts<K> {
    entries: HashMap<K, Failures>,
    window: Duration,
}

impl<K: Eq + Hash> Counts<K> {
    fn new(window: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            window,
        }
    }

    /// The failures of `key` in the current window.
    fn get(&self, key: &K) -> Option<&Failures> {
        self.entries
            .get(key)
            .filter(|entry| entry.since.elapsed() < self.window)
    }

    /// Counts one failure of `key`, making room first if the map is full.
    fn add(&mut self, key: K) -> u32 {
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(&key) {
            self.make_room();
        }
        let window = self.window;
        let entry = self.entries.entry(key).or_insert(Failures {
            count: 0,
            since: Instant::now(),
        });
        if entry.since.elapsed() >= window {
            *entry = Failures {
                count: 0,
                since: Instant::now(),
            };
        }
        entry.count = entry.count.saturating_add(1);
        entry.count
    }

    fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Drops what has aged out; if that is not enough, the older half (so that this rare, O(n)
    /// step runs at most once per MAX_ENTRIES / 2 new keys).
    fn make_room(&mut self) {
        let window = self.window;
        self.entries
            .retain(|_, entry| entry.since.elapsed() < window);
        if self.entries.len() >= MAX_ENTRIES {
            let mut started: Vec<Instant> = self.entries.values().map(|e| e.since).collect();
            let (_, median, _) = started.select_nth_unstable(MAX_ENTRIES / 2);
            let cutoff = *median;
            self.entries.retain(|_, entry| entry.since > cutoff);
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// An account's key: its login name without regard to case.
fn account(name: &LoginName) -> String {
    name.as_str().to_lowercase()
}

/// The limits, shared by every request.
pub struct Throttle {
    per_client: Option<DefaultKeyedRateLimiter<ClientKey>>,
    /// Failed logins per (account, client): past `max_failures`, that client is refused.
    per_account_and_client: Mutex<Counts<(String, ClientKey)>>,
    /// Failed logins per account from anywhere: past `max_failures`, logins are slowed.
    per_account: Mutex<Counts<String>>,
    max_failures: u32,
}

impl Throttle {
    /// Limits as configured; a per-minute rate of 0 turns the per-client bucket off.
    pub fn new(config: &Config) -> Self {
        let per_client = NonZeroU32::new(config.auth_requests_per_minute).map(|rate| {
            let burst = NonZeroU32::new(config.auth_burst).unwrap_or(rate);
            RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst))
        });
        Self {
            per_client,
            per_account_and_client: Mutex::new(Counts::new(config.login_failure_window)),
            per_account: Mutex::new(Counts::new(config.login_failure_window)),
            max_failures: config.login_max_failures,
        }
    }

    /// Counts one login or sign-up attempt from `client`: 429 once its bucket is empty.
    pub fn check_client(&self, client: ClientKey) -> Result<(), AppError> {
        let Some(limiter) = &self.per_client else {
            return Ok(());
        };
        if limiter.len() > PRUNE_ABOVE {
            limiter.retain_recent();
        }
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited {
                retry_after: wait.as_secs().max(1),
            }
        })
    }

    /// Before a login is tried: 429 while this client has failed too often for this account,
    /// else how long to wait before answering (zero unless the account is under attack).
    pub fn check_login(&self, name: &LoginName, client: ClientKey) -> Result<Duration, AppError> {
        let key = (account(name), client);
        let refused = {
            let counts = self
                .per_account_and_client
                .lock()
                .map_err(|_| AppError::Internal)?;
            counts
                .get(&key)
                .filter(|entry| entry.count >= self.max_failures)
                .map(|entry| counts.window.saturating_sub(entry.since.elapsed()))
        };
        if let Some(wait) = refused {
            return Err(AppError::RateLimited {
                retry_after: wait.as_secs().max(1),
            });
        }
        let counts = self.per_account.lock().map_err(|_| AppError::Internal)?;
        let failures = counts.get(&key.0).map_or(0, |entry| entry.count);
        let excess = failures.saturating_sub(self.max_failures);
        Ok(DELAY_STEP.saturating_mul(excess).min(MAX_DELAY))
    }

    /// Records a failed login (for an account that exists or not: the same for both).
    pub fn record_failure(&self, name: &LoginName, client: ClientKey) {
        let account = account(name);
        if let Ok(mut counts) = self.per_account_and_client.lock() {
            counts.add((account.clone(), client));
        }
        if let Ok(mut counts) = self.per_account.lock() {
            counts.add(account);
        }
    }

    /// Forgets the account's failures after a successful login.
    pub fn record_success(&self, name: &LoginName, client: ClientKey) {
        let account = account(name);
        if let Ok(mut counts) = self.per_account_and_client.lock() {
            counts.remove(&(account.clone(), client));
        }
        if let Ok(mut counts) = self.per_account.lock() {
            counts.remove(&account);
        }
    }

    /// How many keys the failure counters hold (for tests and metrics).
    pub fn remembered(&self) -> usize {
        let pairs = self.per_account_and_client.lock().map_or(0, |c| c.len());
        let accounts = self.per_account.lock().map_or(0, |c| c.len());
        pairs + accounts
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

    fn name(raw: &str) -> LoginName {
        LoginName::parse(raw, "username").unwrap()
    }

    fn client(raw: &str) -> ClientKey {
        ClientKey::of(raw.parse().unwrap())
    }

    #[test]
    fn a_client_is_limited_once_its_burst_is_spent() {
        let throttle = throttle("60", "3", "10");
        for _ in 0..3 {
            assert!(throttle.check_client(client("127.0.0.1")).is_ok());
        }
        let Err(AppError::RateLimited { retry_after }) = throttle.check_client(client("127.0.0.1"))
        else {
            panic!("expected 429");
        };
        assert!((1..=60).contains(&retry_after));
        assert!(
            throttle.check_client(client("10.0.0.1")).is_ok(),
            "other clients are not affected"
        );
    }

    #[test]
    fn a_client_failing_for_an_account_is_refused_whatever_the_case_and_others_are_slowed() {
        let throttle = throttle("60", "3", "2");
        let stranger = client("203.0.113.9");
        throttle.record_failure(&name("Ann@example.com"), stranger);
        assert!(throttle
            .check_login(&name("ann@example.com"), stranger)
            .is_ok());
        throttle.record_failure(&name("ann@example.com"), stranger);
        throttle.record_failure(&name("ann@example.com"), client("203.0.113.10"));
        assert!(matches!(
            throttle.check_login(&name("ANN@example.com"), stranger),
            Err(AppError::RateLimited { .. })
        ));
        // The owner elsewhere is slowed, not refused.
        let owner = client("198.51.100.7");
        assert_eq!(
            throttle
                .check_login(&name("ann@example.com"), owner)
                .unwrap(),
            DELAY_STEP
        );
        throttle.record_success(&name("ann@example.com"), owner);
        assert_eq!(
            throttle
                .check_login(&name("ann@example.com"), owner)
                .unwrap(),
            Duration::ZERO
        );
    }

    #[test]
    fn the_delay_grows_with_the_failures_and_stops_at_its_ceiling() {
        let throttle = throttle("60", "3", "1");
        for round in 0..100 {
            throttle.record_failure(&name("ann@example.com"), client(&format!("10.0.0.{round}")));
        }
        let delay = throttle
            .check_login(&name("ann@example.com"), client("198.51.100.7"))
            .unwrap();
        assert_eq!(delay, MAX_DELAY);
    }

    #[test]
    fn the_failure_counters_never_hold_more_than_their_bound() {
        let throttle = throttle("60", "3", "10");
        let long = "x".repeat(240);
        for n in 0..(MAX_ENTRIES + MAX_ENTRIES / 2) {
            let name = name(&format!("{long}{n}"));
            throttle.record_failure(&name, client("203.0.113.9"));
        }
        assert!(throttle.remembered() <= 2 * MAX_ENTRIES);
    }

    #[test]
    fn ipv6_clients_are_counted_per_64_bit_network_and_mapped_ipv4_as_ipv4() {
        assert_eq!(client("2001:db8:1:2::1"), client("2001:db8:1:2:ffff::9"));
        assert_ne!(client("2001:db8:1:2::1"), client("2001:db8:1:3::1"));
        assert_eq!(client("::ffff:192.0.2.1"), client("192.0.2.1"));
    }

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let trusted: Vec<ipnet::IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        let via_proxy = ClientKey::of_request(
            "127.0.0.1".parse().unwrap(),
            Some("198.51.100.1, 203.0.113.9"),
            &trusted,
        );
        assert_eq!(via_proxy, client("203.0.113.9"), "the right-most hop");
        let direct =
            ClientKey::of_request("192.0.2.7".parse().unwrap(), Some("203.0.113.9"), &trusted);
        assert_eq!(
            direct,
            client("192.0.2.7"),
            "an untrusted peer cannot forge it"
        );
        let garbage = ClientKey::of_request(
            "127.0.0.1".parse().unwrap(),
            Some("not an address"),
            &trusted,
        );
        assert_eq!(garbage, client("127.0.0.1"));
    }
}
