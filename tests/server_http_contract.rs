//! Request hygiene against the real `galley serve`: JSON routes take `application/json` only
//! (415 otherwise), bodies come as they are or gzip (decoded, and the body limit counts the
//! decoded size), error bodies quote a bounded prefix of the input, and every 405 says `Allow`.

mod server_support;

use std::io::Write as _;

use base64::Engine as _;
use serde_json::{Value, json};
use server_support::*;

/// What a client would send to each JSON route: (method, path, Basic auth?, a valid body).
fn json_routes() -> Vec<(reqwest::Method, &'static str, bool, Value)> {
    use reqwest::Method;
    vec![
        (
            Method::POST,
            "/v1/prompts/support/triage/render",
            false,
            json!({"variables": {"ticket": "t"}}),
        ),
        (
            Method::POST,
            "/v1/observations",
            false,
            json!({"observations": []}),
        ),
        (
            Method::POST,
            "/v1/observations/none/feedback",
            false,
            json!({"score": 1}),
        ),
        (
            Method::POST,
            "/v1/traces",
            false,
            json!({"resourceSpans": []}),
        ),
        (Method::POST, "/v1/sync/push", false, json!({"records": []})),
        (
            Method::POST,
            "/api/public/v2/prompts",
            true,
            json!({"name": "x", "type": "text", "prompt": "hi"}),
        ),
        (
            Method::PATCH,
            "/api/public/v2/prompts/support%2Ftriage/versions/1",
            true,
            json!({"newLabels": []}),
        ),
    ]
}

