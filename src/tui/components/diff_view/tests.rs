use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

use std::borrow::Cow;

use super::paint::printable;
use super::*;
use crate::diff::diff_prompts;
use crate::domain::{PromptContent, PromptType, Section, SectionKind};

const THEME: Theme = Theme { color: false };

fn instructions(changed: &str) -> String {
    let mut lines: Vec<String> = (1..=16)
        .map(|i| format!("Step {i}: read the ticket again."))
        .collect();
    lines[7] = format!(
        "Answer in a {changed} tone, cite the ticket number, and never guess the customer's \
         plan or the state of their account."
    );
    lines.join("\n")
}

fn custom(title: &str, body: &str) -> Section {
    Section::new(SectionKind::Custom, title, None, body)
}

/// v3 → draft: Output format moved up, Instructions edited, Notes renamed to Escalation,
/// Tone added, Legacy removed, the model changed.
fn versions() -> (PromptContent, PromptContent) {
    let mut old = PromptContent::blank(PromptType::Text);
    let bodies = [
        "You are a support agent for Acme Cloud.".to_string(),
        "Customers write about billing and outages.\nThe ticket: {{ ticket }}".to_string(),
        instructions("friendly"),
        "Never promise refunds.\nNever share internal links.".to_string(),
        "Plain text, at most 120 words.".to_string(),
    ];
    for (section, body) in old.sections.iter_mut().zip(bodies) {
        section.body = body;
    }
    old.sections.push(custom(
        "Notes",
        "Escalate refunds above 100 EUR to a human.",
    ));
    old.sections
        .push(custom("Legacy", "Old rule nobody follows."));
    old.config = json!({"model": "gpt-4o-mini", "temperature": 0.2});

    let mut new = old.clone();
    new.sections[2].body = instructions("formal");
    let output = new.sections.remove(4);
    new.sections.insert(1, output);
    new.sections[5] = custom("Escalation", "Escalate refunds above 200 EUR to a human.");
    new.sections[6] = custom(
        "Tone",
        "Warm and short.\n敬語を使い、短く答えてください。お客様の名前を必ず使うこと。そして最後に署名を入れてください。",
    );
    new.config = json!({"model": "gpt-4o", "temperature": 0.2});
    (old, new)
}

fn view() -> DiffView {
    let (old, new) = versions();
    let mut view = DiffView::default();
    view.set_diff("v3".into(), "draft".into(), diff_prompts(&old, &new));
    view
}

fn draw(view: &mut DiffView, width: u16, height: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| view.draw(frame, frame.area(), THEME, true))
        .unwrap();
    terminal
}

fn row_text(terminal: &Terminal<TestBackend>, y: u16) -> String {
    let buffer = terminal.backend().buffer();
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol())
        .collect()
}

fn row_at_scroll(view: &DiffView) -> Row {
    view.rows.as_ref().unwrap().rows[view.scroll]
}

fn section_index(view: &DiffView, title: &str) -> usize {
    let diff = &view.loaded.as_ref().unwrap().diff;
    diff.sections.iter().position(|s| s.title == title).unwrap()
}

#[test]
fn the_model_has_every_kind_of_change() {
    let diff = &view().loaded.unwrap().diff;
    let s = diff.stats;
    assert_eq!(
        (
            s.sections_added,
            s.sections_removed,
            s.sections_renamed,
            s.sections_moved
        ),
        (1, 1, 1, 1)
    );
    assert_eq!(diff.fields[0].field, "config");
}

