//! Abuse limits for login and sign-up, shaped so that they slow attackers without locking owners
//! out (OWASP ASVS, anti-automation):
//! - a budget per client for every login and sign-up attempt;
//! - failed logins counted per account *and* client: one client that keeps failing for one
//!   account gets 429 for the rest of the window, while the owner elsewhere is unaffected;
//! - failed logins counted per account from every client: past the limit, that account's
//!   logins are taken one at a time, DELAY_STEP apart, so parallel guessing gains nothing; a
//!   client that has not failed for the account (the owner, elsewhere) always gets a turn
//!   within MAX_DELAY.
//!
//! A client is its address, or the /64 network of an IPv6 address ([`ClientKey`]). The counts
//! live in PostgreSQL, shared by every instance and kept across restarts (#17); their keys are
//! fixed-size hashes, and the periodic clean-up (`server::cleanup`) deletes them once their
//! window has passed.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use sqlx::PgPool;

use crate::error::AppError;
use crate::model::LoginName;
use crate::server::budget::{retry_after, LocalBudget};
use crate::server::config::Config;
use crate::server::db;

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

    /// The address (4 bytes) or network (16 bytes), as the shared counts key it.
    pub fn octets(&self) -> Vec<u8> {
        match self.0 {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        }
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

/// The name as the counts key it: as given, but with NUL (which Postgres refuses in text, and
/// which no account's address holds) replaced, so that such an attempt is counted as any other.
fn counted_name(name: &LoginName) -> std::borrow::Cow<'_, str> {
    if name.as_str().contains('\0') {
        name.as_str().replace('\0', "\u{fffd}").into()
    } else {
        name.as_str().into()
    }
}

/// The limits. Their counts live in PostgreSQL (`db::login_failure`, `db::client_limit`), so
/// every instance enforces the same limits and a restart forgets nothing; what is kept here is
/// only an in-process copy of the per-client budget, checked first so that a flood from one
/// client is shed without a database round trip. It has the same quota and sees at most the
/// requests the shared one sees, so it is never looser than it.
pub struct Throttle {
    per_client: Option<LocalBudget>,
    /// The shared per-client budget: one attempt every `interval`, `burst` at once.
    client_budget: Option<(Duration, u32)>,
    max_failures: u32,
    window: Duration,
}

impl Throttle {
    /// Limits as configured; a per-minute rate of 0 turns the per-client budget off.
    pub fn new(config: &Config) -> Self {
        let (rate, burst) = (config.auth_requests_per_minute, config.auth_burst);
        Self {
            per_client: LocalBudget::new(rate, burst),
            client_budget: (rate > 0).then(|| {
                (
                    Duration::from_secs(60) / rate,
                    if burst == 0 { rate } else { burst },
                )
            }),
            max_failures: config.login_max_failures,
            window: config.login_failure_window,
        }
    }

    /// Counts one login or sign-up attempt from `client`: 429 once its budget is spent, in
    /// this process or across all of them.
    pub async fn check_client(&self, pool: &PgPool, client: ClientKey) -> Result<(), AppError> {
        let (Some(limiter), Some((interval, burst))) = (&self.per_client, self.client_budget)
        else {
            return Ok(());
        };
        if let Err(wait) = limiter.spend(client) {
            return Err(AppError::RateLimited {
                retry_after: retry_after(wait.as_secs_f64()),
            });
        }
        match db::client_limit::spend(pool, &client.octets(), interval, burst).await? {
            None => Ok(()),
            Some(wait) => Err(AppError::RateLimited {
                retry_after: retry_after(wait),
            }),
        }
    }

    /// Admits a login attempt, or refuses it (429). The attempt is counted against this client
    /// and account at once (forgiven by `record_success`), so a burst of parallel attempts
    /// cannot all pass before the first failure is recorded. Once the account has failed too
    /// often from anywhere, attempts are taken one at a time, DELAY_STEP apart: the answer is
    /// how long to wait before trying the password. A client that has already failed for this
    /// account is refused when its turn is more than MAX_DELAY away; any other client (the
    /// owner, from their own address) is always admitted, after at most MAX_DELAY.
    pub async fn check_login(
        &self,
        pool: &PgPool,
        name: &LoginName,
        client: ClientKey,
    ) -> Result<Duration, AppError> {
        let attempt = db::login_failure::count_attempt(
            pool,
            &client.octets(),
            &counted_name(name),
            self.max_failures,
            self.window,
            DELAY_STEP,
            MAX_DELAY,
        )
        .await?;
        if u32::try_from(attempt.client_attempts).unwrap_or(0) > self.max_failures {
            return Err(AppError::RateLimited {
                retry_after: retry_after(attempt.client_window_left),
            });
        }
        match attempt.turn_in {
            Some(wait) => Ok(Duration::from_secs_f64(wait.max(0.0)).min(MAX_DELAY)),
            // Past the limit, and this client has failed before: its turn is too far away.
            None if attempt.is_account_attacked && attempt.client_attempts > 1 => {
                Err(AppError::RateLimited {
                    retry_after: retry_after(attempt.next_turn_in),
                })
            }
            None => Ok(Duration::ZERO),
        }
    }

    /// Records a failed login (for an account that exists or not: the same for both). The
    /// client's count already holds it (`check_login`).
    pub async fn record_failure(&self, pool: &PgPool, name: &LoginName) -> Result<(), AppError> {
        db::login_failure::record_failure(pool, &counted_name(name), self.window).await
    }

    /// Forgets the account's failures, and this client's, after a successful login.
    pub async fn record_success(
        &self,
        pool: &PgPool,
        name: &LoginName,
        client: ClientKey,
    ) -> Result<(), AppError> {
        db::login_failure::forget(pool, &client.octets(), &counted_name(name)).await
    }

    /// How long a failure is remembered (`LOGIN_FAILURE_WINDOW_MINUTES`): the clean-up deletes
    /// older counts.
    pub fn window(&self) -> Duration {
        self.window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(raw: &str) -> ClientKey {
        ClientKey::of(raw.parse().unwrap())
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
