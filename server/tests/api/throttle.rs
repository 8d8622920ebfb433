//! The abuse limits as several instances see them: one PostgreSQL, several app states (each a
//! server process as far as the limits can tell), and restarts in between.

use std::time::Duration;

use app::model::LoginName;
use app::server::auth::throttle::{ClientKey, Throttle};
use app::AppError;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::{test_config, TestApp, PASSWORD};

fn throttle(settings: &[(&str, &str)]) -> Throttle {
    Throttle::new(&test_config(settings))
}

fn name(raw: &str) -> LoginName {
    LoginName::parse(raw, "username").unwrap()
}

fn client(raw: &str) -> ClientKey {
    ClientKey::of(raw.parse().unwrap())
}

/// One failed attempt, as `account::login` makes it.
async fn fail(
    throttle: &Throttle,
    pool: &PgPool,
    raw: &str,
    from: ClientKey,
) -> Result<Duration, AppError> {
    let delay = throttle.check_login(pool, &name(raw), from).await?;
    throttle.record_failure(pool, &name(raw)).await?;
    Ok(delay)
}

#[sqlx::test(migrations = "../migrations")]
async fn the_login_limit_is_shared_by_two_instances_and_survives_a_restart(pool: PgPool) {
    // Arrange: two instances on one database, an account, and a stranger guessing at it.
    let settings = [("LOGIN_MAX_FAILURES", "4")];
    let first = TestApp::spawn_with(pool.clone(), test_config(&settings)).await;
    let second = TestApp::spawn_with(pool.clone(), test_config(&settings)).await;
    first.signed_up("ann@example.com").await;
    // Act: four wrong passwords, alternately on each instance.
    for attempt in 0..4 {
        let app = if attempt % 2 == 0 { &first } else { &second };
        let response = app.login("ann@example.com", "wrong password").await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "attempt {attempt}"
        );
    }
    // Assert: the fifth is refused by both, even with the right password (from this client).
    for app in [&first, &second] {
        let response = app.login("ann@example.com", PASSWORD).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(response.headers().contains_key("retry-after"));
    }
    // And by an instance started afterwards (a restart): nothing was kept in a process.
    drop(second);
    let restarted = TestApp::spawn_with(pool, test_config(&settings)).await;
    let response = restarted.login("ann@example.com", "wrong password").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_per_client_budget_is_shared_by_every_instance(pool: PgPool) {
    // Two instances' limits: a burst of three between them, then one a minute.
    let settings = [
        ("AUTH_RATE_LIMIT_PER_MINUTE", "1"),
        ("AUTH_RATE_LIMIT_BURST", "3"),
    ];
    let (one, two) = (throttle(&settings), throttle(&settings));
    let visitor = client("192.0.2.7");
    assert!(one.check_client(&pool, visitor).await.is_ok());
    assert!(two.check_client(&pool, visitor).await.is_ok());
    assert!(one.check_client(&pool, visitor).await.is_ok());
    let Err(AppError::RateLimited { retry_after }) = two.check_client(&pool, visitor).await else {
        panic!("the fourth attempt, on the other instance, must be refused");
    };
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(
        two.check_client(&pool, client("198.51.100.1"))
            .await
            .is_ok(),
        "other clients are not affected"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_client_failing_for_an_account_is_refused_whatever_the_case(pool: PgPool) {
    let throttle = throttle(&[("LOGIN_MAX_FAILURES", "2")]);
    let stranger = client("203.0.113.9");
    fail(&throttle, &pool, "Ann@example.com", stranger)
        .await
        .unwrap();
    fail(&throttle, &pool, "ann@example.com", stranger)
        .await
        .unwrap();
    assert!(matches!(
        throttle
            .check_login(&pool, &name("ANN@example.com"), stranger)
            .await,
        Err(AppError::RateLimited { .. })
    ));
    assert!(
        throttle
            .check_login(&pool, &name("bob@example.com"), stranger)
            .await
            .is_ok(),
        "other accounts are not affected"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn attempts_in_flight_count_before_they_fail(pool: PgPool) {
    // A burst of parallel attempts: all checked before any failure is recorded.
    let throttle = throttle(&[("LOGIN_MAX_FAILURES", "3")]);
    let (stranger, account) = (client("203.0.113.9"), name("ann@example.com"));
    let attempts = (0..10).map(|_| throttle.check_login(&pool, &account, stranger));
    let admitted = futures::future::join_all(attempts)
        .await
        .into_iter()
        .filter(Result::is_ok)
        .count();
    assert_eq!(admitted, 3);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_attacked_account_takes_attempts_one_at_a_time_and_its_owner_still_gets_a_turn(
    pool: PgPool,
) {
    let throttle = throttle(&[("LOGIN_MAX_FAILURES", "2")]);
    let account = "ann@example.com";
    for round in 0..2 {
        fail(
            &throttle,
            &pool,
            account,
            client(&format!("10.0.0.{round}")),
        )
        .await
        .unwrap();
    }
    // Past the limit, attempts are spaced a step (250 ms) apart, however many come at once.
    let names: Vec<LoginName> = (0..4).map(|_| name(account)).collect();
    let attempts = names
        .iter()
        .enumerate()
        .map(|(n, login)| throttle.check_login(&pool, login, client(&format!("10.0.1.{n}"))));
    let mut delays: Vec<Duration> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    delays.sort();
    for pair in delays.windows(2) {
        assert!(
            pair[1] >= pair[0] + Duration::from_millis(200),
            "{delays:?}"
        );
    }
    // A client that has failed before is refused once its turn is too far away...
    for n in 0..20 {
        let from = client(&format!("10.0.2.{n}"));
        let _ = throttle.check_login(&pool, &name(account), from).await;
    }
    let hammering = client("10.0.0.0");
    assert!(throttle
        .check_login(&pool, &name(account), hammering)
        .await
        .is_err());
    // ...while the owner, who has not, is admitted (within three seconds: `check_login` never
    // asks a caller to wait longer).
    let owner = client("198.51.100.7");
    throttle
        .check_login(&pool, &name(account), owner)
        .await
        .expect("the owner gets a turn");
    // Their success forgives the account's failures.
    throttle
        .record_success(&pool, &name(account), owner)
        .await
        .unwrap();
    let next = client("198.51.100.8");
    let wait = throttle
        .check_login(&pool, &name(account), next)
        .await
        .unwrap();
    assert_eq!(wait, Duration::ZERO);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_counts_hold_hashes_of_fixed_size_and_never_the_login_name(pool: PgPool) {
    let throttle = throttle(&[]);
    let long = format!("{}@example.com", "x".repeat(240));
    fail(&throttle, &pool, &long, client("203.0.113.9"))
        .await
        .unwrap();
    let keys: Vec<Vec<u8>> = sqlx::query_scalar("select key from login_failures")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(keys.len(), 2, "the account and the client at the account");
    assert!(keys.iter().all(|key| key.len() == 16));
}

#[sqlx::test(migrations = "../migrations")]
async fn names_are_counted_together_exactly_when_the_login_finds_the_same_account(pool: PgPool) {
    // U+0130 lowers to "i" by some databases' rules and to "i̇" by Rust's: the counts follow
    // the database, as the login's lookup (`lower(email) = lower($1)`) does.
    let (dotted, plain) = ("\u{130}nes@example.com", "ines@example.com");
    let is_same_account: bool = sqlx::query_scalar("select lower($1) = lower($2)")
        .bind(dotted)
        .bind(plain)
        .fetch_one(&pool)
        .await
        .unwrap();
    let throttle = throttle(&[("LOGIN_MAX_FAILURES", "2")]);
    let stranger = client("203.0.113.9");
    fail(&throttle, &pool, dotted, stranger).await.unwrap();
    fail(&throttle, &pool, dotted, stranger).await.unwrap();
    let next = throttle.check_login(&pool, &name(plain), stranger).await;
    assert_eq!(
        matches!(next, Err(AppError::RateLimited { .. })),
        is_same_account,
        "lower() says the names are {}the same account",
        if is_same_account { "" } else { "not " }
    );
}
