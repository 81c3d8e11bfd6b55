//! `galley dataset`, `provider` and `eval` through the real binary, against the echo provider
//! and a loopback stub model server (OpenAI and Anthropic wire formats) with fault injection.

mod common;
#[path = "support/stub_model.rs"]
mod stub_model;

use common::Galley;
use serde_json::Value;
use stub_model::{BlockingStubModel, Fault, StubConfig};

/// A text prompt that repeats its variable, so the echo and stub providers answer with it.
fn with_router(g: &Galley) {
    g.write(
        "router.md",
        "+++\nname = \"router\"\ntype = \"text\"\nheadings = false\n\n[config]\nmodel = \"gpt-4o-mini\"\n\n[variables.ticket]\ntype = \"string\"\n+++\n\n## Task {kind=instructions}\n\nRoute: {{ ticket }}\n",
    );
    g.ok(&["import", g.path("router.md").to_str().unwrap()]);
}

fn with_dataset(g: &Galley) {
    g.write(
        "cases.jsonl",
        concat!(
            r#"{"description": "billing", "vars": {"ticket": "charged twice"}, "assert": [{"type": "contains", "value": "charged twice"}]}"#, "\n",
            r#"{"description": "login", "vars": {"ticket": "cannot log in"}, "assert": [{"type": "icontains", "value": "LOG IN"}]}"#, "\n",
            r#"{"description": "wrong on purpose", "vars": {"ticket": "hello"}, "assert": [{"type": "equals", "value": "goodbye"}]}"#, "\n",
        ),
    );
    g.ok(&[
        "dataset",
        "import",
        "tickets",
        g.path("cases.jsonl").to_str().unwrap(),
    ]);
}

