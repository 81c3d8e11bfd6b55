//! The results table of one run: case, version, provider, verdict, score, latency and cost;
//! sorted by a column the user cycles, optionally filtered to failures.

use std::cmp::Ordering;

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use crate::domain::eval::{CaseResult, case_label};
use crate::tui::components::edit_view::pane;
use crate::tui::theme::Theme;
use crate::workspace::RunReport;

use super::format::{cost, effective_pass, latency, verdict};
use super::{EvalsView, empty};

/// The column the results are sorted by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortBy {
    /// The dataset's order, then version and provider.
    #[default]
    Case,
    /// Errors, then failures, then passes.
    Verdict,
    /// Lowest score first.
    Score,
    /// Slowest first.
    Latency,
    /// Dearest first.
    Cost,
}

impl SortBy {
    /// The next column in the cycle.
    pub fn next(self) -> Self {
        match self {
            Self::Case => Self::Verdict,
            Self::Verdict => Self::Score,
            Self::Score => Self::Latency,
            Self::Latency => Self::Cost,
            Self::Cost => Self::Case,
        }
    }

    /// How the title names the order.
    pub fn label(self) -> &'static str {
        match self {
            Self::Case => "case",
            Self::Verdict => "verdict, failures first",
            Self::Score => "score, lowest first",
            Self::Latency => "latency, slowest first",
            Self::Cost => "cost, dearest first",
        }
    }
}

fn rank(r: &CaseResult) -> u8 {
    match (r.human.is_none() && r.error.is_some(), effective_pass(r)) {
        (true, _) => 0,
        (false, false) => 1,
        (false, true) => 2,
    }
}

/// The indices of the results to show, filtered and sorted.
pub(super) fn visible(report: &RunReport, sort: SortBy, failures_only: bool) -> Vec<usize> {
    let results = &report.results;
    let position = |r: &CaseResult| {
        report
            .dataset
            .cases
            .iter()
            .position(|c| c.id == r.case_id)
            .unwrap_or(usize::MAX)
    };
    let mut rows: Vec<usize> = (0..results.len())
        .filter(|&i| !failures_only || !effective_pass(&results[i]))
        .collect();
    let natural = |a: &CaseResult, b: &CaseResult| {
        (position(a), a.version, &a.provider, a.repeat).cmp(&(
            position(b),
            b.version,
            &b.provider,
            b.repeat,
        ))
    };
    let float = |x: f64, y: f64| x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    rows.sort_by(|&i, &j| {
        let (a, b) = (&results[i], &results[j]);
        let first = match sort {
            SortBy::Case => Ordering::Equal,
            SortBy::Verdict => rank(a).cmp(&rank(b)),
            SortBy::Score => float(a.score, b.score),
            SortBy::Latency => b.latency_ms.cmp(&a.latency_ms),
            SortBy::Cost => float(b.cost_usd.unwrap_or(0.0), a.cost_usd.unwrap_or(0.0)),
        };
        first.then_with(|| natural(a, b))
    });
    rows
}

/// Draws the table; returns its scroll offset.
pub(super) fn draw(
    view: &EvalsView,
    frame: &mut Frame,
    area: Rect,
    theme: Theme,
    focused: bool,
) -> usize {
    let Some(report) = &view.report else {
        let text = if view.runs.is_empty() {
            ""
        } else {
            "Loading the run's results…"
        };
        empty(
            frame,
            area,
            pane(" Results ".into(), theme, focused),
            text,
            theme,
        );
        return 0;
    };
    let visible = view.visible();
    let count = if view.failures_only {
        format!("failures {}/{}", visible.len(), report.results.len())
    } else {
        report.results.len().to_string()
    };
    let title = format!(
        " Results {} · {count} · by {} ",
        view.run_label(&report.run.id),
        view.sort.label()
    );
    let block = pane(title, theme, focused);
    if visible.is_empty() {
        let text = if view.failures_only {
            "No failures in this run (press f to show every result)"
        } else {
            "This run has no results"
        };
        empty(frame, area, block, text, theme);
        return 0;
    }
    let wide = area.width >= 72;
    let repeats = report.run.repeat > 1;
    let rows: Vec<Row> = visible
        .iter()
        .map(|&i| {
            let r = &report.results[i];
            let mut case = case_label(&report.dataset.cases, &r.case_id);
            if repeats {
                case.push_str(&format!(" #{}", r.repeat + 1));
            }
            let (verdict_text, verdict_style) = verdict(r, theme);
            let version = if r.version == 0 {
                "draft".to_string()
            } else {
                format!("v{}", r.version)
            };
            let mut cells = vec![
                Cell::from(case),
                Cell::from(version),
                Cell::from(r.provider.clone()),
                Cell::from(Span::styled(verdict_text, verdict_style)),
                Cell::from(format!("{:.2}", r.score)),
            ];
            if wide {
                cells.push(Cell::from(latency(r.latency_ms as f64)));
                cells.push(Cell::from(cost(r.cost_usd)));
            }
            Row::new(cells)
        })
        .collect();
    let mut header = vec!["case", "ver", "provider", "verdict", "score"];
    let mut widths = vec![
        Constraint::Min(12),
        Constraint::Length(5),
        Constraint::Length(9),
        Constraint::Length(9),
        Constraint::Length(5),
    ];
    if wide {
        header.extend(["latency", "cost"]);
        widths.extend([Constraint::Length(7), Constraint::Length(8)]);
    }
    let selected = view
        .result
        .and_then(|r| visible.iter().position(|v| *v == r));
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
        .with_offset(view.result_offset)
        .with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
    state.offset()
}
