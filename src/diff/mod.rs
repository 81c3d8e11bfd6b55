//! The section-aware diff of two prompt versions: the one model the CLI prints and the TUI draws.
//!
//! Sections are matched old to new (same kind and title, then same kind with a similar body as a
//! rename, then same title as a kind change); each matched pair gets a line diff with the changed
//! words inside changed lines marked. The non-section parts (type, description, headings, model
//! config, variable declarations) become [`FieldChange`]s, diffed line by line the same way.
//! Pure code: no I/O. Front ends only render this model.

mod fields;
mod layout;
mod matching;
mod text;

#[cfg(test)]
mod tests;

use serde::Serialize;

use crate::domain::{MessageRole, PromptContent, Section, SectionKind};

pub use layout::{Hunk, SideBySideRow, hunks, side_by_side};
pub use text::diff_text;

/// Everything that differs between two prompt contents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptDiff {
    /// The non-section parts that changed, in a fixed order: type, description, headings,
    /// config, then variables by name.
    pub fields: Vec<FieldChange>,
    /// Every section of both versions, unchanged ones included, in the new prompt's order, with
    /// removed sections placed after the matched section that preceded them in the old order.
    pub sections: Vec<SectionDiff>,
    pub stats: DiffStats,
}

impl PromptDiff {
    /// Whether the two versions say the same thing in the same order.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.sections.iter().all(|s| !s.is_changed())
    }

    /// The sections that differ in any way (content, title, kind, role or position).
    pub fn changed_sections(&self) -> impl Iterator<Item = &SectionDiff> {
        self.sections.iter().filter(|s| s.is_changed())
    }
}

/// What happened to a section or a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeStatus {
    Added,
    Removed,
    Modified,
    Unchanged,
}

impl ChangeStatus {
    /// The status's name, as serialised.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Removed => "removed",
            Self::Modified => "modified",
            Self::Unchanged => "unchanged",
        }
    }
}

/// A change to a non-section part of the prompt, shown like a section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// `type`, `description`, `headings`, `config` or `variables.<name>`.
    pub field: String,
    /// `added` or `removed` for a variable declaration, else `modified`.
    pub status: ChangeStatus,
    /// The old and new values as text (config and variables as pretty JSON), diffed by line.
    pub lines: Vec<DiffLine>,
    pub added: usize,
    pub removed: usize,
}

/// One section's fate between the two versions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectionDiff {
    pub status: ChangeStatus,
    /// The new kind, or the old one for a removed section.
    pub kind: SectionKind,
    /// The new title, or the old one for a removed section.
    pub title: String,
    /// The new message role, or the old one for a removed section.
    pub role: Option<MessageRole>,
    /// The old title, when a matched section's title changed.
    pub renamed_from: Option<String>,
    /// Whether the section's order relative to the other matched sections changed.
    pub moved: bool,
    /// `(old, new)` when a matched section's kind changed.
    pub kind_changed: Option<(SectionKind, SectionKind)>,
    /// `(old, new)` when a matched section's message role changed.
    pub role_changed: Option<(Option<MessageRole>, Option<MessageRole>)>,
    /// 0-based position in the old prompt (absent for an added section).
    pub old_index: Option<usize>,
    /// 0-based position in the new prompt (absent for a removed section).
    pub new_index: Option<usize>,
    /// Every line of the body, unchanged lines tagged `equal`: front ends choose the context.
    pub lines: Vec<DiffLine>,
    /// Lines inserted into the body.
    pub added: usize,
    /// Lines deleted from the body.
    pub removed: usize,
}

impl SectionDiff {
    /// Whether the section differs in any way, position included.
    pub fn is_changed(&self) -> bool {
        self.status != ChangeStatus::Unchanged || self.moved
    }
}

/// Whether a line is shared, inserted or deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineTag {
    Equal,
    Insert,
    Delete,
}

impl LineTag {
    /// The one-character marker of unified diffs: ` `, `+` or `-`.
    pub fn marker(self) -> char {
        match self {
            Self::Equal => ' ',
            Self::Insert => '+',
            Self::Delete => '-',
        }
    }
}

/// One line of a diff, split into segments whose changed words are emphasized.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub tag: LineTag,
    /// 1-based line number in the old text (absent for an inserted line).
    pub old_line: Option<usize>,
    /// 1-based line number in the new text (absent for a deleted line).
    pub new_line: Option<usize>,
    /// The line's text without its newline; an empty line has no segments.
    pub segments: Vec<Segment>,
}

impl DiffLine {
    /// The whole line's text, without its newline.
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }

    /// Whether some words inside the line are marked as changed.
    pub fn has_emphasis(&self) -> bool {
        self.segments.iter().any(|s| s.emphasized)
    }
}

/// A run of a line's text; `emphasized` marks words changed inside a changed line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    pub emphasized: bool,
}

