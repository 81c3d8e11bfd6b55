//! `galley monitor` through the real binary: metrics per version and per day on a known set of
//! observations (equal to what the rollups' stated bucketing gives), feedback that arrives
//! later, ranges, and threshold badges written in words.

mod common;

use common::{Galley, Out};
use galley::domain::metrics::{bucket_value_ms, latency_bucket};
use serde_json::{Value, json};

const SINCE: &str = "2026-01-01T00:00:00Z";

fn obs(id: &str, version: u32, env: &str, at: &str, latency_ms: f64, extra: Value) -> Value {
    let mut o = json!({"id": id, "prompt": "router", "version": version, "env": env,
                       "timestamp": at, "latency_ms": latency_ms, "cost_usd": 0.01,
                       "input_tokens": 10, "output_tokens": 5});
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

/// v1 in production on Jan 5 (4 calls, one error, one thumbs down), v2 in production on Jan 6
/// (2 slow calls), v1 in staging on Jan 6 (1 call), and one call from December.
fn known_set(g: &Galley) {
    let up = json!({"feedback": {"score": 1}});
    let rows = [
        obs(
            "p1",
            1,
            "production",
            "2026-01-05T09:10:00Z",
            100.0,
            up.clone(),
        ),
        obs(
            "p2",
            1,
            "production",
            "2026-01-05T09:20:00Z",
            200.0,
            up.clone(),
        ),
        obs("p3", 1, "production", "2026-01-05T15:00:00Z", 300.0, up),
        obs(
            "p4",
            1,
            "production",
            "2026-01-05T23:59:59.999Z",
            400.0,
            json!({
            "status": "error", "error": {"type": "timeout", "message": "t"},
            "feedback": {"score": -1}}),
        ),
        obs(
            "n1",
            2,
            "production",
            "2026-01-06T00:00:00Z",
            2300.0,
            json!({"cost_usd": 0.03}),
        ),
        obs(
            "n2",
            2,
            "production",
            "2026-01-06T08:00:00Z",
            2300.0,
            json!({"cost_usd": 0.03}),
        ),
        obs(
            "s1",
            1,
            "staging",
            "2026-01-06T08:00:00+02:00",
            50.0,
            json!({"cost_usd": 0.002}),
        ),
        obs(
            "old",
            1,
            "production",
            "2025-12-20T08:00:00Z",
            99999.0,
            json!({}),
        ),
    ];
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    let file = g.write("known.jsonl", &text);
    // The set is dated January 2026 and names prompt `router` without creating it: imported
    // with a window back to then and unknown names accepted (`[monitor]`, see the README).
    let config = g.write("import.toml", FIXED_DATES);
    let mut cmd = g.command();
    cmd.env("GALLEY_CONFIG", config)
        .args(["observe", "import", file.to_str().unwrap()]);
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 0, "{out:#?}");
}

/// The `[monitor]` settings that take the known set: a window of a century back, and
/// observations of prompts the workspace does not hold.
const FIXED_DATES: &str = "[monitor]\naccept_unknown = true\nmax_past_days = 36500\n";

/// The latency the rollups report for `ms`: its bucket's value.
fn bucketed(ms: f64) -> f64 {
    bucket_value_ms(latency_bucket((ms * 1000.0) as u64))
}

fn with_config(g: &Galley, config: &str, args: &[&str]) -> Out {
    let path = g.write("config.toml", config);
    let mut cmd = g.command();
    cmd.env("GALLEY_CONFIG", path).args(args);
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 0, "{out:#?}");
    out
}

