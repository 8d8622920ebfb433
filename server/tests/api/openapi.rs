//! The OpenAPI document and the docs UI.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::TestApp;

/// Every route of the contract (the original's and ours), as the document must list it.
const CONTRACT: &[(&str, &str)] = &[
    ("post", "/api/users/"),
    ("get", "/api/users/{id}"),
    ("get", "/api/users/me"),
    ("patch", "/api/users/me"),
    ("delete", "/api/users/me"),
    ("post", "/api/users/me/password"),
    ("get", "/api/sessions"),
    ("delete", "/api/sessions"),
    ("delete", "/api/sessions/{id}"),
    ("post", "/api/login"),
    ("post", "/api/token/refresh"),
    ("post", "/api/logout"),
    ("get", "/api/posts/"),
    ("post", "/api/posts/"),
    ("get", "/api/posts/{id}"),
    ("put", "/api/posts/{id}"),
    ("patch", "/api/posts/{id}"),
    ("delete", "/api/posts/{id}"),
    ("post", "/api/vote/"),
];

async fn document(app: &TestApp) -> Value {
    let response = app.get("/api/openapi.json", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_document_is_openapi_3_1_and_lists_every_route_of_the_contract(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for (method, path) in CONTRACT {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(
            operation["tags"].as_array().is_some_and(|t| t.len() == 1),
            "{method} {path} has no tag"
        );
        assert!(operation["responses"]
            .as_object()
            .is_some_and(|r| !r.is_empty()));
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        CONTRACT.len(),
        "the document lists routes the contract does not have"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn every_documented_route_is_served(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            let url = app.url(&path.replace("{id}", "1"));
            let response = app
                .client
                .request(method.to_uppercase().parse().unwrap(), url)
                .send()
                .await
                .unwrap();
            assert!(
                ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED]
                    .contains(&response.status())
                    || response.headers().contains_key("www-authenticate"),
                "{method} {path} is documented but not routed ({})",
                response.status()
            );
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn protected_routes_declare_the_oauth2_password_scheme(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let scheme = &doc["components"]["securitySchemes"]["OAuth2PasswordBearer"];
    assert_eq!(scheme["flows"]["password"]["tokenUrl"], "/api/login");
    assert!(doc["paths"]["/api/posts/"]["get"]["security"].is_array());
}

#[sqlx::test(migrations = "../migrations")]
async fn the_docs_ui_is_served_from_the_binary(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let response = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("swagger"));
}

#[sqlx::test(migrations = "../migrations")]
async fn list_parameters_are_documented_as_optional_query_parameters(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let parameters = doc["paths"]["/api/posts/"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["limit", "skip", "search"] {
        let parameter = parameters.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(parameter["in"], "query", "{name}");
        assert_ne!(parameter["required"], true, "{name}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_documented_limits_are_the_ones_the_server_enforces(pool: PgPool) {
    use app::model::page::MAX_SEARCH_LEN;
    use app::model::{Content, Email, Password, Title};

    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    for schema in ["NewPost", "PostChanges"] {
        let properties = &schemas[schema]["properties"];
        assert_eq!(properties["title"]["maxLength"], Title::MAX_LEN, "{schema}");
        assert_eq!(
            properties["content"]["maxLength"],
            Content::MAX_LEN,
            "{schema}"
        );
    }
    let credentials = &schemas["Credentials"]["properties"];
    assert_eq!(credentials["email"]["maxLength"], Email::MAX_LEN);
    assert_eq!(credentials["password"]["minLength"], Password::MIN_LEN);
    assert_eq!(credentials["password"]["maxLength"], Password::MAX_LEN);
    let search = doc["paths"]["/api/posts/"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "search")
        .unwrap();
    assert_eq!(search["schema"]["maxLength"], MAX_SEARCH_LEN);
}

/// The `### \`METHOD /path\`` headings of docs/api.md: the routes it documents.
fn routes_in_the_contract_document() -> BTreeSet<(String, String)> {
    include_str!("../../../docs/api.md")
        .lines()
        .filter_map(|line| line.strip_prefix("### `")?.strip_suffix('`'))
        .map(|route| {
            let (method, path) = route
                .split_once(' ')
                .expect("a heading reads `METHOD /path`");
            (method.to_lowercase(), path.to_owned())
        })
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn docs_api_md_documents_exactly_the_routes_the_server_serves(pool: PgPool) {
    // Arrange: the OpenAPI document is generated from the routed handlers themselves.
    let app = TestApp::spawn(pool).await;
    let doc = document(&app).await;
    let served: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, operations)| {
            operations
                .as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    // Act
    let documented = routes_in_the_contract_document();
    // Assert
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty(),
        "served but missing from docs/api.md: {undocumented:?}"
    );
    assert!(
        unserved.is_empty(),
        "in docs/api.md but not served: {unserved:?}"
    );
}
