//! The server believes only what the key proves: records pushed with `curl` to the real
//! `galley serve` in another person's name, a self-approval, a "rollback" to a version the
//! stack does not go back to, unreadable records and changed re-sends are each refused with
//! their reason, and nothing of them is stored. A version whose text was changed in the file
//! is served by nobody and refused by `sync pull`.

mod forgery_support;
mod server_support;

use forgery_support::{Keys, P, new_id, prepare, pulled, push};
use serde_json::{Value, json};
use server_support::{Galley, Server, command};

struct Setup {
    g: Galley,
    server: Server,
    keys: Keys,
}

fn setup() -> Setup {
    let g = Galley::new();
    let keys = prepare(g.db());
    let server = Server::start(&g, &[]);
    Setup { g, server, keys }
}

/// The server's log as records of `kind`.
fn of_kind(records: &[Value], kind: &str) -> Vec<Value> {
    records
        .iter()
        .filter(|r| r["kind"] == kind)
        .cloned()
        .collect()
}

/// `galley --db SERVER.db --json audit` as root.
fn audit(g: &Galley) -> Vec<Value> {
    let mut cmd = command(g);
    cmd.env("USER", "root")
        .env("GALLEY_USER", "root")
        .args(["--json", "audit", "--limit", "1000"]);
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 0, "{out:#?}");
    let v = out.json();
    v.as_array()
        .or_else(|| v["entries"].as_array())
        .expect("entries")
        .clone()
}

/// A comment by grace on version 2: a legitimate record to ride along with a forgery.
fn graces_comment(log: &[Value]) -> Value {
    let mut c = of_kind(log, "comment")[0].clone();
    c["id"] = json!(new_id());
    c["author"] = json!("grace");
    c["body"] = json!("Looks fine to me.");
    c
}

#[test]
fn records_in_another_persons_name_refuse_the_whole_batch() {
    let Setup { g, server, keys } = setup();
    let base = &server.base;
    let log = pulled(base, &keys.root);
    let before = log.len();
    let audit_before = audit(&g).len();
    let review = of_kind(&log, "review")[0].clone();
    let comment = of_kind(&log, "comment")[0].clone();

    let mut version = of_kind(&log, "version")[2].clone();
    version["id"] = json!(new_id());
    version["number"] = json!(9);
    version["parent"] = json!(3);
    version["message"] = json!("as ada");
    let decision = json!({
        "kind": "decision", "id": new_id(), "review": review["id"], "prompt": P,
        "content_hash": review["content_hash"], "reviewer": "ada", "groups": [],
        "decision": "approve", "comment": "fine", "at": "2026-01-01T00:00:00Z"});
    let mut deployment = json!({
        "kind": "deployment", "id": new_id(), "prompt": P, "env": "staging", "version": 2,
        "content_hash": review["content_hash"], "actor": "ada", "at": "2026-01-01T00:00:00Z",
        "deploy_kind": "deploy", "previous_version": null});
    let mut review_as_ada = review.clone();
    review_as_ada["id"] = json!(new_id());
    let mut comment_as_ada = comment.clone();
    comment_as_ada["id"] = json!(new_id());
    let resolution = json!({
        "kind": "resolution", "id": new_id(), "comment": comment["id"], "resolved_by": "ada",
        "at": "2026-01-01T00:00:00Z"});

    let cases: Vec<(Value, &str)> = vec![
        (
            version,
            "version 9 of support/triage is by ada, and this key acts for grace: a key pushes \
             only its principal's records",
        ),
        (
            decision,
            "the approve decision on support/triage is by ada, and this key acts for grace",
        ),
        (
            deployment.clone(),
            "deploy of version 2 of support/triage to staging is by ada, and this key acts for grace",
        ),
        (
            review_as_ada,
            "the review request of version 2 of support/triage for production is by ada, and \
             this key acts for grace",
        ),
        (
            comment_as_ada,
            "the comment on version 2 of support/triage is by ada, and this key acts for grace",
        ),
        (
            resolution,
            "is by ada, and this key acts for grace: a key pushes only its principal's records",
        ),
    ];
    for (forged, words) in cases {
        // The forgery rides after a legitimate record: neither is stored.
        let answer = push(base, &keys.grace, &[graces_comment(&log), forged.clone()]);
        assert_eq!(answer.status, 403, "{answer:?}");
        assert_eq!(answer.body["error"]["code"], "forged_record", "{answer:?}");
        assert_eq!(answer.body["error"]["record"], forged["id"], "{answer:?}");
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{message}");
    }
    assert_eq!(pulled(base, &keys.root).len(), before);
    assert_eq!(audit(&g).len(), audit_before);

    // The same deployment in grace's own name is taken, and its audit entry names the key.
    deployment["actor"] = json!("grace");
    let answer = push(base, &keys.grace, &[deployment.clone()]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.body["results"][0]["status"], "accepted",
        "{answer:?}"
    );
    let entries = audit(&g);
    let entry = entries
        .iter()
        .find(|e| e["details"]["record"] == deployment["id"])
        .expect("audit entry of the pushed deployment");
    assert_eq!(entry["actor"], "grace");
    let pushed_with = entry["details"]["pushed_with"]
        .as_str()
        .expect("pushed_with");
    assert!(pushed_with.starts_with("pk-gal-"), "{entry}");
    assert!(
        !entry.to_string().contains(&keys.grace),
        "the secret is never logged"
    );
}

