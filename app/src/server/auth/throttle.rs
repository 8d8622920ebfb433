//! Abuse limits for login and sign-up, shaped so that they slow attackers without locking owners
//! out (OWASP ASVS, anti-automation):
//! - a token bucket per client (governor) for every login and sign-up attempt;
//! - failed logins counted per account *and* client: one client that keeps failing for one
//!   account gets 429 for the rest of the window, while the owner elsewhere is unaffected;
//! - failed logins counted per account from every client: past the limit, that account's
//!   logins are taken one at a time, DELAY_STEP apart, so parallel guessing gains nothing; a
//!   client that has not failed for the account (the owner, elsewhere) always gets a turn
//!   within MAX_DELAY.
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
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::model::LoginName;
use crate::server::config::Config;

/// Most entries a counter map holds; past it the oldest are forgotten first.
const MAX_ENTRIES: usize = 50_000;

/// Beyond this many remembered clients, governor's stale ones are dropped on the next check.
const PRUNE_ABOVE: usize = 10_000;

/// The spacing of an attacked account's login attempts, and the longest a client that has not
/// failed for it waits for its turn.
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
    /// part of the header is whatever the client chose to send). `forwarded_for` holds every
    /// `X-Forwarded-For` line in order (a proxy may append a line rather than extend the last).
    /// A hop that is not an address (`unknown`, garbage) ends the walk: nothing to its left can
    /// be trusted, so the client is the last trusted hop.
    pub fn of_request(
        peer: IpAddr,
        forwarded_for: &[&str],
        trusted_proxies: &[ipnet::IpNet],
    ) -> Self {
        let is_trusted = |address: &IpAddr| trusted_proxies.iter().any(|net| net.contains(address));
        let mut client = peer.to_canonical();
        if !is_trusted(&client) {
            return Self::of(client);
        }
        let hops = forwarded_for.iter().rev().flat_map(|line| line.rsplit(','));
        for hop in hops {
            match parse_hop(hop) {
                Some(address) => {
                    client = address;
                    if !is_trusted(&client) {
                        break;
                    }
                }
                None => break,
            }
        }
        Self::of(client)
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

/// A handler argument: the client the router recorded (`ClientKey::of_extensions`).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientKey {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::of_extensions(&parts.extensions))
    }
}

/// One `X-Forwarded-For` hop as an address: `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`,
/// `[2001:db8::1]` or `[2001:db8::1]:443`; IPv4-mapped IPv6 as IPv4.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let address = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })?;
    Some(address.to_canonical())
}

/// Failures of one key within a window, and (for an account) the next free attempt slot.
struct Failures {
    count: u32,
    since: Instant,
    next_slot: Instant,
}

impl Failures {
    fn new() -> Self {
        let now = Instant::now();
        Self {
            count: 0,
            since: now,
            next_slot: now,
        }
    }
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

    /// The entry of `key` in the current window, made (room first, if the map is full) or
    /// started afresh if its window has passed.
    fn entry(&mut self, key: K) -> &mut Failures {
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(&key) {
            self.make_room();
        }
        let window = self.window;
        let entry = self.entries.entry(key).or_insert_with(Failures::new);
        if entry.since.elapsed() >= window {
            *entry = Failures::new();
        }
        entry
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

/// An account's key: the first 128 bits of the SHA-256 of its login name without regard to
/// case, so that every key has the same small size whatever the name.
type AccountKey = [u8; 16];

fn account(name: &LoginName) -> AccountKey {
    let digest = Sha256::digest(name.as_str().to_lowercase().as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// The limits, shared by every request.
pub struct Throttle {
    per_client: Option<DefaultKeyedRateLimiter<ClientKey>>,
    /// When governor's map was last pruned (pruning walks it all).
    last_pruned: Mutex<Instant>,
    /// Login attempts per (account, client) that did not succeed: past `max_failures`, that
    /// client is refused for the rest of the window.
    per_account_and_client: Mutex<Counts<(AccountKey, ClientKey)>>,
    /// Failed logins per account from anywhere: past `max_failures`, its logins are taken one
    /// at a time, DELAY_STEP apart.
    per_account: Mutex<Counts<AccountKey>>,
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
            last_pruned: Mutex::new(Instant::now()),
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
            // At most once a second: it walks the whole map.
            if let Ok(mut last) = self.last_pruned.lock() {
                if last.elapsed() >= Duration::from_secs(1) {
                    *last = Instant::now();
                    limiter.retain_recent();
                }
            }
        }
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited {
                retry_after: wait.as_secs().max(1),
            }
        })
    }