#[test]
fn unified_at_80_by_24() {
    let mut view = view();
    let terminal = draw(&mut view, 80, 24);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn unified_at_80_by_24_scrolled_to_the_end() {
    let mut view = view();
    draw(&mut view, 80, 24);
    view.handle(Action::Bottom);
    let terminal = draw(&mut view, 80, 24);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn side_by_side_at_160_by_48() {
    let mut view = view();
    let terminal = draw(&mut view, 160, 48);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn unfolded_unified_at_160_by_48() {
    let mut view = view();
    view.handle(Action::DiffToggleFold);
    view.handle(Action::DiffToggleUnified);
    view.handle(Action::DiffToggleWhitespace);
    let terminal = draw(&mut view, 160, 48);
    insta::assert_snapshot!(terminal.backend());
}

#[test]
fn no_differences_and_no_diff_yet() {
    let (old, _) = versions();
    let mut view = DiffView::default();
    let terminal = draw(&mut view, 80, 24);
    insta::assert_snapshot!("no_diff_yet", terminal.backend());
    view.set_diff("v3".into(), "v4".into(), diff_prompts(&old, &old));
    let terminal = draw(&mut view, 80, 24);
    insta::assert_snapshot!("no_differences", terminal.backend());
}

#[test]
fn next_and_previous_change_scroll_to_change_starts() {
    let mut view = view();
    draw(&mut view, 80, 8);
    assert_eq!(row_at_scroll(&view), Row::Header(Part::Field(0)));

    view.handle(Action::DiffNextChange);
    let output = section_index(&view, "Output format");
    assert_eq!(row_at_scroll(&view), Row::Header(Part::Section(output)));

    view.handle(Action::DiffNextChange);
    let steps = section_index(&view, "Instructions");
    assert_eq!(row_at_scroll(&view), Row::Header(Part::Section(steps)));

    // Inside Instructions: the first changed line (line 8 deleted), past the folded run.
    view.handle(Action::DiffNextChange);
    assert_eq!(row_at_scroll(&view), Row::Line(Part::Section(steps), 7));
    assert_eq!(
        view.loaded.as_ref().unwrap().diff.sections[steps].lines[7].tag,
        LineTag::Delete
    );

    view.handle(Action::DiffPrevChange);
    assert_eq!(row_at_scroll(&view), Row::Header(Part::Section(steps)));
    view.handle(Action::Top);
    view.handle(Action::DiffPrevChange);
    assert_eq!(view.scroll_offset(), 0);

    // Side by side, the change is one aligned row.
    draw(&mut view, 120, 8);
    view.handle(Action::DiffNextChange);
    view.handle(Action::DiffNextChange);
    view.handle(Action::DiffNextChange);
    assert_eq!(
        row_at_scroll(&view),
        Row::Pair(Part::Section(steps), Some(7), Some(8))
    );
}

#[test]
fn folding_changes_the_row_count() {
    let mut view = view();
    draw(&mut view, 80, 24);
    let folded = view.row_count();
    let role = section_index(&view, "Role");
    let rows = &view.rows.as_ref().unwrap().rows;
    assert!(!rows.contains(&Row::Line(Part::Section(role), 0)));
    assert!(rows.iter().any(|r| matches!(r, Row::Fold(_, _, 4))));

    view.handle(Action::DiffToggleFold);
    assert!(!view.folded());
    let unfolded = view.row_count();
    assert!(unfolded > folded, "{unfolded} > {folded}");
    let rows = &view.rows.as_ref().unwrap().rows;
    assert!(rows.contains(&Row::Line(Part::Section(role), 0)));
    assert!(!rows.iter().any(|r| matches!(r, Row::Fold(..))));

    view.handle(Action::DiffToggleFold);
    assert_eq!(view.row_count(), folded);
}

#[test]
fn toggling_keeps_the_top_row_on_the_same_line() {
    let mut view = view();
    view.handle(Action::DiffToggleFold);
    draw(&mut view, 80, 8);
    let steps = section_index(&view, "Instructions");
    for _ in 0..3 {
        view.handle(Action::DiffNextChange);
    }
    assert_eq!(row_at_scroll(&view), Row::Line(Part::Section(steps), 7));
    draw(&mut view, 120, 8);
    assert_eq!(
        row_at_scroll(&view),
        Row::Pair(Part::Section(steps), Some(7), Some(8))
    );
    view.handle(Action::DiffToggleFold);
    assert_eq!(
        row_at_scroll(&view),
        Row::Pair(Part::Section(steps), Some(7), Some(8))
    );
}

#[test]
fn the_white_space_toggle_asks_for_a_recompute_and_survives_a_new_diff() {
    let mut view = view();
    assert!(!view.ignore_whitespace());
    assert_eq!(
        view.handle(Action::DiffToggleWhitespace),
        DiffOutcome::Recompute {
            ignore_whitespace: true
        }
    );
    view.handle(Action::DiffToggleUnified);
    view.handle(Action::Down);
    let (old, new) = versions();
    view.set_diff("v3".into(), "v4".into(), diff_prompts(&old, &new));
    assert!(view.ignore_whitespace() && view.unified() && view.folded());
    assert_eq!(view.scroll_offset(), 0);
    assert_eq!(view.labels(), Some(("v3", "v4")));
    assert_eq!(
        view.handle(Action::DiffToggleWhitespace),
        DiffOutcome::Recompute {
            ignore_whitespace: false
        }
    );
    assert_eq!(view.handle(Action::Down), DiffOutcome::None);
    view.clear();
    assert!(!view.has_diff() && view.labels().is_none());
}

#[test]
fn scrolling_clamps_at_both_ends() {
    let mut view = view();
    draw(&mut view, 80, 12);
    let (total, page) = (view.row_count(), 10);
    view.scroll(-3);
    assert_eq!(view.scroll_offset(), 0);
    view.scroll(5);
    assert_eq!(view.scroll_offset(), 5);
    view.scroll(10_000);
    assert_eq!(view.scroll_offset(), total - page);
    view.handle(Action::Down);
    assert_eq!(view.scroll_offset(), total - page);
    view.handle(Action::PageUp);
    assert_eq!(view.scroll_offset(), total - 2 * page);
    view.handle(Action::Top);
    view.handle(Action::PageDown);
    assert_eq!(view.scroll_offset(), page);
    view.handle(Action::Bottom);
    assert_eq!(view.scroll_offset(), total - page);
    // A taller area shows more rows, so the bottom comes up.
    draw(&mut view, 80, 20);
    assert_eq!(view.scroll_offset(), total - 18);
}

#[test]
fn long_lines_are_cut_at_their_column() {
    let mut view = view();
    view.handle(Action::DiffToggleFold);
    let terminal = draw(&mut view, 120, 60);
    let separator = 1 + (118 - 1) / 2;
    let mut cut = 0;
    for y in 1..59 {
        let text = row_text(&terminal, y);
        if text.contains("Answer in a") {
            // Both halves are cut before the separator and the right border.
            let cells: Vec<&str> = {
                let buffer = terminal.backend().buffer();
                (0..120).map(|x| buffer[(x, y)].symbol()).collect()
            };
            assert_eq!(cells[separator as usize], "│", "{text}");
            assert_eq!(cells[separator as usize - 1], "…", "{text}");
            assert_eq!(cells[118], "…", "{text}");
            cut += 1;
        }
        // A wide character's second cell is blank in the buffer.
        if text.contains("敬 語") {
            assert!(
                text.trim_end_matches('│').trim_end().ends_with('…'),
                "{text}"
            );
            cut += 1;
        }
    }
    assert_eq!(cut, 2);
}

#[test]
fn changed_words_are_emphasized_without_colour() {
    use ratatui::style::Modifier;
    let mut view = view();
    let terminal = draw(&mut view, 160, 48);
    let buffer = terminal.backend().buffer();
    let find = |word: &str| {
        (0..48)
            .find_map(|y| {
                row_text(&terminal, y).find(word).map(|x| {
                    buffer[(row_text(&terminal, y)[..x].chars().count() as u16, y)].clone()
                })
            })
            .unwrap()
    };
    let removed = find("friendly");
    assert!(
        removed
            .modifier
            .contains(Modifier::REVERSED | Modifier::CROSSED_OUT)
    );
    let added = find("formal");
    assert!(
        added
            .modifier
            .contains(Modifier::REVERSED | Modifier::UNDERLINED)
    );
    let plain = find("cite the ticket");
    assert!(!plain.modifier.contains(Modifier::REVERSED));
    assert!(Theme { color: false }.added_word().fg.is_none());
}

#[test]
fn control_characters_never_reach_the_screen() {
    assert_eq!(printable("a\tb\u{7}c"), "a    bc");
    assert!(matches!(printable("plain"), Cow::Borrowed(_)));
}
