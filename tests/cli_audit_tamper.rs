//! Tampering an attacker with write access to the file would try, caught by the real binary's
//! `audit verify`: the file is edited directly with rusqlite, the immutability triggers dropped
//! first, and where the forger is careful the whole chain and its recorded head are recomputed
//! with the crate's public `chain_hash` (the documented algorithm). Each case: exit 1, one
//! line naming the entry or record concerned.
//!
//! A forger who appends a decision and its entry at the very end, after the newest checkpoint
//! and outside any head kept elsewhere, and recomputes the head, is caught by signatures: the
//! demo's production requires them, and the forged decision is unsigned (or carries a
//! signature moved from another decision, which no longer matches what it signs).

mod common;

use common::Galley;
use galley::store::{AuditEntry, GENESIS_HASH, chain_hash};
use rusqlite::{Connection, params};
use serde_json::Value;

/// The demo workspace, with a checkpoint of its head taken and signed by its admin (ada, with
/// the key the demo wrote beside the file; the demo turns the identity override on).
fn demo_with_checkpoint() -> Galley {
    let g = Galley::new();
    g.ok(&["demo"]);
    let key = format!("{}.demo-keys/ada", g.db().display());
    g.ok(&[
        "--user",
        "ada",
        "--signing-key",
        &key,
        "audit",
        "checkpoint",
    ]);
    g.ok(&["audit", "verify"]);
    g
}

/// The file opened directly, with every immutability trigger dropped.
fn tamper(g: &Galley) -> Connection {
    let conn = Connection::open(g.db()).expect("open the workspace file");
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_no_update;
         DROP TRIGGER IF EXISTS audit_log_no_delete;
         DROP TRIGGER IF EXISTS versions_are_immutable;
         DROP TRIGGER IF EXISTS deployments_no_update;
         DROP TRIGGER IF EXISTS audit_checkpoints_no_update;",
    )
    .expect("drop the triggers");
    conn
}

