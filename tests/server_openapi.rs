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

/// Every prompt name the document takes has the server's rule: the `PromptName` schema, or (a
/// name that is the start of a longer one) its pattern with a shorter length.
#[test]
fn every_prompt_name_in_the_document_has_the_servers_rule() {
    use galley::domain::name::{MAX_NAME_LEN, NAME_PATTERN};
    let doc: serde_json::Value =
        serde_json::from_str(&galley::server::openapi::document_json()).unwrap();
    let schema = &doc["components"]["schemas"]["PromptName"];
    assert_eq!(schema["pattern"], NAME_PATTERN);
    assert_eq!(schema["maxLength"], MAX_NAME_LEN);
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["name"] != "name" || param["in"] != "path" {
                    continue;
                }
                seen += 1;
                let s = &param["schema"];
                let ok = s["$ref"] == "#/components/schemas/PromptName"
                    || (s["pattern"] == NAME_PATTERN
                        && s["maxLength"]
                            .as_u64()
                            .is_some_and(|n| n < MAX_NAME_LEN as u64));
                assert!(ok, "{method} {path}: {s}");
            }
        }
    }
    assert!(seen >= 6, "only {seen} name parameters");
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

/// A bad query parameter asked with `Accept-Encoding: gzip` answers a body encoded as its
/// headers say: gzip that decodes to the JSON error (it used to answer `content-encoding: gzip`
/// with a plain JSON body wrapping compressed bytes, which `requests`/`httpx` cannot decode).
#[tokio::test]
async fn error_bodies_are_encoded_as_their_headers_say() {
    use std::io::Read as _;
    let g = seeded();
    let admin = key(&g, "admin");
    let server = Server::start(&g, &[]);
    for path in [
        "/v1/sync/pull?after=not-a-number",
        "/v1/sync/monitor?after=not-a-number",
        "/v1/sync/pull?limit=-1",
    ] {
        let resp = client()
            .get(server.url(path))
            .bearer_auth(&admin.secret)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), 400, "{path}");
        let encoding = resp
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string());
        let raw = resp.bytes().await.expect("body").to_vec();
        let text = match encoding.as_deref() {
            Some("gzip") => {
                let mut out = String::new();
                flate2::read::GzDecoder::new(&raw[..])
                    .read_to_string(&mut out)
                    .unwrap_or_else(|e| panic!("{path}: says gzip but is not ({e}): {raw:?}"));
                out
            }
            None => String::from_utf8(raw).expect("utf-8"),
            Some(other) => panic!("{path}: unexpected content-encoding {other}"),
        };
        let body: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"));
        assert_eq!(code(&body), "bad_request", "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("query") && message.is_ascii(),
            "{path}: the message names the query, in plain text: {message}"
        );
    }
}
