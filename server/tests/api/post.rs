use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{assert_detail, assert_invalid_at, TestApp};

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let response = app.get(&format!("/api/posts/{query}"), Some(token)).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Asserts that `GET /api/posts/?<query>` is a 422 at `loc`.
async fn assert_list_refuses(app: &TestApp, token: &str, query: &str, loc: &[&str]) {
    assert_invalid_at(
        app.get(&format!("/api/posts/?{query}"), Some(token)).await,
        loc,
    )
    .await;
}

fn titles(posts: &[Value]) -> Vec<String> {
    posts
        .iter()
        .map(|p| p["Post"]["title"].as_str().unwrap().to_owned())
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn creating_a_post_returns_it_with_its_owner(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    // Act
    let response = app
        .create_post(&token, &json!({"title": "  Hello ", "content": "World"}))
        .await;
    // Assert
    assert_eq!(response.status(), StatusCode::CREATED);
    let post: Value = response.json().await.unwrap();
    assert_eq!(post["title"], "Hello");
    assert_eq!(post["content"], "World");
    assert_eq!(post["published"], true);
    assert_eq!(post["owner"]["email"], "ann@example.com");
    assert_eq!(post["owner_id"], post["owner"]["id"]);
    assert!(post["created_at"].as_str().unwrap().ends_with("+00:00"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_post_breaking_the_rules_is_422_at_each_field(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    assert_invalid_at(
        app.create_post(&token, &json!({"content": "c"})).await,
        &["body", "title"],
    )
    .await;
    assert_invalid_at(
        app.create_post(&token, &json!({"title": "   ", "content": "c"}))
            .await,
        &["body", "title"],
    )
    .await;
    assert_invalid_at(
        app.create_post(&token, &json!({"title": "t".repeat(301), "content": "c"}))
            .await,
        &["body", "title"],
    )
    .await;
    assert_invalid_at(
        app.create_post(
            &token,
            &json!({"title": "t", "content": "c".repeat(20_001)}),
        )
        .await,
        &["body", "content"],
    )
    .await;
    assert_invalid_at(
        app.create_post(&token, &json!({"title": 5, "content": "c"}))
            .await,
        &["body", "title"],
    )
    .await;
    assert_invalid_at(
        app.create_post(
            &token,
            &json!({"title": "t", "content": "c", "published": "maybe"}),
        )
        .await,
        &["body", "published"],
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn malformed_json_is_422(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let response = app
        .client
        .post(app.url("/api/posts/"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test(migrations = "../migrations")]
async fn authentication_is_checked_before_the_body(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app
        .send_json(
            Method::POST,
            "/api/posts/",
            None,
            &json!({"nonsense": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app.get("/api/posts/abc", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_list_is_newest_first_with_vote_counts(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let first = app.post_id(&token, "first").await;
    app.post_id(&token, "second").await;
    app.vote(&token, first, 1).await;
    let posts = list(&app, &token, "").await;
    assert_eq!(titles(&posts), ["second", "first"]);
    assert_eq!(posts[1]["votes"], 1);
    assert_eq!(posts[0]["votes"], 0);
    assert_eq!(posts[1]["Post"]["owner"]["email"], "ann@example.com");
}

#[sqlx::test(migrations = "../migrations")]
async fn limit_and_skip_page_through_the_list(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    for n in 1..=5 {
        app.post_id(&token, &format!("post {n}")).await;
    }
    assert_eq!(
        titles(&list(&app, &token, "?limit=2").await),
        ["post 5", "post 4"]
    );
    assert_eq!(
        titles(&list(&app, &token, "?limit=2&skip=2").await),
        ["post 3", "post 2"]
    );
    assert_eq!(
        titles(&list(&app, &token, "?limit=2&skip=4").await),
        ["post 1"]
    );
    assert!(list(&app, &token, "?skip=10").await.is_empty());
    assert!(list(&app, &token, "?limit=0").await.is_empty());
    assert_eq!(list(&app, &token, "").await.len(), 5);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_cursor_pages_on_from_the_last_post_seen_even_once_it_is_deleted(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let mut ids = Vec::new();
    for n in 1..=5 {
        ids.push(app.post_id(&token, &format!("post {n}")).await);
    }
    let before = |index: usize| format!("?limit=2&before={}", ids[index]);
    assert_eq!(
        titles(&list(&app, &token, &before(3)).await),
        ["post 3", "post 2"]
    );
    assert_eq!(
        titles(&list(&app, &token, &format!("{}&skip=1", before(4))).await),
        ["post 3", "post 2"]
    );
    assert!(list(&app, &token, &before(0)).await.is_empty());
    // The last post seen is deleted before the next page is asked for: its place still holds.
    let deleted = app
        .send_json(
            Method::DELETE,
            &format!("/api/posts/{}", ids[2]),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        titles(&list(&app, &token, &before(2)).await),
        ["post 2", "post 1"]
    );
    // A cursor past every id is the first page.
    assert_eq!(
        titles(&list(&app, &token, "?limit=2&before=9223372036854775807").await),
        ["post 5", "post 4"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_cursor_visits_every_post_once_when_dates_do_not_follow_ids(pool: PgPool) {
    // Imported posts keep their dates, so ids and dates need not agree; the cursor follows the
    // feed's order (date, then id), not the ids. 40 posts, dates shuffled, some shared.
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    sqlx::query(
        "insert into posts (title, content, owner_id, created_at)
         select 'post ' || n, 'c', (select id from users where email = 'ann@example.com'),
                timestamptz '2026-01-01' + ((n * 17) % 13) * interval '1 minute'
         from generate_series(1, 40) as n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let everything = titles(&list(&app, &token, "?limit=100").await);
    assert_eq!(everything.len(), 40);
    let mut paged = Vec::new();
    let mut query = "?limit=7".to_owned();
    // Six full pages and an empty one; a few more rounds, so that a cursor that does not move
    // fails rather than loops.
    for _ in 0..10 {
        let page = list(&app, &token, &query).await;
        let Some(last) = page.last() else { break };
        query = format!("?limit=7&before={}", last["Post"]["id"]);
        paged.extend(titles(&page));
    }
    assert_eq!(paged, everything);
}

#[sqlx::test(migrations = "../migrations")]
async fn another_users_draft_as_a_cursor_marks_the_place_of_the_post_before_it(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.token_for("ann@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    app.post_id(&ann, "first").await;
    app.post_id(&ann, "second").await;
    let draft = app.draft_id(&bob, "bob's draft").await;
    // Written after the draft but dated between "second" and it (as an import could).
    sqlx::query(
        "insert into posts (title, content, owner_id, created_at)
         select 'between', 'c', owner_id, created_at + interval '1 microsecond'
         from posts where title = 'second'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    // Ann cannot see the draft: its place is that of "second", and when the draft was written
    // does not show (with the draft's own date, "between" would be on the page).
    assert_eq!(
        titles(&list(&app, &ann, &format!("?before={draft}")).await),
        ["second", "first"]
    );
    // Bob sees his own draft's place as it is.
    assert_eq!(
        titles(&list(&app, &bob, &format!("?before={draft}")).await),
        ["between", "second", "first"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn skip_is_bounded_and_the_refusal_names_the_cursor(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    app.post_id(&token, "only").await;
    assert!(list(&app, &token, "?skip=1000").await.is_empty());
    let response = app.get("/api/posts/?skip=1001", Some(&token)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.unwrap();
    let error = &body["detail"][0];
    assert_eq!(error["loc"], json!(["query", "skip"]));
    assert_eq!(error["type"], "less_than_equal");
    assert!(
        error["msg"].as_str().unwrap().contains("`before`"),
        "{error}"
    );
    assert_list_refuses(&app, &token, "before=0", &["query", "before"]).await;
    assert_list_refuses(&app, &token, "before=last", &["query", "before"]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_default_page_is_10_and_the_limit_is_capped_at_100(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let owner = app.user_id("ann@example.com").await;
    sqlx::query("insert into posts (title, content, owner_id) select 'p' || n, 'c', $1 from generate_series(1, 120) n")
        .bind(owner)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(list(&app, &token, "").await.len(), 10);
    assert_eq!(list(&app, &token, "?limit=1000").await.len(), 100);
}

#[sqlx::test(migrations = "../migrations")]
async fn negative_or_non_integer_paging_is_422(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    assert_list_refuses(&app, &token, "limit=-1", &["query", "limit"]).await;
    assert_list_refuses(&app, &token, "skip=-1", &["query", "skip"]).await;
    assert_list_refuses(&app, &token, "limit=ten", &["query", "limit"]).await;
    assert_list_refuses(&app, &token, "skip=1.5", &["query", "skip"]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn search_matches_title_or_content_without_regard_to_case(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    app.create_post(
        &token,
        &json!({"title": "Rust tips", "content": "borrowing"}),
    )
    .await;
    app.create_post(
        &token,
        &json!({"title": "Cooking", "content": "a RUSTIC bread"}),
    )
    .await;
    app.create_post(&token, &json!({"title": "Gardening", "content": "weeds"}))
        .await;
    assert_eq!(
        titles(&list(&app, &token, "?search=rust").await),
        ["Cooking", "Rust tips"]
    );
    assert!(list(&app, &token, "?search=nothing-like-this")
        .await
        .is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn search_pages_through_every_match_newest_first_for_common_and_rare_terms(pool: PgPool) {
    // Ann's 1,200 posts, one a second: every even one says "Common" in its title, every
    // hundredth "needle" in its content. Bob has two drafts that say "common": the newest post
    // of all, and the oldest. The search answers from the newest 500 posts when they hold the
    // whole page, and searches them all otherwise: these pages fall on either side of that line.
    let app = TestApp::spawn(pool).await;
    let ann = app.token_for("ann@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    sqlx::query(
        "insert into posts (title, content, owner_id, created_at)
         select case when n % 2 = 0 then 'Common ' else 'Odd ' end || n,
                case when n % 100 = 0 then 'a NEEDLE here' else 'hay' end,
                (select id from users where email = 'ann@example.com'),
                now() - (1200 - n) * interval '1 second'
         from generate_series(1, 1200) as n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into posts (title, content, published, owner_id, created_at)
         select title, 'draft', false, (select id from users where email = 'bob@example.com'),
                now() + age
         from (values ('Common draft, new', interval '1 second'),
                      ('Common draft, old', interval '-1 hour')) as drafts (title, age)",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let common = |numbers: &[i32]| -> Vec<String> {
        numbers.iter().map(|n| format!("Common {n}")).collect()
    };

    // Within the newest 500.
    assert_eq!(
        titles(&list(&app, &ann, "?search=COMMON&limit=3").await),
        common(&[1200, 1198, 1196])
    );
    assert_eq!(
        titles(&list(&app, &ann, "?search=needle&limit=5").await),
        common(&[1200, 1100, 1000, 900, 800])
    );
    assert_eq!(
        titles(&list(&app, &bob, "?search=common&limit=2").await),
        ["Common draft, new", "Common 1200"]
    );
    // Partly within: the newest 500 hold some of the page.
    assert_eq!(
        titles(&list(&app, &ann, "?search=needle&limit=6").await),
        common(&[1200, 1100, 1000, 900, 800, 700])
    );
    assert_eq!(
        titles(&list(&app, &ann, "?search=common&limit=4&skip=248").await),
        common(&[704, 702, 700, 698])
    );
    // Beyond.
    assert_eq!(
        titles(&list(&app, &ann, "?search=common&limit=4&skip=400").await),
        common(&[400, 398, 396, 394])
    );
    assert_eq!(
        titles(&list(&app, &ann, "?search=common&limit=100&skip=595").await),
        common(&[10, 8, 6, 4, 2])
    );
    assert_eq!(
        titles(&list(&app, &bob, "?search=common&limit=3&skip=599").await),
        ["Common 4", "Common 2", "Common draft, old"]
    );
    assert_eq!(
        titles(&list(&app, &ann, "?search=needle&limit=5&skip=10").await),
        common(&[200, 100])
    );
    assert!(list(&app, &ann, "?search=common&skip=600").await.is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_term_without_three_letters_in_a_row_is_looked_for_in_the_newest_2000_posts(
    pool: PgPool,
) {
    // 2,100 posts, one a second. "zq" is in the oldest (beyond the newest 2,000), in the
    // 1,000th (within them, but not among the newest 500) and in the newest.
    let app = TestApp::spawn(pool).await;
    let ann = app.token_for("ann@example.com").await;
    sqlx::query(
        "insert into posts (title, content, owner_id, created_at)
         select case n when 1 then 'old zq note' when 1000 then 'middle ZQ note'
                       when 2100 then 'new zq note' else 'filler ' || n end,
                'hay', (select id from users where email = 'ann@example.com'),
                now() - (2100 - n) * interval '1 second'
         from generate_series(1, 2100) as n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    // Bounded: the oldest post is not found by the short term, and the answer says so...
    let short = app.get("/api/posts/?search=zq", Some(&ann)).await;
    assert_eq!(short.headers()["postboard-search-scope"], "newest-2000");
    assert_eq!(
        titles(&short.json::<Vec<Value>>().await.unwrap()),
        ["new zq note", "middle ZQ note"]
    );
    assert_eq!(
        titles(&list(&app, &ann, "?search=q%20").await),
        ["new zq note", "middle ZQ note"]
    );
    // ...nor on a later page by cursor.
    let newest = list(&app, &ann, "?search=zq&limit=1").await;
    assert_eq!(
        titles(
            &list(
                &app,
                &ann,
                &format!("?search=zq&before={}", newest[0]["Post"]["id"])
            )
            .await
        ),
        ["middle ZQ note"]
    );
    // Unbounded: a term with three letters in a row finds every match, the oldest too.
    let long = app.get("/api/posts/?search=zq%20note", Some(&ann)).await;
    assert!(!long.headers().contains_key("postboard-search-scope"));
    assert_eq!(
        titles(&long.json::<Vec<Value>>().await.unwrap()),
        ["new zq note", "middle ZQ note", "old zq note"]
    );
    assert_eq!(
        titles(&list(&app, &ann, "?search=old%20zq").await),
        ["old zq note"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_exact_search_past_its_time_gives_way_to_the_newest_posts(pool: PgPool) {
    // 50,000 posts say "the" and "and", but "the and" only the oldest does: the exact search
    // reads and checks every post (tens of ms), far past the 1 ms this server gives it.
    let app = TestApp::spawn_with(
        pool.clone(),
        crate::helpers::test_config(&[("SEARCH_TIMEOUT_MS", "1")]),
    )
    .await;
    let ann = app.token_for("ann@example.com").await;
    sqlx::query(
        "insert into posts (title, content, owner_id, created_at)
         select 'post ' || n,
                case n when 1 then 'the and' when 50000 then 'the end and the'
                       else repeat('the cat and the dog, ', 10) end,
                (select id from users where email = 'ann@example.com'),
                now() - (50000 - n) * interval '1 second'
         from generate_series(1, 50000) as n",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("analyze posts")
        .execute(&app.pool)
        .await
        .unwrap();
    let bounded = app.get("/api/posts/?search=the%20and", Some(&ann)).await;
    assert_eq!(bounded.status(), StatusCode::OK);
    assert_eq!(bounded.headers()["postboard-search-scope"], "newest-2000");
    assert!(bounded.json::<Vec<Value>>().await.unwrap().is_empty());
    // A term the newest posts answer is exact within the default budget (250 ms).
    let usual = TestApp::spawn_with(pool.clone(), crate::helpers::test_config(&[])).await;
    let newest = usual
        .get("/api/posts/?search=the%20end&limit=1", Some(&ann))
        .await;
    assert!(!newest.headers().contains_key("postboard-search-scope"));
    assert_eq!(
        titles(&newest.json::<Vec<Value>>().await.unwrap()),
        ["post 50000"]
    );
    // Without a budget of its own the slow search is exact.
    let unhurried = TestApp::spawn_with(
        pool,
        crate::helpers::test_config(&[("SEARCH_TIMEOUT_MS", "0")]),
    )
    .await;
    let exact = unhurried
        .get("/api/posts/?search=the%20and", Some(&ann))
        .await;
    assert!(!exact.headers().contains_key("postboard-search-scope"));
    assert_eq!(
        titles(&exact.json::<Vec<Value>>().await.unwrap()),
        ["post 1"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn search_finds_a_post_by_its_edited_text_only(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let id = app.post_id(&token, "Draft of an Ode").await;
    let response = app
        .send_json(
            Method::PUT,
            &format!("/api/posts/{id}"),
            Some(&token),
            &json!({"title": "Final Élégie", "content": "verses"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(list(&app, &token, "?search=ode").await.is_empty());
    assert_eq!(
        titles(&list(&app, &token, "?search=%C3%89L%C3%89GIE").await),
        ["Final Élégie"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn search_takes_percent_underscore_and_quotes_literally(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    app.create_post(&token, &json!({"title": "50% off", "content": "sale"}))
        .await;
    app.create_post(&token, &json!({"title": "500 items", "content": "stock"}))
        .await;
    app.create_post(&token, &json!({"title": "snake_case", "content": "naming"}))
        .await;
    app.create_post(&token, &json!({"title": "snakeXcase", "content": "naming"}))
        .await;
    assert_eq!(
        titles(&list(&app, &token, "?search=50%25").await),
        ["50% off"]
    );
    assert_eq!(
        titles(&list(&app, &token, "?search=e_c").await),
        ["snake_case"]
    );
    assert!(
        list(&app, &token, "?search=%27%3B%20drop%20table%20posts%3B--")
            .await
            .is_empty()
    );
    assert_eq!(list(&app, &token, "").await.len(), 4);
}

#[sqlx::test(migrations = "../migrations")]
async fn unpublished_posts_are_visible_only_to_their_owner(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.token_for("ann@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let id = app.draft_id(&ann, "draft").await;
    assert_eq!(titles(&list(&app, &ann, "").await), ["draft"]);
    assert!(list(&app, &bob, "").await.is_empty());
    assert_eq!(
        app.get(&format!("/api/posts/{id}"), Some(&ann))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/api/posts/{id}"), Some(&bob))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_single_post_carries_its_vote_count(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let id = app.post_id(&token, "hello").await;
    let post: Value = app
        .get(&format!("/api/posts/{id}"), Some(&token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(post["Post"]["id"], id);
    assert_eq!(post["votes"], 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_missing_post_is_404_and_a_non_integer_id_is_422(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    assert_detail(
        app.get("/api/posts/999", Some(&token)).await,
        StatusCode::NOT_FOUND,
        "post with id: 999 was not found",
    )
    .await;
    assert_invalid_at(
        app.get("/api/posts/abc", Some(&token)).await,
        &["path", "id"],
    )
    .await;
    let body = json!({"title": "t", "content": "c"});
    assert_invalid_at(
        app.send_json(Method::PUT, "/api/posts/abc", Some(&token), &body)
            .await,
        &["path", "id"],
    )
    .await;
    assert_invalid_at(
        app.send_json(Method::DELETE, "/api/posts/1.5", Some(&token), &body)
            .await,
        &["path", "id"],
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn put_replaces_the_post_and_an_omitted_published_becomes_true(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let created: Value = app
        .create_post(
            &token,
            &json!({"title": "old", "content": "old", "published": false}),
        )
        .await
        .json()
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let response = app
        .send_json(
            Method::PUT,
            &format!("/api/posts/{id}"),
            Some(&token),
            &json!({"title": "new", "content": "new"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let post: Value = response.json().await.unwrap();
    assert_eq!(
        (
            post["title"].as_str(),
            post["content"].as_str(),
            post["published"].as_bool()
        ),
        (Some("new"), Some("new"), Some(true))
    );
    assert_eq!(post["created_at"], created["created_at"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn patch_changes_only_the_given_fields(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let id = app.post_id(&token, "title").await;
    let response = app
        .send_json(
            Method::PATCH,
            &format!("/api/posts/{id}"),
            Some(&token),
            &json!({"published": false}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let post: Value = response.json().await.unwrap();
    assert_eq!(post["title"], "title");
    assert_eq!(post["published"], false);
    let invalid = app
        .send_json(
            Method::PATCH,
            &format!("/api/posts/{id}"),
            Some(&token),
            &json!({"title": ""}),
        )
        .await;
    assert_invalid_at(invalid, &["body", "title"]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn only_the_owner_may_change_or_delete_a_post(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let ann = app.token_for("ann@example.com").await;
    let bob = app.token_for("bob@example.com").await;
    let id = app.post_id(&ann, "ann's").await;
    let path = format!("/api/posts/{id}");
    let body = json!({"title": "mine now", "content": "c"});
    let forbidden = "Not authorized to perform requested action";
    assert_detail(
        app.send_json(Method::PUT, &path, Some(&bob), &body).await,
        StatusCode::FORBIDDEN,
        forbidden,
    )
    .await;
    assert_detail(
        app.send_json(Method::PATCH, &path, Some(&bob), &body).await,
        StatusCode::FORBIDDEN,
        forbidden,
    )
    .await;
    assert_detail(
        app.send_json(Method::DELETE, &path, Some(&bob), &json!({}))
            .await,
        StatusCode::FORBIDDEN,
        forbidden,
    )
    .await;
    let post: Value = app.get(&path, Some(&ann)).await.json().await.unwrap();
    assert_eq!(post["Post"]["title"], "ann's");
}

#[sqlx::test(migrations = "../migrations")]
async fn changing_a_missing_post_is_404_not_403(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let body = json!({"title": "t", "content": "c"});
    assert_eq!(
        app.send_json(Method::PUT, "/api/posts/999", Some(&token), &body)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.send_json(Method::PATCH, "/api/posts/999", Some(&token), &body)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.send_json(Method::DELETE, "/api/posts/999", Some(&token), &body)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn deleting_a_post_answers_204_and_removes_it_with_its_votes(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let id = app.post_id(&token, "doomed").await;
    app.vote(&token, id, 1).await;
    let response = app
        .client
        .delete(app.url(&format!("/api/posts/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.bytes().await.unwrap().is_empty());
    assert_eq!(
        app.get(&format!("/api/posts/{id}"), Some(&token))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let votes = app.count("votes").await;
    assert_eq!(votes, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn collection_routes_answer_with_and_without_the_trailing_slash(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let body = json!({"title": "t", "content": "c"});
    assert_eq!(
        app.send_json(Method::POST, "/api/posts", Some(&token), &body)
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.get("/api/posts", Some(&token)).await.status(),
        StatusCode::OK
    );
    let user = app
        .send_json(
            Method::POST,
            "/api/users",
            None,
            &json!({"email": "c@example.com", "password": "long enough"}),
        )
        .await;
    assert_eq!(user.status(), StatusCode::CREATED);
}

#[sqlx::test(migrations = "../migrations")]
async fn unknown_api_paths_are_json_404_and_wrong_methods_json_405(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    assert_detail(
        app.get("/api/nothing-here", None).await,
        StatusCode::NOT_FOUND,
        "Not Found",
    )
    .await;
    let response = app
        .send_json(Method::DELETE, "/api/users/", None, &json!({}))
        .await;
    assert_detail(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
    )
    .await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_oversized_body_is_413(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    let huge = json!({"title": "t", "content": "c".repeat(1_100_000)});
    let response = app.create_post(&token, &huge).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[sqlx::test(migrations = "../migrations")]
async fn nul_characters_and_invalid_utf8_are_422_not_500(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    assert_list_refuses(&app, &token, "search=%00", &["query", "search"]).await;
    assert_list_refuses(&app, &token, "search=%FF%FE", &["query"]).await;
    assert_invalid_at(
        app.create_post(&token, &json!({"title": "a\u{0}b", "content": "c"}))
            .await,
        &["body", "title"],
    )
    .await;
    let login = app
        .client
        .post(app.url("/api/login"))
        .form(&[("username", "a\u{0}@b.co"), ("password", "whatever1")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
}

#[sqlx::test(migrations = "../migrations")]
async fn deeply_nested_json_and_odd_unicode_are_handled(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let token = app.token_for("ann@example.com").await;
    // 10,000 levels of nesting: refused as invalid JSON, without exhausting the stack.
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let response = app
        .client
        .post(app.url("/api/posts/"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(nested)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Right-to-left marks, combining characters, emoji and astral planes are just text.
    let title = "\u{202e}gnp.exe \u{0301}\u{0301} 👩‍👩‍👧 𝕏";
    let created: Value = app
        .create_post(
            &token,
            &json!({"title": title, "content": "\u{feff}zero\u{200b}width"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(created["title"], title);
    let found = list(&app, &token, "?search=%F0%9D%95%8F").await;
    assert_eq!(titles(&found), [title]);
}
