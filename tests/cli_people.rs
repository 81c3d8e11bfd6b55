//! Users, environments and approval policies, through the real binary (issue 5, part A).

mod common;

use common::{Galley, Out, USER};
use serde_json::{Value, json};

/// Runs `galley --db WS ARGS...` as the real OS account `os_user`, with `GALLEY_USER` set to
/// `as_user` (or unset when `None`).
fn run_as(g: &Galley, os_user: &str, as_user: Option<&str>, args: &[&str]) -> Out {
    let mut cmd = g.command_as(os_user);
    if let Some(u) = as_user {
        cmd.env("GALLEY_USER", u);
    }
    cmd.args(args);
    g.run_cmd(cmd)
}

/// Runs galley as OS account `tester` acting as itself, and asserts it succeeded quietly.
fn ok(g: &Galley, args: &[&str]) -> Out {
    let out = run_as(g, USER, None, args);
    assert_eq!(out.code, 0, "galley {args:?} failed: {out:#?}");
    assert_eq!(out.stderr, "", "galley {args:?} wrote to stderr");
    out
}

/// [`ok`] with `--json`, parsed.
fn json(g: &Galley, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    ok(g, &all).json()
}

/// Runs galley as OS account `tester` and asserts it failed with `code`, saying why.
fn fails(g: &Galley, args: &[&str], code: i32) -> Out {
    let out = run_as(g, USER, None, args);
    assert_eq!(out.code, code, "galley {args:?}: {out:#?}");
    assert!(
        !out.stderr.trim().is_empty(),
        "galley {args:?} failed silently"
    );
    out
}

