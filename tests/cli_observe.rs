//! `galley observe import|list|show|to-case` through the real binary: validation of every
//! malformed field, idempotent re-sends, the worst observations, redaction, and the refine loop
//! (a bad production answer becomes a test case that fails under `galley eval run`).

mod common;

use common::{Galley, Out};
use serde_json::{Value, json};

/// A valid observation with `extra` fields merged over it.
fn obs(id: &str, extra: Value) -> Value {
    let mut o = json!({"id": id, "prompt": "router", "env": "production",
                       "timestamp": "2026-01-05T10:00:00Z"});
    for (k, v) in extra.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

fn jsonl(items: &[Value]) -> String {
    items.iter().map(|v| format!("{v}\n")).collect()
}

/// The `[monitor]` settings these tests import with: their calls are dated January 2026 and
/// name prompt `router` whether or not it exists, so a window of a century back and unknown
/// names accepted. (Refusals of unknown names and times: `tests/server_ingest_validation.rs`.)
const FIXED_DATES: &str = "[monitor]\naccept_unknown = true\nmax_past_days = 36500\n";

fn import(g: &Galley, text: &str) -> Out {
    let file = g.write("obs.jsonl", text);
    with_config(
        g,
        FIXED_DATES,
        &["--json", "observe", "import", file.to_str().unwrap()],
    )
}

fn with_config(g: &Galley, config: &str, args: &[&str]) -> Out {
    g.run_cmd(config_command(g, config, args))
}

fn config_command(g: &Galley, config: &str, args: &[&str]) -> std::process::Command {
    let path = g.write("config.toml", config);
    let mut cmd = g.command();
    cmd.env("GALLEY_CONFIG", path).args(args);
    cmd
}

#[test]
fn import_names_the_line_field_and_problem_of_every_malformed_item() {
    let g = Galley::new();
    let bad: Vec<(Value, &str)> = vec![
        (
            json!({"prompt": "router", "env": "e", "timestamp": "2026-01-05T10:00:00Z"}),
            "id: is required",
        ),
        (obs("b1", json!({"prompt": 5})), "prompt: must be a string"),
        (obs("b2", json!({"env": ""})), "env: is empty"),
        (
            obs("b3", json!({"timestamp": "05/01/2026"})),
            "timestamp: `05/01/2026` is not an RFC 3339 time",
        ),
        (
            obs("b4", json!({"latency_ms": -1})),
            "latency_ms: must not be negative",
        ),
        (
            obs("b5", json!({"input_tokens": "many"})),
            "input_tokens: must be a number",
        ),
        (
            obs("b6", json!({"output_tokens": 1.5})),
            "output_tokens: must be a whole number",
        ),
        (
            obs("b7", json!({"cost_usd": -2})),
            "cost_usd: must not be negative",
        ),
        (
            obs("b8", json!({"status": "failed"})),
            "status: unknown status `failed`",
        ),
        (
            obs("b9", json!({"status": "error"})),
            "error: status is \"error\" but no error",
        ),
        (
            obs("b10", json!({"feedback": {"score": 7}})),
            "feedback.score: 7 is outside",
        ),
        (
            obs("b11", json!({"feedback": {"score": 0}})),
            "feedback.score: 0 is outside",
        ),
        (
            obs("b12", json!({"variables": "x"})),
            "variables: must be an object",
        ),
        (obs("b13", json!({"output": 3})), "output: must be a string"),
        (obs("b14", json!({"version": 0})), "version: 0 is outside"),
        (
            obs("b15", json!({"hash": "zz"})),
            "hash: must be a content hash",
        ),
        (
            obs("b16", json!({"trace_id": []})),
            "trace_id: must be a string",
        ),
        (
            obs(&"x".repeat(200), json!({})),
            "id: is longer than 128 characters",
        ),
        (
            obs("b17", json!({"latencyMs": 3})),
            "latencyMs: unknown field",
        ),
    ];
    let mut text = jsonl(&[obs("good", json!({"latency_ms": 120}))]);
    text.push_str("{not json\n\n");
    text.push_str(&jsonl(
        &bad.iter().map(|(v, _)| v.clone()).collect::<Vec<_>>(),
    ));
    let out = import(&g, &text);
    assert_eq!(out.code, 1, "any rejected line fails the import: {out:#?}");
    assert!(
        out.stderr.contains(&format!("{} line(s)", bad.len() + 1)),
        "{}",
        out.stderr
    );
    let answer = out.json();
    assert_eq!(answer["accepted"], 1);
    let rejected = answer["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), bad.len() + 1);
    assert_eq!(rejected[0]["index"], 1, "0-based line of the non-JSON line");
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not JSON")
    );
    for (i, (item, expected)) in bad.iter().enumerate() {
        let r = &rejected[i + 1];
        assert_eq!(r["index"], i + 3, "line index of {item}");
        assert!(
            r["reason"].as_str().unwrap().contains(expected),
            "{item}: {r}"
        );
        assert_eq!(
            r["id"],
            item.get("id")
                .cloned()
                .filter(|id| id.as_str().is_some_and(|s| s.len() <= 128))
                .unwrap_or(Value::Null)
        );
    }

    // Humans get the line numbers (1-based) and reasons, and the exit code is in --help.
    let human = with_config(
        &g,
        FIXED_DATES,
        &["observe", "import", g.path("obs.jsonl").to_str().unwrap()],
    );
    assert_eq!(human.code, 1);
    assert!(
        human
            .stdout
            .contains("line 5 (b1): prompt: must be a string"),
        "{}",
        human.stdout
    );
    let help = g.ok(&["observe", "import", "--help"]).stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        help.contains("Exits with 1 when any line was rejected"),
        "{help}"
    );
}

