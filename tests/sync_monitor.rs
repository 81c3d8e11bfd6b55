//! Production monitoring synced from the server into a workspace (issue 7, "Metrics"): after
//! `galley sync`, `galley monitor` in the workspace shows the server's metrics, the worst calls
//! are there to list, show and turn into test cases offline, a second sync is a no-op, new calls
//! on the server update the workspace's buckets, local imports are never counted twice, and the
//! audit chain still verifies. The real server runs on 127.0.0.1:0.

mod common;
mod sync_support;

use common::{Galley, ok_as};
use galley::domain::observation::KeepLimits;
use galley::sync::SyncError;
use galley::sync::client::SyncClient;
use galley::workspace::Workspace;
use serde_json::{Value, json};
use sync_support::{World, json_on, sync_ok, with_key};

const P: &str = "support/triage";
const SINCE: &str = "2026-03-01T00:00:00Z";

/// Call `i` of day `day` in `env`: every 7th fails, every 5th gets a thumbs down, latencies
/// spread so that the slowest are distinct.
fn call(day: u32, env: &str, i: u32) -> Value {
    let mut o = json!({
        "id": format!("{env}-{day}-{i}"),
        "prompt": P,
        "version": 1,
        "env": env,
        "timestamp": format!("2026-03-{:02}T{:02}:{:02}:00Z", day, i % 24, i % 60),
        "latency_ms": 100 + (i * 37) % 900,
        "input_tokens": 200 + i,
        "output_tokens": 50,
        "cost_usd": 0.0004,
        "status": "ok",
        "variables": {"ticket": format!("ticket {i}")},
        "output": format!("answer {i}"),
    });
    if i.is_multiple_of(7) {
        o["status"] = json!("error");
        o["error"] = json!({"type": "timeout", "message": "upstream timed out"});
    }
    if i.is_multiple_of(5) {
        o["feedback"] = json!({"score": -1, "comment": "wrong team"});
    }
    o
}

/// Ingests `items` into the server's file through the workspace API (as the server's
/// `POST /v1/observations` does), with the clock at the end of the calls' days (2 to 4 March
/// 2026), so the window holds them.
fn ingest_on_server(w: &World, items: &[Value]) {
    let mut ws = Workspace::open(&w.server_db, "root").expect("server workspace");
    let now: jiff::Timestamp = "2026-03-05T00:00:00Z".parse().unwrap();
    let answer = ws
        .ingest_at(items, &KeepLimits::default(), now.as_millisecond())
        .expect("ingest");
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
}

/// bob's `galley observe import FILE`, with a window back to March 2026 and his local `dev`
/// environment (which no workspace holds) accepted.
fn import_as_bob(w: &World, file: &std::path::Path) {
    let config = w.b.write(
        "import.toml",
        "[monitor]\naccept_unknown = true\nmax_past_days = 36500\n",
    );
    let mut cmd = w.b.command_as("bob");
    cmd.env("GALLEY_CONFIG", config)
        .args(["observe", "import", file.to_str().unwrap()]);
    let out = w.b.run_cmd(cmd);
    assert_eq!(out.code, 0, "{out:#?}");
}

fn month_of_calls() -> Vec<Value> {
    let mut items = Vec::new();
    for day in 2..=4 {
        for env in ["production", "staging"] {
            for i in 0..40 {
                items.push(call(day, env, i));
            }
        }
    }
    items
}

fn monitor(db: &std::path::Path, by: &str) -> Value {
    json_on(db, "root", &["monitor", P, "--since", SINCE, "--by", by])
}

/// The author commits the prompt and pushes it, so both sides know version 1.
fn world_with_prompt() -> World {
    let w = World::new();
    ok_as(&w.a, "ada", &["new", P]);
    sync_ok(&w.a, "ada", &w.keys.ada, &["sync"]);
    w
}

fn sync_json(g: &Galley, user: &str, secret: &str) -> Value {
    let out = sync_ok(g, user, secret, &["--json", "sync"]);
    serde_json::from_str(&out).expect("sync report")
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn a_workspace_sees_the_servers_metrics_and_worst_calls_after_a_sync() {
    let w = world_with_prompt();
    ingest_on_server(&w, &month_of_calls());

    let report = sync_json(&w.b, "bob", &w.keys.bob);
    // 3 days × 2 envs: 6 day buckets, and one hour bucket per distinct hour of each day.
    assert!(report["rollups"].as_u64().unwrap() > 6, "{report}");
    assert!(report["samples"].as_u64().unwrap() > 0, "{report}");
    for by in ["version", "day"] {
        assert_eq!(monitor(w.b.db(), by), monitor(&w.server_db, by), "by {by}");
    }

    // The worst errors: at most 5 per prompt × env × day, all real errors of the server.
    let errors = json_on(
        w.b.db(),
        "bob",
        &["observe", "list", P, "--worst", "errors", "-n", "100"],
    );
    let got = ids(&errors);
    assert_eq!(got.len(), 3 * 2 * 5, "{got:?}");
    assert!(
        errors
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "error")
    );
    let slow = ids(&json_on(
        w.b.db(),
        "bob",
        &["observe", "list", P, "--worst", "slow", "-n", "1"],
    ));
    let server_slow = ids(&json_on(
        &w.server_db,
        "root",
        &["observe", "list", P, "--worst", "slow", "-n", "1"],
    ));
    assert_eq!(slow, server_slow, "the slowest call of all is a sample");

    // Offline: shown and made into a test case from the workspace alone.
    let shown = json_on(w.b.db(), "bob", &["observe", "show", &got[0]]);
    assert_eq!(shown["error"]["type"], "timeout");
    let made = json_on(
        w.b.db(),
        "bob",
        &["observe", "to-case", &got[0], "--dataset", "from-prod"],
    );
    assert_eq!(made["case"]["vars"]["ticket"], shown["variables"]["ticket"]);

    // Samples are not counted again: the buckets are still the server's.
    assert_eq!(
        monitor(w.b.db(), "version"),
        monitor(&w.server_db, "version")
    );
    w.assert_audits_ok();
}

