//! Snapshots of the Review view (the queue, an open review) and the Deploy view (the matrix, a
//! blocked deploy's confirm dialog) on the demo, at 80×24 and 160×48, without colour. On top
//! of the demo, linus asks ada to review support/triage v4 for production, so one request
//! awaits her. Deployment times are pinned so the pictures stay the same from run to run.

use galley::tui::app::Focus;
use galley::workspace::Workspace;
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use crate::harness::Harness;
use crate::screen::both_sizes;

const PINNED: &str = "2026-01-02T03:04:05.000Z";

fn screen(h: &mut Harness, width: u16, height: u16) -> String {
    if let Some((_, rows)) = &mut h.app.deploys.history {
        for d in rows {
            d.at = PINNED.to_string();
        }
    }
    crate::screen::draw(h, width, height)
}

fn both_sizes(h: &mut Harness, name: &str) {
    both_sizes!(screen, h, name);
}

/// The demo, plus a request for ada, on support/triage.
fn demo_for_ada() -> Harness {
    let mut h = Harness::new();
    h.press("d");
    let path = h.ws.path().to_path_buf();
    let mut linus = Workspace::open(&path, "linus").unwrap();
    linus
        .request_review(
            &Harness::name("support/triage"),
            4,
            "production",
            &["ada".to_string()],
            "Staging looks good; compliance next.",
        )
        .unwrap();
    h.ctrl('r');
    h.press("/");
    h.press("support/triage");
    h.enter();
    h.esc();
    h.app.status = None;
    h
}

#[test]
fn review_queue() {
    let mut h = demo_for_ada();
    h.press("5");
    assert_eq!(h.app.reviews.awaiting_me(), 1);
    both_sizes(&mut h, "review_queue");
}

#[test]
fn review_open() {
    let mut h = demo_for_ada();
    h.press("5");
    h.enter();
    assert_eq!(h.app.focus, Focus::ReviewDiff);
    both_sizes(&mut h, "review_open");
}

#[test]
fn deploy_matrix() {
    let mut h = demo_for_ada();
    h.press("6");
    h.press("ll");
    assert_eq!(h.app.deploys.selected_env(), Some("production"));
    both_sizes(&mut h, "deploy_matrix");
}

#[test]
fn deploy_blocked_by_the_policy() {
    let mut h = demo_for_ada();
    h.press("6");
    h.key(KeyCode::Right, KeyModifiers::NONE);
    h.key(KeyCode::Right, KeyModifiers::NONE);
    h.press("d");
    h.enter(); // v4, the latest
    assert!(!h.app.deploy_confirm.as_ref().unwrap().preview.allowed());
    both_sizes(&mut h, "deploy_blocked");
}

#[test]
fn approving_your_own_version_is_refused_in_place() {
    let mut h = demo_for_ada();
    h.press("5");
    h.press("G"); // #1: support/triage v2; three up, #4: support/triage v3, which ada wrote
    for _ in 0..3 {
        h.key(KeyCode::Up, KeyModifiers::NONE);
    }
    h.press("a");
    assert!(
        h.app.popup.is_none(),
        "refused before a comment is asked for"
    );
    both_sizes(&mut h, "review_self_approval");
}

#[test]
fn clicking_a_cell_of_the_matrix_selects_it_and_its_history() {
    use galley::tui::event::Event;
    use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut h = demo_for_ada();
    h.press("6");
    crate::screen::draw(&mut h, 80, 24);
    // Row 0 is the tab bar, 1 the border, 2 the header: the first prompt is on row 3; staging's
    // column starts a little right of the middle.
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 44,
        row: 3,
        modifiers: KeyModifiers::NONE,
    };
    let effects = h.app.update(Event::Mouse(click), h.now);
    h.run(effects);
    assert_eq!(h.app.deploys.selected_env(), Some("staging"));
    let first = h.app.deploys.selected_prompt().unwrap().clone();
    assert_eq!(first.as_str(), "eng/code-review");
    assert_eq!(h.app.deploys.history.as_ref().map(|(n, _)| n), Some(&first));
}
