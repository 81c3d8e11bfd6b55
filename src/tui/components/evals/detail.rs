//! A case's detail: its input variables, the output, the expected output, each assertion's
//! verdict and reason, a person's grade, and the output diffed against the expected.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use serde_json::Value as Json;

use crate::diff::{LineTag, diff_text};
use crate::domain::eval::{CaseResult, case_label};
use crate::tui::components::edit_view::pane;
use crate::tui::theme::Theme;
use crate::workspace::RunReport;

use super::format::{cost, latency, verdict};
use super::{EvalsView, empty};

fn heading(text: &str, theme: Theme) -> Line<'static> {
    Line::styled(format!("── {text} ──"), theme.accent())
}

fn text_lines(text: &str, lines: &mut Vec<Line<'static>>) {
    if text.is_empty() {
        lines.push(Line::raw("(empty)"));
    }
    lines.extend(text.lines().map(|l| Line::raw(l.to_string())));
}

/// The detail of `result` as lines.
pub fn lines(report: &RunReport, result: &CaseResult, theme: Theme) -> Vec<Line<'static>> {
    let case = report.dataset.cases.iter().find(|c| c.id == result.case_id);
    let label = case_label(&report.dataset.cases, &result.case_id);
    let version = if result.version == 0 {
        "draft".to_string()
    } else {
        format!("v{}", result.version)
    };
    let (verdict_text, verdict_style) = verdict(result, theme);
    let tokens = match (result.input_tokens, result.output_tokens) {
        (Some(i), Some(o)) => {
            let est = if result.tokens_estimated {
                " (est.)"
            } else {
                ""
            };
            format!(" · {i}→{o} tokens{est}")
        }
        _ => String::new(),
    };
    let mut lines = vec![
        Line::styled(
            format!("{label} · {version} · {}", result.provider),
            theme.title(),
        ),
        Line::from(vec![
            Span::styled(verdict_text, verdict_style),
            Span::raw(format!(
                "  score {:.2} · {}{tokens} · {}{}",
                result.score,
                latency(result.latency_ms as f64),
                cost(result.cost_usd),
                if result.cached { " · cached" } else { "" }
            )),
        ]),
    ];
    if let Some(h) = &result.human {
        let auto = if result.error.is_some() {
            "! ERROR"
        } else if result.pass {
            "✓ PASS"
        } else {
            "✗ FAIL"
        };
        let word = if h.pass { "✓ PASS" } else { "✗ FAIL" };
        lines.push(Line::raw(format!(
            "✎ graded {word} by {} (automatic verdict: {auto})",
            h.by
        )));
        if !h.note.is_empty() {
            lines.push(Line::raw(format!("  “{}”", h.note)));
        }
    }
    let failed = result.assertions.iter().filter(|a| !a.pass).count();
    lines.push(heading(
        &format!(
            "Assertions ({failed} of {} failed)",
            result.assertions.len()
        ),
        theme,
    ));
    if result.assertions.is_empty() {
        lines.push(Line::styled("(none checked)", theme.dim()));
    }
    for a in &result.assertions {
        let (mark, style) = if a.pass {
            ("✓ PASS", theme.ok())
        } else {
            ("✗ FAIL", theme.error())
        };
        let weight = if a.weight == 1.0 {
            String::new()
        } else {
            format!(" ×{}", a.weight)
        };
        lines.push(Line::from(vec![
            Span::styled(mark, style),
            Span::styled(format!(" {}{weight}", a.kind), theme.title()),
            Span::raw(format!(" ({:.2})", a.score)),
        ]));
        if !a.reason.is_empty() {
            lines.extend(a.reason.lines().map(|l| Line::raw(format!("  {l}"))));
        }
    }
    lines.push(heading("Input", theme));
    match case {
        Some(case) if !case.vars.is_empty() => {
            for (name, value) in &case.vars {
                let shown = match value {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let mut parts = shown.lines();
                lines.push(Line::from(vec![
                    Span::styled(format!("{name}: "), theme.title()),
                    Span::raw(parts.next().unwrap_or("").to_string()),
                ]));
                lines.extend(parts.map(|l| Line::raw(format!("  {l}"))));
            }
        }
        Some(_) => lines.push(Line::styled("(no variables)", theme.dim())),
        None => lines.push(Line::styled(
            "(the case is not in this dataset version)",
            theme.dim(),
        )),
    }
    if let Some(error) = &result.error {
        lines.push(heading("Error", theme));
        lines.extend(
            error
                .lines()
                .map(|l| Line::styled(format!("! {l}"), theme.warning())),
        );
    }
    if let Some(output) = &result.output {
        lines.push(heading("Output", theme));
        text_lines(output, &mut lines);
    }
    let expected = case.and_then(|c| c.expected.as_deref());
    lines.push(heading("Expected", theme));
    match expected {
        Some(e) => text_lines(e, &mut lines),
        None => lines.push(Line::styled("(no expected output)", theme.dim())),
    }
    if let (Some(output), Some(expected)) = (&result.output, expected) {
        lines.push(heading("Output vs expected (- expected, + output)", theme));
        let diff = diff_text(expected, output);
        if diff.iter().all(|l| l.tag == LineTag::Equal) {
            lines.push(Line::styled("= the output equals the expected", theme.ok()));
        }
        for line in diff
            .iter()
            .filter(|l| l.tag != LineTag::Equal || diff.len() < 40)
        {
            let style = match line.tag {
                LineTag::Insert => theme.added(),
                LineTag::Delete => theme.removed(),
                LineTag::Equal => theme.dim(),
            };
            lines.push(Line::styled(
                format!("{} {}", line.tag.marker(), line.text()),
                style,
            ));
        }
    }
    lines
}

/// Draws the detail of the selected result.
pub(super) fn draw(view: &EvalsView, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
    let block = pane(" Case ".into(), theme, focused);
    let (Some(report), Some(result)) = (&view.report, view.selected_result()) else {
        empty(
            frame,
            area,
            block,
            "Select a result to see its detail",
            theme,
        );
        return;
    };
    frame.render_widget(
        Paragraph::new(lines(report, result, theme))
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((view.detail_scroll, 0)),
        area,
    );
}