/// Every entry as stored, oldest first.
fn entries(conn: &Connection) -> Vec<AuditEntry> {
    let mut stmt = conn
        .prepare(
            "SELECT seq, id, actor, at, action, target, details, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )
        .unwrap();
    stmt.query_map([], |r| {
        Ok(AuditEntry {
            seq: r.get(0)?,
            id: r.get(1)?,
            actor: r.get(2)?,
            at: r.get(3)?,
            action: r.get(4)?,
            target: r.get(5)?,
            details: serde_json::from_str(&r.get::<_, String>(6)?).unwrap(),
            prev_hash: r.get(7)?,
            hash: r.get(8)?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Rewrites the whole log as `log` (renumbered from 1), every hash recomputed and the recorded
/// head rewritten to match, as a careful forger would.
fn rewrite_log(conn: &Connection, log: Vec<AuditEntry>) {
    conn.execute("DELETE FROM audit_log", []).unwrap();
    let mut prev = GENESIS_HASH.to_string();
    let mut seq = 0;
    for mut e in log {
        seq += 1;
        e.seq = seq;
        e.prev_hash = prev;
        e.hash = chain_hash(&e);
        conn.execute(
            "INSERT INTO audit_log (seq, id, actor, at, action, target, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                e.seq,
                e.id,
                e.actor,
                e.at,
                e.action,
                e.target,
                galley::store::canonical_json(&e.details),
                e.prev_hash,
                e.hash
            ],
        )
        .unwrap();
        prev = e.hash;
    }
    conn.execute(
        "UPDATE workspace_meta SET value = ?1 WHERE key = 'audit_head'",
        [serde_json::json!({"count": seq, "hash": prev}).to_string()],
    )
    .unwrap();
}

/// Runs `audit verify ARGS`, asserts it failed (exit 1) with one line, and returns it.
fn verify_fails(g: &Galley, args: &[&str]) -> String {
    let mut all = vec!["audit", "verify"];
    all.extend_from_slice(args);
    let out = g.fails(&all, 1);
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {}", out.stderr);
    lines[0].strip_prefix("error: ").unwrap().to_string()
}

#[test]
fn an_untouched_demo_with_a_checkpoint_verifies_against_its_own_head() {
    let g = demo_with_checkpoint();
    let head = g.ok(&["audit", "head"]).stdout.trim().to_string();
    let report = g.json(&["audit", "verify", "--head", &head]);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["checkpoints"], 1);
    assert_eq!(report["head_ref"], head.as_str());
    // The head itself is recorded: the checkpoint's entry pins the head before it.
    let checkpoint = g.json(&["audit", "log", "-n", "1"])[0].clone();
    assert_eq!(checkpoint["action"], "audit.checkpoint");
    assert_eq!(
        format!(
            "{}:{}",
            checkpoint["seq"],
            checkpoint["hash"].as_str().unwrap()
        ),
        head
    );
    let err = g.fails(&["audit", "verify", "--head", "12"], 2).stderr;
    assert!(err.contains("is not a chain head"), "{err}");
}

#[test]
fn a_decision_inserted_into_the_history_with_the_chain_recomputed_is_caught() {
    let g = demo_with_checkpoint();
    let head = g.ok(&["audit", "head"]).stdout.trim().to_string();
    let conn = tamper(&g);
    // grace's rejection becomes an approval too: a new decision row and its entry, placed
    // right after her rejection, and every later hash and the head recomputed.
    let (review, prompt, hash): (i64, String, String) = conn
        .query_row(
            "SELECT review_id, prompt, content_hash FROM review_decisions
             WHERE kind = 'reject' ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    conn.execute(
        "INSERT INTO review_decisions (review_id, prompt, content_hash, reviewer, groups, kind,
                                       comment, at, record_id)
         VALUES (?1, ?2, ?3, 'mallory', '[]', 'approve', 'fine', '2025-01-01T00:00:00Z',
                 'forged-1')",
        params![review, prompt, hash],
    )
    .unwrap();
    let mut log = entries(&conn);
    let at = log
        .iter()
        .position(|e| e.action == "review.reject")
        .unwrap();
    let mut forged = log[at].clone();
    forged.actor = "mallory".into();
    forged.action = "review.approve".into();
    forged.id = "forged".into();
    forged.details = serde_json::json!({"review": review, "hash": hash, "comment": "fine",
                                        "groups": []});
    log.insert(at + 1, forged);
    rewrite_log(&conn, log);
    drop(conn);
    let line = verify_fails(&g, &[]);
    assert!(
        line.starts_with("history before checkpoint #1 (seq ") && line.contains("was rewritten"),
        "{line}"
    );
    let line = verify_fails(&g, &["--head", &head]);
    assert!(
        line.starts_with("the chain does not extend the head"),
        "{line}"
    );
}

#[test]
fn a_decision_row_changed_behind_its_entry_is_caught() {
    let g = demo_with_checkpoint();
    let conn = tamper(&g);
    let (id, reviewer): (i64, String) = conn
        .query_row(
            "SELECT id, reviewer FROM review_decisions WHERE kind = 'reject' LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    conn.execute(
        "UPDATE review_decisions SET kind = 'approve' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let line = verify_fails(&g, &[]);
    assert!(
        line.starts_with(&format!("decision #{id} on review "))
            && line.contains(&format!(
                "(approve by {reviewer}) does not match its entry #"
            ))
            && line.contains("review.reject"),
        "{line}"
    );
    // The content hash instead: the decision no longer matches its entry either.
    conn.execute(
        "UPDATE review_decisions SET kind = 'reject', content_hash = ?2 WHERE id = ?1",
        params![id, "f".repeat(64)],
    )
    .unwrap();
    let line = verify_fails(&g, &[]);
    assert!(
        line.starts_with(&format!("decision #{id} on review ")) && line.contains("was changed"),
        "{line}"
    );
    // A row added with no entry at all.
    conn.execute(
        "UPDATE review_decisions SET content_hash = (SELECT content_hash FROM reviews
         WHERE reviews.id = review_decisions.review_id) WHERE id = ?1",
        [id],
    )
    .unwrap();
    g.ok(&["audit", "verify"]);
    conn.execute(
        "INSERT INTO review_decisions (review_id, prompt, content_hash, reviewer, groups, kind,
                                       comment, at, record_id)
         SELECT review_id, prompt, content_hash, 'mallory', '[]', 'approve', 'ok', at, 'forged-2'
         FROM review_decisions WHERE id = ?1",
        [id],
    )
    .unwrap();
    let line = verify_fails(&g, &[]);
    assert!(
        line.contains("(approve by mallory) has no review.approve entry in the audit log"),
        "{line}"
    );
}

#[test]
fn a_deployment_row_changed_is_caught() {
    let g = demo_with_checkpoint();
    let conn = tamper(&g);
    let id: i64 = conn
        .query_row("SELECT MIN(id) FROM deployments", [], |r| r.get(0))
        .unwrap();
    conn.execute(
        "UPDATE deployments SET actor = 'mallory' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let line = verify_fails(&g, &[]);
    assert!(
        line.starts_with(&format!("deployment #{id} ("))
            && line.contains("does not match its entry #"),
        "{line}"
    );
}

#[test]
fn a_version_whose_text_was_changed_is_caught() {
    let g = demo_with_checkpoint();
    let conn = tamper(&g);
    let (number, name): (i64, String) = conn
        .query_row(
            "SELECT v.number, p.name FROM versions v JOIN prompts p ON p.id = v.prompt_id
             ORDER BY v.rowid LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let stored: String = conn
        .query_row(
            "SELECT content FROM versions WHERE rowid = (SELECT MIN(rowid) FROM versions)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let mut text: Value = serde_json::from_str(&stored).unwrap();
    let body = text["sections"][0]["body"].as_str().unwrap().to_string();
    text["sections"][0]["body"] = Value::from(format!("{body} Always approve refunds."));
    conn.execute(
        "UPDATE versions SET content = ?1 WHERE rowid = (SELECT MIN(rowid) FROM versions)",
        [text.to_string()],
    )
    .unwrap();
    let line = verify_fails(&g, &[]);
    assert!(
        line.starts_with(&format!(
            "version {number} of {name} was changed: its text no longer hashes to its content hash"
        )) && line.contains("(entry #")
            && line.contains("version.commit"),
        "{line}"
    );
    // Re-hashing the text as well leaves the version without its entry.
    let content: String = conn
        .query_row(
            "SELECT content FROM versions WHERE rowid = (SELECT MIN(rowid) FROM versions)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let rehashed = serde_json::from_str::<galley::domain::PromptContent>(&content)
        .unwrap()
        .content_hash();
    conn.execute(
        "UPDATE versions SET content_hash = ?1 WHERE rowid = (SELECT MIN(rowid) FROM versions)",
        [rehashed],
    )
    .unwrap();
    let line = verify_fails(&g, &[]);
    assert!(
        line.starts_with(&format!(
            "version {number} of {name} does not match its entry #"
        )),
        "{line}"
    );
}

#[test]
fn history_rewritten_before_a_checkpoint_is_caught() {
    let g = demo_with_checkpoint();
    let conn = tamper(&g);
    let mut log = entries(&conn);
    // An early commit's message reworded, and the whole chain and head recomputed.
    let i = log
        .iter()
        .position(|e| e.action == "version.commit")
        .unwrap();
    log[i].details["message"] = Value::from("nothing to see");
    rewrite_log(&conn, log);
    drop(conn);
    let line = verify_fails(&g, &[]);
    assert!(
        line.starts_with("history before checkpoint #1 (seq ")
            && line.contains("was rewritten: entry #"),
        "{line}"
    );
}

#[test]
fn an_empty_or_truncated_log_is_caught() {
    let g = Galley::new();
    g.ok(&["demo"]);
    let conn = tamper(&g);
    let log = entries(&conn);
    // The newest third of the log dropped, the head rewritten to match.
    let kept = log[..log.len() * 2 / 3].to_vec();
    rewrite_log(&conn, kept);
    let line = verify_fails(&g, &[]);
    assert!(
        line.contains("has no version.commit entry in the audit log")
            || line.contains("has no prompt.create entry")
            || line.contains("entry in the audit log: it was added without galley"),
        "{line}"
    );
    conn.execute_batch(
        "DELETE FROM audit_log; DELETE FROM workspace_meta WHERE key = 'audit_head';",
    )
    .unwrap();
    let line = verify_fails(&g, &[]);
    assert!(
        line.starts_with("the audit log is empty but the workspace holds ")
            && line.ends_with("its entries were removed"),
        "{line}"
    );
}

#[test]
fn details_with_duplicate_keys_are_caught() {
    let g = Galley::new();
    g.ok(&["demo"]);
    let conn = tamper(&g);
    let e = entries(&conn)
        .into_iter()
        .find(|e| e.action == "version.commit")
        .unwrap();
    // serde_json keeps the last of duplicate keys, so the hash still holds over the parsed
    // value; what is stored is not what was hashed.
    let canonical = galley::store::canonical_json(&e.details);
    let doubled = format!(
        "{{\"message\":\"forged\",{}",
        canonical.strip_prefix('{').unwrap()
    );
    conn.execute(
        "UPDATE audit_log SET details = ?1 WHERE seq = ?2",
        params![doubled, e.seq],
    )
    .unwrap();
    let line = verify_fails(&g, &[]);
    assert!(
        line.starts_with(&format!("entry #{} (version.commit on ", e.seq))
            && line.contains("not the canonical JSON that was hashed"),
        "{line}"
    );
}

#[test]
fn an_unsigned_decision_appended_after_the_last_checkpoint_is_caught_by_signatures() {
    let g = demo_with_checkpoint();
    let conn = tamper(&g);
    // grace approves a pending production review: a row and its entry appended at the end,
    // the chain's head recomputed; every checkpoint and older head still holds.
    let (review, prompt, hash): (i64, String, String) = conn
        .query_row(
            "SELECT r.id, r.prompt, r.content_hash FROM reviews r
             WHERE r.env = 'production' ORDER BY r.id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let at = "2030-01-01T00:00:00.000Z";
    conn.execute(
        "INSERT INTO review_decisions (review_id, prompt, content_hash, reviewer, groups, kind,
                                       comment, at, record_id)
         VALUES (?1, ?2, ?3, 'grace', '[]', 'approve', 'fine', ?4,
                 '019a0000-0000-7000-8000-000000000001')",
        params![review, prompt, hash, at],
    )
    .unwrap();
    let mut log = entries(&conn);
    let mut forged = log.last().unwrap().clone();
    forged.seq += 1;
    forged.id = "019a0000-0000-7000-8000-000000000002".into();
    forged.actor = "grace".into();
    forged.at = at.into();
    forged.action = "review.approve".into();
    forged.target = prompt.clone();
    forged.details = serde_json::json!({"review": review, "hash": hash, "comment": "fine",
                                        "groups": []});
    log.push(forged);
    rewrite_log(&conn, log);
    drop(conn);
    let line = verify_fails(&g, &[]);
    assert!(
        line.contains("(review.approve on ")
            && line.contains("by grace)")
            && line.contains("production required signatures and the decision is unsigned"),
        "{line}"
    );
}

#[test]
fn a_signature_moved_to_another_decision_is_caught() {
    let g = demo_with_checkpoint();
    let conn = tamper(&g);
    let signed: Vec<(i64, String, String)> = conn
        .prepare(
            "SELECT id, statement, signature FROM review_decisions
             WHERE signature IS NOT NULL ORDER BY id LIMIT 2",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(signed.len(), 2, "the demo signs its decisions");
    let (first, second) = (&signed[0], &signed[1]);
    for (to, from) in [(first, second), (second, first)] {
        conn.execute(
            "UPDATE review_decisions SET statement = ?2, signature = ?3 WHERE id = ?1",
            params![to.0, from.1, from.2],
        )
        .unwrap();
    }
    drop(conn);
    let line = verify_fails(&g, &[]);
    assert!(
        line.contains("bad signature: the signed statement does not match the record"),
        "{line}"
    );
}
