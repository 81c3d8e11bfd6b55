//! The status bar's sync state against the real server on 127.0.0.1:0: a remote set shows
//! what is ahead and behind, a background sync (on the timer) makes it `synced`, and with the
//! server gone the next sync shows `✗ unreachable` in the bar and its one-line reason as the
//! status message, never a popup.

use crate::harness::Harness;
use crate::sync_support::{Server, prepare_server};

/// The variable the remote's key is read from (this test's own: tests run in parallel).
const KEY_VAR: &str = "GALLEY_TUI_SYNC_BAR_KEY";

/// The status bar at 80 columns.
fn status_bar(h: &mut Harness) -> String {
    let screen = crate::screen::draw(h, 80, 24);
    screen.lines().last().unwrap_or_default().to_string()
}

#[test]
fn the_status_bar_shows_the_remote_and_syncs_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let server_db = dir.path().join("server.db");
    let keys = prepare_server(&server_db);
    let server = Server::start(&server_db);
    // SAFETY: no other test reads or writes this variable.
    unsafe { std::env::set_var(KEY_VAR, &keys.ada) };

    let mut h = Harness::new();
    h.ws.create_from_starter(&Harness::name("support/triage"), "classifier", &[], None)
        .unwrap();
    h.ws.add_remote("origin", &server.url, KEY_VAR).unwrap();
    h.ctrl('r');
    let ahead = h.app.sync.remotes[0].ahead;
    assert!(ahead > 0, "the new prompt's records are not pushed yet");
    let bar = status_bar(&mut h);
    assert!(
        bar.contains(&format!("⇅ origin ↑{ahead} ↓0 · never synced")),
        "{bar}"
    );
    assert!(
        h.app.sync.running.is_none(),
        "no sync before the first tick"
    );

    h.idle(10);
    let bar = status_bar(&mut h);
    assert!(bar.contains("⇅ origin ↑0 ↓0 · synced just now"), "{bar}");
    assert!(
        h.app.status.is_none(),
        "a sync that worked says nothing more"
    );
    let on_server = galley::workspace::Workspace::open(&server_db, "root").unwrap();
    assert!(on_server.summary(&Harness::name("support/triage")).is_ok());

    // Not again before the timer, then again after it: the server is gone by then.
    drop(server);
    h.idle(1_000);
    assert!(status_bar(&mut h).contains("synced just now"));
    h.idle(46_000);
    let bar = status_bar(&mut h);
    assert!(bar.contains("⇅ origin ↑0 ↓0 · ✗ unreachable"), "{bar}");
    let status = h.app.status.clone().expect("the reason, in the status bar");
    assert!(
        status.error && status.text.contains("cannot reach remote `origin`"),
        "{status:?}"
    );
    assert!(h.app.popup.is_none());
}