#[test]
fn metrics_per_version_on_a_known_set() {
    let g = Galley::new();
    known_set(&g);
    let report = g.json(&["monitor", "router", "--since", SINCE]);
    assert_eq!(report["by"], "version");
    assert_eq!(report["since"], SINCE);
    let rows = report["rows"].as_array().unwrap();
    let keys: Vec<(u64, &str)> = rows
        .iter()
        .map(|r| (r["version"].as_u64().unwrap(), r["env"].as_str().unwrap()))
        .collect();
    assert_eq!(keys, [(1, "production"), (1, "staging"), (2, "production")]);

    let v1 = &rows[0];
    assert_eq!(v1["count"], 4, "December is out of range");
    assert_eq!(v1["errors"], 1);
    assert_eq!(v1["error_rate"], 0.25);
    assert_eq!(v1["latency_p50_ms"], bucketed(200.0));
    assert_eq!(v1["latency_p95_ms"], bucketed(400.0));
    assert_eq!(v1["latency_p99_ms"], bucketed(400.0));
    assert_eq!(v1["latency_mean_ms"], 250.0, "means are exact");
    assert_eq!(
        (v1["input_tokens"].clone(), v1["output_tokens"].clone()),
        (json!(40), json!(20))
    );
    assert_eq!(v1["cost_usd"], 0.04);
    assert_eq!(v1["cost_per_call_usd"], 0.01);
    assert_eq!(v1["feedback_count"], 4);
    assert_eq!(v1["mean_feedback"], 0.5);
    assert_eq!(v1["negative_feedback_share"], 0.25);
    assert_eq!(v1["breaches"], json!([]));
    let p50 = v1["latency_p50_ms"].as_f64().unwrap();
    assert!((p50 - 200.0).abs() / 200.0 <= 1.0 / 128.0, "{p50}");

    let v2 = &rows[2];
    assert_eq!(
        (v2["count"].clone(), v2["errors"].clone()),
        (json!(2), json!(0))
    );
    assert_eq!(v2["cost_per_call_usd"], 0.03);
    assert_eq!(v2["mean_feedback"], Value::Null, "no feedback, no mean");

    let staging = g.json(&["monitor", "router", "--since", SINCE, "--env", "staging"]);
    assert_eq!(staging["rows"].as_array().unwrap().len(), 1);
    assert_eq!(staging["rows"][0]["count"], 1);
}

#[test]
fn metrics_per_day_merge_versions_within_utc_days() {
    let g = Galley::new();
    known_set(&g);
    let report = g.json(&["monitor", "router", "--since", SINCE, "--by", "day"]);
    let rows = report["rows"].as_array().unwrap();
    let keys: Vec<(&str, &str, u64)> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["version"], Value::Null);
            (
                r["day"].as_str().unwrap(),
                r["env"].as_str().unwrap(),
                r["count"].as_u64().unwrap(),
            )
        })
        .collect();
    // s1 was sent at 08:00+02:00: 06:00 UTC on Jan 6.
    assert_eq!(
        keys,
        [
            ("2026-01-05", "production", 4),
            ("2026-01-06", "production", 2),
            ("2026-01-06", "staging", 1)
        ]
    );
    // A range starting mid-day reads that day's hours only.
    let late = g.json(&[
        "monitor",
        "router",
        "--since",
        "2026-01-05T15:00:00Z",
        "--by",
        "day",
    ]);
    assert_eq!(late["rows"][0]["count"], 2, "p3 and p4 only: {late}");
    assert_eq!(late["rows"][0]["errors"], 1);
}

