//! Who acts is the real uid's account (issue 11, "Identity"): three real OS accounts share one
//! workspace file, and nobody approves as someone else by environment, flag or config.

mod common;

use std::process::Command;

use common::{Galley, Out, json_as, ok_as, refused_as};
use serde_json::Value;

const P: &str = "support/triage";

/// alice (admin, author of versions 1 and 2), bob and carol (reviewers); production keeps its
/// default policy (one approval not by the author). Returns the id of alice's review request
/// for version 2 in production, asked of bob and carol.
fn setup(g: &Galley) -> String {
    ok_as(g, "alice", &["user", "add", "alice", "--role", "admin"]);
    ok_as(g, "alice", &["user", "add", "bob", "--role", "reviewer"]);
    ok_as(g, "alice", &["user", "add", "carol", "--role", "reviewer"]);
    ok_as(g, "alice", &["new", P]);
    ok_as(g, "alice", &["set", P, "1", "--text", "Triage with care."]);
    ok_as(g, "alice", &["commit", P, "-m", "care"]);
    let review = json_as(
        g,
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
            "--reviewer",
            "carol",
            "-m",
            "please",
        ],
    );
    review["id"].as_i64().expect("a review id").to_string()
}

/// Runs a prepared command, `galley ... ARGS`.
fn run(g: &Galley, mut cmd: Command, args: &[&str]) -> Out {
    cmd.args(args);
    g.run_cmd(cmd)
}

