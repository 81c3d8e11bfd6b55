//! The committed OpenAPI document is the one the handlers generate, and the server serves it.

mod server_support;

use server_support::*;

const COMMITTED: &str = "assets/openapi.json";

#[test]
fn the_committed_openapi_document_is_up_to_date() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
    let generated = galley::server::openapi::document_json();
    if std::env::var_os("GALLEY_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).expect("write the document");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{COMMITTED} differs from the document the handlers generate: regenerate it with \
         `GALLEY_WRITE_OPENAPI=1 cargo test --test server_openapi` and commit it"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for route in [
        "/v1/prompts/{name}",
        "/v1/prompts/{name}/render",
        "/v1/prompts",
        "/api/public/v2/prompts/{name}",
        "/api/public/v2/prompts",
        "/api/public/v2/prompts/{name}/versions/{version}",
        "/api/public/projects",
        "/metrics",
    ] {
        assert!(
            doc["paths"].get(route).is_some(),
            "{route} is not documented"
        );
    }
}

#[tokio::test]
async fn the_server_serves_the_document() {
    let g = seeded();
    let server = Server::start(&g, &[]);
    let (status, _, body) = get(&server, "/openapi.json", None).await;
    assert_eq!(status, 200);
    let generated: serde_json::Value =
        serde_json::from_str(&galley::server::openapi::document_json()).unwrap();
    assert_eq!(body, generated);
}
