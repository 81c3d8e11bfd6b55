//! The server is the authority: it refuses a decision not signed by its reviewer's key and a
//! deployment its own policy does not allow, with reasons the client shows one per line; the
//! client keeps the refused records, stops sending them, and stops counting the refused
//! deployment, so it agrees with the server on what each environment serves.

mod common;
mod sync_support;

use common::{json_as, ok_as};
use sync_support::{World, json_on, sync_ok, with_key};

const P: &str = "support/triage";

#[test]
fn a_forged_approval_and_the_deployment_it_allowed_are_refused() {
    let w = World::new();
    let World {
        server_db, keys, a, ..
    } = &w;

    // ada's own workspace has no users: she can write an approval in bob's name and deploy on it.
    ok_as(a, "ada", &["new", P]);
    let review = json_as(
        a,
        "ada",
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
    ok_as(a, "bob", &["review", "approve", &id, "-m", "trust me"]);
    ok_as(
        a,
        "ada",
        &["deploy", P, "--version", "1", "--env", "production"],
    );
    ok_as(
        a,
        "ada",
        &["deploy", P, "--version", "1", "--env", "staging"],
    );
    assert_eq!(
        json_as(a, "ada", &["envs"])["prompts"][0]["served"]["production"],
        1
    );

    let out = with_key(a, "ada", &keys.ada, &["sync"]);
    assert_eq!(out.code, 1, "{out:#?}");
    let rejected: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("rejected: "))
        .collect();
    assert_eq!(
        rejected,
        [
            "rejected: approve by bob on support/triage: the approve decision on support/triage is by bob, and this key acts for ada: a key pushes only its principal's records",
            "rejected: deploy of version 1 of support/triage to production: refused by the server's production policy: needs 1 more approval",
        ],
        "{out:#?}"
    );
    assert!(out.stdout.contains("pushed 3; up to date"), "{out:#?}");
    assert_eq!(
        out.stderr.trim(),
        "error: 2 record(s) refused by origin (kept here, not sent again; see `galley sync status`)"
    );

    // The server holds the review and the staging deployment, not the approval nor production.
    let on_server = json_on(server_db, "root", &["review", "list"]);
    assert_eq!(on_server[0]["decisions"].as_array().unwrap().len(), 0);
    assert_eq!(on_server[0]["status"], "pending");
    let served = |db: &std::path::Path, user: &str| {
        json_on(db, user, &["envs"])["prompts"][0]["served"].clone()
    };
    assert_eq!(
        served(server_db, "root")["production"],
        serde_json::Value::Null
    );
    assert_eq!(served(server_db, "root")["staging"], 1);
    // ada's workspace no longer counts the refused deployment: both agree on every environment.
    assert_eq!(served(a.db(), "ada"), served(server_db, "root"));

    // Refusals are remembered, shown by `sync status`, and not sent again.
    let status = json_as(a, "ada", &["sync", "status"]);
    assert_eq!(
        (status[0]["ahead"].as_i64(), status[0]["rejected"].as_i64()),
        (Some(0), Some(2))
    );
    let text = ok_as(a, "ada", &["sync", "status"]).stdout;
    assert!(text.contains("2 record(s) refused by the remote"), "{text}");
    assert!(text.contains("needs 1 more approval"), "{text}");
    let again = sync_ok(a, "ada", &keys.ada, &["sync"]);
    assert!(again.contains("pulled 0, pushed 0; up to date"), "{again}");

    // bob approves with his own key, through his own workspace; now production is accepted.
    let b = &w.b;
    sync_ok(b, "bob", &keys.bob, &["sync"]);
    let id_b = json_as(b, "bob", &["review", "list"])[0]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    ok_as(b, "bob", &["review", "approve", &id_b, "-m", "really fine"]);
    sync_ok(b, "bob", &keys.bob, &["sync"]);
    sync_ok(a, "ada", &keys.ada, &["sync"]);
    ok_as(
        a,
        "ada",
        &["promote", P, "--from", "staging", "--to", "production"],
    );
    let out = sync_ok(a, "ada", &keys.ada, &["sync"]);
    assert!(out.contains("pushed 1"), "{out}");
    sync_ok(b, "bob", &keys.bob, &["sync"]);
    assert_eq!(served(server_db, "root")["production"], 1);
    assert_eq!(served(a.db(), "ada"), served(server_db, "root"));
    assert_eq!(served(b.db(), "bob"), served(server_db, "root"));
    w.assert_audits_ok();
}

#[test]
fn keys_are_checked_before_anything_is_exchanged() {
    let w = World::new();
    let World {
        server_db, keys, a, ..
    } = &w;
    ok_as(a, "ada", &["new", P]);

    // A production read key may neither push nor pull the whole log.
    for args in [&["sync", "push"][..], &["sync", "pull"]] {
        let out = with_key(a, "ada", &keys.reader, args);
        assert_eq!(out.code, 1, "{out:#?}");
        assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
        assert!(
            out.stderr
                .starts_with("error: remote `origin` refused the key in GALLEY_TEST_KEY:"),
            "{out:#?}"
        );
    }
    let out = with_key(a, "ada", "sk-gal-not-a-key", &["sync"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stderr.contains("refused the key in GALLEY_TEST_KEY"),
        "{out:#?}"
    );
    assert_eq!(
        json_on(server_db, "root", &["list"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let status = json_as(a, "ada", &["sync", "status"]);
    assert_eq!(status[0]["ahead"], 1);
    assert!(
        status[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("refused the key")
    );
}

#[test]
fn a_record_larger_than_the_server_takes_is_refused_alone() {
    let dir = tempfile::tempdir().unwrap();
    let server_db = dir.path().join("server.db");
    let keys = sync_support::prepare_server(&server_db);
    let mut config = galley::server::ServeConfig::new(server_db.clone());
    config.body_limit = 64 * 1024;
    let server = sync_support::Server::start_with(config);
    let a = &common::Galley::new();
    sync_support::add_origin(a, "ada", &server.url);
    for name in ["a/first", "b/huge", "c/last"] {
        ok_as(a, "ada", &["new", name]);
    }
    let huge = "word ".repeat(20_000);
    ok_as(a, "ada", &["set", "b/huge", "1", "--text", &huge]);
    ok_as(a, "ada", &["commit", "b/huge", "-m", "long"]);
    let out = with_key(a, "ada", &keys.ada, &["sync", "push"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stdout
            .contains("rejected: version 2 of b/huge: too large for the server"),
        "{out:#?}"
    );
    assert!(out.stdout.contains("pushed 3"), "{out:#?}");
    let listed = json_on(&server_db, "root", &["list"]);
    assert_eq!(listed.as_array().unwrap().len(), 3);
    let status = json_as(a, "ada", &["sync", "status"]);
    assert_eq!(
        (status[0]["ahead"].as_i64(), status[0]["rejected"].as_i64()),
        (Some(0), Some(1))
    );
}
