//! The delivery cache on the real server (issue 12): the native GET and the Langfuse GET are
//! answered from one cache that follows only what changes delivery. Every change to what is
//! served (a deployment, a new version, a policy, a key, an environment, a user), made by another
//! process or through the server, shows on the next request; ingesting observations keeps every
//! cached answer (seen in `/metrics`: hits grow, misses and the generation stay). A cached
//! answer is never served to a key that may not read it.

mod server_support;

use serde_json::{Value, json};
use server_support::*;

const NATIVE: &str = "/v1/prompts/support/triage?env=production";
const LANGFUSE: &str = "/api/public/v2/prompts/support%2Ftriage?label=production";
const V1: &str = "/api/public/v2/prompts/support%2Ftriage?version=1";
const V2: &str = "/api/public/v2/prompts/support%2Ftriage?version=2";
const LATEST: &str = "/api/public/v2/prompts/support%2Ftriage?label=latest";

/// The delivery cache's counters from `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cache {
    generation: u64,
    file_changes: u64,
    hits: u64,
    misses: u64,
}

async fn cache(server: &Server) -> Cache {
    let text = metrics_text(server).await;
    let value = |name: &str| -> u64 {
        let metric = format!("galley_delivery_cache_{name} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&metric))
            .unwrap_or_else(|| panic!("no {metric} in /metrics:\n{text}"))
            .trim()
            .parse()
            .expect("a count")
    };
    Cache {
        generation: value("generation"),
        file_changes: value("file_changes_total"),
        hits: value("hits_total"),
        misses: value("misses_total"),
    }
}

/// GET a Langfuse route with Basic auth (as the SDKs send it).
async fn langfuse(server: &Server, path: &str, key: &Key) -> (u16, Value) {
    let req = client()
        .get(server.url(path))
        .basic_auth(&key.id, Some(&key.secret));
    let (status, _, body) = answer(req).await;
    (status, body)
}

/// The version the native GET and the Langfuse GET serve of support/triage in production.
async fn served(server: &Server, key: &Key) -> (u64, u64) {
    let (status, _, native) = get(server, NATIVE, Some(key)).await;
    assert_eq!(status, 200, "{native}");
    let (status, lf) = langfuse(server, LANGFUSE, key).await;
    assert_eq!(status, 200, "{lf}");
    (
        native["version"].as_u64().expect("native version"),
        lf["version"].as_u64().expect("langfuse version"),
    )
}

#[tokio::test]
async fn every_change_to_delivery_shows_on_the_next_request() {
    let g = seeded();
    let reader = key(&g, "read:*");
    let write = key(&g, "write");
    let server = Server::start(&g, &["--freshness-ms", "0"]);

    // Filled, then answered from the cache.
    assert_eq!(served(&server, &reader).await, (1, 1));
    let before = cache(&server).await;
    assert_eq!(served(&server, &reader).await, (1, 1));
    let after = cache(&server).await;
    assert_eq!(after.hits, before.hits + 2, "{before:?} -> {after:?}");
    assert_eq!(after.misses, before.misses);

    // A deployment by another process: both APIs serve it next, and the Langfuse answer for a
    // version names its new environments.
    let (_, v2) = langfuse(&server, V2, &reader).await;
    assert_eq!(v2["labels"], json!(["staging", "latest"]), "{v2}");
    ok(
        &g,
        &["deploy", "support/triage", "-v", "2", "--env", "production"],
    );
    assert_eq!(served(&server, &reader).await, (2, 2));
    let (_, v2) = langfuse(&server, V2, &reader).await;
    assert_eq!(
        v2["labels"],
        json!(["staging", "production", "latest"]),
        "{v2}"
    );

    // A new version, created through the server itself: `latest` moves.
    let (_, latest) = langfuse(&server, LATEST, &reader).await;
    assert_eq!(latest["version"], 2, "{latest}");
    let (status, _, created) = answer(
        client()
            .post(server.url("/api/public/v2/prompts"))
            .basic_auth(&write.id, Some(&write.secret))
            .json(&json!({"name": "support/triage", "type": "text",
                          "prompt": "Classify briefly: {{ticket}}", "labels": []})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let (_, latest) = langfuse(&server, LATEST, &reader).await;
    assert_eq!(latest["version"], 3, "{latest}");

    // Each change below, by another process, moves the generation: the next request is built
    // afresh (a miss), not answered from the cache.
    let changes: [&[&str]; 3] = [
        &["policy", "set", "production", "--min-approvals", "1"],
        &["env", "add", "canary"],
        &["user", "add", "--role", "reviewer", "rita"],
    ];
    for args in changes {
        served(&server, &reader).await;
        let before = cache(&server).await;
        ok(&g, args);
        served(&server, &reader).await;
        let after = cache(&server).await;
        assert!(
            after.generation > before.generation,
            "galley {args:?} did not move the generation: {before:?} -> {after:?}"
        );
        assert_eq!(
            after.misses,
            before.misses + 2,
            "galley {args:?}: {after:?}"
        );
    }

    // A revoked key is refused on its next request, cached answer or not.
    ok(&g, &["key", "revoke", &reader.id]);
    let (status, _, body) = get(&server, NATIVE, Some(&reader)).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = langfuse(&server, LANGFUSE, &reader).await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn ingesting_observations_keeps_the_cache() {
    let g = seeded();
    let reader = key(&g, "read:production");
    let ingest = key(&g, "ingest");
    let server = Server::start(&g, &["--freshness-ms", "0"]);
    assert_eq!(served(&server, &reader).await, (1, 1));
    let before = cache(&server).await;
    const ROUNDS: u64 = 5;
    let now = jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%S%.3fZ");
    for round in 0..ROUNDS {
        let batch: Vec<Value> = (0..20)
            .map(|i| {
                json!({"id": format!("o-{round}-{i}"), "prompt": "support/triage", "version": 1,
                       "env": "production", "timestamp": now.to_string(), "latency_ms": 90.0})
            })
            .collect();
        let (status, _, body) = post(
            &server,
            "/v1/observations",
            Some(&ingest),
            &json!({"observations": batch}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["accepted"], 20, "{body}");
        assert_eq!(served(&server, &reader).await, (1, 1));
    }
    let after = cache(&server).await;
    // The server saw every batch's write to the file, and none of them emptied the cache.
    assert!(
        after.file_changes >= before.file_changes + ROUNDS,
        "{before:?} -> {after:?}"
    );
    assert_eq!(
        after.generation, before.generation,
        "{before:?} -> {after:?}"
    );
    assert_eq!(after.misses, before.misses, "{before:?} -> {after:?}");
    assert_eq!(
        after.hits,
        before.hits + 2 * ROUNDS,
        "{before:?} -> {after:?}"
    );
}

#[tokio::test]
async fn a_cached_answer_is_never_served_to_a_key_that_may_not_read_it() {
    let g = seeded();
    let production = key(&g, "read:production");
    let staging = key(&g, "read:staging");
    let server = Server::start(&g, &["--freshness-ms", "0"]);
    // Version 1 is served by production only; latest (2) by staging only.
    for _ in 0..2 {
        assert_eq!(langfuse(&server, V1, &production).await.0, 200);
        assert_eq!(langfuse(&server, LATEST, &staging).await.0, 200);
        assert_eq!(get(&server, NATIVE, Some(&production)).await.0, 200);
    }
    let warm = cache(&server).await;
    assert!(warm.hits >= 3, "{warm:?}");
    let (status, body) = langfuse(&server, V1, &staging).await;
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    let (status, body) = langfuse(&server, LATEST, &production).await;
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    let (status, body) = langfuse(&server, LANGFUSE, &staging).await;
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
    let (status, _, body) = get(&server, NATIVE, Some(&staging)).await;
    assert_eq!((status, code(&body)), (403, "forbidden"), "{body}");
}