/// Counts for a one-line summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DiffStats {
    pub sections_added: usize,
    pub sections_removed: usize,
    pub sections_modified: usize,
    pub sections_renamed: usize,
    pub sections_moved: usize,
    /// Lines inserted, over section bodies and fields.
    pub lines_added: usize,
    /// Lines deleted, over section bodies and fields.
    pub lines_removed: usize,
}

/// Diffs two versions of a prompt: fields, matched sections, line and word changes.
pub fn diff_prompts(old: &PromptContent, new: &PromptContent) -> PromptDiff {
    let fields = fields::field_changes(old, new);
    let new_to_old = matching::match_sections(&old.sections, &new.sections);
    let moved = matching::moved(&new_to_old);
    let mut old_to_new = vec![None; old.sections.len()];
    for (j, i) in new_to_old.iter().enumerate() {
        if let Some(i) = *i {
            old_to_new[i] = Some(j);
        }
    }

    // A removed section follows the matched section that preceded it in the old order.
    let mut leading_removed = Vec::new();
    let mut removed_after = vec![Vec::new(); new.sections.len()];
    let mut anchor = None;
    for (i, matched) in old_to_new.iter().enumerate() {
        match (matched, anchor) {
            (Some(j), _) => anchor = Some(*j),
            (None, Some(j)) => removed_after[j].push(i),
            (None, None) => leading_removed.push(i),
        }
    }

    let removed = |i: usize| one_sided(&old.sections[i], i, ChangeStatus::Removed);
    let mut sections = Vec::with_capacity(old.sections.len().max(new.sections.len()));
    sections.extend(leading_removed.into_iter().map(removed));
    for (j, section) in new.sections.iter().enumerate() {
        sections.push(match new_to_old[j] {
            Some(i) => matched(&old.sections[i], i, section, j, moved[j]),
            None => one_sided(section, j, ChangeStatus::Added),
        });
        sections.extend(removed_after[j].iter().copied().map(removed));
    }

    let stats = stats(&fields, &sections);
    PromptDiff {
        fields,
        sections,
        stats,
    }
}

fn matched(old: &Section, i: usize, new: &Section, j: usize, moved: bool) -> SectionDiff {
    let lines = diff_text(&old.body, &new.body);
    let (added, removed) = count_lines(&lines);
    let renamed_from = (old.title != new.title).then(|| old.title.clone());
    let kind_changed = (old.kind != new.kind).then_some((old.kind, new.kind));
    let role_changed = (old.role != new.role).then_some((old.role, new.role));
    // A missing final newline is not content (bodies are stored trimmed), so the lines decide.
    let changed = added + removed > 0
        || renamed_from.is_some()
        || kind_changed.is_some()
        || role_changed.is_some();
    SectionDiff {
        status: if changed {
            ChangeStatus::Modified
        } else {
            ChangeStatus::Unchanged
        },
        kind: new.kind,
        title: new.title.clone(),
        role: new.role,
        renamed_from,
        moved,
        kind_changed,
        role_changed,
        old_index: Some(i),
        new_index: Some(j),
        lines,
        added,
        removed,
    }
}

/// A section present on one side only: all its lines inserted (added) or deleted (removed).
fn one_sided(section: &Section, index: usize, status: ChangeStatus) -> SectionDiff {
    let added = status == ChangeStatus::Added;
    let lines = if added {
        diff_text("", &section.body)
    } else {
        diff_text(&section.body, "")
    };
    let (inserted, deleted) = count_lines(&lines);
    SectionDiff {
        status,
        kind: section.kind,
        title: section.title.clone(),
        role: section.role,
        renamed_from: None,
        moved: false,
        kind_changed: None,
        role_changed: None,
        old_index: (!added).then_some(index),
        new_index: added.then_some(index),
        lines,
        added: inserted,
        removed: deleted,
    }
}

/// (inserted, deleted) line counts.
pub(crate) fn count_lines(lines: &[DiffLine]) -> (usize, usize) {
    lines
        .iter()
        .fold((0, 0), |(ins, del), line| match line.tag {
            LineTag::Insert => (ins + 1, del),
            LineTag::Delete => (ins, del + 1),
            LineTag::Equal => (ins, del),
        })
}

fn stats(fields: &[FieldChange], sections: &[SectionDiff]) -> DiffStats {
    let mut stats = DiffStats::default();
    for field in fields {
        stats.lines_added += field.added;
        stats.lines_removed += field.removed;
    }
    for section in sections {
        match section.status {
            ChangeStatus::Added => stats.sections_added += 1,
            ChangeStatus::Removed => stats.sections_removed += 1,
            ChangeStatus::Modified => stats.sections_modified += 1,
            ChangeStatus::Unchanged => {}
        }
        stats.sections_renamed += usize::from(section.renamed_from.is_some());
        stats.sections_moved += usize::from(section.moved);
        stats.lines_added += section.added;
        stats.lines_removed += section.removed;
    }
    stats
}
