//! The run history table: the open prompt's runs with pass rate, versions, providers, status
//! and when, newest first.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use crate::domain::eval::{RunInfo, RunStatus};
use crate::tui::components::edit_view::pane;
use crate::tui::theme::Theme;

use super::format::percent;
use super::{EvalsView, empty};

/// A run's status as a mark and a word.
pub fn status(status: RunStatus, theme: Theme) -> (String, ratatui::style::Style) {
    match status {
        RunStatus::Completed => ("✓ completed".into(), theme.ok()),
        RunStatus::Cancelled => ("■ cancelled".into(), theme.warning()),
        RunStatus::Failed => ("✗ failed".into(), theme.error()),
        RunStatus::Running => ("◌ running".into(), theme.accent()),
    }
}

#[cfg(test)]
#[test]
fn short_times() {
    assert_eq!(short_when("just now"), "now");
    assert_eq!(short_when("3 minutes ago"), "3m");
    assert_eq!(short_when("1 hour ago"), "1h");
    assert_eq!(short_when("2024-01-02"), "2024-01-02");
}

fn versions(run: &RunInfo) -> String {
    run.versions
        .iter()
        .map(|v| {
            if *v == 0 {
                "draft".into()
            } else {
                format!("v{v}")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// "3 minutes ago" as "3m", "just now" as "now" (dates stay as they are).
fn short_when(text: &str) -> String {
    if text == "just now" {
        return "now".into();
    }
    let mut words = text.split(' ');
    match (words.next(), words.next().and_then(|u| u.chars().next())) {
        (Some(n), Some(unit)) if n.chars().all(|c| c.is_ascii_digit()) => format!("{n}{unit}"),
        _ => text.to_string(),
    }
}

/// Draws the table; returns its scroll offset.
pub(super) fn draw(
    view: &EvalsView,
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
    focused: bool,
    offset: usize,
) -> usize {
    let marked = view
        .marked
        .as_deref()
        .map(|id| format!(" · marked {}", view.run_label(id)))
        .unwrap_or_default();
    let title = format!(" Runs ({}){marked} ", view.runs.len());
    let block = pane(title, theme, focused);
    if view.runs.is_empty() {
        let text = if view.loaded {
            "No eval runs of this prompt yet: press r to start one"
        } else {
            "Loading runs…"
        };
        empty(frame, area, block, text, theme);
        return 0;
    }
    let medium = area.width >= 80;
    let wide = area.width >= 100;
    let rows: Vec<Row> = view
        .runs
        .iter()
        .enumerate()
        .map(|(i, run)| {
            let mark = if view.marked.as_deref() == Some(run.id.as_str()) {
                "◆"
            } else {
                " "
            };
            let s = &run.summary;
            let (status_text, status_style) = status(run.status, theme);
            let mut cells = vec![
                Cell::from(mark),
                Cell::from(Span::styled(
                    format!("#{}", view.runs.len() - i),
                    theme.title(),
                )),
                Cell::from(format!("{} {}/{}", percent(s.pass_rate), s.passed, s.total)),
                Cell::from(versions(run)),
                Cell::from(run.providers.join(",")),
                Cell::from(Span::styled(status_text, status_style)),
            ];
            if medium {
                cells.push(Cell::from(format!(
                    "{} v{}",
                    run.dataset, run.dataset_version
                )));
            }
            let when = crate::timefmt::relative_time(&run.started_at);
            let when = if wide { when } else { short_when(&when) };
            cells.push(Cell::from(Span::styled(when, theme.dim())));
            if wide {
                cells.push(Cell::from(run.started_by.clone()));
            }
            Row::new(cells)
        })
        .collect();
    let mut header = if wide {
        vec!["", "run", "pass", "versions", "providers", "status"]
    } else {
        vec!["", "run", "pass", "ver", "prov", "status"]
    };
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(4),
        Constraint::Length(12),
        Constraint::Length(if wide { 9 } else { 7 }),
        Constraint::Min(5),
        Constraint::Length(11),
    ];
    if medium {
        header.push("dataset");
        widths.push(Constraint::Min(12));
    }
    header.push("when");
    widths.push(Constraint::Length(if wide { 14 } else { 6 }));
    if wide {
        header.push("by");
        widths.push(Constraint::Length(10));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.title()))
        .block(block)
        .highlight_symbol("▸")
        .row_highlight_style(if focused {
            theme.selected()
        } else {
            theme.selected_dim()
        });
    let mut state = TableState::default()
        .with_offset(offset)
        .with_selected(Some(view.run_selected));
    frame.render_stateful_widget(table, area, &mut state);
    state.offset()
}