#[test]
fn feedback_arriving_later_moves_the_rollups() {
    let g = Galley::new();
    known_set(&g);
    let changed = g.json(&[
        "observe",
        "feedback",
        "p1",
        "--score",
        "-1",
        "--comment",
        "wrong",
    ]);
    assert_eq!(
        changed["feedback"],
        json!({"score": -1, "scale": "thumbs", "comment": "wrong"})
    );
    g.ok(&[
        "observe", "feedback", "n1", "--score", "2", "--scale", "rating",
    ]);
    let rows = g.json(&["monitor", "router", "--since", SINCE])["rows"].clone();
    assert_eq!(rows[0]["feedback_count"], 4, "replaced, not added");
    assert_eq!(rows[0]["negative_feedback_share"], 0.5);
    assert_eq!(rows[2]["feedback_count"], 1);
    assert_eq!(rows[2]["mean_feedback"], -0.5, "2 stars on −1…+1");
    let bad = g.fails(&["observe", "feedback", "p1", "--score", "9"], 1);
    assert!(
        bad.stderr.contains("feedback.score: 9 is outside"),
        "{}",
        bad.stderr
    );
    let missing = g.fails(&["observe", "feedback", "nope", "--score", "1"], 1);
    assert!(
        missing.stderr.contains("no observation `nope`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn thresholds_show_as_badges_in_words() {
    let g = Galley::new();
    known_set(&g);
    let config = r#"
        [monitor.thresholds]
        error_rate = 0.3
        [monitor.thresholds.env.production]
        p95_latency_ms = 2000
        [monitor.thresholds.prompt.router.env.staging]
        cost_per_call_usd = 0.001
    "#;
    let out = with_config(&g, config, &["monitor", "router", "--since", SINCE]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("router since 2026-01-01 00:00 UTC, by version"),
        "{}",
        out.stdout
    );
    assert!(lines[1].contains("ALERTS"), "{}", out.stdout);
    assert!(
        lines[2].starts_with("v1") && lines[2].ends_with(" ok"),
        "{}",
        out.stdout
    );
    assert!(
        lines[3].contains("staging") && lines[3].ends_with("BREACH cost/call $0.002 > $0.001"),
        "{}",
        out.stdout
    );
    assert!(
        lines[4].starts_with("v2") && lines[4].ends_with("BREACH p95 2.3 s > 2 s"),
        "{}",
        out.stdout
    );

    let json = with_config(
        &g,
        config,
        &["--json", "monitor", "router", "--since", SINCE],
    )
    .json();
    assert_eq!(json["rows"][2]["breaches"][0]["metric"], "p95_latency");
    assert_eq!(json["rows"][2]["breaches"][0]["limit"], 2000.0);

    // Per day, the bad day breaches and the good day does not.
    let strict = "[monitor.thresholds]\nerror_rate = 0.2\n";
    let days = with_config(
        &g,
        strict,
        &["monitor", "router", "--since", SINCE, "--by", "day"],
    )
    .stdout;
    assert!(days.contains("BREACH error rate 25% > 20%"), "{days}");
    assert_eq!(days.matches("BREACH").count(), 1, "{days}");
    let few = "[monitor.thresholds]\nerror_rate = 0.2\nmin_calls = 5\n";
    let days = with_config(
        &g,
        few,
        &["monitor", "router", "--since", SINCE, "--by", "day"],
    )
    .stdout;
    assert!(
        !days.contains("BREACH"),
        "under min_calls nothing is judged: {days}"
    );
}

#[test]
fn an_empty_range_says_what_to_do() {
    let g = Galley::new();
    known_set(&g);
    // The known set is from January 2026: the default range (the last 7 days) is empty.
    let out = g.ok(&["monitor", "router"]).stdout;
    assert!(out.contains("No observations in this range"), "{out}");
    assert!(out.contains("galley observe import"), "{out}");
    let bad = g.fails(&["monitor", "router", "--since", "last tuesday"], 2);
    assert!(bad.stderr.contains("is not a time"), "{}", bad.stderr);
    let bad = g.fails(&["monitor", "Router"], 2);
    assert!(bad.stderr.contains("prompt name"), "{}", bad.stderr);
}

#[test]
fn the_demo_tells_the_story_of_a_bad_deployment_rolled_back() {
    let g = Galley::new();
    let first = g.json(&["demo"]);
    let stored = first["observations"].as_u64().unwrap();
    assert!(stored > 3000, "a month of calls: {first}");
    let config = "[monitor.thresholds]\nerror_rate = 0.05\np95_latency_ms = 5000\nmin_calls = 50\n";
    let days = with_config(
        &g,
        config,
        &[
            "monitor",
            "support/triage",
            "--since",
            "30d",
            "--by",
            "day",
            "--env",
            "production",
        ],
    )
    .stdout;
    let breached: Vec<&str> = days.lines().filter(|l| l.contains("BREACH")).collect();
    assert_eq!(
        breached.len(),
        2,
        "the two days v4 served production:\n{days}"
    );
    for line in breached {
        assert!(
            line.contains("BREACH error rate") && line.contains("BREACH p95"),
            "{line}"
        );
    }
    let versions = g.json(&[
        "monitor",
        "support/triage",
        "--since",
        "30d",
        "--env",
        "production",
    ]);
    let served: Vec<u64> = versions["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["version"].as_u64().unwrap())
        .collect();
    assert_eq!(served, [2, 3, 4]);
    let errors = g.json(&[
        "observe",
        "list",
        "support/triage",
        "--worst",
        "errors",
        "-n",
        "3",
    ]);
    assert_eq!(errors.as_array().unwrap().len(), 3);
    // Running the demo again re-sends the same calls: nothing changes.
    assert_eq!(g.json(&["demo"])["observations"], 0);
}

/// The demo's records are dated: production's deployments of support/triage (v2, v3, v4, the
/// rollback to v3) happen where its traffic changes version, and the audit log's times never go
/// back.
#[test]
fn the_demo_dates_its_deployments_where_the_traffic_changes_version() {
    let g = Galley::new();
    g.ok(&["demo"]);
    let history = g.json(&["envs", "support/triage", "--history"]);
    let production: Vec<(u64, String, jiff::Timestamp)> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["env"] == "production")
        .map(|d| {
            (
                d["version"].as_u64().unwrap(),
                d["kind"].as_str().unwrap().to_string(),
                d["at"].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let story: Vec<(u64, &str)> = production
        .iter()
        .map(|(v, k, _)| (*v, k.as_str()))
        .collect();
    assert_eq!(
        story,
        [(2, "deploy"), (3, "deploy"), (4, "deploy"), (3, "rollback")]
    );
    assert!(
        production.windows(2).all(|w| w[0].2 < w[1].2),
        "{production:?}"
    );
    assert!(production[3].2 - production[2].2 == jiff::SignedDuration::from_hours(48));
    // Calls per version in production from `since` on.
    let served = |since: jiff::Timestamp| -> Vec<(u64, u64)> {
        let since = since.to_string();
        let out = g.json(&[
            "monitor",
            "support/triage",
            "--env",
            "production",
            "--since",
            &since,
        ]);
        let mut rows: Vec<(u64, u64)> = out["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["version"].as_u64().unwrap(), r["count"].as_u64().unwrap()))
            .collect();
        rows.sort();
        rows
    };
    let hour = jiff::SignedDuration::from_hours(1);
    for (i, (version, _, at)) in production.iter().enumerate() {
        let from_here = served(*at);
        let later: Vec<u64> = production[i..].iter().map(|d| d.0).collect();
        // From the deployment on, only what it and the later ones deployed served.
        assert!(
            from_here.iter().all(|(v, _)| later.contains(v)),
            "{version} at {at}: {from_here:?}"
        );
        assert!(from_here.iter().any(|(v, _)| v == version));
        if let Some(before) = i.checked_sub(1).map(|p| production[p].0) {
            // The hour before, the version it replaced still served.
            assert!(served(*at - hour).iter().any(|(v, _)| *v == before));
        }
        if !production[..i].iter().any(|d| d.0 == *version) {
            // A version first deployed here served no call before.
            let count = |rows: &[(u64, u64)]| rows.iter().find(|(v, _)| v == version).map(|r| r.1);
            assert_eq!(count(&from_here), count(&served(*at - hour * 48)));
        }
    }
    // The audit log is in time order, before now, and its chain holds.
    let log = g.json(&["audit", "log", "-n", "0"]);
    let times: Vec<String> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap().to_string())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let last: jiff::Timestamp = times.last().unwrap().parse().unwrap();
    assert!(last < jiff::Timestamp::now());
    let first: jiff::Timestamp = times[0].parse().unwrap();
    assert!(production[0].2 - first > jiff::SignedDuration::from_hours(24 * 7));
    g.ok(&["audit", "verify"]);
}