fn audit_actions(g: &Galley) -> Vec<(String, String, String)> {
    json(g, &["audit", "log", "-n", "0"])
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
                e["target"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn entry(actor: &str, action: &str, target: &str) -> (String, String, String) {
    (actor.into(), action.into(), target.into())
}

#[test]
fn a_new_workspace_has_three_environments_and_a_protected_production() {
    let g = Galley::new();
    ok(&g, &["init"]);
    let envs = json(&g, &["env", "list"]);
    let names: Vec<&str> = envs
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["development", "staging", "production"]);
    assert_eq!(envs[2]["policy"]["min_approvals"], 1);
    assert_eq!(envs[2]["policy"]["allow_self_approval"], false);
    assert_eq!(envs[0]["policy"]["min_approvals"], 0);
    assert_eq!(envs[1]["policy"]["min_approvals"], 0);

    let out = ok(&g, &["env", "list"]);
    assert_eq!(
        out.stdout,
        "ENVIRONMENT  POLICY\n\
         development  open\n\
         staging      open\n\
         production   1 approval, not by the author\n"
    );
    let out = ok(&g, &["policy", "show", "production"]);
    assert_eq!(
        out.stdout,
        "production\n  needs 1 approval\n  the author cannot approve their own version\n  \
         a rejection blocks until a new version\n"
    );
    // Nothing was recorded: no users, an empty log.
    assert_eq!(json(&g, &["user", "list"])["users"], json!([]));
    assert!(audit_actions(&g).is_empty());
}

#[test]
fn the_first_manager_becomes_admin_and_only_admins_manage() {
    let g = Galley::new();
    let out = ok(
        &g,
        &[
            "user",
            "add",
            "bob",
            "--role",
            "reviewer",
            "--group",
            "compliance",
        ],
    );
    assert_eq!(out.stdout, "added bob as reviewer in compliance\n");
    let users = json(&g, &["user", "list"]);
    assert_eq!(users["users"][0]["name"], "bob");
    assert_eq!(users["users"][1]["name"], USER);
    assert_eq!(users["users"][1]["role"], "admin");
    assert_eq!(users["allow_identity_override"], false);

    // bob is a reviewer, not an admin; a stranger is no user at all. Each runs as their own
    // OS account.
    for args in [
        vec!["user", "add", "eve", "--role", "admin"],
        vec!["user", "grant", "bob", "--role", "admin"],
        vec!["user", "revoke", "bob", "--group", "compliance"],
        vec!["user", "override", "off"],
        vec!["env", "add", "qa"],
        vec!["policy", "set", "staging", "--min-approvals", "1"],
    ] {
        for who in ["bob", "stranger"] {
            let out = run_as(&g, who, Some(who), &args);
            assert_eq!(out.code, 1, "{who} {args:?}: {out:#?}");
            assert!(
                out.stderr.contains(&format!("{who} cannot "))
                    && out.stderr.contains("only an admin can (admins: tester)"),
                "{who} {args:?}: {}",
                out.stderr
            );
        }
    }
    // Reading is for everyone.
    assert_eq!(run_as(&g, "bob", Some("bob"), &["env", "list"]).code, 0);

    ok(&g, &["user", "grant", "bob", "--group", "legal"]);
    ok(&g, &["user", "grant", "bob", "--role", "admin"]);
    ok(&g, &["user", "revoke", "bob", "--role", "admin"]);
    ok(&g, &["user", "revoke", "bob", "--group", "compliance"]);
    let bob = &json(&g, &["user", "list"])["users"][0];
    assert_eq!(bob["role"], "author");
    assert_eq!(bob["groups"], json!(["legal"]));
    let out = fails(&g, &["user", "revoke", USER, "--role", "admin"], 1);
    assert!(
        out.stderr.contains("tester is the last admin"),
        "{}",
        out.stderr
    );
    let out = fails(&g, &["user", "add", "bob", "--role", "author"], 1);
    assert!(
        out.stderr.contains("user bob already exists"),
        "{}",
        out.stderr
    );
    let out = fails(&g, &["user", "grant", "nobody", "--role", "reviewer"], 1);
    assert!(out.stderr.contains("no user nobody"), "{}", out.stderr);
    fails(&g, &["user", "add", "x", "--role", "approver"], 2);
    fails(&g, &["user", "grant", "bob"], 2);

    assert_eq!(
        audit_actions(&g),
        [
            entry(USER, "user.add", USER),
            entry(USER, "user.add", "bob"),
            entry(USER, "user.grant", "bob"),
            entry(USER, "user.grant", "bob"),
            entry(USER, "user.revoke", "bob"),
            entry(USER, "user.revoke", "bob"),
        ]
    );
    ok(&g, &["audit", "verify"]);
}

#[test]
fn identity_override_is_refused_once_users_exist_unless_allowed() {
    let g = Galley::new();
    // Before any user exists, anyone may act as anyone.
    assert_eq!(run_as(&g, "alice", Some("bob"), &["list"]).code, 0);
    let out = run_as(
        &g,
        "alice",
        None,
        &["user", "add", "bob", "--role", "reviewer"],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    // Naming yourself is no override.
    assert_eq!(run_as(&g, "alice", Some("alice"), &["list"]).code, 0);

    for args in [vec!["list"], vec!["user", "list"], vec!["init"]] {
        let out = run_as(&g, "alice", Some("bob"), &args);
        assert_eq!(out.code, 1, "{args:?}: {out:#?}");
        assert_eq!(
            out.stderr,
            "error: refusing to act as `bob` (set by --user or GALLEY_USER) from OS account \
             `alice`: this workspace has users and identity override is off; drop \
             --user/GALLEY_USER, or ask an admin to run `galley user override on`\n"
        );
    }
    let mut cmd = g.command_as("alice");
    cmd.args(["--user", "bob", "list"]);
    assert_eq!(g.run_cmd(cmd).code, 1);

    let out = run_as(&g, "alice", None, &["user", "override", "on"]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(run_as(&g, "alice", Some("bob"), &["list"]).code, 0);
    let users = run_as(&g, "alice", Some("bob"), &["--json", "user", "list"]).json();
    assert_eq!(users["allow_identity_override"], true);

    assert_eq!(
        run_as(&g, "alice", None, &["user", "override", "off"]).code,
        0
    );
    assert_eq!(run_as(&g, "alice", Some("bob"), &["list"]).code, 1);

    let actions: Vec<Value> = run_as(&g, "alice", None, &["--json", "audit", "log", "-n", "0"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!([e["actor"], e["action"], e["details"]]))
        .collect();
    assert_eq!(
        actions,
        [
            json!(["alice", "user.add", {"role": "admin", "groups": [], "first_admin": true}]),
            json!(["alice", "user.add", {"role": "reviewer", "groups": []}]),
            json!(["alice", "settings.identity_override", {"on": true}]),
            json!(["alice", "settings.identity_override", {"on": false}]),
        ]
    );
}

#[test]
fn policies_round_trip_and_bad_input_is_refused() {
    let g = Galley::new();
    let set = json(
        &g,
        &[
            "policy",
            "set",
            "production",
            "--min-approvals",
            "2",
            "--require-group",
            "compliance",
            "--require-eval",
            "golden:95%",
            "--rejection-blocks",
            "false",
        ],
    );
    let expected = json!({
        "min_approvals": 2,
        "required_groups": ["compliance"],
        "allow_self_approval": false,
        "require_eval": {"dataset": "golden", "min_pass_rate": 0.95},
        "rejection_blocks": false,
        "require_signatures": false,
    });
    assert_eq!(set["policy"], expected);
    let shown = json(&g, &["policy", "show", "production"]);
    assert_eq!(shown["env"], "production");
    assert_eq!(shown["policy"], expected);
    assert_eq!(
        ok(&g, &["policy", "show", "production"]).stdout,
        "production\n\
         \x20 needs 2 approvals from different reviewers\n\
         \x20 needs an approval from group compliance\n\
         \x20 the author cannot approve their own version\n\
         \x20 needs a passing eval run on dataset golden (>= 95%)\n\
         \x20 a rejection does not block\n"
    );

    // Options not given are kept; a fraction reads as well as a percentage.
    let p = json(
        &g,
        &[
            "policy",
            "set",
            "production",
            "--require-eval",
            "golden:0.8",
            "--allow-self-approval",
        ],
    );
    assert_eq!(p["policy"]["min_approvals"], 2);
    assert_eq!(p["policy"]["allow_self_approval"], true);
    assert_eq!(p["policy"]["require_eval"]["min_pass_rate"], 0.8);
    let p = json(
        &g,
        &[
            "policy",
            "set",
            "production",
            "--no-require-eval",
            "--no-required-groups",
        ],
    );
    assert_eq!(p["policy"]["require_eval"], Value::Null);
    assert_eq!(p["policy"]["required_groups"], json!([]));

    for bad in ["golden", "golden:", ":0.9", "golden:lots", "golden:150"] {
        let out = fails(
            &g,
            &["policy", "set", "production", "--require-eval", bad],
            2,
        );
        assert!(
            out.stderr.contains("DATASET:MIN_PASS_RATE") || out.stderr.contains("at most 100%"),
            "{bad}: {}",
            out.stderr
        );
    }
    fails(
        &g,
        &["policy", "set", "production", "--min-approvals", "-1"],
        2,
    );
    fails(
        &g,
        &["policy", "set", "production", "--rejection-blocks", "maybe"],
        2,
    );
    let out = fails(&g, &["policy", "set", "production"], 1);
    assert!(out.stderr.contains("nothing to change"), "{}", out.stderr);
    let out = fails(&g, &["policy", "show", "prod"], 1);
    assert!(
        out.stderr
            .contains("no environment prod (have: development, staging, production)"),
        "{}",
        out.stderr
    );
    let out = fails(
        &g,
        &[
            "policy",
            "set",
            "production",
            "--require-group",
            "Legal Team",
        ],
        1,
    );
    assert!(out.stderr.contains("invalid group name"), "{}", out.stderr);

    // A new environment is open and comes last.
    let out = ok(&g, &["env", "add", "eu-prod"]);
    assert!(
        out.stdout.starts_with("added environment eu-prod"),
        "{}",
        out.stdout
    );
    fails(&g, &["env", "add", "eu-prod"], 1);
    fails(&g, &["env", "add", "EU"], 1);
    let envs = json(&g, &["env", "list"]);
    assert_eq!(envs[3]["name"], "eu-prod");
    assert_eq!(envs[3]["policy"]["min_approvals"], 0);

    let log: Vec<Value> = json(&g, &["audit", "log", "-n", "0"])
        .as_array()
        .unwrap()
        .clone();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("user.add", USER),
            ("policy.set", "production"),
            ("policy.set", "production"),
            ("policy.set", "production"),
            ("env.add", "eu-prod"),
        ]
    );
    assert_eq!(log[1]["details"]["before"]["min_approvals"], 1);
    assert_eq!(log[1]["details"]["after"], expected);
    ok(&g, &["audit", "verify"]);
}

/// Runs galley as OS account `os_user` with a galley config whose `user.name` is `name`.
fn run_with_config_name(g: &Galley, os_user: &str, name: &str, args: &[&str]) -> Out {
    let config = g.dir().join(format!("config-{os_user}.toml"));
    std::fs::write(&config, format!("[user]\nname = \"{name}\"\n")).expect("config");
    let mut cmd = g.command_as(os_user);
    cmd.env("GALLEY_CONFIG", &config).args(args);
    g.run_cmd(cmd)
}

#[test]
fn a_config_name_acts_only_from_the_account_tied_to_it() {
    let g = Galley::new();
    // ada's config says "lovelace": she becomes the first admin, tied to her account, and
    // keeps acting under that name.
    let out = run_with_config_name(
        &g,
        "ada",
        "lovelace",
        &[
            "user",
            "add",
            "grace",
            "--role",
            "reviewer",
            "--group",
            "compliance",
        ],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    let out = run_with_config_name(
        &g,
        "ada",
        "lovelace",
        &[
            "user",
            "add",
            "torvalds",
            "--role",
            "reviewer",
            "--account",
            "linus",
        ],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    let users = run_with_config_name(&g, "ada", "lovelace", &["--json", "user", "list"]);
    assert_eq!(users.code, 0, "{users:#?}");

    // mallory writes a reviewer's name in her own config: refused, naming the problem.
    for name in ["grace", "lovelace", "torvalds"] {
        let out = run_with_config_name(&g, "mallory", name, &["list"]);
        assert_eq!(out.code, 1, "{name}: {out:#?}");
        assert!(
            out.stderr.contains(&format!(
                "refusing to act as `{name}` (your galley or git config's user.name) from OS \
                 account `mallory`"
            )),
            "{}",
            out.stderr
        );
    }
    // A display name nobody registered is no one's identity to steal: it works as before.
    assert_eq!(
        run_with_config_name(&g, "mallory", "mallory.m", &["list"]).code,
        0
    );
    // linus acts as "torvalds" from his own account; grace as herself.
    assert_eq!(
        run_with_config_name(&g, "linus", "torvalds", &["list"]).code,
        0
    );
    assert_eq!(
        run_with_config_name(&g, "grace", "grace", &["list"]).code,
        0
    );

    let actions: Vec<Value> = run_with_config_name(
        &g,
        "ada",
        "lovelace",
        &["--json", "audit", "log", "-n", "0"],
    )
    .json()
    .as_array()
    .unwrap()
    .iter()
    .map(|e| json!([e["actor"], e["target"], e["details"]["account"]]))
    .collect();
    assert_eq!(
        actions,
        [
            json!(["lovelace", "lovelace", "ada"]),
            json!(["lovelace", "grace", null]),
            json!(["lovelace", "torvalds", "linus"]),
        ]
    );
}
