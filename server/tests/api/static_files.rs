//! The front-end files (`/pkg/`): the WASM, its JS and the stylesheet.

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, VARY};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::helpers::{test_config, TestApp};

/// A site root of its own holding `pkg/postboard.wasm` and a brotli copy beside it, as a release
/// build with `--precompress` leaves them. The copy's bytes are not real brotli: the test only
/// needs to tell which file was sent.
fn site_with_brotli_copy(name: &str) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("postboard-site-{name}-{}", std::process::id()));
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("postboard.wasm"), vec![b'w'; 4096]).unwrap();
    std::fs::write(pkg.join("postboard.wasm.br"), b"the brotli copy").unwrap();
    root
}

async fn fetch_wasm(app: &TestApp, accept_encoding: &str) -> reqwest::Response {
    app.client
        .get(app.url("/pkg/postboard.wasm"))
        .header(ACCEPT_ENCODING, accept_encoding)
        .send()
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_browser_accepting_brotli_gets_the_precompressed_wasm_and_caches_are_told_it_varies(
    pool: PgPool,
) {
    let root = site_with_brotli_copy("br");
    let app = TestApp::spawn_site(pool, test_config(&[]), root.to_str().unwrap()).await;

    let response = fetch_wasm(&app, "gzip, deflate, br").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_ENCODING], "br");
    assert_eq!(response.headers()[VARY], "accept-encoding");
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"the brotli copy");
    std::fs::remove_dir_all(root).unwrap();
}

#[sqlx::test]
async fn a_client_without_brotli_gets_the_wasm_itself_gzipped_on_the_fly(pool: PgPool) {
    let root = site_with_brotli_copy("gzip");
    let app = TestApp::spawn_site(pool, test_config(&[]), root.to_str().unwrap()).await;

    let gzipped = fetch_wasm(&app, "gzip").await;
    assert_eq!(gzipped.status(), StatusCode::OK);
    assert_eq!(gzipped.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(gzipped.headers()[VARY], "accept-encoding");
    assert!(gzipped.bytes().await.unwrap().len() < 4096);

    let plain = fetch_wasm(&app, "identity").await;
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(plain.bytes().await.unwrap().as_ref(), vec![b'w'; 4096]);
    std::fs::remove_dir_all(root).unwrap();
}

#[sqlx::test]
async fn pages_and_unhashed_files_are_revalidated_before_a_cache_reuses_them(pool: PgPool) {
    let root = site_with_brotli_copy("revalidate");
    let app = TestApp::spawn_site(pool, test_config(&[]), root.to_str().unwrap()).await;
    // Without hashed names (this site has none), a file's name does not change with it.
    let wasm = fetch_wasm(&app, "identity").await;
    assert_eq!(wasm.headers()[CACHE_CONTROL], "no-cache");
    // A page names the build's files: always asked for again.
    let page = app.get("/login", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()[CACHE_CONTROL], "no-cache");
    assert_eq!(page.headers()["postboard-viewer"], "anon");
    std::fs::remove_dir_all(root).unwrap();
}
