//! The real `galley` binary in a pseudo-terminal: type into a section, then quit (Ctrl-C) or
//! be stopped (SIGTERM, SIGHUP, as a dropped SSH session is), and find with `galley show --json`
//! that the text was saved and the terminal restored.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

fn galley(db: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(args)
        .env("GALLEY_DB", db)
        .env("GALLEY_USER", "ada")
        .env("GALLEY_CONFIG", db.with_extension("toml"))
        .output()
        .expect("run galley")
}

/// Waits (at most `limit`) until the screen output contains `needle`.
fn wait_for(screen: &Arc<Mutex<Vec<u8>>>, needle: &str, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if String::from_utf8_lossy(&screen.lock().unwrap()).contains(needle) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A running workbench in a pty: its screen output so far, its keyboard, the child.
struct Session {
    screen: Arc<Mutex<Vec<u8>>>,
    keys: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

fn start(db: &Path) -> Session {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 30,
            cols: 110,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_galley"));
    cmd.env("GALLEY_DB", db);
    cmd.env("GALLEY_USER", "ada");
    cmd.env("GALLEY_CONFIG", db.with_extension("toml"));
    cmd.env("TERM", "xterm-256color");
    let child = pair.slave.spawn_command(cmd).expect("spawn galley");
    drop(pair.slave);
    let screen = Arc::new(Mutex::new(Vec::new()));
    let mut reader = pair.master.try_clone_reader().unwrap();
    let sink = screen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let keys = pair.master.take_writer().unwrap();
    Session {
        screen,
        keys,
        child,
        _master: pair.master,
    }
}

fn type_keys(session: &mut Session, chunks: &[&[u8]]) {
    for chunk in chunks {
        session.keys.write_all(chunk).unwrap();
        session.keys.flush().unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }
}

fn wait_exit(session: &mut Session) -> portable_pty::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = session.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "galley did not exit"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_and_sighup_save_the_draft_and_restore_the_terminal() {
    for signal in ["-TERM", "-HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ws.db");
        assert!(galley(&db, &["demo"]).status.success());
        let mut session = start(&db);
        assert!(
            wait_for(&session.screen, "code-review", Duration::from_secs(10)),
            "did not start"
        );
        assert!(wait_for(
            &session.screen,
            "Sections",
            Duration::from_secs(10)
        ));
        type_keys(&mut session, &[b"\t", b"i", b"Signal words "]);
        std::thread::sleep(Duration::from_millis(300));
        let pid = session.child.process_id().expect("a pid");
        let killed = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = wait_exit(&mut session);
        assert!(status.success(), "{signal}: exit status {status:?}");
        assert!(
            String::from_utf8_lossy(&session.screen.lock().unwrap()).contains("\u{1b}[?1049l"),
            "{signal}: terminal not restored"
        );
        let show = galley(&db, &["show", "eng/code-review", "--draft", "--json"]);
        assert!(
            show.status.success(),
            "{signal}: {}",
            String::from_utf8_lossy(&show.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
        let body = json["content"]["sections"][0]["body"].as_str().unwrap();
        assert!(
            body.starts_with("Signal words "),
            "{signal}: saved body: {body}"
        );
    }
}

#[test]
fn type_into_a_section_quit_and_find_the_text_saved() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    assert!(galley(&db, &["demo"]).status.success());
    let mut session = start(&db);
    assert!(
        wait_for(&session.screen, "code-review", Duration::from_secs(10)),
        "the workbench did not start"
    );
    assert!(
        wait_for(&session.screen, "Sections", Duration::from_secs(10)),
        "the first prompt did not open"
    );

    // Tab to the sections, `i` to edit the first one, type, then Ctrl-C (saves, quits). The
    // screen is redrawn cell by cell, so typed text need not appear as one run: give the app a
    // moment, then check the store instead.
    type_keys(&mut session, &[b"\t", b"i", b"PTY words "]);
    std::thread::sleep(Duration::from_millis(300));
    type_keys(&mut session, &[b"\x03"]);
    let status = wait_exit(&mut session);
    assert!(status.success(), "exit status {status:?}");
    // The terminal was restored: the alternate screen was left.
    assert!(String::from_utf8_lossy(&session.screen.lock().unwrap()).contains("\u{1b}[?1049l"));

    let show = galley(&db, &["show", "eng/code-review", "--draft", "--json"]);
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    let body = json["content"]["sections"][0]["body"].as_str().unwrap();
    assert!(body.starts_with("PTY words "), "saved body: {body}");
}
