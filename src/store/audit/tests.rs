use serde_json::json;

use super::chain::serialise;
use super::*;
use crate::store::Store;
use rusqlite::Connection;

fn entry(seq: i64, prev_hash: &str) -> AuditEntry {
    let mut e = AuditEntry {
        seq,
        id: format!("id-{seq}"),
        actor: "ada".into(),
        at: format!("2025-01-01T00:00:{:02}Z", seq % 60),
        action: "version.commit".into(),
        target: "support/triage".into(),
        details: json!({"version": seq, "message": "fix"}),
        prev_hash: prev_hash.into(),
        hash: String::new(),
    };
    e.hash = chain_hash(&e);
    e
}

fn chain(n: i64) -> Vec<AuditEntry> {
    let mut out: Vec<AuditEntry> = Vec::new();
    for seq in 1..=n {
        let prev = out
            .last()
            .map_or(GENESIS_HASH.to_string(), |e| e.hash.clone());
        out.push(entry(seq, &prev));
    }
    out
}

fn head_of(entries: &[AuditEntry]) -> String {
    let last = entries.last().unwrap();
    serde_json::to_string(&ChainHead {
        count: last.seq,
        hash: last.hash.clone(),
    })
    .unwrap()
}

/// The first break `verify` finds in `entries` against `head`, as its message.
fn verify(entries: &[AuditEntry], head: Option<&str>) -> Option<String> {
    let max = entries.iter().map(|e| e.seq).max().unwrap_or(0);
    let mut v = ChainVerifier::new(max);
    let mut sorted = entries.to_vec();
    sorted.sort_by_key(|e| e.seq);
    for e in &sorted {
        v.push(e, DetailsForm::Canonical);
    }
    let report = v.finish(head);
    assert_eq!(report.entries, entries.len() as u64);
    report.problem.map(|p| p.message)
}

#[test]
fn the_hash_is_stable() {
    // Pins the serialisation: archives verified today must verify with any later galley.
    let e = entry(1, GENESIS_HASH);
    assert_eq!(
        serialise(&e),
        format!(
            r#"[1,"id-1","ada","2025-01-01T00:00:01Z","version.commit","support/triage",{{"message":"fix","version":1}},"{GENESIS_HASH}"]"#
        )
    );
    assert_eq!(
        e.hash,
        "f069cd176923fe596fee3ee96e9d7f04bad0f50ba8c1fced63d77af12f676611"
    );
    assert_eq!(chain_hash(&e), chain_hash(&e.clone()));
}

#[test]
fn the_hash_covers_every_field() {
    let base = entry(3, GENESIS_HASH);
    let edits: Vec<fn(&mut AuditEntry)> = vec![
        |e| e.seq = 4,
        |e| e.id.push('x'),
        |e| e.actor = "bob".into(),
        |e| e.at = "2025-01-01T00:00:04Z".into(),
        |e| e.action = "version.commt".into(),
        |e| e.target = "support/triag".into(),
        |e| e.details["message"] = json!("fix "),
        |e| e.details["version"] = json!(3.0),
        |e| e.details = json!({"message": "fix", "version": 3, "x": null}),
        |e| e.prev_hash = "1".repeat(64),
        // Moving a character from one field to the next must not give the same bytes.
        |e| {
            e.actor = "ad".into();
            e.at = format!("a{}", e.at);
        },
    ];
    for (i, edit) in edits.into_iter().enumerate() {
        let mut changed = base.clone();
        edit(&mut changed);
        assert_ne!(chain_hash(&changed), base.hash, "edit {i} went unnoticed");
    }
    // The stored hash itself is not part of what is hashed.
    let mut other = base.clone();
    other.hash = "whatever".into();
    assert_eq!(chain_hash(&other), base.hash);
}

