//! Every auth rule on the real server: missing, malformed, unknown and revoked keys (401),
//! scopes (403), Basic auth, rate limits (429), refused uses logged without the secret, and
//! keys stored only as hashes with audited creation and revocation.

mod server_support;

use base64::Engine;
use serde_json::json;
use server_support::*;

const TRIAGE: &str = "/v1/prompts/support/triage?env=production";

#[tokio::test]
async fn requests_without_a_valid_key_are_401_and_logged_without_the_secret() {
    let g = seeded();
    let key = key(&g, "read:production");
    let server = Server::start(&g, &[]);
    let (status, headers, body) = get(&server, TRIAGE, None).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"), "{body}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let forged = Key {
        id: key.id.clone(),
        secret: format!("{}x", key.secret),
    };
    let (status, _, body) = get(&server, TRIAGE, Some(&forged)).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"));
    for header in ["Bearer", "Token abc", "Basic !!!"] {
        let (status, _, _) = answer(
            client()
                .get(server.url(TRIAGE))
                .header("Authorization", header),
        )
        .await;
        assert_eq!(status, 401, "{header}");
    }
    let (status, _, _) = get(&server, TRIAGE, Some(&key)).await;
    assert_eq!(status, 200);
    let log = server.log_with("request refused");
    assert!(!log.contains(&key.secret), "the log holds a secret:\n{log}");
    assert!(
        !log.contains(&forged.secret),
        "the log holds a presented secret:\n{log}"
    );
}

#[tokio::test]
async fn a_revoked_key_is_refused_on_the_next_request() {
    let g = seeded();
    let key = key(&g, "read:production");
    let server = Server::start(&g, &[]);
    assert_eq!(get(&server, TRIAGE, Some(&key)).await.0, 200);
    assert_eq!(get(&server, TRIAGE, Some(&key)).await.0, 200);
    ok(&g, &["key", "revoke", &key.id]);
    let (status, _, body) = get(&server, TRIAGE, Some(&key)).await;
    assert_eq!((status, code(&body)), (401, "unauthorized"), "{body}");
    // The refusal names the key id.
    server.log_with(&key.id);
}

#[tokio::test]
async fn an_environment_key_reads_only_its_environment() {
    let g = seeded();
    let staging = key(&g, "read:staging");
    let server = Server::start(&g, &[]);
    let (status, _, body) = get(&server, TRIAGE, Some(&staging)).await;
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    let (status, _, body) = get(
        &server,
        "/v1/prompts/support/triage?env=staging",
        Some(&staging),
    )
    .await;
    assert_eq!((status, body["version"].as_u64()), (200, Some(2)));
    assert_eq!(
        get(&server, "/v1/prompts?env=production", Some(&staging))
            .await
            .0,
        403
    );
    assert_eq!(
        get(&server, "/v1/prompts?env=staging", Some(&staging))
            .await
            .0,
        200
    );
    let render = json!({"env": "production", "variables": {"ticket": "x"}});
    let (status, _, _) = post(
        &server,
        "/v1/prompts/support/triage/render",
        Some(&staging),
        &render,
    )
    .await;
    assert_eq!(status, 403);
    let by_version = json!({"version": 1, "variables": {"ticket": "x"}});
    let (status, _, _) = post(
        &server,
        "/v1/prompts/support/triage/render",
        Some(&staging),
        &by_version,
    )
    .await;
    assert_eq!(status, 403, "a version number could reach any environment");
    // Langfuse: label production, and a version only production serves.
    for query in ["label=production", "version=1", ""] {
        let path = format!("/api/public/v2/prompts/support%2Ftriage?{query}");
        let (status, _, body) = get(&server, &path, Some(&staging)).await;
        assert_eq!(status, 403, "{query}: {body}");
    }
    let path = "/api/public/v2/prompts/support%2Ftriage?version=2";
    assert_eq!(get(&server, path, Some(&staging)).await.0, 200);
}