#[test]
fn re_sending_is_a_no_op_and_stdin_works() {
    let g = Galley::new();
    let text = jsonl(&[
        obs("a", json!({"latency_ms": 100, "feedback": {"score": -1}})),
        obs("b", json!({"latency_ms": 300})),
    ]);
    assert_eq!(import(&g, &text).json()["accepted"], 2);
    let again = g.ok(&["--json", "observe", "import", "-"]);
    assert_eq!(again.json()["accepted"], 0, "empty stdin accepts nothing");
    let cmd = config_command(&g, FIXED_DATES, &["--json", "observe", "import", "-"]);
    let out = common::run_command(cmd, Some(&text));
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(out.json()["accepted"], 2);
    assert_eq!(out.json()["duplicates"], 2);
    // A re-send with different content changes nothing either: the first one stands.
    let changed = jsonl(&[obs("a", json!({"latency_ms": 9999}))]);
    assert_eq!(import(&g, &changed).json()["duplicates"], 1);
    assert_eq!(g.json(&["observe", "show", "a"])["latency_ms"], 100.0);
    let m = g.json(&["monitor", "router", "--since", "2026-01-01T00:00:00Z"]);
    assert_eq!(
        m["rows"][0]["count"], 2,
        "rollups counted each call once: {m}"
    );
    assert_eq!(m["rows"][0]["feedback_count"], 1);
}

#[test]
fn worst_observations_by_errors_feedback_and_latency() {
    let g = Galley::new();
    let text = jsonl(&[
        obs(
            "fast",
            json!({"latency_ms": 50, "timestamp": "2026-01-05T10:00:00Z"}),
        ),
        obs(
            "slow",
            json!({"latency_ms": 9000, "timestamp": "2026-01-05T11:00:00Z"}),
        ),
        obs(
            "err-old",
            json!({"status": "error", "error": {"type": "timeout", "message": "t"},
                              "timestamp": "2026-01-05T09:00:00Z"}),
        ),
        obs(
            "err-new",
            json!({"status": "error", "error": {"type": "rate_limit", "message": "429"},
                              "timestamp": "2026-01-05T12:00:00Z", "env": "staging"}),
        ),
        obs(
            "meh",
            json!({"feedback": {"score": 2}, "timestamp": "2026-01-05T13:00:00Z"}),
        ),
        obs(
            "awful",
            json!({"feedback": {"score": 1, "scale": "rating", "comment": "wrong team"}}),
        ),
        obs("liked", json!({"feedback": {"score": 1}})),
    ]);
    assert_eq!(import(&g, &text).code, 0);
    let ids = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["observe", "list", "router"];
        all.extend_from_slice(args);
        g.json(&all)
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&["--worst", "errors"]), ["err-new", "err-old"]);
    assert_eq!(
        ids(&["--worst", "errors", "--env", "production"]),
        ["err-old"]
    );
    assert_eq!(ids(&["--worst", "feedback"]), ["awful", "meh"]);
    assert_eq!(ids(&["--worst", "slow", "-n", "2"]), ["slow", "fast"]);
    assert_eq!(
        ids(&["--since", "2026-01-05T11:30:00Z"]),
        ["meh", "err-new"]
    );
    assert_eq!(ids(&[]).len(), 7);

    let list = g
        .ok(&["observe", "list", "router", "--worst", "errors"])
        .stdout;
    assert!(
        list.contains("error rate_limit"),
        "statuses in words:\n{list}"
    );
    let bad = g.fails(&["observe", "list", "router", "--worst", "sad"], 2);
    assert!(
        bad.stderr
            .contains("expected errors, feedback, slow or recent"),
        "{}",
        bad.stderr
    );

    let shown = g.ok(&["observe", "show", "awful"]).stdout;
    assert!(shown.contains("1/5 \"wrong team\""), "{shown}");
    assert!(
        shown.contains("galley observe to-case awful --dataset"),
        "{shown}"
    );
    let missing = g.fails(&["observe", "show", "nope"], 1);
    assert_eq!(missing.stderr.lines().count(), 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no observation `nope`"),
        "{}",
        missing.stderr
    );
}

