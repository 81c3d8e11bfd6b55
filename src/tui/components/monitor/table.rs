//! The versions side by side: each version's metrics over the range in this environment, the
//! two latest (before and after the last change) compared with the difference in words, or,
//! in another environment than production, its latest version against production's.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

use crate::domain::metrics::Metrics;
use crate::domain::thresholds::{format_ms, format_share, format_usd};
use crate::tui::event::MonitorData;
use crate::tui::theme::Theme;
use crate::workspace::{MetricSeries, VersionTotal};

type Getter = fn(&Metrics) -> Option<f64>;
type Shown = fn(f64) -> String;

/// The compared metrics: name, value, how to show it, whether higher is worse.
const METRICS: [(&str, Getter, Shown, bool); 8] = [
    ("calls", |m| Some(m.count as f64), count, false),
    ("errors", |m| Some(m.error_rate), format_share, true),
    ("p50", |m| m.latency_p50_ms, format_ms, true),
    ("p95", |m| m.latency_p95_ms, format_ms, true),
    ("p99", |m| m.latency_p99_ms, format_ms, true),
    ("cost/call", |m| m.cost_per_call_usd, format_usd, true),
    ("neg fb", |m| m.negative_feedback_share, format_share, true),
    ("feedback", |m| m.mean_feedback, signed, false),
];

fn count(x: f64) -> String {
    format!("{x:.0}")
}

fn signed(x: f64) -> String {
    format!("{x:+.2}")
}

/// A column: its heading and its metrics.
type Column<'a> = (String, &'a Metrics);

/// The versions of `series` with calls, the most recently served last, at most `room`.
fn recent(series: &MetricSeries, room: usize) -> Vec<&VersionTotal> {
    let mut versions: Vec<&VersionTotal> = series.versions.iter().collect();
    versions.sort_by_key(|v| (v.last_ms, v.version));
    let skip = versions.len().saturating_sub(room);
    versions.into_iter().skip(skip).collect()
}

/// The columns, and which two are compared (before, after): the environment's latest version
/// against what production served (another environment), or against the version before it.
fn columns(data: &MonitorData, room: usize) -> (Vec<Column<'_>>, Option<(usize, usize)>) {
    let short = super::super::env_badges::abbreviation;
    let mut columns: Vec<Column> = Vec::new();
    let baseline = data
        .baseline
        .as_ref()
        .and_then(|b| recent(b, 1).pop().map(|v| (b, v)));
    if let Some((b, v)) = baseline {
        columns.push((
            format!("{} {}", short(&b.env), version_label(v.version)),
            &v.metrics,
        ));
    }
    let own = recent(&data.series, room - columns.len());
    let prefix = if baseline.is_some() {
        format!("{} ", short(&data.series.env))
    } else {
        String::new()
    };
    columns.extend(
        own.iter()
            .map(|v| (format!("{prefix}{}", version_label(v.version)), &v.metrics)),
    );
    let n = columns.len();
    let pair = match (baseline.is_some(), n) {
        (true, 2..) => Some((0, n - 1)),
        (false, 2..) => Some((n - 2, n - 1)),
        _ => None,
    };
    (columns, pair)
}

/// `+12.3% worse`, `-0.4 s better`: the last shown version against the one before.
fn difference(before: f64, after: f64, show: fn(f64) -> String, higher_worse: bool) -> String {
    let delta = after - before;
    if delta.abs() < 1e-12 {
        return "same".into();
    }
    let sign = if delta > 0.0 { "+" } else { "−" };
    let worse = if higher_worse {
        delta > 0.0
    } else {
        delta < 0.0
    };
    let judged = if worse { " worse" } else { " better" };
    format!(
        "{sign}{}{judged}",
        show(delta.abs()).trim_start_matches('+')
    )
}

/// Draws the table in `area` (as many rows as fit, calls and errors first).
pub fn draw(frame: &mut Frame, area: Rect, data: &MonitorData, theme: Theme) {
    let room = if area.width >= 100 { 4 } else { 2 };
    let (columns, pair) = columns(data, room);
    if columns.is_empty() {
        return;
    }
    let mut header = vec![Cell::from("version")];
    header.extend(columns.iter().map(|(label, _)| Cell::from(label.clone())));
    if let Some((a, b)) = pair {
        header.push(Cell::from(format!("{} vs {}", columns[b].0, columns[a].0)));
    }
    let rows = METRICS.iter().map(|(name, get, show, higher_worse)| {
        let mut cells = vec![Cell::from(*name)];
        cells.extend(
            columns
                .iter()
                .map(|(_, m)| Cell::from(get(m).map_or("-".into(), show))),
        );
        if let Some((a, b)) = pair {
            let text = match (get(columns[a].1), get(columns[b].1)) {
                (Some(x), Some(y)) if *name != "calls" => difference(x, y, *show, *higher_worse),
                _ => String::new(),
            };
            let style = if text.ends_with("worse") {
                theme.error()
            } else {
                theme.dim()
            };
            cells.push(Cell::from(Line::styled(text, style)));
        }
        Row::new(cells)
    });
    let mut widths = vec![Constraint::Length(9)];
    widths.extend(
        columns
            .iter()
            .map(|(label, _)| Constraint::Length(label.len().max(9) as u16)),
    );
    if pair.is_some() {
        widths.push(Constraint::Min(10));
    }
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.title()))
        .column_spacing(1);
    frame.render_widget(table, area);
}

fn version_label(v: u32) -> String {
    if v == 0 {
        "unknown".into()
    } else {
        format!("v{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_say_which_way_is_better() {
        assert_eq!(difference(0.14, 0.01, format_share, true), "−13% better");
        assert_eq!(difference(700.0, 2600.0, format_ms, true), "+1.9 s worse");
        assert_eq!(difference(0.5, 0.5, format_share, true), "same");
        assert_eq!(difference(0.2, 0.6, signed, false), "+0.40 better");
    }
}
