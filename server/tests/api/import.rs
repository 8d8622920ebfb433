//! `server import-original`: the original app's schema (its migrations' SQL, a fixture) with
//! clean and dirty rows, imported into a fresh Postboard database.

use app::server::import::{self, Options};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor, PgConnection, PgPool};

use crate::helpers::TestApp;

/// The original app's schema and rows, in a schema `original` of the test's own database (so
/// nothing is left behind when a test fails): a connection whose search path finds them.
async fn original(pool: &PgPool) -> PgConnection {
    pool.execute("create schema original").await.unwrap();
    let options =
        PgConnectOptions::clone(&pool.connect_options()).options([("search_path", "original")]);
    let mut source = PgConnection::connect_with(&options).await.unwrap();
    source
        .execute(include_str!("../fixtures/original_schema.sql"))
        .await
        .unwrap();
    source
        .execute(include_str!("../fixtures/original_data.sql"))
        .await
        .unwrap();
    source
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

fn has_line(report: &[String], fragment: &str) -> bool {
    report.iter().any(|line| line.contains(fragment))
}

#[sqlx::test(migrations = "../migrations")]
async fn the_original_apps_data_is_imported_with_ids_owners_dates_votes_and_passwords(
    pool: PgPool,
) {
    // Arrange
    let mut source = original(&pool).await;

    let both = Options {
        merge_case_duplicates: true,
        split_long_posts: true,
        ..Options::default()
    };

    // Act 1: without the flags, the rows it cannot honour its rules for are listed, and
    // nothing is written.
    let refusal = import::run(&mut source, &pool, Options::default())
        .await
        .unwrap_err();
    assert!(
        has_line(
            &refusal.0,
            "user 1 (ann@example.com) and users 3 (Ann@Example.com)"
        ),
        "{:?}",
        refusal.0
    );
    assert_eq!(count(&pool, "select count(*) from users").await, 0);
    let refusal = import::run(
        &mut source,
        &pool,
        Options {
            merge_case_duplicates: true,
            ..Options::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        has_line(&refusal.0, "post 4: content of 25000 characters"),
        "{:?}",
        refusal.0
    );
    assert_eq!(count(&pool, "select count(*) from users").await, 0);

    // Act 2: a dry run says what an import would do, and changes nothing.
    let dry = import::run(
        &mut source,
        &pool,
        Options {
            dry_run: true,
            ..both
        },
    )
    .await
    .unwrap();
    assert_eq!(dry.counts.users_imported, 4);
    assert_eq!(count(&pool, "select count(*) from users").await, 0);
    assert_eq!(count(&pool, "select count(*) from posts").await, 0);

    // Act 3: the import.
    let outcome = import::run(&mut source, &pool, both).await.unwrap();

    // Assert: counts and ids.
    let counts = &outcome.counts;
    assert_eq!(
        (
            counts.users_read,
            counts.users_imported,
            counts.users_merged
        ),
        (5, 4, 1)
    );
    assert_eq!(
        (
            counts.posts_read,
            counts.posts_imported,
            counts.continuation_posts
        ),
        (5, 5, 1)
    );
    assert_eq!(
        (
            counts.votes_read,
            counts.votes_imported,
            counts.votes_collapsed
        ),
        (6, 5, 1)
    );
    let user_ids: Vec<i64> = sqlx::query_scalar("select id from users order by id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(user_ids, [1, 2, 4, 5]);
    // Owners (the merged account's post is the survivor's), dates, visibility, vote counts.
    let posts: Vec<(i64, i64, bool, i32, String)> = sqlx::query_as(
        "select id, owner_id, published, votes, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')
         from posts where id <= 5 order by id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        posts,
        [
            (1, 1, true, 2, "2021-10-01".to_owned()),
            (2, 2, true, 1, "2021-10-02".to_owned()),
            (3, 1, false, 1, "2021-10-03".to_owned()),
            (4, 1, true, 1, "2021-10-04".to_owned()),
            (5, 4, true, 0, "2021-10-05".to_owned()),
        ]
    );
    // Every report line.
    let report = &outcome.report;
    for fragment in [
        "users 3 (Ann@Example.com) merged into user 1 (ann@example.com)",
        "user 4: e-mail \"not-an-email\" kept as it is",
        "user 4 (not-an-email): had an empty password",
        "user 5: e-mail \" carol@example.com \" stored without its surrounding spaces",
        "post 2: blank title replaced by \"(untitled)\"",
        "post 3: title of 399 characters cut to",
        "post 4: content of 25000 characters split into 2 posts",
        "post 5: blank title replaced by",
        "post 5: blank content replaced by \"(no content)\"",
        "1 votes of merged accounts",
        "1 phone numbers left out",
    ] {
        assert!(
            has_line(report, fragment),
            "{fragment:?} missing from {report:#?}"
        );
    }
    assert_eq!(report.len(), 11, "{report:#?}");
    // The long post goes on, whole, in a post after it.
    let rest: String = sqlx::query_scalar("select content from posts where id > 5")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rest.len(), 5000);

    // A login with the old password works once and rehashes to argon2id; a short old password
    // still works; the account without one cannot log in.
    let app = TestApp::spawn(pool.clone()).await;
    app::server::auth::account::note_bcrypt_hashes(&app.state)
        .await
        .unwrap();
    assert_eq!(
        app.login("ann@example.com", "Secret-Ann-2021")
            .await
            .status(),
        StatusCode::OK
    );
    let hash: String = sqlx::query_scalar("select password_hash from users where id = 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert_eq!(
        app.login("ANN@example.com", "Secret-Ann-2021")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("bob@example.com", "pw").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("carol@example.com", "old password 1")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("not-an-email", "anything").await.status(),
        StatusCode::FORBIDDEN
    );
    // New rows come after the imported ids.
    let token = app.token_for("dan@example.com").await;
    let me: Value = app
        .get("/api/users/me", Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert!(me["id"].as_i64().unwrap() > 5, "{me}");

    // A second import changes nothing, and what was deleted here since does not come back.
    app.send_json(
        reqwest::Method::DELETE,
        "/api/posts/2",
        Some(&bob_token(&app).await),
        &serde_json::json!({}),
    )
    .await;
    assert_eq!(
        count(&pool, "select count(*) from posts where id = 2").await,
        0
    );
    let again = import::run(&mut source, &pool, both).await.unwrap();
    let c = &again.counts;
    assert_eq!(
        (c.users_imported, c.posts_imported, c.votes_imported),
        (0, 0, 0)
    );
    assert_eq!((c.users_already_there, c.posts_already_there), (5, 5));
    assert_eq!(c.continuation_posts, 0);
    assert!(
        again.report.iter().all(|line| !line.starts_with("post 4")),
        "{:?}",
        again.report
    );
    assert_eq!(count(&pool, "select count(*) from posts").await, 5);

    // New rows in the source: imported, unless their id is taken by a row made here.
    source
        .execute(
            "insert into users (id, email, password) values (6, 'erin@example.com', '');
             insert into posts (id, title, content, owner_id) values (6, 'clash', 'c', 2);",
        )
        .await
        .unwrap();
    let refusal = import::run(&mut source, &pool, both).await.unwrap_err();
    assert!(
        has_line(&refusal.0, "Postboard already has user 6 (dan@example.com)"),
        "{:?}",
        refusal.0
    );
    source
        .execute("delete from users where id = 6")
        .await
        .unwrap();
    let refusal = import::run(&mut source, &pool, both).await.unwrap_err();
    assert!(
        has_line(&refusal.0, "post 6: its id is taken here"),
        "{:?}",
        refusal.0
    );
    source
        .execute(
            "delete from posts where id = 6;
             insert into users (id, email, password) values (7, 'fred@example.com', '');
             insert into posts (id, title, content, owner_id) values (9, 'new', 'c', 7),
                                                                    (10, 'by carol', 'c', 5);
             insert into votes (user_id, post_id) values (7, 1), (2, 9), (2, 4);",
        )
        .await
        .unwrap();
    // Carol deletes her account here; her new post in the source has nowhere to go.
    sqlx::query("delete from users where id = 5")
        .execute(&pool)
        .await
        .unwrap();
    let third = import::run(&mut source, &pool, both).await.unwrap();
    assert!(
        has_line(&third.report, "post 10: not brought over"),
        "{:?}",
        third.report
    );
    let c = &third.counts;
    assert_eq!(
        (c.users_imported, c.posts_imported, c.votes_imported),
        (1, 1, 2)
    );
    assert_eq!(
        count(&pool, "select votes::bigint from posts where id = 1").await,
        3
    );
    assert_eq!(
        count(&pool, "select votes::bigint from posts where id = 4").await,
        1
    );
    // Nothing is tried twice: a fourth run finds every post in its ledger.
    let fourth = import::run(&mut source, &pool, both).await.unwrap();
    assert_eq!(fourth.counts.posts_already_there, fourth.counts.posts_read);
    assert_eq!(fourth.counts.posts_skipped, 0);
}

/// A token of bob's, who owns post 2.
async fn bob_token(app: &TestApp) -> String {
    let response = app.login("bob@example.com", "pw").await;
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrations = "../migrations")]
async fn while_bcrypt_hashes_remain_every_login_does_the_same_work(pool: PgPool) {
    // Arrange: one imported account with its bcrypt hash, one made here.
    let app = TestApp::spawn(pool.clone()).await;
    app.signed_up("native@example.com").await;
    sqlx::query(
        "insert into users (email, password_hash) values ('old@example.com', '$2b$12$BD4N43QDmMvaN.r4yBhMfOPgdrxfqxwS4mqca.w7z7lnKkm6edcPG')",
    )
    .execute(&pool)
    .await
    .unwrap();
    app::server::auth::account::note_bcrypt_hashes(&app.state)
        .await
        .unwrap();
    let passwords = &app.state.passwords;
    // Act and assert: an unknown e-mail, a wrong password for either account: one argon2id and
    // one bcrypt verification each, like the imported account's right password.
    for (name, password) in [
        ("nobody@example.com", "whatever1"),
        ("native@example.com", "wrong password"),
        ("old@example.com", "wrong password"),
        ("old@example.com", "pw"),
    ] {
        let (argon2, bcrypt) = (passwords.verifications(), passwords.bcrypt_verifications());
        let _ = app.login(name, password).await;
        assert_eq!(
            (
                passwords.verifications() - argon2,
                passwords.bcrypt_verifications() - bcrypt
            ),
            (1, 1),
            "{name}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn two_first_logins_at_once_of_an_imported_account_both_get_in(pool: PgPool) {
    // Arrange: an account with the original app's bcrypt hash of "pw".
    let app = TestApp::spawn(pool.clone()).await;
    sqlx::query(
        "insert into users (email, password_hash) values ('old@example.com', '$2b$12$BD4N43QDmMvaN.r4yBhMfOPgdrxfqxwS4mqca.w7z7lnKkm6edcPG')",
    )
    .execute(&pool)
    .await
    .unwrap();
    // Act: a double click; both verify the bcrypt hash, one of them upgrades it first.
    let (first, second) = futures::join!(
        app.login("old@example.com", "pw"),
        app.login("old@example.com", "pw")
    );
    // Assert
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let hash: String = sqlx::query_scalar("select password_hash from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}
