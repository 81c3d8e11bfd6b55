//! How review statuses and decisions read: a glyph and a word each, so the meaning never rests on
//! colour (✓ approved, ✗ rejected, ↺ changes requested, … pending).

use ratatui::style::Style;

use crate::domain::policy::DecisionKind;
use crate::tui::theme::Theme;

/// A review status (`approved`, `rejected`, `changes_requested`, `pending`) as glyph, words and
/// style.
pub fn status_label(status: &str, theme: Theme) -> (&'static str, &'static str, Style) {
    match status {
        "approved" => ("✓", "approved", theme.ok()),
        "rejected" => ("✗", "rejected", theme.error()),
        "changes_requested" => ("↺", "changes requested", theme.warning()),
        _ => ("…", "pending", theme.dim()),
    }
}

/// A decision as glyph, past-tense verb and style.
pub fn decision_label(kind: DecisionKind, theme: Theme) -> (&'static str, &'static str, Style) {
    match kind {
        DecisionKind::Approve => ("✓", "approved", theme.ok()),
        DecisionKind::Reject => ("✗", "rejected", theme.error()),
        DecisionKind::RequestChanges => ("↺", "asked for changes", theme.warning()),
    }
}