    /// Admits a login attempt, or refuses it (429). The attempt is counted against this client
    /// and account at once (forgiven by `record_success`), so a burst of parallel attempts
    /// cannot all pass before the first failure is recorded. Once the account has failed too
    /// often from anywhere, attempts are taken one at a time, DELAY_STEP apart: the answer is
    /// how long to wait before trying the password. A client that has already failed for this
    /// account is refused when its slot is more than MAX_DELAY away; any other client (the
    /// owner, from their own address) is always admitted, after at most MAX_DELAY.
    pub fn check_login(&self, name: &LoginName, client: ClientKey) -> Result<Duration, AppError> {
        let account = account(name);
        let has_failed_before = {
            let mut pairs = self
                .per_account_and_client
                .lock()
                .map_err(|_| AppError::Internal)?;
            let window = pairs.window;
            let entry = pairs.entry((account, client));
            if entry.count >= self.max_failures {
                let wait = window.saturating_sub(entry.since.elapsed());
                return Err(AppError::RateLimited {
                    retry_after: wait.as_secs().max(1),
                });
            }
            entry.count += 1;
            entry.count > 1
        };
        let mut accounts = self.per_account.lock().map_err(|_| AppError::Internal)?;
        let entry = accounts.entry(account);
        if entry.count < self.max_failures {
            return Ok(Duration::ZERO);
        }
        let now = Instant::now();
        let slot = entry.next_slot.max(now);
        let wait = slot - now;
        if wait > MAX_DELAY && has_failed_before {
            return Err(AppError::RateLimited {
                retry_after: wait.as_secs().max(1),
            });
        }
        entry.next_slot = slot + DELAY_STEP;
        Ok(wait.min(MAX_DELAY))
    }

    /// Records a failed login (for an account that exists or not: the same for both). The
    /// client's count already holds it (`check_login`).
    pub fn record_failure(&self, name: &LoginName) {
        if let Ok(mut accounts) = self.per_account.lock() {
            let entry = accounts.entry(account(name));
            entry.count = entry.count.saturating_add(1);
        }
    }