/// The review's decisions as (reviewer, kind), oldest first.
fn decisions(g: &Galley, id: &str) -> Vec<(String, String)> {
    json_as(g, "alice", &["review", "show", id])["review"]["decisions"]
        .as_array()
        .expect("decisions")
        .iter()
        .map(|d| {
            (
                d["reviewer"].as_str().unwrap().to_string(),
                d["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The audit trail as (actor, action), oldest first.
fn audit(g: &Galley) -> Vec<(String, String)> {
    json_as(g, "alice", &["audit", "log", "-n", "0"])
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn user_logname_and_username_do_not_change_who_acts() {
    let g = Galley::new();
    let id = setup(&g);
    let before = audit(&g);

    // alice claiming to be bob through the environment is still alice: her own version.
    for var in ["USER", "LOGNAME", "USERNAME"] {
        let mut cmd = g.command_as("alice");
        cmd.env(var, "bob");
        let out = run(&g, cmd, &["review", "approve", &id, "-m", "ok"]);
        assert_eq!(out.code, 1, "{var}=bob: {out:#?}");
        assert!(
            out.stderr.contains("you wrote version 2 of support/triage")
                && out.stderr.contains("does not let its author approve"),
            "{var}=bob: {}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
    assert_eq!(decisions(&g, &id), vec![]);
    assert_eq!(audit(&g), before);

    // carol with all three set to bob records carol's approval, never bob's.
    let mut cmd = g.command_as("carol");
    cmd.env("USER", "bob")
        .env("LOGNAME", "bob")
        .env("USERNAME", "bob");
    let out = run(&g, cmd, &["--json", "review", "approve", &id, "-m", "ok"]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(out.json()["status"], "approved");
    assert_eq!(
        decisions(&g, &id),
        vec![("carol".to_string(), "approve".to_string())]
    );
    let after = audit(&g);
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(
        after.last().unwrap(),
        &("carol".to_string(), "review.approve".to_string())
    );
}

#[test]
fn the_override_by_flag_or_environment_is_refused_naming_both() {
    let g = Galley::new();
    let id = setup(&g);
    let before = audit(&g);
    let expected = "error: refusing to act as `bob` (set by --user or GALLEY_USER) from OS \
                    account `alice`: this workspace has users and identity override is off; \
                    drop --user/GALLEY_USER, or ask an admin to run `galley user override on`\n";

    let flag = refused_as(
        &g,
        "alice",
        &["--user", "bob", "review", "approve", &id, "-m", "ok"],
    );
    assert_eq!(flag, expected);
    let mut cmd = g.command_as("alice");
    cmd.env("GALLEY_USER", "bob");
    let out = run(&g, cmd, &["review", "approve", &id, "-m", "ok"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(out.stderr, expected);

    assert_eq!(decisions(&g, &id), vec![]);
    assert_eq!(audit(&g), before);
}

#[test]
fn a_user_name_in_alices_galley_or_git_config_does_not_make_her_bob() {
    let g = Galley::new();
    let id = setup(&g);
    let before = audit(&g);
    let config = g.write("alice-config.toml", "[user]\nname = \"bob\"\n");
    let gitconfig = g.write("alice-gitconfig", "[user]\n\tname = bob\n");

    let mut galley_config = g.command_as("alice");
    galley_config.env("GALLEY_CONFIG", &config);
    let mut git_config = g.command_as("alice");
    git_config.env("GIT_CONFIG_GLOBAL", &gitconfig);
    for (what, cmd) in [("galley", galley_config), ("git", git_config)] {
        let out = run(&g, cmd, &["review", "approve", &id, "-m", "ok"]);
        assert_eq!(out.code, 1, "{what} config: {out:#?}");
        assert!(
            out.stderr.starts_with(
                "error: refusing to act as `bob` (your galley or git config's user.name) from \
                 OS account `alice`: `bob` is a user of this workspace tied to another account"
            ),
            "{what} config: {}",
            out.stderr
        );
    }
    assert_eq!(decisions(&g, &id), vec![]);
    assert_eq!(audit(&g), before);
}

#[test]
fn self_approval_is_refused_before_anything_is_written() {
    let g = Galley::new();
    let id = setup(&g);
    let before = audit(&g);
    let shown_before = json_as(&g, "alice", &["review", "show", &id]);

    let err = refused_as(&g, "alice", &["review", "approve", &id, "-m", "mine"]);
    assert_eq!(
        err,
        "error: you wrote version 2 of support/triage: production's policy does not let its \
         author approve it (ask another reviewer)\n"
    );
    assert_eq!(json_as(&g, "alice", &["review", "show", &id]), shown_before);
    assert_eq!(shown_before["review"]["decisions"], Value::Array(vec![]));
    assert_eq!(shown_before["review"]["status"], "pending");
    assert_eq!(audit(&g), before);
}

#[test]
fn a_repeated_decision_is_refused_and_a_different_one_replaces_it() {
    let g = Galley::new();
    let id = setup(&g);
    let approved = json_as(&g, "bob", &["review", "approve", &id, "-m", "ok"]);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["verdict"]["allowed"], true);
    let before = audit(&g);

    let err = refused_as(&g, "bob", &["review", "approve", &id, "-m", "ok again"]);
    assert!(
        err.starts_with(&format!(
            "error: you already decided `approve` on review {id} ("
        )) && err.contains("nothing to record"),
        "{err}"
    );
    assert_eq!(audit(&g), before);
    assert_eq!(
        decisions(&g, &id),
        vec![("bob".to_string(), "approve".to_string())]
    );

    // A different decision replaces his approval in the verdict; both stay on record.
    let changed = json_as(
        &g,
        "bob",
        &["review", "request-changes", &id, "-m", "one more thing"],
    );
    assert_eq!(changed["status"], "changes_requested");
    assert_eq!(changed["verdict"]["allowed"], false);
    assert_eq!(
        decisions(&g, &id),
        vec![
            ("bob".to_string(), "approve".to_string()),
            ("bob".to_string(), "request_changes".to_string()),
        ]
    );
    let bobs: Vec<String> = audit(&g)
        .into_iter()
        .filter(|(actor, _)| actor == "bob")
        .map(|(_, action)| action)
        .collect();
    assert_eq!(bobs, ["review.approve", "review.request_changes"]);
    // And production is closed to version 2 again (refused_as asserts exit 1).
    refused_as(
        &g,
        "alice",
        &["deploy", P, "--version", "2", "--env", "production"],
    );
}

#[test]
fn a_uid_with_no_user_database_entry_gets_a_clear_error() {
    let g = Galley::new();
    let lookup = Command::new("getent")
        .args(["passwd", "54321"])
        .output()
        .expect("run getent");
    assert!(
        !lookup.status.success(),
        "uid 54321 has an account here; this test needs one that has none"
    );
    let out = run(&g, g.command_as_uid(54321, 54321), &["list"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(
        out.stderr,
        "error: uid 54321 has no entry in the user database (getpwuid): run galley as a named \
         account\n"
    );
    assert_eq!(out.stdout, "");
    // Nothing that needs no identity is refused.
    let version = run(&g, g.command_as_uid(54321, 54321), &["--version"]);
    assert_eq!(version.code, 0, "{version:#?}");
    assert!(version.stdout.starts_with("galley "), "{version:#?}");
    let help = run(&g, g.command_as_uid(54321, 54321), &["--help"]);
    assert_eq!(help.code, 0, "{help:#?}");
}
