//! Migration 11 on a file that already holds records, and the log's triggers; migration 13
//! on a file that already holds rollups.

use rusqlite::Connection;

use crate::store::Store;
use crate::store::migrations::MIGRATIONS;

/// A file at schema 10 with a version, a review, a decision, a comment and its resolution, a
/// deployment and a dataset version, written as galley 10 wrote them (no record ids).
fn schema_10_file(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    for sql in &MIGRATIONS[..10] {
        conn.execute_batch(sql).unwrap();
    }
    conn.execute_batch(
        r#"INSERT INTO prompts (id, name, prompt_type, created_at, created_by, updated_at,
                              latest_version, latest_hash)
         VALUES (1, 'p', 'text', 't', 'ada', 't', 1, 'h1');
         INSERT INTO versions (id, prompt_id, number, content_hash, content, author, created_at,
                               message)
         VALUES ('v-1', 1, 1, 'h1', '{"type":"text","sections":[]}', 'ada', 't', 'm');
         INSERT INTO reviews (prompt, version, content_hash, env, requested_by, at)
         VALUES ('p', 1, 'h1', 'production', 'ada', 't');
         INSERT INTO review_decisions (review_id, prompt, content_hash, reviewer, kind, comment, at)
         VALUES (1, 'p', 'h1', 'bob', 'approve', 'ok', 't');
         INSERT INTO comments (prompt, version, content_hash, author, body, at)
         VALUES ('p', 1, 'h1', 'bob', 'hm', 't');
         INSERT INTO comment_resolutions (comment_id, resolved_by, at) VALUES (1, 'ada', 't');
         INSERT INTO deployments (prompt, env, version, content_hash, actor, at, kind)
         VALUES ('p', 'staging', 1, 'h1', 'ada', 't', 'deploy');
         INSERT INTO datasets (id, name, latest_version, created_at, created_by, updated_at)
         VALUES (1, 'd', 1, 't', 'ada', 't');
         INSERT INTO dataset_versions (dataset_id, version, cases, case_count, author, created_at,
                                       message)
         VALUES (1, 1, '[]', 0, 'ada', 't', 'm');
         PRAGMA user_version = 10;"#,
    )
    .unwrap();
}

#[test]
fn migration_11_gives_existing_records_ids_and_logs_them_in_dependency_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    schema_10_file(&path);
    let store = Store::open(&path).unwrap();
    let tx = store.read();
    let log = tx.log_after(0, 100).unwrap();
    let kinds: Vec<&str> = log.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "version",
            "dataset_version",
            "review",
            "decision",
            "comment",
            "resolution",
            "deployment"
        ]
    );
    for entry in &log {
        assert!(uuid::Uuid::parse_str(&entry.record_id).is_ok() || entry.record_id == "v-1");
        let record = tx.load_record(&entry.kind, &entry.record_id).unwrap();
        assert!(record.is_some(), "{entry:?} does not load");
    }
    // The immutability triggers are back, and the log refuses changes.
    for sql in [
        "UPDATE deployments SET actor = 'x'",
        "UPDATE comments SET body = 'x'",
        "UPDATE comment_resolutions SET resolved_by = 'x'",
        "UPDATE dataset_versions SET cases = 'x'",
        "UPDATE sync_log SET kind = 'x'",
        "DELETE FROM sync_log",
    ] {
        let err = store.conn.execute(sql, []).unwrap_err();
        assert!(
            err.to_string().contains("immutable") || err.to_string().contains("append-only"),
            "{sql}: {err}"
        );
    }
}

#[test]
fn a_record_written_without_an_id_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("new.db")).unwrap();
    let err = store
        .conn
        .execute(
            "INSERT INTO deployments (prompt, env, version, content_hash, actor, at, kind)
             VALUES ('p', 'staging', 1, 'h', 'ada', 't', 'deploy')",
            [],
        )
        .unwrap_err();
    assert!(err.to_string().contains("NOT NULL"), "{err}");
}

/// A file at schema 12 holding two rollup buckets, as galley 12 wrote them.
fn schema_12_file_with_rollups(path: &std::path::Path) {
    let conn = Connection::open(path).unwrap();
    for (i, sql) in MIGRATIONS[..12].iter().enumerate() {
        conn.execute_batch(sql).unwrap();
        crate::store::migrations::after(&conn, i as u32 + 1).unwrap();
    }
    conn.execute_batch(
        "INSERT INTO observation_rollups (prompt, version, env, size, start_ms, calls, errors,
             latency_sum_us, input_tokens, output_tokens, cost_count, cost_nanos, feedback_count,
             feedback_points, negative_feedback, latency)
         VALUES ('p', 1, 'production', 'day', 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, x''),
                ('p', 1, 'production', 'hour', 3600000, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, x'');
         PRAGMA user_version = 12;",
    )
    .unwrap();
}

#[test]
fn migration_13_numbers_existing_buckets_and_pulled_ones_are_left_alone() {
    use crate::domain::metrics::{BucketSize, Rollup, RollupKey};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    schema_12_file_with_rollups(&path);
    let store = Store::open(&path).unwrap();
    let tx = store.read();
    let changed = tx.rollups_changed_after(0, 10).unwrap();
    let seqs: Vec<(i64, i64)> = changed.iter().map(|(s, k, _)| (*s, k.start)).collect();
    assert_eq!(seqs, [(1, 0), (2, 3_600_000)], "numbered oldest first");
    assert_eq!(tx.rollup_change_head().unwrap(), 2);

    // A bucket replaced with a server's takes the next position and ignores local ingestion.
    let key = RollupKey {
        prompt: "p".into(),
        version: 1,
        env: "production".into(),
        size: BucketSize::Day,
        start: 0,
    };
    let server = Rollup {
        count: 40,
        ..Rollup::default()
    };
    tx.replace_with_pulled_rollup(&key, &server).unwrap();
    tx.update_rollup(&key, |r| r.count += 1).unwrap();
    let changed = tx.rollups_changed_after(2, 10).unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!((changed[0].0, changed[0].2.count), (3, 40));
    // A local bucket still counts local calls, and moves to the next position.
    let hour = RollupKey {
        size: BucketSize::Hour,
        start: 3_600_000,
        ..key
    };
    tx.update_rollup(&hour, |r| r.count += 1).unwrap();
    let changed = tx.rollups_changed_after(3, 10).unwrap();
    assert_eq!((changed[0].0, changed[0].2.count), (4, 3));
}