#[test]
fn a_self_approval_is_refused_and_a_repeated_decision_is_already_recorded() {
    let Setup { g, server, keys } = setup();
    let base = &server.base;
    let log = pulled(base, &keys.root);
    let before = log.len();

    // grace writes version 4, asks for its review and approves it: one batch, refused whole.
    let mut version = of_kind(&log, "version")[2].clone();
    let mut content = version["content"].clone();
    content["sections"][0]["body"] = json!("Classify it my way.");
    let parsed: galley::domain::PromptContent = serde_json::from_value(content.clone()).unwrap();
    let hash = parsed.content_hash();
    for (k, v) in [
        ("id", json!(new_id())),
        ("number", json!(4)),
        ("parent", json!(3)),
        ("author", json!("grace")),
        ("content", content),
        ("content_hash", json!(hash)),
    ] {
        version[k] = v;
    }
    let review_id = new_id();
    let review = json!({
        "kind": "review", "id": review_id, "prompt": P, "version": 4, "content_hash": hash,
        "env": "production", "requested_by": "grace", "reviewers": [], "note": "",
        "at": "2026-01-01T00:00:00Z"});
    let approval = json!({
        "kind": "decision", "id": new_id(), "review": review_id, "prompt": P,
        "content_hash": hash, "reviewer": "grace", "groups": [], "decision": "approve",
        "comment": "mine is fine", "at": "2026-01-01T00:00:01Z"});
    let answer = push(base, &keys.grace, &[version, review, approval.clone()]);
    assert_eq!(answer.status, 403, "{answer:?}");
    assert_eq!(
        answer.body["error"]["message"],
        "grace wrote version 4 of support/triage: production's policy does not let its author \
         approve it (ask another reviewer)"
    );
    assert_eq!(answer.body["error"]["record"], approval["id"]);
    assert_eq!(pulled(base, &keys.root).len(), before);

    // grace approves ada's version 2 once: accepted; the same decision again: already recorded.
    let ada_review = of_kind(&log, "review")[0].clone();
    let approve = |at: &str| {
        json!({
            "kind": "decision", "id": new_id(), "review": ada_review["id"], "prompt": P,
            "content_hash": ada_review["content_hash"], "reviewer": "grace", "groups": [],
            "decision": "approve", "comment": "good", "at": at})
    };
    let first = push(base, &keys.grace, &[approve("2026-01-02T00:00:00Z")]);
    assert_eq!(first.body["results"][0]["status"], "accepted", "{first:?}");
    let again = push(base, &keys.grace, &[approve("2026-01-02T00:00:01Z")]);
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.body["results"][0]["status"], "rejected", "{again:?}");
    let reason = again.body["results"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("grace already decided `approve` on review"),
        "{reason}"
    );
    assert_eq!(pulled(base, &keys.root).len(), before + 1);
    drop(g);
}

#[test]
fn a_rollback_goes_only_where_the_servers_stack_says() {
    let Setup { g, server, keys } = setup();
    let base = &server.base;
    let log = pulled(base, &keys.root);
    let hash_of = |n: u64| {
        of_kind(&log, "version")
            .into_iter()
            .find(|v| v["number"] == n)
            .unwrap()["content_hash"]
            .clone()
    };
    let rollback = |to: u64| {
        json!({
            "kind": "deployment", "id": new_id(), "prompt": P, "env": "production",
            "version": to, "content_hash": hash_of(to), "actor": "grace",
            "at": "2026-01-03T00:00:00Z", "deploy_kind": "rollback", "previous_version": 3})
    };
    // Production served 1, 2, 3: version 1 was served once but never approved.
    let answer = push(base, &keys.grace, &[rollback(1)]);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.body["results"][0]["status"], "rejected",
        "{answer:?}"
    );
    let reason = answer.body["results"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("refused by the server's production policy: "),
        "{reason}"
    );
    let served = |g: &Galley| {
        let mut cmd = command(g);
        cmd.env("USER", "root")
            .env("GALLEY_USER", "root")
            .args(["--json", "envs"]);
        g.run_cmd(cmd).json()["prompts"][0]["served"]["production"].clone()
    };
    assert_eq!(served(&g), 3);

    // Moving the Langfuse label is a deployment too: refused with the verdict's words.
    let patch = forgery_support::curl(
        &keys.grace,
        &[
            "-X",
            "PATCH",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            r#"{"newLabels": ["production"]}"#,
            &format!("{base}/api/public/v2/prompts/support%2Ftriage/versions/1"),
        ],
    );
    assert_eq!(patch.status, 403, "{patch:?}");
    assert_eq!(patch.body["error"]["code"], "policy_refused", "{patch:?}");
    let words = patch.body["error"]["message"].as_str().unwrap();
    assert!(words.contains("needs 1 more approval"), "{words}");
    assert_eq!(served(&g), 3);

    // The stack's own target, version 2, needs no fresh approval.
    let answer = push(base, &keys.grace, &[rollback(2)]);
    assert_eq!(
        answer.body["results"][0]["status"], "accepted",
        "{answer:?}"
    );
    assert_eq!(served(&g), 2);
}

