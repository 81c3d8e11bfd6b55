//! Two workspaces syncing through one real server (on 127.0.0.1:0): they converge, re-sending
//! is a no-op, colliding version numbers follow the conflict rule, and a sync with the server
//! down fails in one line and changes nothing.

mod common;
mod sync_support;

use common::{Galley, json_as, ok_as};
use galley::sync::client::SyncClient;
use galley::sync::wire::{PushRequest, RecordStatus};
use galley::workspace::Workspace;
use serde_json::json;
use sync_support::{World, add_origin, assert_audit_ok, json_on, shared_state, sync_ok, with_key};

const P: &str = "support/triage";

#[test]
fn two_workspaces_converge_through_the_server() {
    let w = World::new();
    let World {
        server,
        server_db,
        keys,
        a,
        b,
        ..
    } = &w;

    // ada authors two versions, deploys v1 to staging and asks bob to review v2 for production.
    ok_as(a, "ada", &["new", P]);
    ok_as(
        a,
        "ada",
        &["set", P, "1", "--text", "Triage tickets carefully."],
    );
    ok_as(a, "ada", &["commit", P, "-m", "be careful"]);
    ok_as(
        a,
        "ada",
        &["deploy", P, "--version", "1", "--env", "staging"],
    );
    ok_as(
        a,
        "ada",
        &["comment", "add", P, "-v", "2", "-m", "is this too strict?"],
    );
    ok_as(
        a,
        "ada",
        &[
            "review",
            "request",
            P,
            "--version",
            "2",
            "--env",
            "production",
            "--reviewer",
            "bob",
        ],
    );
    let out = sync_ok(a, "ada", &keys.ada, &["sync"]);
    assert!(out.contains("pulled 0, pushed 5; up to date"), "{out}");

    // bob pulls, approves, replies and resolves the thread, and pushes.
    let out = sync_ok(b, "bob", &keys.bob, &["sync", "pull"]);
    assert!(out.contains("pulled 5, pushed 0; up to date"), "{out}");
    let reviews = json_as(b, "bob", &["review", "list"]);
    let id = reviews[0]["id"].as_i64().unwrap().to_string();
    ok_as(b, "bob", &["review", "approve", &id, "-m", "fine by me"]);
    let threads = json_as(b, "bob", &["comment", "list", P]);
    let root = threads[0]["id"].as_i64().unwrap().to_string();
    ok_as(
        b,
        "bob",
        &[
            "comment",
            "add",
            P,
            "--reply-to",
            &root,
            "-m",
            "no, it is right",
        ],
    );
    ok_as(b, "bob", &["comment", "resolve", &root]);
    let out = sync_ok(b, "bob", &keys.bob, &["sync", "push"]);
    assert!(out.contains("pushed 3"), "{out}");

    // ada pulls the approval, deploys v2 to production; the server re-checks and accepts.
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    ok_as(
        a,
        "ada",
        &["deploy", P, "--version", "2", "--env", "production"],
    );
    let out = sync_ok(a, "ada", &keys.ada, &["sync"]);
    assert!(out.contains("pushed 1"), "{out}");
    sync_ok(b, "bob", &keys.bob, &["sync"]);

    // Everything agrees: versions and hashes, reviews and decisions, environments.
    let state_a = shared_state(a.db(), "ada", &[P]);
    assert_eq!(
        state_a["envs"]["prompts"][0]["served"],
        json!({"development": null, "staging": 1, "production": 2})
    );
    assert_eq!(state_a, shared_state(b.db(), "bob", &[P]));
    assert_eq!(state_a, shared_state(server_db, "root", &[P]));
    assert_eq!(
        json_on(a.db(), "ada", &["envs"]),
        json_on(b.db(), "bob", &["envs"])
    );
    let threads_a = json_as(a, "ada", &["comment", "list", P]);
    assert_eq!(threads_a[0]["replies"][0]["body"], "no, it is right");
    assert_eq!(threads_a[0]["resolved_by"], "bob");
    w.assert_audits_ok();

    // Nothing new: a sync moves nothing, both ways.
    let out = sync_ok(a, "ada", &keys.ada, &["sync"]);
    assert!(out.contains("pulled 0, pushed 0; up to date"), "{out}");
    let status = json_as(b, "bob", &["sync", "status"]);
    assert_eq!(
        (status[0]["ahead"].as_i64(), status[0]["behind"].as_i64()),
        (Some(0), Some(0))
    );
    assert!(status[0]["last_sync"].is_string() && status[0]["last_error"].is_null());

    // Re-sending every record the server holds is a no-op: all duplicates, same log.
    let server_ws = Workspace::open(server_db, "root").unwrap();
    let page = server_ws.pull_page(0, 500).unwrap();
    let records: Vec<_> = page.records.into_iter().map(|p| p.record).collect();
    assert_eq!(records.len(), 9);
    let client = SyncClient::new("origin", &server.url, "K", &keys.ada).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reply = runtime
        .block_on(client.push(&PushRequest { records }))
        .unwrap();
    assert!(
        reply
            .results
            .iter()
            .all(|r| r.status == RecordStatus::Duplicate),
        "{reply:?}"
    );
    assert_eq!(reply.head, page.head);
    assert_eq!(server_ws.pull_page(0, 500).unwrap().head, page.head);
    assert_eq!(state_a, shared_state(server_db, "root", &[P]));
    assert_audit_ok(server_db, "root");
}

