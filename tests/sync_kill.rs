//! A server killed with SIGKILL in the middle of a push that takes several requests, restarted
//! on the same file: after a new sync nothing the server acknowledged is lost and nothing is
//! duplicated. The real binary serves; the client is the real binary too.

mod common;
mod sync_support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Galley, json_as};
use galley::domain::{PromptContent, PromptName, PromptType};
use galley::workspace::Workspace;
use sync_support::{KEY_ENV, add_origin, assert_audit_ok, json_on, prepare_server};

/// Four push requests' worth of versions.
const PROMPTS: usize = 2_000;

/// Starts `galley serve` on `addr` (port 0: any) and returns it with the address it bound.
fn serve(db: &Path, addr: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(["--db"])
        .arg(db)
        .args(["serve", "--addr", addr])
        .env("GALLEY_CONFIG", db.with_extension("no-config.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("galley serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the address");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    (child, url)
}

/// How many records the server's log holds, and how many distinct ones.
fn log_counts(db: &Path) -> (i64, i64) {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the server's file");
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row(
        "SELECT count(*), count(DISTINCT record_id) FROM sync_log",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .expect("count the log")
}

/// The record ids the client holds as acknowledged by `origin`.
fn acknowledged(db: &Path) -> Vec<String> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open the client's file");
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    let mut stmt = conn
        .prepare("SELECT record_id FROM sync_known WHERE remote = 'origin' ORDER BY record_id")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn has_record(db: &Path, id: &str) -> bool {
    let conn = rusqlite::Connection::open(db).expect("open the server's file");
    conn.query_row(
        "SELECT count(*) FROM sync_log WHERE record_id = ?1",
        [id],
        |r| r.get::<_, i64>(0),
    )
    .unwrap()
        == 1
}

#[test]
fn a_server_killed_mid_push_loses_nothing_acknowledged_and_duplicates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let server_db = dir.path().join("server.db");
    let keys = prepare_server(&server_db);
    let (mut server, url) = serve(&server_db, "127.0.0.1:0");
    let addr = url.trim_start_matches("http://").to_string();

    let a = Galley::new();
    add_origin(&a, "ada", &url);
    {
        let mut ws = Workspace::open(a.db(), "ada").unwrap();
        for i in 0..PROMPTS {
            let name = PromptName::parse(&format!("bulk/p{i:05}")).unwrap();
            ws.create_prompt(&name, PromptContent::blank(PromptType::Text), &[], "first")
                .unwrap();
        }
    }

    // The push runs in the background; the server dies once the client holds a first batch as
    // acknowledged, while later requests are still to come.
    let mut push = a.command_as("ada");
    push.env(KEY_ENV, &keys.ada)
        .args(["sync", "push"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let client = push.spawn().expect("galley sync push starts");
    let started = Instant::now();
    loop {
        if acknowledged(a.db()).len() >= 500 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first batch never arrived"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill().expect("SIGKILL the server");
    server.wait().unwrap();
    let out = client.wait_with_output().expect("the push ends");
    let (held_at_kill, _) = log_counts(&server_db);
    assert!(
        (held_at_kill as usize) < PROMPTS,
        "the push finished before the kill ({held_at_kill} records): nothing was tested"
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("remote `origin`"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    // What the client holds as acknowledged is on the server (it committed before answering).
    let acked = acknowledged(a.db());
    assert!(
        !acked.is_empty() && acked.len() < PROMPTS,
        "{}",
        acked.len()
    );
    for id in &acked {
        assert!(has_record(&server_db, id), "acknowledged {id} is lost");
    }

    // Restarted on the same file and port, a new sync completes: every record once.
    let (mut server, _) = serve(&server_db, &addr);
    let mut again = a.command_as("ada");
    again.env(KEY_ENV, &keys.ada).args(["sync"]);
    let out = a.run_cmd(again);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(log_counts(&server_db), (PROMPTS as i64, PROMPTS as i64));
    let listed = json_on(&server_db, "root", &["list"]);
    assert_eq!(listed.as_array().unwrap().len(), PROMPTS);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["latest_version"] == 1)
    );
    let status = json_as(&a, "ada", &["sync", "status"]);
    assert_eq!(
        (status[0]["ahead"].as_i64(), status[0]["behind"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(acknowledged(a.db()).len(), PROMPTS);
    server.kill().unwrap();
    server.wait().unwrap();
    assert_audit_ok(&server_db, "root");
    assert_audit_ok(a.db(), "ada");
}