#[test]
fn echo_run_gates_ci_and_writes_junit() {
    let g = Galley::new();
    with_router(&g);
    with_dataset(&g);
    let listed = g.json(&["dataset", "list", "--json"]);
    assert_eq!(listed[0]["cases"], 3);

    let junit = g.path("report.xml");
    let out = g.run(&[
        "eval",
        "run",
        "router",
        "--dataset",
        "tickets",
        "--fail-under",
        "90%",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(
        out.code, 1,
        "2 of 3 pass: under 90% fails the gate\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("pass rate 66.7% is under 90.0%"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("FAIL"), "{}", out.stdout);
    assert!(
        out.stdout.contains("goodbye"),
        "the failure reason quotes the expectation:\n{}",
        out.stdout
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML parses");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(root.attribute("tests"), Some("3"));
    assert_eq!(root.attribute("failures"), Some("1"));
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 1);
    let case = failures[0].parent().unwrap();
    assert_eq!(case.attribute("name"), Some("wrong on purpose"));

    let out = g.run(&[
        "eval",
        "run",
        "router",
        "--dataset",
        "tickets",
        "--fail-under",
        "0.5",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn openai_compatible_provider_against_the_stub_with_retries() {
    let stub = BlockingStubModel::start(
        StubConfig::default()
            .with_faults(1, Fault::rate_limited("0"))
            .with_faults(1, Fault::status(503, "overloaded")),
    );
    let g = Galley::new();
    with_router(&g);
    with_dataset(&g);
    let base = stub.base_url();
    g.ok(&[
        "provider",
        "add",
        "stub",
        "--type",
        "openai",
        "--base-url",
        &base,
        "--model",
        "gpt-4o-mini",
    ]);
    let run = g.json(&[
        "eval",
        "run",
        "router",
        "--dataset",
        "tickets",
        "--provider",
        "stub",
        "--concurrency",
        "2",
        "--json",
    ]);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(
        results.iter().all(|r| r["error"].is_null()),
        "429 and 503 were retried: {results:?}"
    );
    assert_eq!(run["run"]["summary"]["passed"], 2);
    // Usage came from the stub; the price table gives a cost.
    assert!(
        results
            .iter()
            .all(|r| r["input_tokens"].as_u64().unwrap() > 0 && r["tokens_estimated"] == false)
    );
    assert!(run["run"]["summary"]["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(stub.request_count(), 5, "3 answers + 2 retried faults");
    assert!(
        stub.requests()
            .iter()
            .all(|r| r.body["model"] == "gpt-4o-mini")
    );
}

#[test]
fn a_provider_error_on_one_case_does_not_stop_the_run_and_only_failed_reruns_it() {
    let stub = BlockingStubModel::start(
        StubConfig::default().with_faults(1, Fault::status(400, "bad request")),
    );
    let g = Galley::new();
    with_router(&g);
    with_dataset(&g);
    let base = stub.base_url();
    g.ok(&[
        "provider",
        "add",
        "stub",
        "--type",
        "openai",
        "--base-url",
        &base,
        "--model",
        "m",
        "--max-retries",
        "0",
    ]);
    let run = g.json(&[
        "eval",
        "run",
        "router",
        "--dataset",
        "tickets",
        "--provider",
        "stub",
        "--concurrency",
        "1",
        "--json",
    ]);
    let summary = &run["run"]["summary"];
    assert_eq!(summary["total"], 3);
    assert_eq!(summary["errors"], 1, "{run}");
    let error = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| !r["error"].is_null())
        .unwrap();
    assert!(error["error"].as_str().unwrap().contains("400"), "{error}");

    // Rerun only what failed: the errored case and the failing one.
    let id = run["run"]["id"].as_str().unwrap().to_string();
    let again = g.json(&[
        "eval",
        "run",
        "router",
        "--dataset",
        "tickets",
        "--provider",
        "stub",
        "--only-failed",
        &id,
        "--json",
    ]);
    assert_eq!(again["run"]["summary"]["total"], 2);
    assert_eq!(again["run"]["summary"]["passed"], 1);

    // Compare the two runs.
    let again_id = again["run"]["id"].as_str().unwrap().to_string();
    let cmp = g.json(&["eval", "compare", &id, &again_id, "--json"]);
    let flips = cmp["flips"].as_array().unwrap();
    assert_eq!(flips.len(), 1, "{cmp}");
    assert_eq!(flips[0]["before_pass"], false);
    assert_eq!(flips[0]["after_pass"], true);
}

#[test]
fn anthropic_provider_reports_missing_keys_by_name() {
    let stub = BlockingStubModel::start(StubConfig::default());
    let g = Galley::new();
    with_router(&g);
    with_dataset(&g);
    let base = stub.base_url();
    g.ok(&[
        "provider",
        "add",
        "claude",
        "--type",
        "anthropic",
        "--base-url",
        &base,
        "--model",
        "claude-3-5-haiku",
        "--api-key-env",
        "GALLEY_TEST_NO_SUCH_KEY",
    ]);
    let out = g.run(&["provider", "test", "claude"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("GALLEY_TEST_NO_SUCH_KEY"),
        "{}",
        out.stderr
    );
    assert_eq!(stub.request_count(), 0, "no request without a key");

    let mut cmd = g.command();
    cmd.args(["provider", "test", "claude"])
        .env("GALLEY_TEST_NO_SUCH_KEY", "sk-secret-value");
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("ok"), "{}", out.stdout);
    let recorded = stub.requests();
    assert_eq!(recorded[0].header("x-api-key"), Some("sk-secret-value"));
    // The key is never stored or shown.
    let shown = g.ok(&["provider", "show", "claude"]).stdout;
    assert!(!shown.contains("sk-secret-value"));
    let db = std::fs::read(g.db()).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains("sk-secret-value"));
}

#[test]
fn bad_rows_are_reported_with_their_line_and_nothing_is_imported() {
    let g = Galley::new();
    g.write("bad.jsonl", "{\"vars\": {\"a\": \"1\"}}\nnot json\n{\"vars\": {\"a\": \"2\"}, \"assert\": [{\"type\": \"no-such-assertion\"}]}\n");
    let out = g.run(&[
        "dataset",
        "import",
        "d",
        g.path("bad.jsonl").to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    assert!(out.stderr.contains("line 3"), "{}", out.stderr);
    assert!(
        g.run(&["dataset", "show", "d"]).code != 0,
        "nothing was imported"
    );
    let out = g.ok(&[
        "dataset",
        "import",
        "d",
        g.path("bad.jsonl").to_str().unwrap(),
        "--partial",
    ]);
    assert!(out.stdout.contains("Imported 1 cases"), "{}", out.stdout);
}

#[test]
fn promptfoo_suites_come_over_and_unmapped_assertions_are_named() {
    let g = Galley::new();
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/datasets/promptfooconfig.yaml"
    );
    let out = g.run(&["dataset", "import", "suite", fixture]);
    assert_eq!(
        out.code, 1,
        "the fixture has unsupported assertions: {}",
        out.stdout
    );
    assert!(out.stderr.contains("javascript"), "{}", out.stderr);
    let out = g.ok(&["dataset", "import", "suite", fixture, "--partial"]);
    assert!(out.stdout.contains("skipped"), "{}", out.stdout);
    let shown: Value = g.json(&["dataset", "show", "suite", "--json"]);
    let cases = shown["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    assert!(
        cases
            .iter()
            .all(|c| c["assert"].as_array().is_some_and(|a| !a.is_empty())),
        "defaultTest assertions are appended"
    );
}

#[test]
fn dataset_add_and_export_round_trip() {
    let g = Galley::new();
    g.ok(&["dataset", "new", "d", "-d", "hand written"]);
    g.ok(&[
        "dataset",
        "add",
        "d",
        "--var",
        "ticket=refund please",
        "--assert",
        "icontains:refund",
        "--assert",
        "not-contains:sorry",
        "-d",
        "refunds",
    ]);
    let out = g.run(&["dataset", "add", "d", "--assert", "regex:(unclosed"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("regex"), "{}", out.stderr);
    let jsonl = g.ok(&["dataset", "export", "d"]).stdout;
    let case: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(case["vars"]["ticket"], "refund please");
    assert_eq!(case["assert"][1]["type"], "not-contains");
}

#[test]
fn ctrl_c_cancels_a_run_and_keeps_what_finished() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};

    let stub =
        BlockingStubModel::start(StubConfig::default().with_delay(Duration::from_millis(150)));
    let g = Galley::new();
    with_router(&g);
    let lines: Vec<String> = (0..40)
        .map(|i| format!(r#"{{"description": "case {i}", "vars": {{"ticket": "ticket {i}"}}, "assert": [{{"type": "contains", "value": "ticket {i}"}}]}}"#))
        .collect();
    g.write("many.jsonl", &lines.join("\n"));
    g.ok(&[
        "dataset",
        "import",
        "many",
        g.path("many.jsonl").to_str().unwrap(),
    ]);
    let base = stub.base_url();
    g.ok(&[
        "provider",
        "add",
        "slow",
        "--type",
        "openai",
        "--base-url",
        &base,
        "--model",
        "m",
    ]);

    let mut cmd = g.command();
    cmd.args([
        "eval",
        "run",
        "router",
        "--dataset",
        "many",
        "--provider",
        "slow",
        "--concurrency",
        "2",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    // Let a few cases finish (two at a time, 150 ms each), then interrupt.
    let start = Instant::now();
    while stub.request_count() < 6 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");

    let runs = g.json(&["eval", "list", "--json"]);
    assert_eq!(runs[0]["status"], "cancelled");
    let kept = runs[0]["summary"]["total"].as_u64().unwrap();
    assert!(
        (2..40).contains(&kept),
        "finished results are kept, the rest never ran: {kept}"
    );
    let id = runs[0]["id"].as_str().unwrap().to_string();
    let shown = g.json(&["eval", "show", &id, "--json"]);
    assert_eq!(shown["results"].as_array().unwrap().len() as u64, kept);
}
