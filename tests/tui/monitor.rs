//! The Monitor view on the demo's month of production traffic for support/triage: snapshots at
//! 80×24 and 160×48, and the refine loop by keys: the worst error opened, made into a test case
//! of a dataset (checked through the workspace), and the prompt opened in the editor.
//!
//! The demo lays its story and traffic out backwards from its now, which the harness pins
//! ([`DEMO_NOW`]); the view's end is pinned to the start of that day (UTC): every bucket shown
//! is a whole day before it, the same on every run whatever the time.

use galley::domain::metrics::BucketSize;
use galley::tui::app::{Focus, View};
use galley::tui::worker::Settings;
use galley::workspace::Config;

use crate::harness::{DEMO_NOW, Harness};
use crate::screen::both_sizes;

/// The thresholds of the README's Monitor section.
const THRESHOLDS: &str = r#"
[monitor.thresholds]
error_rate = 0.05
min_calls = 50

[monitor.thresholds.env.production]
p95_latency_ms = 5000

[monitor.thresholds.prompt."support/triage"]
cost_per_call_usd = 0.001
negative_feedback_share = 0.4
"#;

fn start_of_today() -> jiff::Timestamp {
    let now = DEMO_NOW
        .parse::<jiff::Timestamp>()
        .unwrap()
        .as_millisecond();
    jiff::Timestamp::from_millisecond(BucketSize::Day.start_of(now)).unwrap()
}

/// The demo with support/triage open, the Monitor view's end pinned, the README's thresholds.
pub fn demo_monitor() -> Harness {
    let mut h = Harness::new();
    let config: Config = toml::from_str(THRESHOLDS).unwrap();
    h.set_settings(Settings::from_config(&config));
    h.app.monitor.until = Some(start_of_today());
    h.press("d");
    h.open_prompt("support/triage");
    h.press("7");
    h
}

fn screen(h: &mut Harness, width: u16, height: u16) -> String {
    crate::screen::draw(h, width, height)
}

fn both_sizes(h: &mut Harness, name: &str) {
    both_sizes!(screen, h, name);
}

#[test]
fn the_monitor_tells_the_story_of_the_bad_deployment() {
    let mut h = demo_monitor();
    assert_eq!(h.app.view, View::Monitor);
    assert_eq!(h.app.focus, Focus::Monitor);
    let data = h.app.monitor.data.as_ref().expect("loaded");
    assert_eq!(data.series.env, "production");
    let versions: Vec<u32> = data.series.versions.iter().map(|v| v.version).collect();
    assert_eq!(versions, [2, 3, 4]);
    let v4 = &data.series.versions[2];
    assert!(
        v4.breaches
            .iter()
            .any(|b| b.to_string().starts_with("BREACH p95")),
        "{:?}",
        v4.breaches
    );
    assert!(!data.worst.is_empty());
    // The deployment records mark the story on the versions row: v2, v3, the bad v4 and the
    // rollback to v3, each a `▲` with its version.
    let screen = screen(&mut h, 160, 48);
    let row = screen
        .lines()
        .find(|l| l.contains("versions "))
        .expect("the versions row");
    let marks: Vec<String> = row
        .match_indices('▲')
        .map(|(i, _)| row[i..].chars().take(2).collect())
        .collect();
    assert_eq!(marks, ["▲2", "▲3", "▲4", "▲3"], "{row}");
    both_sizes(&mut h, "monitor_production_30d");
}