fn request(
    server: &Server,
    admin: &Key,
    method: reqwest::Method,
    path: &str,
    basic: bool,
) -> reqwest::RequestBuilder {
    let req = client().request(method, server.url(path));
    if basic {
        req.basic_auth(&admin.id, Some(&admin.secret))
    } else {
        req.bearer_auth(&admin.secret)
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or("<none>")
}

#[tokio::test]
async fn json_routes_take_application_json_only() {
    let g = seeded();
    let admin = key(&g, "admin");
    let server = Server::start(&g, &[]);
    for (method, path, basic, body) in json_routes() {
        let text = body.to_string();
        for content_type in [Some("text/plain"), Some("application/x-protobuf"), None] {
            let mut req = request(&server, &admin, method.clone(), path, basic).body(text.clone());
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            let (status, _, answer) = answer(req).await;
            assert_eq!(
                (status, code(&answer)),
                (415, "unsupported_media_type"),
                "{method} {path} with {content_type:?}: {answer}"
            );
            let said = message(&answer);
            assert!(
                said.contains("application/json") && !said.contains('\n'),
                "{said}"
            );
        }
        // Parameters are allowed: the route reads the body (whatever it then answers, not 415).
        let req = request(&server, &admin, method.clone(), path, basic)
            .header("content-type", "application/json; charset=utf-8")
            .body(text);
        let (status, _, answer) = answer(req).await;
        assert_ne!(status, 415, "{method} {path}: {answer}");
    }
    // The same route, plain JSON: the render answers.
    let req = request(
        &server,
        &admin,
        reqwest::Method::POST,
        "/v1/prompts/support/triage/render",
        false,
    )
    .header("content-type", "Application/JSON; charset=utf-8")
    .body(r#"{"variables": {"ticket": "t"}}"#);
    let (status, _, answer) = answer(req).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["text"], "Classify: t");
}

#[tokio::test]
async fn gzip_bodies_are_decoded_on_every_json_route_and_other_encodings_refused() {
    let g = seeded();
    let admin = key(&g, "admin");
    let server = Server::start(&g, &["--body-limit", "65536"]);
    for (method, path, basic, body) in json_routes() {
        let text = body.to_string();
        let plain = request(&server, &admin, method.clone(), path, basic)
            .header("content-type", "application/json")
            .body(text.clone());
        let (plain_status, _, plain_answer) = answer(plain).await;
        let zipped = request(&server, &admin, method.clone(), path, basic)
            .header("content-type", "application/json")
            .header("content-encoding", "gzip")
            .body(gzip(text.as_bytes()));
        let (status, _, zipped_answer) = answer(zipped).await;
        // Decoded, the same request: the same status (a create's second call may conflict, so
        // only the status class is compared there).
        assert_eq!(
            status / 100,
            plain_status / 100,
            "{method} {path}: plain {plain_answer}, gzip {zipped_answer}"
        );
        assert_ne!(status, 415, "{method} {path}: {zipped_answer}");
        let identity = request(&server, &admin, method.clone(), path, basic)
            .header("content-type", "application/json")
            .header("content-encoding", "identity")
            .body(text.clone());
        let (status, _, answer_identity) = answer(identity).await;
        assert_ne!(status, 415, "{method} {path}: {answer_identity}");
        for encoding in ["br", "deflate", "x-unknown"] {
            let req = request(&server, &admin, method.clone(), path, basic)
                .header("content-type", "application/json")
                .header("content-encoding", encoding)
                .body(text.clone());
            let (status, headers, refused) = answer(req).await;
            assert_eq!(
                (status, code(&refused)),
                (415, "unsupported_media_type"),
                "{method} {path} with {encoding}: {refused}"
            );
            assert!(message(&refused).contains(encoding), "{refused}");
            assert_eq!(headers["accept-encoding"], "gzip, identity");
        }
    }
    let render = request(
        &server,
        &admin,
        reqwest::Method::POST,
        "/v1/prompts/support/triage/render",
        false,
    )
    .header("content-type", "application/json")
    .header("content-encoding", "gzip")
    .body(gzip(br#"{"variables": {"ticket": "zipped"}}"#));
    let (status, _, rendered) = answer(render).await;
    assert_eq!(status, 200, "{rendered}");
    assert_eq!(rendered["text"], "Classify: zipped");

    // A gzip bomb: 64 MiB of spaces in about 64 KiB, against a 64 KiB limit on the decoded
    // size. Refused as too large, and the server still answers.
    let mut bomb = Vec::with_capacity(64 << 20);
    bomb.extend_from_slice(b"{\"observations\": [");
    bomb.resize(64 << 20, b' ');
    let bomb = gzip(&bomb);
    assert!(
        bomb.len() < 65536,
        "the bomb itself fits the limit: {}",
        bomb.len()
    );
    let req = request(
        &server,
        &admin,
        reqwest::Method::POST,
        "/v1/observations",
        false,
    )
    .header("content-type", "application/json")
    .header("content-encoding", "gzip")
    .body(bomb);
    let (status, _, refused) = answer(req).await;
    assert_eq!(
        (status, code(&refused)),
        (413, "payload_too_large"),
        "{refused}"
    );
    // Refused without inflating it: the server stays small.
    let peak = common::measure::peak_kb(server.pid()).expect("the server's status");
    assert!(peak < 100 * 1024, "the server peaked at {peak} kB");
    let (status, _, _) = get(&server, "/healthz", None).await;
    assert_eq!(status, 200);
}

/// A 100 KB value (60 KB in a URL, the most a URI may hold), sent where a message names it,
/// comes back as a bounded prefix.
#[tokio::test]
async fn error_bodies_quote_a_bounded_prefix_of_the_input() {
    let g = seeded();
    let admin = key(&g, "admin");
    let reader = key(&g, "read:production");
    let server = Server::start(&g, &[]);
    let huge = "X".repeat(100_000);
    let long = "X".repeat(60_000);
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", admin.id, admin.secret));
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "an invalid name in the path",
            client()
                .get(server.url(&format!("/v1/prompts/{long}")))
                .bearer_auth(&admin.secret),
        ),
        (
            "an invalid name to render",
            client()
                .post(server.url(&format!("/v1/prompts/{long}/render")))
                .bearer_auth(&admin.secret)
                .json(&json!({})),
        ),
        (
            "an invalid name in a Langfuse create",
            client()
                .post(server.url("/api/public/v2/prompts"))
                .header("authorization", format!("Basic {basic}"))
                .json(&json!({"name": huge, "type": "text", "prompt": "hi"})),
        ),
        (
            "an unknown field in a render",
            client()
                .post(server.url("/v1/prompts/support/triage/render"))
                .bearer_auth(&admin.secret)
                .json(&json!({ huge.clone(): 1 })),
        ),
        (
            "a mistyped value in a render",
            client()
                .post(server.url("/v1/prompts/support/triage/render"))
                .bearer_auth(&admin.secret)
                .json(&json!({ "env": 1, "version": huge.clone() })),
        ),
        (
            "a version that is not a number",
            client()
                .get(server.url(&format!(
                    "/api/public/v2/prompts/support%2Ftriage?version={long}"
                )))
                .header("authorization", format!("Basic {basic}")),
        ),
        (
            "an environment the key may not read",
            client()
                .get(server.url(&format!("/v1/prompts/support/triage?env={long}")))
                .bearer_auth(&reader.secret),
        ),
        (
            "an unknown observation",
            client()
                .post(server.url(&format!("/v1/observations/{long}/feedback")))
                .bearer_auth(&admin.secret)
                .json(&json!({"score": 1})),
        ),
        (
            "a bad query value",
            client()
                .get(server.url(&format!("/v1/sync/pull?after={long}")))
                .bearer_auth(&admin.secret),
        ),
        (
            "a media type",
            client()
                .post(server.url("/v1/observations"))
                .bearer_auth(&admin.secret)
                .header("content-type", format!("text/{huge}"))
                .body("{}"),
        ),
    ];
    for (what, req) in cases {
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        assert!((400..500).contains(&status), "{what}: {status} {text}");
        assert!(
            text.len() < 1000,
            "{what}: the answer is {} bytes: {}…",
            text.len(),
            &text[..300.min(text.len())]
        );
        let body: Value = serde_json::from_str(&text).expect("a JSON error");
        assert!(!message(&body).contains('\n'), "{what}: {body}");
    }
}

#[tokio::test]
async fn every_405_says_which_methods_the_path_takes() {
    let g = seeded();
    let admin = key(&g, "admin");
    let server = Server::start(&g, &[]);
    for (method, path, allowed) in [
        ("PUT", "/v1/observations", "POST"),
        ("DELETE", "/healthz", "GET"),
        ("DELETE", "/v1/sync/pull", "GET"),
        // Made by the handlers of the wildcard routes: not a render, not a version's labels.
        ("POST", "/v1/prompts/support/triage", "GET"),
        ("PATCH", "/api/public/v2/prompts/support%2Ftriage", "GET"),
    ] {
        let resp = client()
            .request(method.parse().unwrap(), server.url(path))
            .basic_auth(&admin.id, Some(&admin.secret))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), 405, "{method} {path}");
        let allow = resp
            .headers()
            .get("allow")
            .unwrap_or_else(|| panic!("{method} {path}: no Allow header"))
            .to_str()
            .unwrap()
            .to_string();
        assert!(allow.contains(allowed), "{method} {path}: Allow: {allow}");
        let body: Value = resp.json().await.expect("a JSON error");
        assert_eq!(code(&body), "method_not_allowed", "{body}");
    }
}
