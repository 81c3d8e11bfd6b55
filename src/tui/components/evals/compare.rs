//! The comparison of two runs (or two versions within one): pass-rate, score, cost and latency
//! deltas, and the cases that flipped, regressions first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::tui::components::edit_view::pane;
use crate::tui::theme::Theme;

use super::CompareView;
use super::format::{cost, delta, latency, percent};

/// The comparison as lines.
pub fn lines(view: &CompareView, theme: Theme) -> Vec<Line<'static>> {
    let c = &view.comparison;
    let (a, b) = (&c.before.summary, &c.after.summary);
    let mut lines = vec![
        Line::styled(
            format!(
                "{} → {} · {} cases on both sides",
                view.before, view.after, c.matched
            ),
            theme.title(),
        ),
        Line::styled(
            format!("{:<12}{:>10}{:>10}   change", "", "before", "after"),
            theme.dim(),
        ),
    ];
    let rows = [
        (
            "pass rate",
            percent(a.pass_rate),
            percent(b.pass_rate),
            delta(
                c.pass_rate_delta,
                format!("{:.1} pts", c.pass_rate_delta * 100.0),
                true,
            ),
        ),
        (
            "mean score",
            format!("{:.2}", a.mean_score),
            format!("{:.2}", b.mean_score),
            delta(c.score_delta, format!("{:.2}", c.score_delta), true),
        ),
        (
            "cost",
            cost(Some(a.cost_usd)),
            cost(Some(b.cost_usd)),
            delta(
                c.cost_delta_usd,
                cost(Some(c.cost_delta_usd.abs())).replacen(
                    '$',
                    if c.cost_delta_usd < 0.0 { "-$" } else { "$" },
                    1,
                ),
                false,
            ),
        ),
        (
            "latency",
            latency(a.mean_latency_ms),
            latency(b.mean_latency_ms),
            delta(
                c.latency_delta_ms,
                format!("{:.0}ms", c.latency_delta_ms),
                false,
            ),
        ),
    ];
    for (name, before, after, (change, better)) in rows {
        lines.push(Line::from(vec![
            Span::styled(format!("{name:<12}"), theme.title()),
            Span::raw(format!("{before:>10}{after:>10}   ")),
            Span::styled(change, if better { theme.ok() } else { theme.error() }),
        ]));
    }
    lines.push(Line::raw(""));
    let regressions = c.regressions();
    let fixes = c.flips.len() - regressions;
    if c.flips.is_empty() {
        lines.push(Line::styled("No case changed its verdict.", theme.dim()));
        return lines;
    }
    lines.push(Line::styled(
        format!(
            "Flipped cases ({}): {regressions} regression{}, {fixes} fix{}",
            c.flips.len(),
            if regressions == 1 { "" } else { "s" },
            if fixes == 1 { "" } else { "es" },
        ),
        theme.accent(),
    ));
    for flip in &c.flips {
        let (mark, style) = if flip.is_regression() {
            ("✗ REGRESSED", theme.error())
        } else {
            ("✓ FIXED    ", theme.ok())
        };
        lines.push(Line::from(vec![
            Span::styled(mark, style),
            Span::raw(format!(
                " {} · {} · {:.2} → {:.2}",
                flip.description, flip.provider, flip.before_score, flip.after_score
            )),
        ]));
        if !flip.reason.is_empty() {
            lines.extend(
                flip.reason
                    .lines()
                    .map(|l| Line::styled(format!("    {l}"), theme.dim())),
            );
        }
    }
    lines
}

/// Draws the comparison.
pub(super) fn draw(view: &CompareView, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
    let title = format!(" Comparison {} → {} · Esc closes ", view.before, view.after);
    frame.render_widget(
        Paragraph::new(lines(view, theme))
            .block(pane(title, theme, focused))
            .wrap(Wrap { trim: false })
            .scroll((view.scroll, 0)),
        area,
    );
}
