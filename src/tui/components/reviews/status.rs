//! How review statuses and decisions read: a glyph and a word each, so the meaning never rests on
//! colour (✓ approved, ✗ rejected, ↺ changes requested, … pending; ✓ signed, ✗ unsigned,
//! ✗ bad signature).

use ratatui::style::Style;

use crate::domain::policy::{DecisionKind, SignatureCheck};
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

/// A decision's signature as its badge (`✓ signed`, `✗ unsigned`, `✗ bad signature`) and style:
/// an unsigned decision reads as an error only where the policy requires signatures.
pub fn signature_label(
    check: &SignatureCheck,
    required: bool,
    theme: Theme,
) -> (&'static str, Style) {
    let style = match check {
        SignatureCheck::Verified => theme.ok(),
        SignatureCheck::Unsigned if !required => theme.dim(),
        _ => theme.error(),
    };
    (check.badge(), style)
}