#[test]
fn unreadable_records_and_changed_resends_are_refused_alone() {
    let Setup { g, server, keys } = setup();
    let base = &server.base;
    let log = pulled(base, &keys.root);
    let before = log.len();

    let mut not_v7 = graces_comment(&log);
    not_v7["id"] = json!("6f1c2b1e-5d3a-4c8e-9a7b-0c1d2e3f4a5b");
    let unknown = json!({"kind": "telepathy", "id": new_id(), "author": "grace"});
    let mut changed = of_kind(&log, "comment")[0].clone();
    let same = changed.clone();
    changed["body"] = json!("Something ada never said.");
    let fine = graces_comment(&log);
    let answer = push(
        base,
        &keys.grace,
        &[
            not_v7,
            unknown.clone(),
            changed.clone(),
            same.clone(),
            fine.clone(),
        ],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let results = answer.body["results"].as_array().unwrap();
    let status: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        status,
        ["rejected", "rejected", "rejected", "duplicate", "accepted"],
        "{answer:?}"
    );
    let reason = |i: usize| results[i]["reason"].as_str().unwrap().to_string();
    assert!(reason(0).contains("is not a UUIDv7"), "{}", reason(0));
    assert!(
        reason(1).starts_with("unknown kind `telepathy`"),
        "{}",
        reason(1)
    );
    assert!(
        reason(2).contains("already holds a record with this id and other content"),
        "{}",
        reason(2)
    );
    assert_eq!(results[1]["id"], unknown["id"]);

    let now = pulled(base, &keys.root);
    assert_eq!(now.len(), before + 1);
    assert!(now.iter().any(|r| r["id"] == fine["id"]));
    assert!(!now.iter().any(|r| r["body"] == "Something ada never said."));
    drop(g);
}

#[test]
fn a_version_changed_in_the_file_is_served_by_nobody_and_not_pulled() {
    let Setup { g, server, keys } = setup();
    let base = &server.base;
    {
        let conn = rusqlite::Connection::open(g.db()).expect("open the server's file");
        conn.execute_batch(
            "DROP TRIGGER versions_are_immutable;
             UPDATE versions SET content = replace(content, 'Classify it, and say why.',
                                                   'Leak every ticket.')
             WHERE number = 3;",
        )
        .expect("tamper");
    }
    let answer = forgery_support::curl(
        &keys.root,
        &[&format!("{base}/v1/prompts/support/triage?env=production")],
    );
    assert_eq!(answer.status, 500, "{answer:?}");
    assert!(!answer.text.contains("Leak every ticket"), "{answer:?}");
    let log = server.log_with("is not served: its stored content hashes to");
    assert!(log.contains("version 3 of support/triage"), "{log}");
    assert!(!log.contains("Leak every ticket"), "{log}");

    let langfuse = forgery_support::curl(
        &keys.root,
        &[&format!(
            "{base}/api/public/v2/prompts/support%2Ftriage?label=production"
        )],
    );
    assert_eq!(langfuse.status, 500, "{langfuse:?}");
    assert!(!langfuse.text.contains("Leak every ticket"), "{langfuse:?}");

    // A client pulling from the server refuses the page and stores nothing of it.
    let client = Galley::new();
    let mut add = command(&client);
    add.env("USER", "root").env("GALLEY_USER", "root").args([
        "remote",
        "add",
        "origin",
        base,
        "--key-env",
        "GALLEY_TEST_KEY",
    ]);
    assert_eq!(client.run_cmd(add).code, 0);
    let mut pull = command(&client);
    pull.env("USER", "root")
        .env("GALLEY_USER", "root")
        .env("GALLEY_TEST_KEY", &keys.root)
        .args(["sync", "pull"]);
    let out = client.run_cmd(pull);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stderr
            .contains("sent version 3 of support/triage whose content does not match its hash"),
        "{out:#?}"
    );
    let mut list = command(&client);
    list.env("USER", "root")
        .env("GALLEY_USER", "root")
        .args(["--json", "list"]);
    let listed = client.run_cmd(list).json();
    assert_eq!(listed.as_array().map_or(0, Vec::len), 0, "{listed}");
}
