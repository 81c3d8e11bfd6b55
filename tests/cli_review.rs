//! Reviews and deployments, through the real binary with several users (issue 5).

mod common;

use common::{Galley, json_as as json, ok_as as ok, refused_as as refused};
use serde_json::{Value, json};

fn served(g: &Galley, prompt: &str) -> Value {
    let envs = json(g, "alice", &["envs"]);
    envs["prompts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == prompt)
        .map(|p| p["served"].clone())
        .unwrap_or(Value::Null)
}

fn audit_count(g: &Galley) -> usize {
    json(g, "alice", &["audit", "log", "-n", "0"])
        .as_array()
        .unwrap()
        .len()
}

const P: &str = "support/triage";

/// alice (admin, author), bob (reviewer), carol (reviewer in compliance); production needs one
/// approval not by the author, from compliance.
fn setup(g: &Galley) {
    ok(g, "alice", &["user", "add", "alice", "--role", "admin"]);
    ok(g, "alice", &["user", "add", "bob", "--role", "reviewer"]);
    ok(
        g,
        "alice",
        &[
            "user",
            "add",
            "carol",
            "--role",
            "reviewer",
            "--group",
            "compliance",
        ],
    );
    ok(
        g,
        "alice",
        &[
            "policy",
            "set",
            "production",
            "--require-group",
            "compliance",
        ],
    );
    ok(g, "alice", &["new", P]);
}

#[test]
fn author_request_review_approve_deploy_and_roll_back() {
    let g = Galley::new();
    setup(&g);
    ok(
        &g,
        "alice",
        &["deploy", P, "--version", "1", "--env", "staging"],
    );
    ok(
        &g,
        "alice",
        &["set", P, "1", "--text", "You triage tickets carefully."],
    );
    ok(&g, "alice", &["commit", P, "-m", "be careful"]);

    let review = json(
        &g,
        "alice",
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
            "-m",
            "please",
        ],
    );
    let id = review["id"].as_i64().unwrap().to_string();
    assert_eq!(review["status"], "pending");
    assert_eq!(review["reviewers"], json!(["bob"]));

    // bob sees it among his reviews; the show names the policy and the diff is against nothing.
    let mine = json(&g, "bob", &["review", "list", "--mine"]);
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let show = ok(&g, "bob", &["review", "show", &id]).stdout;
    assert!(
        show.contains("needs an approval from group compliance"),
        "{show}"
    );
    assert!(show.contains("production serves no version yet"), "{show}");

    // alice approves her own version: refused before anything is written.
    let before = audit_count(&g);
    let err = refused(
        &g,
        "alice",
        &["review", "approve", &id, "-m", "lgtm (mine)"],
    );
    assert!(
        err.contains("you wrote version 2 of") && err.contains("does not let its author approve"),
        "{err}"
    );
    assert_eq!(
        audit_count(&g),
        before,
        "a refused self-approval writes nothing"
    );
    let err = refused(
        &g,
        "alice",
        &["deploy", P, "--version", "2", "--env", "production"],
    );
    assert!(err.contains("needs 1 more approval"), "{err}");
    assert!(
        err.contains("needs an approval from group compliance"),
        "{err}"
    );
    assert_eq!(audit_count(&g), before, "a refused deploy writes nothing");
    assert_eq!(served(&g, P)["production"], Value::Null);

    // bob approves: one approval, but no compliance yet.
    ok(&g, "bob", &["review", "approve", &id, "-m", "looks good"]);
    let err = refused(
        &g,
        "alice",
        &["deploy", P, "--version", "2", "--env", "production"],
    );
    assert!(!err.contains("more approval"), "{err}");
    assert!(
        err.contains("needs an approval from group compliance"),
        "{err}"
    );
    assert_eq!(audit_count(&g), before + 1);

    // An author may not decide.
    ok(&g, "alice", &["user", "add", "dave", "--role", "author"]);
    let err = refused(&g, "dave", &["review", "approve", &id, "-m", "me too"]);
    assert!(err.contains("only reviewers and admins"), "{err}");

    // carol (compliance) approves: the deploy goes through.
    let after = json(&g, "carol", &["review", "approve", &id, "-m", "compliant"]);
    assert_eq!(after["status"], "approved");
    assert_eq!(after["verdict"]["allowed"], true);
    let d = json(
        &g,
        "alice",
        &["deploy", P, "--version", "2", "--env", "production"],
    );
    assert_eq!(d["kind"], "deploy");
    assert_eq!(d["previous_version"], Value::Null);
    assert_eq!(
        served(&g, P),
        json!({"development": null, "staging": 1, "production": 2})
    );
    let again = refused(
        &g,
        "alice",
        &["deploy", P, "--version", "2", "--env", "production"],
    );
    assert!(again.contains("already serves version 2"), "{again}");

    // Promote what production serves to staging, then roll staging back.
    let p = json(
        &g,
        "alice",
        &["promote", P, "--from", "production", "--to", "staging"],
    );
    assert_eq!(
        (p["kind"].clone(), p["version"].clone()),
        (json!("promote"), json!(2))
    );
    assert_eq!(p["previous_version"], 1);
    let r = json(&g, "bob", &["rollback", P, "--env", "staging"]);
    assert_eq!(
        (r["kind"].clone(), r["version"].clone()),
        (json!("rollback"), json!(1))
    );
    assert_eq!(
        served(&g, P),
        json!({"development": null, "staging": 1, "production": 2})
    );
    let err = refused(&g, "alice", &["rollback", P, "--env", "production"]);
    assert!(err.contains("nothing to roll back to"), "{err}");
    // Rollbacks undo like a stack: a second one on staging does not swap back to 2.
    let err = refused(&g, "bob", &["rollback", P, "--env", "staging"]);
    assert!(err.contains("nothing to roll back to"), "{err}");

    let history = json(&g, "alice", &["envs", P, "--history"]);
    let kinds: Vec<(&str, &str, u64)> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["env"].as_str().unwrap(),
                d["kind"].as_str().unwrap(),
                d["version"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("staging", "deploy", 1),
            ("production", "deploy", 2),
            ("staging", "promote", 2),
            ("staging", "rollback", 1)
        ]
    );

    // The audit log shows every step, by whom.
    let log = json(&g, "alice", &["audit", "log", "--prompt", P, "-n", "0"]);
    let steps: Vec<(&str, &str)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("alice", "prompt.create"),
            ("alice", "version.commit"),
            ("alice", "deployment.deploy"),
            ("alice", "version.commit"),
            ("alice", "review.request"),
            ("bob", "review.approve"),
            ("carol", "review.approve"),
            ("alice", "deployment.deploy"),
            ("alice", "deployment.promote"),
            ("bob", "deployment.rollback"),
        ]
    );
    let verify = ok(&g, "alice", &["audit", "verify"]);
    assert_eq!(verify.code, 0);
}

