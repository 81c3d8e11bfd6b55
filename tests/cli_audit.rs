//! The tamper-evident audit trail, through the real binary: `audit log`, `audit verify` and
//! `audit export`.
//!
//! The tamper tests edit the SQLite file directly, as someone bypassing galley would: they open
//! it with rusqlite, drop the append-only triggers, then change, delete, reorder or truncate
//! entries, and expect `audit verify` to name the first entry concerned. Hashes are recomputed
//! here from the documented serialisation, independently of galley's code, so the tests also pin
//! the format an archive reader would implement.
//!
//! Out of scope, by design: someone who rewrites entries, recomputes every later hash *and*
//! rewrites the chain head recorded in `workspace_meta` to match. The chain proves the file is
//! consistent with itself; catching that needs the head kept outside the file (an exported
//! archive, a server).

mod common;

use std::collections::BTreeSet;

use common::Galley;
use rusqlite::{Connection, params};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A workspace with history from `galley demo`.
fn demo() -> Galley {
    let g = Galley::new();
    g.ok(&["demo"]);
    g
}

/// Every entry, oldest first, from `audit log --json`.
fn entries(g: &Galley) -> Vec<Value> {
    g.json(&["audit", "log", "-n", "0"])
        .as_array()
        .expect("an array of entries")
        .clone()
}

/// `value` as compact JSON with sorted keys at every depth.
fn canonical(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let fields: Vec<String> = keys
                .into_iter()
                .map(|k| format!("{}:{}", Value::from(k.as_str()), canonical(&map[k])))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", items.join(","))
        }
        scalar => scalar.to_string(),
    }
}