#[test]
fn colliding_version_numbers_renumber_the_unpushed_one() {
    let w = World::new();
    let World {
        server_db,
        keys,
        a,
        b,
        ..
    } = &w;
    ok_as(a, "ada", &["new", P]);
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    sync_ok(b, "bob", &keys.bob, &["sync"]);

    // Both commit a version 2 offline; ada shares hers first.
    ok_as(a, "ada", &["set", P, "1", "--text", "ada's take"]);
    ok_as(a, "ada", &["commit", P, "-m", "ada"]);
    ok_as(b, "bob", &["set", P, "1", "--text", "bob's take"]);
    ok_as(b, "bob", &["commit", P, "-m", "bob"]);
    ok_as(
        b,
        "bob",
        &["deploy", P, "--version", "2", "--env", "staging"],
    );
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    let bobs = json_as(b, "bob", &["log", P])["versions"][0].clone();

    // A push alone is put off with a way forward, and nothing is lost.
    let out = with_key(b, "bob", &keys.bob, &["sync", "push"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stdout.contains("not yet: version 2 of support/triage: the server already has another version 2 (by ada): pull first"),
        "{out:#?}"
    );
    assert!(out.stderr.contains("run `galley sync` again"), "{out:#?}");

    // A sync pulls first: bob's version 2 becomes 3 (his deployment follows), then it is pushed.
    let out = sync_ok(b, "bob", &keys.bob, &["sync"]);
    assert!(
        out.contains("renumbered: support/triage: your unpushed version 2 is now version 3 (remote `origin` already has a version 2 by ada); push to share it"),
        "{out}"
    );
    let log = json_as(b, "bob", &["log", P]);
    assert_eq!(log["versions"][0]["number"], 3);
    assert_eq!(log["versions"][0]["content_hash"], bobs["content_hash"]);
    assert_eq!(log["versions"][1]["author"], "ada");
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    let state = shared_state(a.db(), "ada", &[P]);
    assert_eq!(state, shared_state(b.db(), "bob", &[P]));
    assert_eq!(state, shared_state(server_db, "root", &[P]));
    assert_eq!(
        state["envs"]["prompts"][0]["served"]["staging"], 3,
        "{state}"
    );
    w.assert_audits_ok();
}

#[test]
fn with_the_server_down_a_sync_fails_in_one_line_and_changes_nothing() {
    let a = &Galley::new();
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    add_origin(a, "ada", &format!("http://127.0.0.1:{port}"));
    ok_as(a, "ada", &["new", P]);
    let before = (
        json_as(a, "ada", &["log", P]),
        json_as(a, "ada", &["audit", "log", "-n", "0"]),
        json_as(a, "ada", &["envs"]),
    );
    for args in [&["sync"][..], &["sync", "push"], &["sync", "pull"]] {
        let out = with_key(a, "ada", "sk-whatever", args);
        assert_eq!(out.code, 1, "{out:#?}");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{out:#?}");
        assert!(
            lines[0].starts_with("error: cannot reach remote `origin` at http://127.0.0.1:"),
            "{out:#?}"
        );
        assert!(lines[0].contains("sync again when it is up"), "{out:#?}");
    }
    let after = (
        json_as(a, "ada", &["log", P]),
        json_as(a, "ada", &["audit", "log", "-n", "0"]),
        json_as(a, "ada", &["envs"]),
    );
    assert_eq!(before, after);
    let status = json_as(a, "ada", &["sync", "status"]);
    assert_eq!(status[0]["ahead"], 1);
    assert!(
        status[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("cannot reach"),
        "{status}"
    );
    assert!(status[0]["last_sync"].is_null());
    // Without the key's variable, the sync says which variable to set.
    let mut cmd = a.command_as("ada");
    cmd.args(["sync"]);
    let out = a.run_cmd(cmd);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("environment variable GALLEY_TEST_KEY is not set"),
        "{out:#?}"
    );
}

#[test]
fn datasets_and_eval_summaries_travel_too() {
    let w = World::new();
    let World { keys, a, b, .. } = &w;
    for g in [a, b] {
        g.write(
            "router.md",
            "+++\nname = \"router\"\ntype = \"text\"\nheadings = false\n\n[variables.ticket]\ntype = \"string\"\n+++\n\n## Task {kind=instructions}\n\nRoute: {{ ticket }}\n",
        );
        g.write(
            "cases.jsonl",
            "{\"vars\": {\"ticket\": \"charged twice\"}, \"assert\": [{\"type\": \"contains\", \"value\": \"charged\"}]}\n",
        );
    }
    let path = |g: &Galley, f: &str| g.path(f).to_str().unwrap().to_string();
    ok_as(a, "ada", &["import", &path(a, "router.md")]);
    ok_as(
        a,
        "ada",
        &["dataset", "import", "tickets", &path(a, "cases.jsonl")],
    );
    ok_as(a, "ada", &["eval", "run", "router", "--dataset", "tickets"]);
    // bob makes his own dataset of the same name offline: his version 1 moves to 2.
    ok_as(
        b,
        "bob",
        &["dataset", "import", "tickets", &path(b, "cases.jsonl")],
    );
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    let out = sync_ok(b, "bob", &keys.bob, &["sync"]);
    assert!(
        out.contains("renumbered: dataset tickets: your unpushed version 1 is now version 2"),
        "{out}"
    );
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    let datasets = json_as(a, "ada", &["dataset", "list"]);
    assert_eq!(datasets, json_as(b, "bob", &["dataset", "list"]));
    assert_eq!(datasets[0]["version"], 2, "{datasets}");
    let runs = json_as(a, "ada", &["eval", "list"]);
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs}");
    assert_eq!(runs, json_as(b, "bob", &["eval", "list"]));
    w.assert_audits_ok();
}

#[test]
fn a_server_whose_file_was_replaced_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first.db"), dir.path().join("second.db"));
    let keys = sync_support::prepare_server(&first);
    let server = sync_support::Server::start(&first);
    let a = &Galley::new();
    add_origin(a, "ada", &server.url);
    ok_as(a, "ada", &["new", P]);
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    let addr = server.url.trim_start_matches("http://").to_string();
    drop(server);
    // Another file behind the same address: its keys are new, its log is empty.
    let keys = sync_support::prepare_server(&second);
    let config = galley::server::ServeConfig::new(second.clone());
    let _server = sync_support::Server::start_at(config, &addr);
    let out = with_key(a, "ada", &keys.ada, &["sync"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stderr.contains(
            "holds fewer records (0) than this workspace already pulled from it (1): was the server's file replaced?"
        ),
        "{out:#?}"
    );
}

#[test]
fn concurrent_deployments_are_ordered_by_the_server_everywhere() {
    let w = World::new();
    let World { keys, a, b, .. } = &w;
    ok_as(a, "ada", &["new", P]);
    for text in ["two", "three"] {
        ok_as(a, "ada", &["set", P, "1", "--text", text]);
        ok_as(a, "ada", &["commit", P, "-m", text]);
    }
    ok_as(
        a,
        "ada",
        &["deploy", P, "--version", "1", "--env", "staging"],
    );
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    sync_ok(b, "bob", &keys.bob, &["sync"]);
    // Offline, bob deploys 2 and ada deploys 3; ada shares first, so the server has 1, 3, 2,
    // while bob applied 1, 2 and then pulls 3.
    ok_as(
        b,
        "bob",
        &["deploy", P, "--version", "2", "--env", "staging"],
    );
    ok_as(
        a,
        "ada",
        &["deploy", P, "--version", "3", "--env", "staging"],
    );
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    sync_ok(b, "bob", &keys.bob, &["sync"]);
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    let history = |g: &Galley, user: &str| -> Vec<serde_json::Value> {
        json_as(g, user, &["envs", P, "--history"])
            .as_array()
            .unwrap()
            .iter()
            .map(|d| json!([d["env"], d["version"], d["actor"]]))
            .collect()
    };
    let expected = vec![
        json!(["staging", 1, "ada"]),
        json!(["staging", 3, "ada"]),
        json!(["staging", 2, "bob"]),
    ];
    assert_eq!(history(a, "ada"), expected);
    assert_eq!(history(b, "bob"), expected);
    assert_eq!(
        json_on(a.db(), "ada", &["envs"]),
        json_on(b.db(), "bob", &["envs"])
    );
    // A rollback walks the same stack on both sides: back to 3.
    ok_as(b, "bob", &["rollback", P, "--env", "staging"]);
    assert_eq!(
        json_as(b, "bob", &["envs"])["prompts"][0]["served"]["staging"],
        3
    );
}