#[test]
fn config_truncates_output_and_redacts_named_variables() {
    let g = Galley::new();
    let file = g.write(
        "obs.jsonl",
        &jsonl(&[obs(
            "v",
            json!({"output": "0123456789", "variables":
            {"email": "ada@example.com", "ticket": "charged twice"}}),
        )]),
    );
    let config = format!("{FIXED_DATES}max_output_chars = 4\nredact = [\"email\"]\n");
    let out = with_config(&g, &config, &["observe", "import", file.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out:#?}");
    let shown = g.json(&["observe", "show", "v"]);
    assert_eq!(shown["output"], "0123…[6 more characters]");
    assert_eq!(shown["variables"]["email"], "[redacted]");
    assert_eq!(shown["variables"]["ticket"], "charged twice");
    let bad = with_config(&g, "[monitor]\nredcat = []\n", &["observe", "show", "v"]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("unknown field `redcat`"),
        "{}",
        bad.stderr
    );
}

#[test]
fn a_bad_production_answer_becomes_a_failing_test_case() {
    let g = Galley::new();
    g.write(
        "router.md",
        "+++\nname = \"router\"\ntype = \"text\"\nheadings = false\n\n[variables.ticket]\ntype = \"string\"\n+++\n\n## Task {kind=instructions}\n\nRoute: {{ ticket }}\n",
    );
    g.ok(&["import", g.path("router.md").to_str().unwrap()]);
    // The echo provider answers with the rendered prompt, so this "production" output is what
    // the prompt still produces: the negative example must fail.
    let text = jsonl(&[obs(
        "bad-1",
        json!({
            "version": 1, "output": "Route: charged twice",
            "variables": {"ticket": "charged twice"},
            "feedback": {"score": -1, "comment": "sent to the wrong team"}
        }),
    )]);
    assert_eq!(import(&g, &text).code, 0);

    let made = g.json(&["observe", "to-case", "bad-1", "--dataset", "from-prod"]);
    assert_eq!(made["dataset"], "from-prod");
    assert_eq!(made["version"], 2, "created (1), then the case (2)");
    let case = &made["case"];
    assert_eq!(case["vars"]["ticket"], "charged twice");
    assert_eq!(
        case["assert"],
        json!([{"type": "not-equals", "value": "Route: charged twice"}])
    );
    assert_eq!(case["tags"], json!(["from-production", "needs-rubric"]));
    assert!(
        case["description"]
            .as_str()
            .unwrap()
            .contains("negative feedback: sent to the wrong team")
    );

    let shown = g.json(&["dataset", "show", "from-prod"]);
    assert_eq!(shown["cases"].as_array().unwrap().len(), 1, "{shown}");

    let run = g.json(&["eval", "run", "router", "--dataset", "from-prod"]);
    let result = &run["results"][0];
    assert_eq!(result["pass"], false, "the negative example fails: {run}");
    assert_eq!(result["output"], "Route: charged twice");

    let human = g
        .ok(&["observe", "to-case", "bad-1", "--dataset", "from-prod"])
        .stdout;
    assert!(human.contains("version 3"), "{human}");
    assert!(
        human.contains("galley eval run router --dataset from-prod"),
        "{human}"
    );
    let missing = g.fails(&["observe", "to-case", "nope", "--dataset", "from-prod"], 1);
    assert!(missing.stderr.contains("no observation `nope`"));
}

#[test]
fn windows_line_ends_and_invalid_utf8_lines_are_handled_per_line() {
    let g = Galley::new();
    let good = obs("crlf", json!({})).to_string();
    let mut bytes = format!("{good}\r\n").into_bytes();
    bytes.extend_from_slice(b"{\"id\": \"\xff\"}\r\n");
    let file = g.path("mixed.jsonl");
    std::fs::write(&file, bytes).unwrap();
    let out = with_config(
        &g,
        FIXED_DATES,
        &["--json", "observe", "import", file.to_str().unwrap()],
    );
    assert_eq!(out.code, 1);
    let answer = out.json();
    assert_eq!(answer["accepted"], 1);
    assert_eq!(answer["rejected"][0]["index"], 1);
    assert!(
        answer["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not JSON")
    );
}
