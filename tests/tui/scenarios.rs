//! Key-sequence scenarios on the workbench's state, with a real workspace file answering its
//! requests (through the same `worker::handle` the worker thread runs), asserting on the store.

use galley::domain::VersionRef;
use galley::tui::app::{Focus, View};
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use crate::harness::Harness;

#[test]
fn create_from_template_edit_preview_commit_and_diff() {
    let mut h = Harness::new();
    assert!(
        h.app.is_welcome(),
        "an empty workspace opens on the welcome view"
    );

    // n: pick a template (the classifier is the second), name it, Enter.
    h.press("n");
    h.key(KeyCode::Down, KeyModifiers::NONE);
    h.enter();
    h.press("support/router");
    h.enter();
    let name = Harness::name("support/router");
    assert_eq!(h.ws.log(&name).unwrap().len(), 1, "created as version 1");
    assert_eq!(h.app.open.as_ref().unwrap().name, name);
    assert!(
        h.preview_text().contains("⟨ticket⟩") || h.preview_text().contains("## Role"),
        "{}",
        h.preview_text()
    );

    // Edit the first section: Enter on Sections opens the editor; type; the preview follows.
    assert_eq!(h.app.focus, Focus::Sections);
    h.enter();
    assert_eq!(h.app.focus, Focus::Editor);
    h.press("ZEBRA ");
    assert!(
        h.preview_text().contains("ZEBRA"),
        "preview: {}",
        h.preview_text()
    );
    assert!(h.app.open.as_ref().unwrap().dirty);

    // The draft autosaves within a second of the last key.
    assert!(
        h.ws.resolve(&name, VersionRef::Draft).is_err(),
        "nothing saved while typing"
    );
    h.idle(800);
    let draft = h.ws.resolve(&name, VersionRef::Draft).unwrap();
    assert!(draft.content.sections[0].body.starts_with("ZEBRA "));

    // Ctrl-S: the commit dialog shows what changed; a message and Enter commit.
    h.ctrl('s');
    h.press("Open with a zebra");
    h.enter();
    let log = h.ws.log(&name).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].message, "Open with a zebra");
    assert!(h.app.popup.is_none());

    // History: d diffs the selected version with the previous one.
    h.esc();
    h.press("2");
    assert_eq!(h.app.view, View::History);
    h.press("d");
    assert_eq!(h.app.view, View::Diff);
    assert_eq!(h.app.diff.labels(), Some(("v1", "v2")));
}

#[test]
fn filter_the_list_and_open_a_match() {
    let mut h = Harness::new();
    h.press("d");
    assert!(h.app.list.prompts().len() >= 12);
    h.press("/");
    h.press("trge");
    h.enter();
    assert_eq!(
        h.app.list.selected_name().map(|n| n.as_str()),
        Some("support/triage")
    );
    assert_eq!(
        h.app.open.as_ref().map(|o| o.name.as_str()),
        Some("support/triage")
    );
    // Esc clears the filter; the selection stays.
    h.esc();
    assert_eq!(h.app.list.filter(), "");
    assert_eq!(
        h.app.list.selected_name().map(|n| n.as_str()),
        Some("support/triage")
    );
}

#[test]
fn quitting_saves_the_draft() {
    let mut h = Harness::new();
    h.press("d");
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.press("i");
    h.press("Unsaved words ");
    h.ctrl('c');
    assert!(h.quit);
    let name = h.app.open.as_ref().unwrap().name.clone();
    let draft = h.ws.resolve(&name, VersionRef::Draft).unwrap();
    assert!(draft.content.sections[0].body.starts_with("Unsaved words "));
}

#[test]
fn section_operations_reach_the_store() {
    let mut h = Harness::new();
    h.press("d");
    let name = h.app.open.as_ref().unwrap().name.clone();
    let before = h.ws.working_copy(&name).unwrap().content.sections.len();
    h.key(KeyCode::Tab, KeyModifiers::NONE); // to Sections
    // a: add a custom section after the first one, type a body.
    h.press("a");
    h.enter();
    h.press("Be concise.");
    h.esc();
    // r: rename it; J: move it down.
    h.press("r");
    for _ in 0..10 {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.press("Brevity");
    h.enter();
    h.press("J");
    h.idle(800);
    let draft = h.ws.resolve(&name, VersionRef::Draft).unwrap().content;
    assert_eq!(draft.sections.len(), before + 1);
    assert_eq!(draft.sections[2].title, "Brevity");
    assert_eq!(draft.sections[2].body, "Be concise.");
    // d + y deletes it again; the draft then equals the latest version and is dropped.
    h.press("d");
    h.press("y");
    h.idle(800);
    assert!(
        h.ws.resolve(&name, VersionRef::Draft).is_err(),
        "back to the latest version: no draft"
    );
}