#[test]
fn a_rejection_blocks_and_decisions_are_bound_to_content() {
    let g = Galley::new();
    setup(&g);
    let review = json(
        &g,
        "alice",
        &[
            "review",
            "request",
            P,
            "--version",
            "1",
            "--env",
            "production",
        ],
    );
    let id = review["id"].as_i64().unwrap().to_string();
    ok(&g, "carol", &["review", "reject", &id, "-m", "no"]);
    let err = refused(
        &g,
        "alice",
        &["deploy", P, "--version", "1", "--env", "production"],
    );
    assert!(err.contains("rejected by carol"), "{err}");
    let listed = json(&g, "alice", &["review", "list"]);
    assert_eq!(listed[0]["status"], "rejected");

    // A new version is a new content: carol's approval of version 2 does not carry to 1.
    ok(&g, "alice", &["set", P, "1", "--text", "Better."]);
    ok(&g, "alice", &["commit", P, "-m", "fix"]);
    let review = json(
        &g,
        "alice",
        &[
            "review",
            "request",
            P,
            "--version",
            "2",
            "--env",
            "production",
        ],
    );
    let id2 = review["id"].as_i64().unwrap().to_string();
    ok(&g, "carol", &["review", "approve", &id2, "-m", "ok"]);
    ok(
        &g,
        "alice",
        &["deploy", P, "--version", "2", "--env", "production"],
    );
    refused(
        &g,
        "alice",
        &["deploy", P, "--version", "1", "--env", "production"],
    );
    let err = refused(&g, "alice", &["review", "approve", &id, "-m", ""]);
    assert!(err.contains("needs a comment"), "{err}");
    let err = refused(
        &g,
        "alice",
        &["promote", P, "--from", "development", "--to", "staging"],
    );
    assert!(err.contains("nothing to promote"), "{err}");
}
