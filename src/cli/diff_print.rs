//! Prints the diff model (computed by `crate::diff`) as a unified, section-aware text diff.

use crate::diff::{ChangeStatus, DiffLine, LineTag, PromptDiff, SectionDiff, hunks};

use super::output::{ADDED_WORD, BAD, BOLD, DIM, GOOD, REMOVED_WORD, WARN, paint};

/// The whole diff as text: field changes, then each changed section with its hunks, then a
/// summary line.
pub fn render(title: &str, diff: &PromptDiff, context: usize) -> String {
    let mut out = format!("{title}\n");
    if diff.is_empty() {
        out.push_str("no differences\n");
        return out;
    }
    for field in &diff.fields {
        out.push_str(&format!(
            "\n{} {}\n",
            status_marker(field.status),
            paint(BOLD, &field.field)
        ));
        push_lines(&mut out, &field.lines, context);
    }
    for section in diff.sections.iter().filter(|s| s.is_changed()) {
        out.push('\n');
        out.push_str(&section_header(section));
        push_lines(&mut out, &section.lines, context);
    }
    let s = &diff.stats;
    let mut parts = Vec::new();
    for (n, what) in [
        (s.sections_added, "added"),
        (s.sections_removed, "removed"),
        (s.sections_modified, "modified"),
        (s.sections_renamed, "renamed"),
        (s.sections_moved, "moved"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let sections = if parts.is_empty() {
        "no section changes".into()
    } else {
        format!("sections: {}", parts.join(", "))
    };
    out.push_str(&format!(
        "\n{} · {} {}\n",
        sections,
        paint(GOOD, format!("+{}", s.lines_added)),
        paint(BAD, format!("-{}", s.lines_removed))
    ));
    out
}

fn status_marker(status: ChangeStatus) -> String {
    match status {
        ChangeStatus::Added => paint(GOOD.bold(), "+"),
        ChangeStatus::Removed => paint(BAD.bold(), "-"),
        ChangeStatus::Modified => paint(WARN.bold(), "~"),
        ChangeStatus::Unchanged => " ".into(),
    }
}

fn section_header(section: &SectionDiff) -> String {
    let position = match (section.old_index, section.new_index) {
        (Some(o), Some(n)) if o != n => format!("section {} (was {})", n + 1, o + 1),
        (_, Some(n)) => format!("section {}", n + 1),
        (Some(o), None) => format!("section {} (old)", o + 1),
        (None, None) => "section".into(),
    };
    let role = section.role.map(|r| format!(" · {r}")).unwrap_or_default();
    let mut notes = vec![section.status.as_str().to_string()];
    if let Some(from) = &section.renamed_from {
        notes.push(format!("renamed from \"{from}\""));
    }
    if section.moved {
        notes.push("moved".into());
    }
    if let Some((from, to)) = section.kind_changed {
        notes.push(format!("kind {from} → {to}"));
    }
    if let Some((from, to)) = section.role_changed {
        let show =
            |r: Option<crate::domain::MessageRole>| r.map_or("none".to_string(), |r| r.to_string());
        notes.push(format!("role {} → {}", show(from), show(to)));
    }
    format!(
        "{} {} \"{}\" {} {}\n",
        status_marker(section.status),
        position,
        paint(BOLD, &section.title),
        paint(DIM, format!("[{}{role}]", section.kind)),
        paint(WARN, notes.join(", "))
    )
}

fn push_lines(out: &mut String, lines: &[DiffLine], context: usize) {
    for hunk in hunks(lines, context) {
        out.push_str(&paint(DIM, hunk.header()));
        out.push('\n');
        for line in &hunk.lines {
            out.push_str(&render_line(line));
            out.push('\n');
        }
    }
}

fn render_line(line: &DiffLine) -> String {
    let (base, word) = match line.tag {
        LineTag::Equal => return format!(" {}", line.text()),
        LineTag::Insert => (GOOD, ADDED_WORD),
        LineTag::Delete => (BAD, REMOVED_WORD),
    };
    let mut text = paint(base, line.tag.marker());
    for segment in &line.segments {
        if !segment.emphasized {
            text.push_str(&paint(base, &segment.text));
        } else if colour_off() {
            // Without colour, changed words are bracketed as wdiff does.
            let (open, close) = if line.tag == LineTag::Insert {
                ("{+", "+}")
            } else {
                ("[-", "-]")
            };
            text.push_str(&format!("{open}{}{close}", segment.text));
        } else {
            text.push_str(&paint(word, &segment.text));
        }
    }
    text
}

/// Whether stdout shows no colour (asked once: the terminal does not change mid-command).
fn colour_off() -> bool {
    static OFF: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *OFF.get_or_init(|| {
        anstream::AutoStream::choice(&std::io::stdout()) == anstream::ColorChoice::Never
    })
}