#[test]
fn canonical_json_sorts_keys_at_every_depth() {
    let mut a = serde_json::Map::new();
    a.insert("z".into(), json!([{"b": 1, "a": "é\n"}]));
    a.insert("a".into(), json!(null));
    let value = Value::Object(a);
    assert_eq!(
        canonical_json(&value),
        r#"{"a":null,"z":[{"a":"é\n","b":1}]}"#
    );
    let reparsed: Value = serde_json::from_str(&canonical_json(&value)).unwrap();
    assert_eq!(canonical_json(&reparsed), canonical_json(&value));
    let mut e = entry(1, GENESIS_HASH);
    let before = e.hash.clone();
    e.details = json!({"message": "fix", "version": 1});
    assert_eq!(chain_hash(&e), before, "key order does not matter");
}

#[test]
fn an_intact_chain_verifies() {
    assert_eq!(verify(&[], None), None);
    let log = chain(5);
    assert_eq!(verify(&log, Some(&head_of(&log))), None);
}

#[test]
fn each_kind_of_tampering_is_named() {
    let log = chain(6);
    let head = head_of(&log);

    let mut changed = log.clone();
    changed[2].details["message"] = json!("nothing to see");
    assert_eq!(
        verify(&changed, Some(&head)).unwrap(),
        "entry #3 (version.commit on support/triage by ada) was changed: its hash does not match its content"
    );

    let mut rehashed = log.clone();
    rehashed[2].actor = "mallory".into();
    rehashed[2].hash = chain_hash(&rehashed[2]);
    assert_eq!(
        verify(&rehashed, Some(&head)).unwrap(),
        "entry #3 (version.commit on support/triage by mallory) was changed: #4's prev_hash does not match its hash"
    );

    let mut removed = log.clone();
    removed.remove(2);
    assert_eq!(
        verify(&removed, Some(&head)).unwrap(),
        "entry #3 is missing: #4's prev_hash does not match #2's hash"
    );
    let mut two_removed = log.clone();
    two_removed.drain(1..3);
    assert_eq!(
        verify(&two_removed, Some(&head)).unwrap(),
        "entries #2 to #3 are missing: #4's prev_hash does not match #1's hash"
    );
    assert_eq!(
        verify(&log[1..], Some(&head)).unwrap(),
        "entry #1 is missing: the log starts at #2"
    );

    let mut swapped = log.clone();
    swapped[1].seq = 5;
    swapped[4].seq = 2;
    assert_eq!(
        verify(&swapped, Some(&head)).unwrap(),
        "entries #2 and #5 are out of order"
    );

    assert_eq!(
        verify(&log[..5], Some(&head)).unwrap(),
        "entry #6 is missing: the log ends at #5 but its recorded head is #6"
    );
    assert_eq!(
        verify(&[], Some(&head)).unwrap(),
        "entries #1 to #6 are missing: the log is empty but its recorded head is #6"
    );
    assert_eq!(
        verify(&log, Some(&head_of(&log[..4]))).unwrap(),
        "entry #5 was added without galley: the recorded head is #4"
    );
    let mut last_rehashed = log.clone();
    last_rehashed[5].details = json!({});
    last_rehashed[5].hash = chain_hash(&last_rehashed[5]);
    assert_eq!(
        verify(&last_rehashed, Some(&head)).unwrap(),
        "entry #6 (version.commit on support/triage by ada) was changed: its hash does not match the recorded head"
    );
    assert!(verify(&log, None).unwrap().contains("not recorded"));
    assert!(verify(&log, Some("{")).unwrap().contains("unreadable"));

    let mut first = log.clone();
    first[0].prev_hash = "1".repeat(64);
    first[0].hash = chain_hash(&first[0]);
    assert_eq!(
        verify(&first, Some(&head)).unwrap(),
        "entry #1 (version.commit on support/triage by ada) was changed: its prev_hash is not the start of the chain"
    );
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ws.db")).unwrap();
    (dir, store)
}

fn append(store: &mut Store, action: &str, details: Value) {
    store
        .write(|tx| tx.append_audit("ada", &crate::workspace::now(), action, "p", &details))
        .unwrap();
}

