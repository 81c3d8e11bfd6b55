//! A write that waits on a lock another process holds: the real server answers 503 with
//! `Retry-After` once its busy timeout has passed, and the real CLI says the file is busy and
//! which process holds it. The lock is held by this test process through a second, real SQLite
//! connection (`BEGIN IMMEDIATE`) on the same file.

mod server_support;

use std::time::{Duration, Instant};

use serde_json::json;
use server_support::*;

/// Takes the file's write lock (as any other writer would) until dropped.
fn hold_write_lock(g: &Galley) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(g.db()).expect("second connection");
    conn.execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    conn
}

#[tokio::test]
async fn a_write_behind_another_process_lock_answers_503_with_retry_after() {
    let g = seeded();
    let write = key(&g, "write");
    let server = Server::start(&g, &["--busy-timeout", "500"]);
    let create = json!({"name": "busy/probe", "prompt": "Hello {{ who }}", "labels": []});
    let lock = hold_write_lock(&g);
    let start = Instant::now();
    let (status, headers, body) =
        post(&server, "/api/public/v2/prompts", Some(&write), &create).await;
    let took = start.elapsed();
    assert_eq!((status, code(&body)), (503, "busy"), "{body}");
    assert_eq!(headers["retry-after"], "1");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("busy: another process holds its write lock; try again"),
        "{body}"
    );
    // It waited the busy timeout (500 ms), and not much longer: generous on a shared machine.
    assert!(
        took >= Duration::from_millis(450),
        "answered after {took:?}"
    );
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    // Reads go on meanwhile (WAL), and the refused write stored nothing.
    let (status, _, _) = get(&server, "/healthz", None).await;
    assert_eq!(status, 200);
    drop(lock);
    let (status, _, body) = post(&server, "/api/public/v2/prompts", Some(&write), &create).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["version"], 1,
        "the refused write left nothing behind: {body}"
    );
    assert!(server.log_with("workspace busy").contains("workspace busy"));
}

#[test]
fn the_cli_says_the_file_is_busy_and_names_the_process_holding_it() {
    let g = seeded();
    let lock = hold_write_lock(&g);
    let start = Instant::now();
    let out = g.run(&["env", "add", "qa"]);
    let took = start.elapsed();
    drop(lock);
    assert_eq!(out.code, 75, "{out:#?}");
    let me = std::process::id();
    let expected = format!(
        "error: the workspace {} is busy: another process (pid {me}, ",
        g.db().display()
    );
    assert!(out.stderr.starts_with(&expected), "{}", out.stderr);
    assert!(
        out.stderr
            .trim_end()
            .ends_with(") holds its write lock; try again"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.trim_end().lines().count(), 1, "{}", out.stderr);
    // The CLI's busy timeout is 10 s: it waited that long, and then gave up.
    assert!(took >= Duration::from_secs(9), "gave up after {took:?}");
    assert!(took < Duration::from_secs(30), "gave up after {took:?}");
    // Nothing was written: once the lock is gone, the same command works.
    let out = g.run(&["env", "add", "qa"]);
    assert_eq!(out.code, 0, "{out:#?}");
}