/// The documented entry hash: sha256 of
/// `[seq, id, actor, at, action, target, details, prev_hash]` as compact canonical JSON.
fn entry_hash(e: &Value) -> String {
    let text = format!(
        "[{},{},{},{},{},{},{},{}]",
        e["seq"],
        e["id"],
        e["actor"],
        e["at"],
        e["action"],
        e["target"],
        canonical(&e["details"]),
        e["prev_hash"]
    );
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file opened directly, with the append-only triggers dropped.
fn tamper(g: &Galley) -> Connection {
    let conn = Connection::open(g.db()).expect("open the workspace file");
    conn.execute_batch(
        "DROP TRIGGER IF EXISTS audit_log_no_update;
         DROP TRIGGER IF EXISTS audit_log_no_delete;",
    )
    .expect("drop the triggers");
    conn
}

/// One stored row as JSON, read straight from the file.
fn row(conn: &Connection, seq: i64) -> Value {
    conn.query_row(
        "SELECT seq, id, actor, at, action, target, details, prev_hash, hash
         FROM audit_log WHERE seq = ?1",
        [seq],
        |r| {
            Ok(json!({
                "seq": r.get::<_, i64>(0)?,
                "id": r.get::<_, String>(1)?,
                "actor": r.get::<_, String>(2)?,
                "at": r.get::<_, String>(3)?,
                "action": r.get::<_, String>(4)?,
                "target": r.get::<_, String>(5)?,
                "details": serde_json::from_str::<Value>(&r.get::<_, String>(6)?).unwrap(),
                "prev_hash": r.get::<_, String>(7)?,
                "hash": r.get::<_, String>(8)?,
            }))
        },
    )
    .expect("the row exists")
}

/// Recomputes and stores entry `seq`'s own hash, as a careful forger would.
fn rehash(conn: &Connection, seq: i64) {
    let hash = entry_hash(&row(conn, seq));
    conn.execute(
        "UPDATE audit_log SET hash = ?1 WHERE seq = ?2",
        params![hash, seq],
    )
    .unwrap();
}

/// Runs `audit verify`, asserts it failed with exactly one line, and returns that line.
fn verify_fails(g: &Galley) -> String {
    let out = g.fails(&["audit", "verify"], 1);
    assert_eq!(out.stdout, "", "nothing on stdout when the chain is broken");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {}", out.stderr);
    lines[0]
        .strip_prefix("error: ")
        .unwrap_or_else(|| panic!("an error line: {}", out.stderr))
        .to_string()
}

/// `#12 (version.commit on support/triage by ada)` for an entry.
fn label(e: &Value) -> String {
    format!(
        "#{} ({} on {} by {})",
        e["seq"],
        e["action"].as_str().unwrap(),
        e["target"].as_str().unwrap(),
        e["actor"].as_str().unwrap()
    )
}

/// A version.commit entry in the middle of the log.
fn middle_commit(all: &[Value]) -> Value {
    all.iter()
        .skip(all.len() / 3)
        .find(|e| e["action"] == "version.commit")
        .expect("the demo commits versions")
        .clone()
}

fn seq(e: &Value) -> i64 {
    e["seq"].as_i64().unwrap()
}

#[test]
fn an_untouched_log_verifies() {
    let g = Galley::new();
    g.ok(&["init"]);
    let out = g.ok(&["audit", "verify"]);
    assert_eq!(
        out.stdout,
        format!("audit log intact: 0 entries, head {GENESIS}\n")
    );

    g.ok(&["demo"]);
    let all = entries(&g);
    assert!(all.len() > 20, "the demo has history: {}", all.len());
    let head = all.last().unwrap()["hash"].as_str().unwrap().to_string();
    let out = g.ok(&["audit", "verify"]);
    let (chain, signatures) = out.stdout.split_once('\n').unwrap();
    assert_eq!(
        chain,
        format!("audit log intact: {} entries, head {head}", all.len())
    );
    assert!(
        signatures.starts_with("signatures hold: 4 keys back to the trust root SHA256:"),
        "{signatures}"
    );
    let mut report = g.json(&["audit", "verify"]);
    let signatures = report
        .as_object_mut()
        .unwrap()
        .remove("signatures")
        .unwrap();
    assert_eq!(
        report,
        json!({"ok": true, "entries": all.len(), "head": head, "problem": null,
               "head_seq": all.len(), "head_ref": format!("{}:{head}", all.len()),
               "checkpoints": 0, "external_head": null})
    );
    assert_eq!(signatures["keys"], 4);
    assert_eq!(signatures["problems"], json!([]));
    assert!(signatures["signed"].as_u64().unwrap() > 10, "{signatures}");
}

#[test]
fn the_database_still_refuses_to_change_entries() {
    let g = demo();
    let conn = Connection::open(g.db()).unwrap();
    for sql in [
        "UPDATE audit_log SET actor = 'mallory' WHERE seq = 3",
        "DELETE FROM audit_log WHERE seq = 3",
    ] {
        let err = conn.execute(sql, []).unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn a_changed_entry_is_named() {
    let g = demo();
    let target = middle_commit(&entries(&g));
    let conn = tamper(&g);
    conn.execute(
        "UPDATE audit_log SET details = json_set(details, '$.message', 'nothing to see')
         WHERE seq = ?1",
        [seq(&target)],
    )
    .unwrap();
    assert_eq!(
        verify_fails(&g),
        format!(
            "entry {} was changed: its hash does not match its content",
            label(&target)
        )
    );
    let report = g.run(&["--json", "audit", "verify"]);
    assert_eq!(report.code, 1);
    let report = report.json();
    assert_eq!(report["ok"], false);
    assert_eq!(report["problem"]["kind"], "changed");
    assert_eq!(report["problem"]["seq"], target["seq"]);

    // Changing who did it is caught the same way, and named with the forged actor.
    let g = demo();
    let target = middle_commit(&entries(&g));
    tamper(&g)
        .execute(
            "UPDATE audit_log SET actor = 'mallory' WHERE seq = ?1",
            [seq(&target)],
        )
        .unwrap();
    let mut forged = target.clone();
    forged["actor"] = json!("mallory");
    assert_eq!(
        verify_fails(&g),
        format!(
            "entry {} was changed: its hash does not match its content",
            label(&forged)
        )
    );
}

#[test]
fn a_deleted_entry_is_named() {
    let g = demo();
    let k = seq(&middle_commit(&entries(&g)));
    tamper(&g)
        .execute("DELETE FROM audit_log WHERE seq = ?1", [k])
        .unwrap();
    assert_eq!(
        verify_fails(&g),
        format!(
            "entry #{k} is missing: #{}'s prev_hash does not match #{}'s hash",
            k + 1,
            k - 1
        )
    );

    // The first entry too.
    let g = demo();
    tamper(&g)
        .execute("DELETE FROM audit_log WHERE seq = 1", [])
        .unwrap();
    assert_eq!(
        verify_fails(&g),
        "entry #1 is missing: the log starts at #2"
    );
}

#[test]
fn reordered_entries_are_named() {
    let swap = |g: &Galley, a: i64, b: i64| {
        tamper(g)
            .execute_batch(&format!(
                "UPDATE audit_log SET seq = -1 WHERE seq = {a};
                 UPDATE audit_log SET seq = {a} WHERE seq = {b};
                 UPDATE audit_log SET seq = {b} WHERE seq = -1;"
            ))
            .unwrap();
    };
    let g = demo();
    let k = seq(&middle_commit(&entries(&g)));
    swap(&g, k, k + 1);
    assert_eq!(
        verify_fails(&g),
        format!("entries #{k} and #{} are out of order", k + 1)
    );

    let g = demo();
    swap(&g, 3, 9);
    assert_eq!(verify_fails(&g), "entries #3 and #9 are out of order");
}

#[test]
fn a_truncated_log_is_caught_by_its_recorded_head() {
    let g = demo();
    let all = entries(&g);
    let n = seq(all.last().unwrap());
    tamper(&g)
        .execute("DELETE FROM audit_log WHERE seq = ?1", [n])
        .unwrap();
    // What is left is a perfect chain: only the head recorded on every append shows the loss.
    assert_eq!(
        verify_fails(&g),
        format!(
            "entry #{n} is missing: the log ends at #{} but its recorded head is #{n}",
            n - 1
        )
    );
    // Later writes through galley do not paper over it.
    g.ok(&["new", "after/truncation"]);
    assert_eq!(
        verify_fails(&g),
        format!(
            "entry #{n} is missing: the numbering jumps from #{} to #{}",
            n - 1,
            n + 1
        )
    );

    // Removing the recorded head itself is reported rather than trusted.
    let g = demo();
    Connection::open(g.db())
        .unwrap()
        .execute("DELETE FROM workspace_meta WHERE key = 'audit_head'", [])
        .unwrap();
    assert!(
        verify_fails(&g).contains("head is not recorded"),
        "an unanchored log is not called intact"
    );
}

#[test]
fn a_changed_entry_with_a_recomputed_hash_is_named() {
    let g = demo();
    let target = middle_commit(&entries(&g));
    let k = seq(&target);
    let conn = tamper(&g);
    conn.execute(
        "UPDATE audit_log SET details = json_set(details, '$.message', 'approved by everyone')
         WHERE seq = ?1",
        [k],
    )
    .unwrap();
    rehash(&conn, k);
    assert_eq!(
        entry_hash(&row(&conn, k)),
        row(&conn, k)["hash"],
        "the forged entry is consistent with itself"
    );
    assert_eq!(
        verify_fails(&g),
        format!(
            "entry {} was changed: #{}'s prev_hash does not match its hash",
            label(&target),
            k + 1
        )
    );

    // The newest entry has no successor: the recorded head catches it.
    let g = demo();
    let last = entries(&g).last().unwrap().clone();
    let n = seq(&last);
    let conn = tamper(&g);
    conn.execute("UPDATE audit_log SET details = '{}' WHERE seq = ?1", [n])
        .unwrap();
    rehash(&conn, n);
    assert_eq!(
        verify_fails(&g),
        format!(
            "entry {} was changed: its hash does not match the recorded head",
            label(&last)
        )
    );
}

#[test]
fn audit_log_json_is_the_chain_in_order() {
    let g = demo();
    let all = entries(&g);
    let keys: BTreeSet<&str> = [
        "seq",
        "id",
        "actor",
        "at",
        "action",
        "target",
        "details",
        "prev_hash",
        "hash",
    ]
    .into();
    for (i, e) in all.iter().enumerate() {
        let have: BTreeSet<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(have, keys, "{e}");
        assert_eq!(seq(e), i as i64 + 1, "numbered from 1 without gaps");
        assert_eq!(e["hash"], entry_hash(e), "{e}");
        let prev = if i == 0 {
            GENESIS
        } else {
            all[i - 1]["hash"].as_str().unwrap()
        };
        assert_eq!(e["prev_hash"], prev);
    }
    // The default shows the newest 50; `-n 0` everything; `galley audit` alone is `audit log`.
    assert_eq!(
        g.json(&["audit", "log"]).as_array().unwrap().len(),
        50.min(all.len())
    );
    assert_eq!(
        g.json(&["audit", "-n", "3"]),
        Value::Array(all[all.len() - 3..].to_vec())
    );
    let human = g.ok(&["audit", "log", "-n", "2"]).stdout;
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(lines.len(), 3, "{human}");
    let last = all.last().unwrap();
    assert!(
        lines[2].contains(&last["hash"].as_str().unwrap()[..10]),
        "{human}"
    );
}

#[test]
fn audit_log_filters_by_prompt_and_time() {
    let g = demo();
    let all = entries(&g);

    let triage = g.json(&["audit", "log", "--prompt", "support/triage", "-n", "0"]);
    let want: Vec<&Value> = all
        .iter()
        .filter(|e| e["target"] == "support/triage")
        .collect();
    assert!(want.len() > 3);
    assert_eq!(triage.as_array().unwrap().iter().collect::<Vec<_>>(), want);
    // The positional form filters the same way.
    assert_eq!(g.json(&["audit", "support/triage", "-n", "0"]), triage);
    let err = g.fails(&["audit", "log", "--prompt", "no/such"], 1);
    assert!(err.stderr.contains("no prompt `no/such`"), "{}", err.stderr);
    g.fails(&["audit", "log", "--prompt", "Not A Name"], 2);

    // An exact time: everything at or after it.
    let pivot = &all[all.len() / 2];
    let t: jiff::Timestamp = pivot["at"].as_str().unwrap().parse().unwrap();
    let since = g.json(&[
        "audit",
        "log",
        "--since",
        pivot["at"].as_str().unwrap(),
        "-n",
        "0",
    ]);
    let want: Vec<&Value> = all
        .iter()
        .filter(|e| {
            e["at"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
                >= t
        })
        .collect();
    assert!(want.contains(&pivot));
    assert_eq!(since.as_array().unwrap().iter().collect::<Vec<_>>(), want);
    // The same instant in another offset.
    let offset = t
        .to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(2)))
        .strftime("%Y-%m-%dT%H:%M:%S%.f%:z")
        .to_string();
    assert_eq!(
        g.json(&["audit", "log", "--since", &offset, "-n", "0"]),
        since
    );

    // Ages and dates: the demo's story began 44 days before today, and its last week is the
    // tail of the log.
    for old in ["60d", "2000-01-01"] {
        assert_eq!(
            g.json(&["audit", "log", "--since", old, "-n", "0"]),
            Value::Array(all.clone()),
            "{old}"
        );
    }
    let week = g.json(&["audit", "log", "--since", "7d", "-n", "0"]);
    let week = week.as_array().unwrap();
    assert!(!week.is_empty() && week.len() < all.len(), "{}", week.len());
    assert_eq!(week[..], all[all.len() - week.len()..]);
    for future in ["2999-01-01", "2999-01-01T00:00:00Z"] {
        assert_eq!(
            g.json(&["audit", "log", "--since", future]),
            json!([]),
            "{future}"
        );
    }
    // Filters combine with each other and with the limit.
    let both = g.json(&[
        "audit",
        "log",
        "--prompt",
        "support/triage",
        "--since",
        "7d",
        "-n",
        "2",
    ]);
    assert_eq!(
        both.as_array().unwrap().iter().collect::<Vec<_>>(),
        triage.as_array().unwrap()[triage.as_array().unwrap().len() - 2..]
            .iter()
            .collect::<Vec<_>>()
    );

    let err = g.fails(&["audit", "log", "--since", "last tuesday"], 2);
    assert!(err.stderr.contains("is not a time"), "{}", err.stderr);
}

#[test]
fn export_writes_every_entry_with_both_hashes() {
    let g = demo();
    let all = entries(&g);
    let out = g.ok(&["audit", "export", "--format", "jsonl"]);
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect();
    assert_eq!(lines, all, "every entry, every field, in order");
    let mut prev = GENESIS.to_string();
    for e in &lines {
        assert_eq!(e["prev_hash"], prev.as_str());
        assert_eq!(
            e["hash"],
            entry_hash(e),
            "an archive can be checked without galley"
        );
        prev = e["hash"].as_str().unwrap().to_string();
    }

    let err = g.fails(&["audit", "export", "-o", "archive/audit.jsonl"], 1);
    assert!(err.stderr.contains("no folder"), "{}", err.stderr);

    std::fs::create_dir_all(g.path("archive")).unwrap();
    let out = g.ok(&[
        "audit",
        "export",
        "--format",
        "jsonl",
        "-o",
        "archive/audit.jsonl",
    ]);
    assert_eq!(
        out.stdout,
        format!("exported {} entries to archive/audit.jsonl\n", all.len())
    );
    let file = std::fs::read_to_string(g.path("archive/audit.jsonl")).unwrap();
    assert_eq!(
        file,
        g.ok(&["audit", "export"]).stdout,
        "the file holds what stdout would"
    );
    g.fails(&["audit", "export", "--format", "csv"], 2);
}

#[test]
fn two_processes_appending_at_once_keep_one_chain() {
    const ROUNDS: usize = 8;
    let g = Galley::new();
    g.ok(&["new", "left"]);
    g.ok(&["new", "right"]);
    let before = entries(&g).len();
    std::thread::scope(|s| {
        for (name, user) in [("left", "ada"), ("right", "bob")] {
            let g = &g;
            s.spawn(move || {
                for i in 0..ROUNDS {
                    let text = format!("{user} round {i}");
                    common::ok_as(g, user, &["set", name, "role", "--text", &text]);
                    common::ok_as(g, user, &["commit", name, "-m", &text]);
                }
            });
        }
    });
    let out = g.ok(&["audit", "verify"]);
    let all = entries(&g);
    assert!(
        out.stdout
            .starts_with(&format!("audit log intact: {} entries", all.len()))
    );
    let commits = all
        .iter()
        .skip(before)
        .filter(|e| e["action"] == "version.commit")
        .count();
    assert_eq!(commits, 2 * ROUNDS);
    assert!(
        all.iter().any(|e| e["actor"] == "ada") && all.iter().any(|e| e["actor"] == "bob"),
        "both processes wrote"
    );
}

#[test]
fn an_older_file_gets_its_chain_when_migrated() {
    let g = demo();
    let chained = g.ok(&["audit", "export"]).stdout;
    // Turn the file back into one from before the chain (schema 3): no hash columns, no head,
    // and none of what later migrations added (the stored list entries of 6, the people,
    // environments and policies of 7, the deployments and reviews of 8, the comments of 9, the
    // observations of 12, the synced monitoring data of 13, the delivery counter of 15).
    let conn = tamper(&g);
    let mut downgrade = String::from("DROP TABLE IF EXISTS delivery_changes;");
    for table in ["prompts", "versions", "workspace_id"] {
        for event in ["insert", "update", "delete"] {
            downgrade += &format!("DROP TRIGGER IF EXISTS delivery_changes_{table}_{event};");
        }
    }
    conn.execute_batch(&downgrade)
        .expect("drop the delivery counter of 15");
    conn.execute_batch(
        "DROP TABLE IF EXISTS audit_checkpoints;
         DROP TABLE IF EXISTS user_keys;
         DROP TABLE IF EXISTS key_revocations;
         DROP TRIGGER IF EXISTS sync_log_user_key;
         DROP TRIGGER IF EXISTS sync_log_key_revocation;
         DELETE FROM workspace_meta WHERE key = 'workspace_id';
         DROP TABLE IF EXISTS sync_monitor;
         DROP TABLE IF EXISTS observation_rollups;
         DROP TABLE IF EXISTS observations;
         DROP TABLE IF EXISTS api_keys;
         DROP TABLE IF EXISTS comment_resolutions;
         DROP TABLE IF EXISTS comments;
         DROP TABLE IF EXISTS review_decisions;
         DROP TABLE IF EXISTS reviews;
         DROP TABLE IF EXISTS deployments;
         DROP TABLE IF EXISTS policies;
         DROP TABLE IF EXISTS environments;
         DROP TABLE IF EXISTS users;
         DROP TRIGGER IF EXISTS sync_log_version;
         DROP TRIGGER IF EXISTS sync_log_dataset_version;
         DROP TRIGGER IF EXISTS sync_log_eval_run_insert;
         DROP TRIGGER IF EXISTS sync_log_eval_run_finish;
         DROP INDEX IF EXISTS dataset_versions_by_record;
         ALTER TABLE dataset_versions DROP COLUMN record_id;
         DROP TABLE IF EXISTS sync_log;
         DROP TABLE IF EXISTS sync_remotes;
         DROP TABLE IF EXISTS sync_known;
         DROP TABLE IF EXISTS sync_rejected;
         DROP INDEX prompts_listing;
         ALTER TABLE prompts DROP COLUMN listing;
         CREATE INDEX prompts_listing ON prompts
             (name, prompt_type, description, tags, latest_version, latest_hash, updated_at, id);
         ALTER TABLE audit_log DROP COLUMN prev_hash;
         ALTER TABLE audit_log DROP COLUMN hash;
         DELETE FROM workspace_meta WHERE key = 'audit_head';
         CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
         CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
         PRAGMA user_version = 3;",
    )
    .unwrap();
    drop(conn);

    let out = g.ok(&["audit", "verify"]);
    assert!(
        out.stdout.starts_with("audit log intact: "),
        "{}",
        out.stdout
    );
    assert_eq!(
        g.ok(&["audit", "export"]).stdout,
        chained,
        "the migration computes the same chain the appends did"
    );
    // The append-only triggers are back.
    let err = Connection::open(g.db())
        .unwrap()
        .execute("DELETE FROM audit_log WHERE seq = 1", [])
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}
