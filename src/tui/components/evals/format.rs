//! How eval figures read: verdicts as marks and words (never colour alone), rates, costs and
//! latencies.

use ratatui::style::Style;

use crate::domain::eval::CaseResult;
use crate::tui::theme::Theme;

/// Whether a result counts as passed (a person's grade overrides the automatic verdict).
pub fn effective_pass(r: &CaseResult) -> bool {
    r.human.as_ref().map_or(r.pass, |h| h.pass)
}

/// A result's verdict as a mark and a word (`✓ PASS`, `✗ FAIL`, `! ERROR`), `✎` when a person
/// graded it, and its style.
pub fn verdict(r: &CaseResult, theme: Theme) -> (String, Style) {
    let graded = if r.human.is_some() { " ✎" } else { "" };
    let (text, style) = match (&r.human, &r.error) {
        (Some(h), _) if h.pass => ("✓ PASS", theme.ok()),
        (Some(_), _) => ("✗ FAIL", theme.error()),
        (None, Some(_)) => ("! ERROR", theme.warning()),
        (None, None) if r.pass => ("✓ PASS", theme.ok()),
        (None, None) => ("✗ FAIL", theme.error()),
    };
    (format!("{text}{graded}"), style)
}

/// `78.6%`.
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// `$0.0012`, or `—` when unknown.
pub fn cost(usd: Option<f64>) -> String {
    match usd {
        Some(c) if c >= 1.0 => format!("${c:.2}"),
        Some(c) => format!("${c:.4}"),
        None => "—".into(),
    }
}

/// `840ms`, `2.3s`.
pub fn latency(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1}s", ms / 1000.0)
    } else {
        format!("{ms:.0}ms")
    }
}

/// A signed change with a mark: `+14.3 pts ▲`, `-0.05 ▼`, `±0`.
pub fn delta(value: f64, text: String, higher_is_better: bool) -> (String, bool) {
    if value.abs() < 1e-9 {
        return ("±0".into(), true);
    }
    let better = (value > 0.0) == higher_is_better;
    let mark = if value > 0.0 { "▲" } else { "▼" };
    let word = if better { "better" } else { "worse" };
    let sign = if value > 0.0 { "+" } else { "" };
    (format!("{sign}{text} {mark} {word}"), better)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_well() {
        assert_eq!(percent(0.7857), "78.6%");
        assert_eq!(cost(Some(0.0)), "$0.0000");
        assert_eq!(cost(None), "—");
        assert_eq!(latency(840.0), "840ms");
        assert_eq!(latency(2300.0), "2.3s");
        assert_eq!(delta(0.5, "0.50".into(), true).0, "+0.50 ▲ better");
        assert_eq!(delta(-2.0, "-2".into(), false).0, "-2 ▼ better");
        assert_eq!(delta(0.0, "0".into(), true).0, "±0");
    }
}