#[test]
fn environments_ranges_and_worst_lists_cycle() {
    let mut h = demo_monitor();
    h.press("]");
    let data = h.app.monitor.data.as_ref().unwrap();
    assert_eq!(data.series.env, "staging");
    // Staging's v4 against what production served (the demo's staging traffic depends on the
    // hour the demo ran: no snapshot of it).
    let baseline = data.baseline.as_ref().expect("production beside staging");
    assert_eq!(baseline.env, "production");
    let shown = screen(&mut h, 80, 24);
    assert!(shown.contains("stg v4 vs prod v3"), "{shown}");
    h.press("[");
    h.press("[");
    assert_eq!(
        h.app.monitor.data.as_ref().unwrap().series.env,
        "development"
    );
    h.press("]");
    h.press("t");
    let data = h.app.monitor.data.as_ref().unwrap();
    assert_eq!(data.query.hours, 90 * 24);
    h.press("t");
    assert_eq!(
        h.app.monitor.data.as_ref().unwrap().series.bucket,
        BucketSize::Hour
    );
    // The last day per hour draws at both sizes (its numbers depend on the hour: no snapshot).
    assert!(screen(&mut h, 160, 48).contains("24h by hour"));
    assert!(screen(&mut h, 80, 24).contains("24h by hour"));
    h.press("tt");
    h.press("w");
    let data = h.app.monitor.data.as_ref().unwrap();
    assert!(
        data.worst
            .iter()
            .all(|o| o.feedback.as_ref().unwrap().is_negative())
    );
    both_sizes(&mut h, "monitor_negative_feedback");
    h.press("w");
    let data = h.app.monitor.data.as_ref().unwrap();
    let latencies: Vec<f64> = data.worst.iter().filter_map(|o| o.latency_ms).collect();
    assert!(latencies.windows(2).all(|w| w[0] >= w[1]), "slowest first");
}

#[test]
fn the_worst_error_becomes_a_test_case_then_the_prompt_opens_in_the_editor() {
    let mut h = demo_monitor();
    let worst = h.app.monitor.selected_call().unwrap().clone();
    assert_eq!(worst.status.as_str(), "error");
    h.enter();
    assert!(h.app.monitor.detail);
    both_sizes(&mut h, "monitor_call_open");
    h.press("c");
    assert!(h.app.popup.is_some(), "asks for the dataset");
    h.enter(); // "+ new": no dataset of production cases yet
    h.enter(); // the name offered: from-production
    let created = h.app.monitor.created.clone().expect("a case was made");
    assert_eq!(created.observation, worst.id);
    let dataset = h.ws.dataset("from-production", None).unwrap();
    assert_eq!(dataset.cases.len(), 1);
    let case = &dataset.cases[0];
    assert_eq!(case.vars, worst.variables);
    assert!(case.tags.contains(&"needs-rubric".to_string()));
    let said = h
        .app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default();
    assert!(said.contains("from-production v2"), "{said}");
    both_sizes(&mut h, "monitor_case_made");
    h.esc();
    assert!(!h.app.monitor.detail, "Esc closes the call");
    assert_eq!(h.app.focus, Focus::Monitor);
    h.press("e");
    assert_eq!(h.app.view, View::Edit);
    assert_eq!(h.app.focus, Focus::Sections);
    assert_eq!(h.app.open.as_ref().unwrap().name.as_str(), "support/triage");
}

#[test]
fn the_prompt_list_carries_a_breach_badge() {
    let mut h = demo_monitor();
    let text = screen(&mut h, 80, 24);
    let row = text
        .lines()
        .find(|l| l.contains("│  triage"))
        .expect("triage in the list");
    assert!(row.contains('!'), "{row}");
}

#[test]
fn a_click_selects_a_worst_call() {
    use galley::tui::event::Event;
    use ratatui::crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut h = demo_monitor();
    let shown = screen(&mut h, 80, 24);
    // The third call of the list, wherever the list starts on the screen.
    let third = shown
        .lines()
        .position(|l| l.contains("2d 13h ago"))
        .unwrap() as u16;
    let click = MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: 40,
        row: third,
        modifiers: KeyModifiers::NONE,
    };
    let effects = h.app.update(Event::Mouse(click), h.now);
    h.run(effects);
    assert_eq!(h.app.monitor.selected, 2);
    assert_eq!(h.app.focus, Focus::Monitor);
}