#[test]
fn a_second_sync_is_a_no_op_and_new_calls_update_the_buckets() {
    let w = world_with_prompt();
    ingest_on_server(&w, &month_of_calls());
    sync_json(&w.b, "bob", &w.keys.bob);

    let again = sync_json(&w.b, "bob", &w.keys.bob);
    assert_eq!(
        (&again["pulled"], &again["rollups"], &again["samples"]),
        (&json!(0), &json!(0), &json!(0)),
        "{again}"
    );

    // New calls on day 4 in production, one of them a slow failure: only its buckets move.
    let mut late = call(4, "production", 700);
    late["id"] = json!("late-failure");
    late["latency_ms"] = json!(9_000);
    late["status"] = json!("error");
    late["error"] = json!({"type": "rate_limit", "message": "429"});
    ingest_on_server(&w, &[late, call(4, "production", 701)]);
    let next = sync_json(&w.b, "bob", &w.keys.bob);
    assert!(
        next["rollups"].as_u64().unwrap() <= 4,
        "only the changed buckets: {next}"
    );
    assert_eq!(
        monitor(w.b.db(), "version"),
        monitor(&w.server_db, "version")
    );
    let slow = ids(&json_on(
        w.b.db(),
        "bob",
        &["observe", "list", P, "--worst", "slow", "-n", "1"],
    ));
    assert_eq!(slow, ["late-failure"]);

    let status = json_on(w.b.db(), "bob", &["sync", "status"]);
    let m = &status[0]["monitor"];
    assert_eq!(m["cursor"], m["head"], "{status}");
    assert!(m["cursor"].as_i64().unwrap() > 0);
    assert_eq!(
        m["through"], "2026-03-04T23:00:00Z",
        "the newest bucket pulled"
    );
    let human = with_key(&w.b, "bob", &w.keys.bob, &["sync", "status"]).stdout;
    assert!(human.contains("monitoring: pulled through"), "{human}");
    w.assert_audits_ok();
}

#[test]
fn local_imports_never_count_twice() {
    let w = world_with_prompt();
    let calls = month_of_calls();
    // bob imported some of production's calls himself before his first sync, and one of a
    // local environment the server never saw.
    let mut local: Vec<Value> = calls[..20].to_vec();
    let mut mine = call(2, "dev", 1);
    mine["id"] = json!("mine");
    local.push(mine);
    let text: String = local.iter().map(|v| format!("{v}\n")).collect();
    let file = w.b.write("local.jsonl", &text);
    import_as_bob(&w, &file);
    ingest_on_server(&w, &calls);

    sync_json(&w.b, "bob", &w.keys.bob);
    let server = json_on(
        &w.server_db,
        "root",
        &["monitor", P, "--since", SINCE, "--env", "production"],
    );
    let here = |env: &str| {
        json_on(
            w.b.db(),
            "bob",
            &["monitor", P, "--since", SINCE, "--env", env],
        )
    };
    assert_eq!(
        here("production"),
        server,
        "the server's buckets replace the local ones"
    );

    // A later local import into a pulled bucket does not change it; a bucket the server does
    // not have keeps counting.
    let mut extra = call(2, "production", 900);
    extra["id"] = json!("local-late");
    let mut dev = call(2, "dev", 2);
    dev["id"] = json!("mine-2");
    let file = w.b.write("more.jsonl", &format!("{extra}\n{dev}\n"));
    import_as_bob(&w, &file);
    assert_eq!(here("production"), server);
    let dev = here("dev");
    assert_eq!(dev["rows"][0]["count"], 2, "{dev}");
    w.assert_audits_ok();
}

#[test]
fn pulling_monitoring_data_needs_a_key_that_reads_every_environment() {
    let w = world_with_prompt();
    ingest_on_server(&w, &month_of_calls());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reader = SyncClient::new("origin", &w.server.url, "K", &w.keys.reader).unwrap();
    let refused = runtime.block_on(reader.pull_monitor(0, 10, 5));
    assert!(
        matches!(refused, Err(SyncError::Unauthorized { .. })),
        "{refused:?}"
    );
    let writer = SyncClient::new("origin", &w.server.url, "K", &w.keys.ada).unwrap();
    let page = runtime.block_on(writer.pull_monitor(0, 10, 0)).unwrap();
    assert_eq!(page.rollups.len(), 10);
    assert!(page.samples.is_empty(), "samples=0 asks for none");
    assert!(page.rollups.windows(2).all(|p| p[0].seq < p[1].seq));
}