    /// Forgets the account's failures after a successful login.
    pub fn record_success(&self, name: &LoginName, client: ClientKey) {
        let account = account(name);
        if let Ok(mut pairs) = self.per_account_and_client.lock() {
            pairs.remove(&(account, client));
        }
        if let Ok(mut accounts) = self.per_account.lock() {
            accounts.remove(&account);
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

    /// One failed attempt, as `account::login` makes it.
    fn fail(throttle: &Throttle, raw: &str, from: ClientKey) -> Result<Duration, AppError> {
        let delay = throttle.check_login(&name(raw), from)?;
        throttle.record_failure(&name(raw));
        Ok(delay)
    }

    #[test]
    fn a_client_failing_for_an_account_is_refused_whatever_the_case() {
        let throttle = throttle("60", "3", "2");
        let stranger = client("203.0.113.9");
        fail(&throttle, "Ann@example.com", stranger).unwrap();
        fail(&throttle, "ann@example.com", stranger).unwrap();
        assert!(matches!(
            throttle.check_login(&name("ANN@example.com"), stranger),
            Err(AppError::RateLimited { .. })
        ));
        assert!(
            throttle
                .check_login(&name("bob@example.com"), stranger)
                .is_ok(),
            "other accounts are not affected"
        );
    }

    #[test]
    fn attempts_in_flight_count_before_they_fail() {
        // A burst of parallel attempts: all checked before any failure is recorded.
        let throttle = throttle("60", "3", "3");
        let stranger = client("203.0.113.9");
        let admitted = (0..10)
            .filter(|_| {
                throttle
                    .check_login(&name("ann@example.com"), stranger)
                    .is_ok()
            })
            .count();
        assert_eq!(admitted, 3);
    }

    #[test]
    fn an_attacked_account_takes_attempts_one_at_a_time_and_its_owner_still_gets_a_turn() {
        let throttle = throttle("60", "3", "2");
        for round in 0..2 {
            fail(
                &throttle,
                "ann@example.com",
                client(&format!("10.0.0.{round}")),
            )
            .unwrap();
        }
        // Past the limit, attempts are spaced DELAY_STEP apart, however many come at once.
        let delays: Vec<Duration> = (10..14)
            .map(|n| {
                throttle
                    .check_login(&name("ann@example.com"), client(&format!("10.0.1.{n}")))
                    .unwrap()
            })
            .collect();
        for pair in delays.windows(2) {
            assert!(pair[1] >= pair[0] + DELAY_STEP - Duration::from_millis(50));
        }
        // A client that has failed before is refused once its turn is too far away...
        let hammering = client("10.0.0.0");
        for n in 0..20 {
            let _ = throttle.check_login(&name("ann@example.com"), client(&format!("10.0.2.{n}")));
        }
        assert!(throttle
            .check_login(&name("ann@example.com"), hammering)
            .is_err());
        // ...while the owner, who has not, is admitted within MAX_DELAY.
        let owner = throttle
            .check_login(&name("ann@example.com"), client("198.51.100.7"))
            .unwrap();
        assert!(owner <= MAX_DELAY);
        throttle.record_success(&name("ann@example.com"), client("198.51.100.7"));
        assert_eq!(
            throttle
                .check_login(&name("ann@example.com"), client("198.51.100.8"))
                .unwrap(),
            Duration::ZERO
        );
    }

    #[test]
    fn the_failure_counters_never_hold_more_than_their_bound() {
        let throttle = throttle("60", "3", "10");
        let long = "x".repeat(240);
        for n in 0..(MAX_ENTRIES + MAX_ENTRIES / 2) {
            let _ = fail(&throttle, &format!("{long}{n}"), client("203.0.113.9"));
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
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let via_proxy = ClientKey::of_request(proxy, &["198.51.100.1, 203.0.113.9"], &trusted);
        assert_eq!(via_proxy, client("203.0.113.9"), "the right-most hop");
        let direct =
            ClientKey::of_request("192.0.2.7".parse().unwrap(), &["203.0.113.9"], &trusted);
        assert_eq!(
            direct,
            client("192.0.2.7"),
            "an untrusted peer cannot forge it"
        );
        let garbage = ClientKey::of_request(proxy, &["not an address"], &trusted);
        assert_eq!(garbage, client("127.0.0.1"));
        // A proxy that appends its own line: the client's forged first line is not believed.
        let appended = ClientKey::of_request(proxy, &["1.2.3.4", "203.0.113.9"], &trusted);
        assert_eq!(appended, client("203.0.113.9"));
        // Ports and brackets, and a dual-stack listener's mapped addresses.
        let ported = ClientKey::of_request(proxy, &["[2001:db8::1]:443, 127.0.0.1:80"], &trusted);
        assert_eq!(ported, client("2001:db8::1"));
        let mapped = ClientKey::of_request(
            "::ffff:127.0.0.1".parse().unwrap(),
            &["203.0.113.9:5000"],
            &trusted,
        );
        assert_eq!(mapped, client("203.0.113.9"));
    }
}
