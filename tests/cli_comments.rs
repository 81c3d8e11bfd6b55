//! Comment threads on versions, through the real binary (issue 5).

mod common;

use common::{Galley, json_as as json, ok_as as ok, refused_as as refused, run_as};
use serde_json::Value;

const P: &str = "support/triage";

/// A prompt with two versions; its first section ("Role") has a one-line body in version 1 and
/// three lines in version 2.
fn setup() -> Galley {
    let g = Galley::new();
    ok(&g, "alice", &["new", P, "--template", "classifier"]);
    ok(&g, "alice", &["set", P, "1", "--text", "one\ntwo\nthree"]);
    ok(&g, "alice", &["commit", P, "-m", "three lines"]);
    g
}

fn audit_actions(g: &Galley) -> Vec<String> {
    json(g, "alice", &["audit", "log", "-n", "0"])
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn threads_are_added_replied_to_listed_and_resolved() {
    let g = setup();
    let c1 = json(
        &g,
        "alice",
        &[
            "comment",
            "add",
            P,
            "--version",
            "2",
            "--section",
            "Role",
            "--line",
            "3",
            "-m",
            "Line three is vague.",
        ],
    );
    assert_eq!(c1["id"], 1);
    assert_eq!(c1["version"], 2);
    assert_eq!(c1["section"], "Role");
    assert_eq!(c1["section_number"], 1);
    assert_eq!(c1["line"], 3);
    assert_eq!(c1["author"], "alice");
    assert_eq!(c1["parent"], Value::Null);

    let c2 = json(
        &g,
        "bob",
        &[
            "comment",
            "add",
            P,
            "--version",
            "1",
            "-m",
            "Whole-version note.",
        ],
    );
    assert_eq!(c2["section"], Value::Null);
    assert_eq!(c2["line"], Value::Null);

    // A reply joins the thread and inherits its anchor; replying to a reply joins the root.
    let r1 = json(
        &g,
        "bob",
        &["comment", "add", P, "--reply-to", "1", "-m", "Agreed."],
    );
    assert_eq!(r1["parent"], 1);
    assert_eq!(r1["version"], 2);
    assert_eq!(r1["line"], 3);
    let r2 = json(
        &g,
        "alice",
        &["comment", "add", P, "--reply-to", "3", "-m", "Will fix."],
    );
    assert_eq!(r2["parent"], 1);

    let threads = json(&g, "alice", &["comment", "list", P]);
    let threads = threads.as_array().unwrap();
    assert_eq!(threads.len(), 2);
    assert_eq!(threads[0]["id"], 1);
    assert_eq!(threads[0]["resolved"], false);
    let replies: Vec<&str> = threads[0]["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["body"].as_str().unwrap())
        .collect();
    assert_eq!(replies, ["Agreed.", "Will fix."]);

    let only_v1 = json(&g, "alice", &["comment", "list", P, "--version", "1"]);
    assert_eq!(only_v1.as_array().unwrap().len(), 1);
    assert_eq!(only_v1[0]["id"], 2);

    // Resolving through a reply resolves its thread.
    let out = ok(&g, "bob", &["comment", "resolve", "4"]);
    assert_eq!(
        out.stdout,
        format!("thread 1 on version 2 of {P} resolved\n")
    );
    let err = refused(&g, "bob", &["comment", "resolve", "1"]);
    assert!(err.contains("already resolved by bob"), "{err}");

    let all = json(&g, "alice", &["comment", "list", P]);
    assert_eq!(all[0]["resolved"], true);
    assert_eq!(all[0]["resolved_by"], "bob");
    let open = json(&g, "alice", &["comment", "list", P, "--unresolved"]);
    assert_eq!(open.as_array().unwrap().len(), 1);
    assert_eq!(open[0]["id"], 2);

    let text = ok(&g, "alice", &["comment", "list", P]).stdout;
    assert!(
        text.contains("#1 version 2, section 1 (Role) line 3 [resolved by bob"),
        "{text}"
    );
    assert!(text.contains("alice: Line three is vague."), "{text}");
    assert!(text.contains("#3 "), "{text}");
    assert!(text.contains("#2 version 1 [open]"), "{text}");

    let actions = audit_actions(&g);
    assert_eq!(actions.iter().filter(|a| *a == "comment.add").count(), 4);
    assert_eq!(
        actions.iter().filter(|a| *a == "comment.resolve").count(),
        1
    );
    assert_eq!(ok(&g, "alice", &["audit", "verify"]).code, 0);
}

#[test]
fn anchors_must_exist_in_that_version() {
    let g = setup();
    let err = refused(
        &g,
        "alice",
        &[
            "comment",
            "add",
            P,
            "--version",
            "2",
            "--section",
            "Nope",
            "-m",
            "x",
        ],
    );
    assert!(err.contains("version 2 of support/triage"), "{err}");
    let err = refused(
        &g,
        "alice",
        &[
            "comment",
            "add",
            P,
            "--version",
            "2",
            "--section",
            "99",
            "-m",
            "x",
        ],
    );
    assert!(err.contains("there is no section 99"), "{err}");
    // Version 1's first section has one line; version 2's has three.
    let err = refused(
        &g,
        "alice",
        &[
            "comment",
            "add",
            P,
            "--version",
            "1",
            "--section",
            "1",
            "--line",
            "3",
            "-m",
            "x",
        ],
    );
    assert!(
        err.contains("there is no line 3 in section 1 (Role) of version 1 of support/triage"),
        "{err}"
    );
    let err = refused(
        &g,
        "alice",
        &["comment", "add", P, "--version", "7", "-m", "x"],
    );
    assert!(err.contains("no version 7"), "{err}");
    let err = refused(&g, "alice", &["comment", "add", P, "-m", "x"]);
    assert!(err.contains("--version"), "{err}");
    let err = refused(
        &g,
        "alice",
        &["comment", "add", P, "--reply-to", "9", "-m", "x"],
    );
    assert!(err.contains("no comment 9"), "{err}");
    let err = refused(&g, "alice", &["comment", "resolve", "9"]);
    assert!(err.contains("no comment 9"), "{err}");
    let err = refused(
        &g,
        "alice",
        &["comment", "add", P, "--version", "1", "-m", "  "],
    );
    assert!(err.contains("needs a text"), "{err}");
    // --line without --section is a usage error.
    let out = run_as(
        &g,
        "alice",
        &[
            "comment",
            "add",
            P,
            "--version",
            "1",
            "--line",
            "1",
            "-m",
            "x",
        ],
    );
    assert_eq!(out.code, 2, "{out:#?}");
    // Nothing was written.
    assert!(!audit_actions(&g).iter().any(|a| a.starts_with("comment.")));
    assert_eq!(
        json(&g, "alice", &["comment", "list", P]),
        Value::Array(vec![])
    );
}

#[test]
fn a_reply_stays_on_its_threads_version_and_anchor() {
    let g = setup();
    ok(
        &g,
        "alice",
        &["comment", "add", P, "--version", "1", "-m", "root"],
    );
    let err = refused(
        &g,
        "bob",
        &[
            "comment",
            "add",
            P,
            "--reply-to",
            "1",
            "--version",
            "2",
            "-m",
            "x",
        ],
    );
    assert!(err.contains("comment 1 is on version 1"), "{err}");
    let err = refused(
        &g,
        "bob",
        &[
            "comment",
            "add",
            P,
            "--reply-to",
            "1",
            "--section",
            "1",
            "-m",
            "x",
        ],
    );
    assert!(err.contains("leave out --section"), "{err}");
    let r = json(
        &g,
        "bob",
        &[
            "comment",
            "add",
            P,
            "--reply-to",
            "1",
            "--version",
            "1",
            "-m",
            "ok",
        ],
    );
    assert_eq!(r["parent"], 1);
}

#[test]
fn the_demo_has_comment_threads() {
    let g = Galley::new();
    g.ok(&["demo"]);
    let threads = g.json(&["comment", "list", "support/triage"]);
    assert_eq!(threads[0]["resolved"], true);
    assert_eq!(threads[0]["replies"].as_array().unwrap().len(), 1);
    let open = g.json(&["comment", "list", "support/agent", "--unresolved"]);
    assert!(!open.as_array().unwrap().is_empty());

    // Deployments in all three environments, and reviews in every state.
    let envs = g.json(&["envs"]);
    let triage = envs["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "support/triage")
        .unwrap()
        .clone();
    assert_eq!(
        triage["served"],
        serde_json::json!({"development": 4, "staging": 4, "production": 3})
    );
    let statuses: Vec<String> = g
        .json(&["review", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect();
    for s in ["approved", "pending", "rejected"] {
        assert!(statuses.iter().any(|x| x == s), "{s} in {statuses:?}");
    }
    let users = g.json(&["user", "list"]);
    assert_eq!(users["users"].as_array().unwrap().len(), 4, "{users}");
    assert_eq!(users["allow_identity_override"], true);

    // Running it again leaves everything alone.
    let before = g
        .json(&["audit", "log", "-n", "0"])
        .as_array()
        .unwrap()
        .len();
    g.ok(&["demo"]);
    let after = g
        .json(&["audit", "log", "-n", "0"])
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after);
}
