//! Snapshots of each view at 80×24 and 160×48, drawn through ratatui's TestBackend, without
//! colour (so the snapshots show that meaning never rests on colour).

use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use crate::harness::Harness;
use crate::screen::both_sizes;

fn both_sizes(h: &mut Harness, name: &str) {
    both_sizes!(crate::screen::draw, h, name);
}

fn demo() -> Harness {
    let mut h = Harness::new();
    h.press("d");
    h.app.status = None;
    // Open support/triage, a text prompt with examples.
    h.press("/");
    h.press("support/triage");
    h.enter();
    h.esc();
    h
}

#[test]
fn welcome_view() {
    let mut h = Harness::new();
    both_sizes(&mut h, "welcome");
}

#[test]
fn edit_view() {
    let mut h = demo();
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    both_sizes(&mut h, "edit");
}

#[test]
fn edit_view_with_a_render_error() {
    let mut h = demo();
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.press("j"); // Context
    h.enter();
    h.press("{% if %}");
    h.esc();
    both_sizes(&mut h, "render_error");
}

#[test]
fn history_view() {
    let mut h = demo();
    h.press("2");
    both_sizes(&mut h, "history");
}

#[test]
fn help_overlay() {
    let mut h = demo();
    h.key(KeyCode::Tab, KeyModifiers::NONE);
    h.press("?");
    both_sizes(&mut h, "help");
}

#[test]
fn palette_overlay() {
    let mut h = demo();
    h.press(":");
    h.press("diff");
    both_sizes(&mut h, "palette");
}

#[test]
fn diff_with_added_removed_and_renamed_sections() {
    let mut h = demo();
    h.key(KeyCode::Tab, KeyModifiers::NONE); // Sections
    // Rename Role → Persona, delete Guardrails, add a custom section, edit Context.
    h.press("r");
    for _ in 0..12 {
        h.key(KeyCode::Backspace, KeyModifiers::NONE);
    }
    h.press("Persona");
    h.enter();
    h.press("jjj"); // Guardrails
    h.press("d");
    h.press("y");
    h.press("a");
    h.enter(); // custom
    h.press("Reply in English even when the ticket is not.");
    h.esc();
    h.press("v"); // diff the draft against the latest version
    both_sizes(&mut h, "diff_sections");
}