#[test]
fn appends_are_chained_and_the_head_recorded() {
    let (_dir, mut store) = temp_store();
    let empty = store.read().verify_audit_chain(None).unwrap();
    assert_eq!((empty.entries, empty.head.as_str()), (0, GENESIS_HASH));
    assert_eq!(empty.problem, None);
    for i in 0..3 {
        append(
            &mut store,
            "x.y",
            json!({"i": i, "b": [1, {"z": 1, "a": 2}]}),
        );
    }
    let all = store.read().audit_entries(&AuditQuery::default()).unwrap();
    assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(all[0].prev_hash, GENESIS_HASH);
    for pair in all.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    for e in &all {
        assert_eq!(chain_hash(e), e.hash);
    }
    let report = store.read().verify_audit_chain(None).unwrap();
    assert_eq!(report.problem, None);
    assert_eq!(
        (report.entries, report.head.as_str()),
        (3, all[2].hash.as_str())
    );
    // Inside a write transaction too.
    let inside = store.write(|tx| tx.verify_audit_chain(None)).unwrap();
    assert_eq!(inside, report);
    // Details are stored in canonical form.
    let text: String = store
        .conn
        .query_row("SELECT details FROM audit_log WHERE seq = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(text, r#"{"b":[1,{"a":2,"z":1}],"i":0}"#);
    let limited = store
        .read()
        .audit_entries(&AuditQuery {
            limit: Some(2),
            target: Some("p"),
            since: None,
        })
        .unwrap();
    assert_eq!(limited.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
}

#[test]
fn migrating_an_older_file_hashes_its_entries_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let conn = Connection::open(&path).unwrap();
        for sql in &crate::store::migrations::MIGRATIONS[..3] {
            conn.execute_batch(sql).unwrap();
        }
        for i in 1..=3 {
            conn.execute(
                "INSERT INTO audit_log (id, actor, at, action, target, details)
                 VALUES (?1, 'ada', '2024-05-01T10:00:00Z', 'prompt.create', 'p', ?2)",
                params![format!("id{i}"), json!({"n": i, "a": "x"}).to_string()],
            )
            .unwrap();
        }
        conn.pragma_update(None, "user_version", 3).unwrap();
    }
    let mut store = Store::open(&path).unwrap();
    let all = store.read().audit_entries(&AuditQuery::default()).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].prev_hash, GENESIS_HASH);
    assert_eq!(all[1].prev_hash, all[0].hash);
    assert_eq!(all[2].prev_hash, all[1].hash);
    assert_eq!(all[1].hash, chain_hash(&all[1]));
    let report = store.read().verify_audit_chain(None).unwrap();
    assert_eq!(report.problem, None, "{report:?}");
    assert_eq!(report.entries, 3);
    // The log is append-only again, and new entries continue the chain.
    let err = store.read().tamper_with_audit().unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    append(&mut store, "x.y", json!({}));
    let report = store.read().verify_audit_chain(None).unwrap();
    assert_eq!((report.entries, report.problem), (4, None));
}

#[test]
fn filters_by_time() {
    let (_dir, mut store) = temp_store();
    for at in [
        "2024-01-01T00:00:00Z",
        "2024-01-02T00:00:00.5Z",
        "2024-01-03T00:00:00.123Z",
    ] {
        store
            .write(|tx| tx.append_audit("ada", at, "x.y", "p", &json!({})))
            .unwrap();
    }
    let since = |t: &str| {
        store
            .read()
            .audit_entries(&AuditQuery {
                since: Some(t.parse().unwrap()),
                ..AuditQuery::default()
            })
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(since("2023-12-31T00:00:00Z"), [1, 2, 3]);
    assert_eq!(since("2024-01-02T00:00:00.5Z"), [2, 3]);
    assert_eq!(since("2024-01-02T00:00:00.501Z"), [3]);
    assert_eq!(since("2024-01-03T00:00:00.123Z"), [3]);
    assert!(since("2024-01-03T00:00:00.124Z").is_empty());
}
