//! The real binary in a pseudo-terminal: human output is coloured on a terminal, plain under
//! `NO_COLOR`, and the diff's word-level changes stay visible either way.

use std::io::Read;
use std::sync::mpsc;
use std::time::Duration;

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

struct Run {
    output: String,
    success: bool,
}

/// Runs galley with `args` in a fresh 100×30 pseudo-terminal and collects everything it prints.
fn run_in_pty(db: &std::path::Path, args: &[&str], no_color: bool) -> Run {
    let pty = native_pty_system();
    let pair = pty
        .openpty(PtySize {
            rows: 30,
            cols: 100,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_galley"));
    cmd.args(args);
    cmd.env("GALLEY_DB", db);
    cmd.env("GALLEY_USER", "ada");
    cmd.env("GALLEY_CONFIG", db.with_extension("toml"));
    cmd.env("TERM", "xterm-256color");
    cmd.env_remove("CLICOLOR_FORCE");
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let mut child = pair.slave.spawn_command(cmd).expect("spawn galley");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        // Ends at EOF, or EIO once the child has exited and the terminal is gone.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            bytes.extend_from_slice(&buf[..n]);
        }
        let _ = tx.send(bytes);
    });
    let status = child.wait().expect("wait for galley");
    drop(pair.master);
    let bytes = rx
        .recv_timeout(Duration::from_secs(20))
        .expect("output within 20 s");
    Run {
        output: String::from_utf8_lossy(&bytes).into_owned(),
        success: status.success(),
    }
}

#[test]
fn colours_on_a_terminal_and_plain_with_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    assert!(run_in_pty(&db, &["demo"], false).success);

    let coloured = run_in_pty(&db, &["list"], false);
    assert!(coloured.success, "{}", coloured.output);
    assert!(
        coloured.output.contains("\u{1b}["),
        "no colour on a terminal: {:?}",
        coloured.output
    );
    assert!(coloured.output.contains("support/agent"));

    let plain = run_in_pty(&db, &["list"], true);
    assert!(plain.success);
    assert!(
        !plain.output.contains("\u{1b}["),
        "colour despite NO_COLOR: {:?}",
        plain.output
    );
    assert!(plain.output.contains("support/agent"));
}

#[test]
fn diff_marks_changed_words_with_and_without_colour() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    assert!(run_in_pty(&db, &["demo"], false).success);

    let plain = run_in_pty(&db, &["diff", "support/agent", "3", "4"], true);
    assert!(plain.success, "{}", plain.output);
    assert!(
        plain.output.contains("[-3-]") && plain.output.contains("{+2+}"),
        "{}",
        plain.output
    );

    let coloured = run_in_pty(&db, &["diff", "support/agent", "3", "4"], false);
    assert!(
        !coloured.output.contains("[-3-]"),
        "brackets are for plain output only"
    );
    // The changed digit is underlined (SGR 4) inside the line.
    assert!(
        coloured.output.contains(";4m") || coloured.output.contains("\u{1b}[4m"),
        "{:?}",
        coloured.output
    );
}

#[test]
fn errors_reach_the_terminal_with_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ws.db");
    let run = run_in_pty(&db, &["show", "missing/prompt"], true);
    assert!(!run.success);
    assert!(
        run.output.contains("error: no prompt `missing/prompt`"),
        "{}",
        run.output
    );
}