#[tokio::test]
async fn read_and_ingest_keys_cannot_write() {
    let g = seeded();
    let server = Server::start(&g, &[]);
    let create = json!({"name": "new/one", "type": "text", "prompt": "Hi {{name}}"});
    for scope in ["read:*", "read:production", "ingest"] {
        let k = key(&g, scope);
        let (status, _, body) = post(&server, "/api/public/v2/prompts", Some(&k), &create).await;
        assert_eq!((status, code(&body)), (403, "forbidden"), "{scope}: {body}");
        let (status, _, _) = answer(
            client()
                .patch(server.url("/api/public/v2/prompts/support%2Ftriage/versions/2"))
                .bearer_auth(&k.secret)
                .json(&json!({"newLabels": ["production"]})),
        )
        .await;
        assert_eq!(status, 403, "{scope}");
    }
    let ingest = key(&g, "ingest");
    assert_eq!(get(&server, TRIAGE, Some(&ingest)).await.0, 403);
}

#[tokio::test]
async fn basic_auth_needs_the_matching_key_id() {
    let g = seeded();
    let key = key(&g, "read:*");
    let other = server_support::key(&g, "read:staging");
    let server = Server::start(&g, &[]);
    let basic = |id: &str, secret: &str| {
        let raw = format!("{id}:{secret}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    };
    let path = "/api/public/v2/prompts/support%2Ftriage";
    let good = client()
        .get(server.url(path))
        .header("Authorization", basic(&key.id, &key.secret));
    assert_eq!(answer(good).await.0, 200);
    let swapped = client()
        .get(server.url(path))
        .header("Authorization", basic(&other.id, &key.secret));
    assert_eq!(answer(swapped).await.0, 401);
    let native = client()
        .get(server.url(TRIAGE))
        .basic_auth(&key.id, Some(&key.secret));
    assert_eq!(answer(native).await.0, 200);
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after() {
    let g = seeded();
    let key = key(&g, "read:production");
    let calm = server_support::key(&g, "read:*");
    let server = Server::start(&g, &["--rate-limit", "3"]);
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(get(&server, TRIAGE, Some(&key)).await);
    }
    let limited = statuses
        .iter()
        .find(|(s, _, _)| *s == 429)
        .expect("a 429 within 8 requests");
    assert_eq!(code(&limited.2), "rate_limited");
    assert!(limited.1.contains_key("retry-after"));
    // Limits are per key.
    assert_eq!(get(&server, TRIAGE, Some(&calm)).await.0, 200);
}

#[test]
fn keys_are_stored_as_hashes_listed_without_secrets_and_audited() {
    let g = seeded();
    let k = key(&g, "write");
    let file = std::fs::read(db(&g)).unwrap();
    let text = String::from_utf8_lossy(&file);
    assert!(
        !text.contains(&k.secret),
        "the secret is in the workspace file"
    );
    let listed = ok(&g, &["key", "list", "--json"]).json();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], k.id.as_str());
    assert_eq!(listed[0]["scope"], "write");
    assert_eq!(listed[0]["principal"], USER);
    assert!(listed[0].get("secret").is_none());
    assert!(!ok(&g, &["key", "list"]).stdout.contains(&k.secret));
    ok(&g, &["key", "revoke", &k.id]);
    let audit = ok(&g, &["audit", "--json"]).stdout;
    assert!(
        audit.contains("key.create") && audit.contains("key.revoke"),
        "{audit}"
    );
    assert!(!audit.contains(&k.secret));
    ok(&g, &["audit", "verify"]);
    let mut again = command(&g);
    again.args(["key", "revoke", &k.id]);
    let out = g.run_cmd(again);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("already revoked"), "{}", out.stderr);
}

#[test]
fn only_admins_create_keys_and_principals_must_be_users() {
    let g = seeded();
    ok(&g, &["user", "add", "bob", "--role", "reviewer"]);
    let mut as_bob = g.command_as("bob");
    as_bob.args(["key", "create", "--name", "x", "--scope", "read:*"]);
    let out = g.run_cmd(as_bob);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("only an admin"), "{}", out.stderr);
    let out = ok(
        &g,
        &[
            "key", "create", "--name", "ci", "--scope", "write", "--user", "bob", "--json",
        ],
    );
    assert_eq!(out.json()["principal"], "bob");
    let mut nobody = command(&g);
    nobody.args([
        "key", "create", "--name", "x", "--scope", "write", "--user", "nobody",
    ]);
    let out = g.run_cmd(nobody);
    assert!(out.stderr.contains("no user nobody"), "{}", out.stderr);
    let mut bad = command(&g);
    bad.args(["key", "create", "--name", "x", "--scope", "read:nowhere"]);
    let out = g.run_cmd(bad);
    assert!(
        out.stderr.contains("no environment nowhere"),
        "{}",
        out.stderr
    );
}
