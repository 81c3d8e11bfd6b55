//! The workspace the signed-decision tests share, and the galley calls they make on it.

use std::path::Path;

use serde_json::Value;

use super::{Key, keygen};
use crate::common::{Galley, Out, json_as, ok_as};

pub const P: &str = "support/triage";

/// The workspace of every test: alice registers her own key (the trust root), then bob's and
/// carol's; production requires signatures; alice wrote version 2 and asks bob and carol to
/// review it for production.
pub struct World {
    pub g: Galley,
    pub alice: Key,
    pub bob: Key,
    pub carol: Key,
    pub review: String,
}

pub fn setup() -> World {
    let g = Galley::new();
    ok_as(&g, "alice", &["user", "add", "alice", "--role", "admin"]);
    ok_as(
        &g,
        "alice",
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
    ok_as(&g, "alice", &["user", "add", "carol", "--role", "reviewer"]);
    let alice = keygen(&g, "alice", "id_ed25519", &["-t", "ed25519"], "");
    let bob = keygen(&g, "bob", "id_ecdsa", &["-t", "ecdsa", "-b", "256"], "");
    let carol = keygen(&g, "carol", "id_rsa", &["-t", "rsa", "-b", "3072"], "");
    for (user, key) in [("alice", &alice), ("bob", &bob), ("carol", &carol)] {
        ok_as(
            &g,
            "alice",
            &[
                "--signing-key",
                alice.private_str(),
                "user",
                "key",
                "add",
                user,
                "--file",
                key.public_str(),
            ],
        );
    }
    ok_as(
        &g,
        "alice",
        &["policy", "set", "production", "--require-signatures"],
    );
    ok_as(&g, "alice", &["new", P]);
    ok_as(&g, "alice", &["set", P, "1", "--text", "Triage with care."]);
    ok_as(&g, "alice", &["commit", P, "-m", "care"]);
    let review = json_as(
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
            "--reviewer",
            "carol",
            "-m",
            "please",
        ],
    )["id"]
        .as_i64()
        .expect("a review id")
        .to_string();
    World {
        g,
        alice,
        bob,
        carol,
        review,
    }
}

/// Runs galley as `user` with extra environment variables.
pub fn run_env(g: &Galley, user: &str, env: &[(&str, &Path)], args: &[&str]) -> Out {
    let mut cmd = g.command_as(user);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args);
    g.run_cmd(cmd)
}

/// Asserts `out` is a refusal: exit 1 and exactly one `error: ` line on stderr; returns it.
pub fn one_line_refusal(out: &Out, what: &str) -> String {
    assert_eq!(out.code, 1, "{what}: {out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{what}: {}", out.stderr);
    assert!(out.stderr.starts_with("error: "), "{what}: {}", out.stderr);
    out.stderr.trim_end().to_string()
}

pub fn audit_len(g: &Galley) -> usize {
    json_as(g, "alice", &["audit", "log", "-n", "0"])
        .as_array()
        .expect("entries")
        .len()
}

pub fn show(w: &World) -> Value {
    json_as(&w.g, "alice", &["review", "show", &w.review])["review"].clone()
}

/// The review's decisions, oldest first.
pub fn decisions(w: &World) -> Vec<Value> {
    show(w)["decisions"].as_array().expect("decisions").clone()
}

pub fn approve_with_key(w: &World, user: &str, key: &Key, comment: &str) -> Value {
    let args = [
        "--signing-key",
        key.private_str(),
        "review",
        "approve",
        &w.review,
        "-m",
        comment,
    ];
    json_as(&w.g, user, &args)
}

/// Replaces the stored signature of `reviewer`'s decisions with `armored`, editing the file the
/// way anyone who can write it could (the decisions table has no update trigger to drop).
pub fn replace_decision_signature(g: &Galley, reviewer: &str, armored: &str) {
    let conn = rusqlite::Connection::open(g.db()).expect("open the workspace file");
    let changed = conn
        .execute(
            "UPDATE review_decisions SET signature = ?1 WHERE reviewer = ?2",
            rusqlite::params![armored, reviewer],
        )
        .expect("replace the signature");
    assert_eq!(changed, 1, "{reviewer} has one decision");
}
