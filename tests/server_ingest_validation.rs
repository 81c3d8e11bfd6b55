//! Ingestion says no early (issue 12), on the real server and the real CLI: observations of
//! prompts, versions, content hashes or environments the workspace does not hold are refused per
//! item with the reason while the good items of the same batch are stored; `[monitor]
//! accept_unknown` keeps them; times outside the window (years 0000 and 9999 alike) are refused;
//! OTLP spans with impossible times are refused per span; `galley observe import` follows the
//! same rules with the same settings. Times are relative to the clock, or fixed in March 2026
//! with a window that holds them.

mod server_support;

use serde_json::{Value, json};
use server_support::*;

fn at(offset: jiff::SignedDuration) -> String {
    (jiff::Timestamp::now() + offset)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn recent() -> String {
    at(jiff::SignedDuration::from_mins(-30))
}

/// A valid call of `support/triage` v1 in production (as `seeded()` holds them).
fn obs(id: &str, extra: Value) -> Value {
    let mut o = json!({"id": id, "prompt": "support/triage", "version": 1, "env": "production",
                       "timestamp": recent(), "latency_ms": 120.0});
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

async fn send(server: &Server, key: &Key, items: &[Value]) -> Value {
    let (status, body) = send_observations(server, key, items).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The reason given for each refused id, in the batch's order.
fn reasons(answer: &Value) -> Vec<(String, String)> {
    answer["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap_or("").to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn stored(g: &Galley, id: &str) -> bool {
    let mut cmd = command(g);
    cmd.args(["--json", "observe", "show", id]);
    g.run_cmd(cmd).code == 0
}

/// The content hash of `support/triage` v2, as a client would send it (its first 12 digits).
fn v2_hash(g: &Galley) -> String {
    let ws = galley::workspace::Workspace::open(db(g), USER).unwrap();
    let v2 = ws
        .resolve(&name("support/triage"), galley::domain::VersionRef::Latest)
        .unwrap();
    v2.version.unwrap().content_hash[..12].to_string()
}

/// Good items and one of each unknown name, interleaved.
fn mixed_batch(g: &Galley) -> Vec<Value> {
    vec![
        obs("good-v1", json!({})),
        obs("ghost", json!({"prompt": "x/ghost"})),
        obs("v9", json!({"version": 9})),
        obs("by-hash", json!({"version": null, "hash": v2_hash(g)})),
        obs("qa", json!({"env": "qa"})),
        obs("bad-hash", json!({"version": null, "hash": "deadbeef00"})),
        obs("no-version", json!({"version": null, "env": "staging"})),
        obs("two", json!({"prompt": "x/ghost", "env": "qa"})),
    ]
}

#[tokio::test]
async fn unknown_prompts_versions_hashes_and_environments_are_refused_per_item() {
    let g = seeded();
    let ingest = key(&g, "ingest");
    let server = Server::start(&g, &[]);
    let answer = send(&server, &ingest, &mixed_batch(&g)).await;
    assert_eq!(answer["accepted"], 3, "{answer}");
    let said = reasons(&answer);
    let expected = [
        ("ghost", "prompt: unknown prompt `x/ghost`"),
        (
            "v9",
            "version: prompt `support/triage` has no version 9 (its latest is 2)",
        ),
        (
            "qa",
            "env: unknown environment `qa` (this workspace has development, staging, production)",
        ),
        (
            "bad-hash",
            "hash: prompt `support/triage` has no version with content hash `deadbeef00`",
        ),
        (
            "two",
            "env: unknown environment `qa` (this workspace has development, staging, production); \
             prompt: unknown prompt `x/ghost`",
        ),
    ];
    assert_eq!(
        said,
        expected
            .iter()
            .map(|(id, r)| (id.to_string(), r.to_string()))
            .collect::<Vec<_>>(),
        "{answer}"
    );
    let indexes: Vec<u64> = answer["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, [1, 2, 4, 5, 7]);
    for id in ["good-v1", "by-hash", "no-version"] {
        assert!(stored(&g, id), "{id} is stored");
    }
    for (id, _) in &expected {
        assert!(!stored(&g, id), "{id} is not stored");
    }
    let shown = ok(&g, &["--json", "observe", "show", "by-hash"]).json();
    assert_eq!(shown["version"], 2, "the hash names v2: {shown}");
    // Nothing was counted for the refused names: no rollups of the made-up prompt.
    let ghost = ok(&g, &["--json", "monitor", "x/ghost", "--since", "2d"]).json();
    assert_eq!(ghost["rows"], json!([]), "{ghost}");
}

#[tokio::test]
async fn accept_unknown_keeps_todays_behaviour() {
    let g = seeded();
    let ingest = key(&g, "ingest");
    let settings = g.write("serve.toml", "[monitor]\naccept_unknown = true\n");
    let server = Server::start(&g, &["--config", settings.to_str().unwrap()]);
    let answer = send(&server, &ingest, &mixed_batch(&g)).await;
    assert_eq!(
        (answer["accepted"].clone(), answer["rejected"].clone()),
        (json!(8), json!([])),
        "{answer}"
    );
    let ghost = ok(&g, &["--json", "observe", "show", "ghost"]).json();
    assert_eq!(ghost["prompt"], "x/ghost");
    let unresolved = ok(&g, &["--json", "observe", "show", "bad-hash"]).json();
    assert!(unresolved.get("version").is_none(), "{unresolved}");
}

#[tokio::test]
async fn times_outside_the_window_are_refused_and_years_0000_and_9999_alike() {
    let g = seeded();
    let ingest = key(&g, "ingest");
    let server = Server::start(&g, &[]);
    let hours = jiff::SignedDuration::from_hours;
    let items = vec![
        obs("zero", json!({"timestamp": "0000-01-01T00:00:00Z"})),
        obs("nines", json!({"timestamp": "9999-12-31T23:59:59Z"})),
        obs("old", json!({"timestamp": at(hours(-32 * 24))})),
        obs("ahead", json!({"timestamp": at(hours(25))})),
        obs("month-ago", json!({"timestamp": at(hours(-30 * 24))})),
        obs("skewed", json!({"timestamp": at(hours(23))})),
        obs("march", json!({"timestamp": "2026-03-02T10:00:00Z"})),
    ];
    let answer = send(&server, &ingest, &items).await;
    let said = reasons(&answer);
    let refused: Vec<&str> = said.iter().map(|(id, _)| id.as_str()).collect();
    // 2026-03-02 is outside the default window whenever this runs after April 2026.
    let march_in_window = jiff::Timestamp::now() < "2026-04-02T00:00:00Z".parse().unwrap();
    let mut expected = vec!["zero", "nines", "old", "ahead"];
    if !march_in_window {
        expected.push("march");
    }
    assert_eq!(refused, expected, "{answer}");
    for (id, reason) in &said {
        assert!(
            reason.starts_with("timestamp: `")
                && reason.ends_with(
                    "is outside the accepted window, 31 day(s) before now to 24 hour(s) after \
                     ([monitor] max_past_days, max_future_hours)"
                ),
            "{id}: {reason}"
        );
    }
    assert!(stored(&g, "month-ago") && stored(&g, "skewed"));
    drop(server);

    // A window set wide enough takes the fixed March 2026 call; 0000 and 9999 stay refused.
    let settings = g.write(
        "serve.toml",
        "[monitor]\nmax_past_days = 36500\nmax_future_hours = 1\n",
    );
    let server = Server::start(&g, &["--config", settings.to_str().unwrap()]);
    let answer = send(&server, &ingest, &items).await;
    let said = reasons(&answer);
    let refused: Vec<&str> = said.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(refused, ["zero", "nines", "ahead", "skewed"], "{answer}");
    assert!(
        said[0]
            .1
            .contains("36500 day(s) before now to 1 hour(s) after")
    );
    assert!(stored(&g, "march") && stored(&g, "old"));
}

#[tokio::test]
async fn otlp_spans_with_impossible_times_or_unknown_names_are_refused_per_span() {
    let g = seeded();
    let ingest = key(&g, "ingest");
    let server = Server::start(&g, &[]);
    let start: i128 = jiff::Timestamp::now().as_nanosecond() - 600_000_000_000;
    let span = |id: &str, prompt: &str, start: i128, end: i128| {
        json!({"traceId": "0af7651916cd43dd8448eb211c80319c", "spanId": id, "name": "chat",
               "startTimeUnixNano": start.to_string(), "endTimeUnixNano": end.to_string(),
               "attributes": [attr("galley.prompt.name", json!({"stringValue": prompt})),
                              attr("galley.prompt.version", json!({"intValue": "1"}))]})
    };
    let second = 1_000_000_000;
    let request = json!({"resourceSpans": [{
        "resource": {"attributes": [
            attr("deployment.environment.name", json!({"stringValue": "production"}))]},
        "scopeSpans": [{"spans": [
            span("1111111111111111", "support/triage", start, start + second),
            span("2222222222222222", "support/triage", start, start - second),
            span("3333333333333333", "support/triage", 0, start),
            span("4444444444444444", "support/triage", start, start + 2 * 86_400 * second),
            span("5555555555555555", "x/ghost", start, start + second),
        ]}]
    }]});
    let (status, _, body) = post(&server, "/v1/traces", Some(&ingest), &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["partialSuccess"]["rejectedSpans"], 4, "{body}");
    let message = body["partialSuccess"]["errorMessage"].as_str().unwrap();
    for part in [
        "span 1: the span ends before it starts",
        "span 2: startTimeUnixNano is missing or not after 1970",
        "span 3: the span lasts 172800 s, longer than a day",
        "otel-0af7651916cd43dd8448eb211c80319c-5555555555555555: prompt: unknown prompt `x/ghost`",
    ] {
        assert!(message.contains(part), "{part:?} in {message}");
    }
    assert!(stored(
        &g,
        "otel-0af7651916cd43dd8448eb211c80319c-1111111111111111"
    ));
    for id in ["2222222222222222", "3333333333333333", "5555555555555555"] {
        assert!(!stored(
            &g,
            &format!("otel-0af7651916cd43dd8448eb211c80319c-{id}")
        ));
    }
}

#[test]
fn observe_import_follows_the_same_rules_with_the_same_settings() {
    let g = seeded();
    let lines = [
        obs("cli-good", json!({})),
        obs("cli-ghost", json!({"prompt": "x/ghost"})),
        obs("cli-qa", json!({"env": "qa"})),
        obs("cli-march", json!({"timestamp": "2026-03-02T10:00:00Z"})),
        obs("cli-zero", json!({"timestamp": "0000-01-01T00:00:00Z"})),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let file = g.write("calls.jsonl", &text);
    let import = |config: Option<&str>| {
        let mut cmd = command(&g);
        if let Some(c) = config {
            cmd.env("GALLEY_CONFIG", g.write("config.toml", c));
        }
        cmd.args(["--json", "observe", "import", file.to_str().unwrap()]);
        g.run_cmd(cmd)
    };
    let out = import(None);
    assert_eq!(out.code, 1, "a refused line fails the import: {out:#?}");
    let answer = out.json();
    let refused: Vec<(String, String)> = reasons(&answer);
    let ids: Vec<&str> = refused.iter().map(|(id, _)| id.as_str()).collect();
    let march_in_window = jiff::Timestamp::now() < "2026-04-02T00:00:00Z".parse().unwrap();
    let mut expected = vec!["cli-ghost", "cli-qa"];
    if !march_in_window {
        expected.push("cli-march");
    }
    expected.push("cli-zero");
    assert_eq!(ids, expected, "{answer}");
    assert!(refused[0].1.contains("unknown prompt `x/ghost`"));
    assert!(refused[1].1.contains("unknown environment `qa`"));
    assert!(stored(&g, "cli-good") && !stored(&g, "cli-ghost"));

    // The user config's [monitor] takes the same settings as the server's.
    let out = import(Some(
        "[monitor]\naccept_unknown = true\nmax_past_days = 36500\n",
    ));
    let answer = out.json();
    assert_eq!(reasons(&answer).len(), 1, "only year 0000: {answer}");
    assert!(stored(&g, "cli-ghost") && stored(&g, "cli-march") && !stored(&g, "cli-zero"));
    let bad = import(Some("[monitor]\nmax_past_days = -1\n"));
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr
            .contains("invalid value: integer `-1`, expected u32"),
        "{}",
        bad.stderr
    );
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
}

/// A batch as large as the body limit allows, every item naming a prompt and an environment of
/// its own that the server does not hold: all refused, quickly, in little memory, and nothing
/// of them stored (no observation, so no rollup row either).
#[tokio::test]
async fn a_full_batch_of_invented_names_is_refused_cheaply_and_stores_nothing() {
    let g = seeded();
    let ingest = key(&g, "ingest");
    let server = Server::start(&g, &[]);
    let items: Vec<Value> = (0..8000)
        .map(|i| {
            obs(
                &format!("inv{i}"),
                json!({"prompt": format!("x/p{i}"), "env": format!("e{i}")}),
            )
        })
        .collect();
    let body = serde_json::to_vec(&json!({"observations": items})).unwrap();
    assert!(
        body.len() < 1 << 20,
        "the batch fits the default body limit"
    );
    let started = std::time::Instant::now();
    let answer = send(&server, &ingest, &items).await;
    let elapsed = started.elapsed();
    assert_eq!(answer["accepted"], 0, "{}", answer["rejected"][0]);
    assert_eq!(answer["rejected"].as_array().map(Vec::len), Some(8000));
    // A second on a quiet machine; generous on this shared one running debug builds.
    assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
    let peak = common::measure::peak_kb(server.pid()).expect("the server's status");
    assert!(peak < 100 * 1024, "the server peaked at {peak} kB");
    assert!(!stored(&g, "inv0") && !stored(&g, "inv7999"));
}
