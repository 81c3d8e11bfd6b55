//! Monitoring ingestion on the real server: batches with good and bad items, idempotent
//! re-sends, feedback arriving later (then seen by `galley monitor`), the auth rules, the body
//! limit, OTLP/HTTP JSON spans mapped to observations, and protobuf refused.

mod server_support;

use serde_json::{Value, json};
use server_support::*;

/// A timestamp of the last hour, so `galley monitor`'s default range holds it.
fn recent() -> String {
    let t = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(30);
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn obs(id: &str, extra: Value) -> Value {
    let mut o = json!({"id": id, "prompt": "support/triage", "version": 1, "env": "production",
                       "timestamp": recent(), "latency_ms": 120.0, "input_tokens": 40,
                       "output_tokens": 10, "cost_usd": 0.001});
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

async fn send(server: &Server, key: &Key, items: Vec<Value>) -> (u16, Value) {
    send_observations(server, key, &items).await
}

fn monitor(g: &Galley) -> Value {
    ok(g, &["--json", "monitor", "support/triage", "--since", "2d"]).json()
}

#[tokio::test]
async fn a_batch_stores_the_good_items_and_names_every_bad_one() {
    let g = seeded();
    let ingest = key(&g, "ingest");
    let server = Server::start(&g, &["--body-limit", "8000000"]);
    let bad: Vec<(Value, Option<&str>, &str)> = vec![
        (obs("b0", json!({"env": ""})), Some("b0"), "env: is empty"),
        (
            obs("b1", json!({"timestamp": "yesterday"})),
            Some("b1"),
            "timestamp:",
        ),
        (
            obs("b2", json!({"latency_ms": -3})),
            Some("b2"),
            "latency_ms:",
        ),
        (
            obs("b3", json!({"status": "error"})),
            Some("b3"),
            "error: status is \"error\"",
        ),
        (
            obs("b4", json!({"feedback": {"score": 9}})),
            Some("b4"),
            "feedback",
        ),
        (
            obs("b5", json!({"colour": "red"})),
            Some("b5"),
            "colour: unknown field",
        ),
        (json!({"prompt": "support/triage"}), None, "id: is required"),
        (json!("not an object"), None, "must be a JSON object"),
    ];
    let mut items = vec![
        obs("g0", json!({})),
        obs(
            "g1",
            json!({"status": "error",
        "error": {"type": "timeout", "message": "upstream took too long"}}),
        ),
    ];
    items.extend(bad.iter().map(|(item, _, _)| item.clone()));
    items.push(obs(
        "g2",
        json!({"feedback": {"score": 1, "comment": "great"}}),
    ));
    let (status, body) = send(&server, &ingest, items.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["accepted"], 3, "{body}");
    let rejected = body["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), bad.len(), "{body}");
    for (i, (r, (_, id, reason))) in rejected.iter().zip(&bad).enumerate() {
        assert_eq!(r["index"], i + 2, "{r}");
        assert_eq!(r["id"].as_str(), *id, "{r}");
        let said = r["reason"].as_str().unwrap();
        assert!(
            said.contains(reason),
            "item {}: {said:?} lacks {reason:?}",
            i + 2
        );
    }

    // A re-send is accepted and changes nothing.
    let (status, again) = send(&server, &ingest, items).await;
    // A body over axum's 2 MB default but within --body-limit is read whole.
    let big = "x".repeat(2_500_000);
    let (status_big, body) = send(&server, &ingest, vec![obs("big", json!({"output": big}))]).await;
    assert_eq!(
        (status_big, body["accepted"].clone()),
        (200, json!(1)),
        "{body}"
    );
    assert_eq!((status, again["accepted"].clone()), (200, json!(3)));
    assert_eq!(again["duplicates"], 3, "{again}");
    let report = monitor(&g);
    let row = &report["rows"][0];
    assert_eq!(
        (row["count"].clone(), row["errors"].clone()),
        (json!(4), json!(1)),
        "{report}"
    );

    let text = metrics_text(&server).await;
    assert!(
        text.contains("galley_observations_accepted_total{environment=\"production\"} 7"),
        "{text}"
    );
    // Both sends count: the re-send rejected the same three items again.
    assert!(text.contains("galley_observations_rejected_total{environment=\"unknown\"} 6"));
}

#[tokio::test]
async fn feedback_arrives_later_and_moves_the_metrics() {
    let g = seeded();
    let ingest = key(&g, "ingest");
    let server = Server::start(&g, &[]);
    let (status, body) = send(&server, &ingest, vec![obs("call-1", json!({}))]).await;
    assert_eq!(
        (status, body["accepted"].clone()),
        (200, json!(1)),
        "{body}"
    );
    assert_eq!(monitor(&g)["rows"][0]["feedback_count"], 0);

    let path = "/v1/observations/call-1/feedback";
    let thumbs_down = json!({"score": -1, "comment": "wrong queue"});
    let (status, _, body) = post(&server, path, Some(&ingest), &thumbs_down).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["feedback"]["comment"], "wrong queue");
    let row = monitor(&g)["rows"][0].clone();
    assert_eq!(row["feedback_count"], 1, "{row}");
    assert_eq!(row["negative_feedback_share"], 1.0, "{row}");

    let (status, _, body) = post(&server, path, Some(&ingest), &json!({"score": 7})).await;
    assert_eq!((status, code(&body)), (422, "unprocessable"), "{body}");
    let (status, _, body) = post(&server, path, Some(&ingest), &json!({"score": "good"})).await;
    assert_eq!(status, 422, "{body}");
    let unknown = "/v1/observations/nope/feedback";
    let (status, _, body) = post(&server, unknown, Some(&ingest), &thumbs_down).await;
    assert_eq!((status, code(&body)), (404, "not_found"), "{body}");
    let shown = ok(&g, &["--json", "observe", "show", "call-1"]).json();
    assert_eq!(shown["feedback"]["score"], -1, "{shown}");
}

#[tokio::test]
async fn ingestion_needs_an_ingest_key_and_a_batch() {
    let g = seeded();
    let read = key(&g, "read:*");
    let admin = key(&g, "admin");
    let server = Server::start(&g, &["--body-limit", "4096"]);
    let batch = json!({"observations": [obs("a", json!({}))]});
    for path in [
        "/v1/observations",
        "/v1/traces",
        "/v1/observations/a/feedback",
    ] {
        let (status, _, body) = post(&server, path, None, &batch).await;
        assert_eq!((status, code(&body)), (401, "unauthorized"), "{path}");
        let (status, _, body) = post(&server, path, Some(&read), &batch).await;
        assert_eq!((status, code(&body)), (403, "forbidden"), "{path}: {body}");
    }
    let (status, body) = send(&server, &admin, vec![obs("a", json!({}))]).await;
    assert_eq!(
        (status, body["accepted"].clone()),
        (200, json!(1)),
        "admin keys ingest"
    );

    let (status, _, body) = post(&server, "/v1/observations", Some(&admin), &json!([1])).await;
    assert_eq!((status, code(&body)), (422, "unprocessable"), "{body}");
    let msg = body["error"]["message"].as_str().unwrap();
    assert!(msg.contains("observations"), "{msg}");
    let (status, _, body) = answer(
        client()
            .post(server.url("/v1/observations"))
            .bearer_auth(&admin.secret)
            .header("content-type", "application/json")
            .body("{\"observations\": ["),
    )
    .await;
    assert_eq!((status, code(&body)), (400, "bad_request"), "{body}");

    let many: Vec<Value> = (0..100)
        .map(|i| obs(&format!("big-{i}"), json!({})))
        .collect();
    let (status, body) = send(&server, &admin, many).await;
    assert_eq!((status, code(&body)), (413, "payload_too_large"), "{body}");
}

#[tokio::test]
async fn otlp_spans_become_observations() {
    let g = seeded();
    let ingest = key(&g, "ingest");
    let server = Server::start(&g, &[]);
    let start: i128 = jiff::Timestamp::now().as_nanosecond() - 600_000_000_000;
    let span = |id: &str, attrs: Vec<Value>, status: Value| {
        json!({"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": id,
               "name": "chat gpt-4o-mini", "kind": 3,
               "startTimeUnixNano": start.to_string(),
               "endTimeUnixNano": (start + 1_500_000_000).to_string(),
               "attributes": attrs, "status": status})
    };
    let prompt = vec![
        attr(
            "galley.prompt.name",
            json!({"stringValue": "support/triage"}),
        ),
        attr("galley.prompt.version", json!({"intValue": "2"})),
        attr(
            "gen_ai.request.model",
            json!({"stringValue": "gpt-4o-mini"}),
        ),
        attr("gen_ai.usage.input_tokens", json!({"intValue": "321"})),
        attr("gen_ai.usage.output_tokens", json!({"intValue": 54})),
    ];
    let mut failed = prompt.clone();
    failed.push(attr("error.type", json!({"stringValue": "rate_limit"})));
    let request = json!({"resourceSpans": [{
        "resource": {"attributes": [
            attr("service.name", json!({"stringValue": "helpdesk"})),
            attr("deployment.environment.name", json!({"stringValue": "staging"}))]},
        "scopeSpans": [{"scope": {"name": "openai"}, "spans": [
            span("b7ad6b7169203331", prompt, json!({})),
            span("00f067aa0ba902b7", failed, json!({"code": 2, "message": "429 from upstream"})),
            span("1111111111111111", vec![], json!({}))
        ]}]
    }]});
    let (status, _, body) = post(&server, "/v1/traces", Some(&ingest), &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["partialSuccess"]["rejectedSpans"], 1, "{body}");
    let message = body["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(message.contains("no prompt attribute"), "{message}");

    let id = "otel-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331";
    let shown = ok(&g, &["--json", "observe", "show", id]).json();
    assert_eq!(shown["prompt"], "support/triage");
    assert_eq!(
        (shown["version"].clone(), shown["env"].clone()),
        (json!(2), json!("staging"))
    );
    assert_eq!(shown["latency_ms"], 1500.0);
    assert_eq!(
        (
            shown["input_tokens"].clone(),
            shown["output_tokens"].clone()
        ),
        (json!(321), json!(54))
    );
    assert_eq!(shown["trace_id"], "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(shown["status"], "ok");
    assert!(
        shown["cost_usd"].as_f64().unwrap() > 0.0,
        "priced from the model: {shown}"
    );
    let failed_id = "otel-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7";
    let shown = ok(&g, &["--json", "observe", "show", failed_id]).json();
    assert_eq!(shown["status"], "error");
    assert_eq!(
        shown["error"],
        json!({"type": "rate_limit", "message": "429 from upstream"})
    );

    // Re-sending the same spans stores nothing new.
    let (status, _, _) = post(&server, "/v1/traces", Some(&ingest), &request).await;
    assert_eq!(status, 200);
    let staging = ok(
        &g,
        &[
            "--json",
            "monitor",
            "support/triage",
            "--since",
            "2d",
            "--env",
            "staging",
        ],
    )
    .json();
    assert_eq!(staging["rows"][0]["count"], 2, "{staging}");

    let (status, _, body) = answer(
        client()
            .post(server.url("/v1/traces"))
            .bearer_auth(&ingest.secret)
            .header("content-type", "application/x-protobuf")
            .body(vec![0x0a, 0x00]),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (415, "unsupported_media_type"),
        "{body}"
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("JSON"),
        "{body}"
    );
}
