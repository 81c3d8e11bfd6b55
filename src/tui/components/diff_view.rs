//! The Diff view: draws a [`PromptDiff`] computed elsewhere (on the worker), side by side or
//! unified, folded or not, and scrolls it. It never computes a diff.
//!
//! The row list is built once per diff and mode (layout, fold) and holds only indices into the
//! diff, so a draw costs the visible rows alone whatever the size of the versions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Scrollbar, ScrollbarOrientation, ScrollbarState};

use crate::diff::{DiffLine, DiffStats, LineTag, PromptDiff, side_by_side};
use crate::tui::action::Action;
use crate::tui::theme::Theme;

/// Narrower areas fall back to the unified layout.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 100;
/// With folding on, runs of unchanged lines longer than this are collapsed.
const FOLD_RUN: usize = 6;
/// Unchanged lines kept beside a change when its run is collapsed.
const CONTEXT: usize = 3;
const HINT: [&str; 2] = [
    "Select two versions in History (2)",
    "or press v to diff your draft against the latest version",
];

/// What the app must do after the view handled an action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DiffOutcome {
    #[default]
    None,
    /// The white space mode changed: diff the same two versions again with this flag.
    Recompute { ignore_whitespace: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    SideBySide,
    Unified,
}

/// A block of the diff: the field changes come first, then the sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Field(usize),
    Section(usize),
}

/// One screen row; line numbers are indices into the part's `lines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Row {
    Header(Part),
    /// Unified layout: one line.
    Line(Part, usize),
    /// Side by side: the old line on the left, the new one on the right (the same index twice
    /// for an unchanged line).
    Pair(Part, Option<usize>, Option<usize>),
    /// `count` unchanged lines hidden from line `first` on.
    Fold(Part, usize, usize),
}

/// The row list of one diff in one mode, and the rows that start a change.
#[derive(Debug)]
struct Rows {
    layout: Layout,
    fold: bool,
    rows: Vec<Row>,
    stops: Vec<usize>,
}

#[derive(Debug)]
struct Loaded {
    from: String,
    to: String,
    diff: PromptDiff,
    number_width: usize,
}

/// The Diff view's state: the diff on show, the mode toggles and the scroll offset.
#[derive(Debug, Default)]
pub struct DiffView {
    loaded: Option<Loaded>,
    unified: bool,
    unfolded: bool,
    ignore_whitespace: bool,
    scroll: usize,
    /// Rows shown by the last draw (the page size).
    viewport: usize,
    /// Width of the last drawn area: it decides the layout.
    width: u16,
    rows: Option<Rows>,
}

impl DiffView {
    /// Shows a new diff; the mode toggles stay, the scroll goes back to the top.
    pub fn set_diff(&mut self, from_label: String, to_label: String, diff: PromptDiff) {
        let number_width = number_width(&diff);
        self.loaded = Some(Loaded {
            from: from_label,
            to: to_label,
            diff,
            number_width,
        });
        self.rows = None;
        self.scroll = 0;
    }

    pub fn clear(&mut self) {
        self.loaded = None;
        self.rows = None;
        self.scroll = 0;
    }

    pub fn has_diff(&self) -> bool {
        self.loaded.is_some()
    }

    /// The (from, to) labels of the diff on show.
    pub fn labels(&self) -> Option<(&str, &str)> {
        self.loaded
            .as_ref()
            .map(|l| (l.from.as_str(), l.to.as_str()))
    }

    pub fn ignore_whitespace(&self) -> bool {
        self.ignore_whitespace
    }

    /// Whether unified layout was asked for (narrow areas are unified regardless).
    pub fn unified(&self) -> bool {
        self.unified
    }

    /// Whether unchanged runs and sections are folded.
    pub fn folded(&self) -> bool {
        !self.unfolded
    }

    /// The index of the first visible row.
    pub fn scroll_offset(&self) -> usize {
        self.scroll
    }

    /// Rows in the current mode (as of the last draw's width).
    pub fn row_count(&mut self) -> usize {
        self.ensure_rows();
        self.rows.as_ref().map_or(0, |r| r.rows.len())
    }

    pub fn handle(&mut self, action: Action) -> DiffOutcome {
        let page = self.viewport.max(1) as i32;
        match action {
            Action::Up => self.scroll(-1),
            Action::Down => self.scroll(1),
            Action::PageUp => self.scroll(-page),
            Action::PageDown => self.scroll(page),
            Action::Top => self.scroll = 0,
            Action::Bottom => self.scroll(i32::MAX),
            Action::DiffNextChange | Action::DiffPrevChange => {
                self.ensure_rows();
                let Some(rows) = &self.rows else {
                    return DiffOutcome::None;
                };
                let target = if action == Action::DiffNextChange {
                    rows.stops.iter().find(|&&s| s > self.scroll)
                } else {
                    rows.stops.iter().rev().find(|&&s| s < self.scroll)
                };
                if let Some(&target) = target {
                    self.scroll = target;
                    self.clamp();
                }
            }
            Action::DiffToggleFold => {
                self.unfolded = !self.unfolded;
                self.ensure_rows();
            }
            Action::DiffToggleUnified => {
                self.unified = !self.unified;
                self.ensure_rows();
            }
            Action::DiffToggleWhitespace => {
                self.ignore_whitespace = !self.ignore_whitespace;
                return DiffOutcome::Recompute {
                    ignore_whitespace: self.ignore_whitespace,
                };
            }
            _ => {}
        }
        DiffOutcome::None
    }

    /// Scrolls by `delta` rows (the mouse wheel), clamped to the ends.
    pub fn scroll(&mut self, delta: i32) {
        self.ensure_rows();
        let magnitude = delta.unsigned_abs() as usize;
        self.scroll = if delta < 0 {
            self.scroll.saturating_sub(magnitude)
        } else {
            self.scroll.saturating_add(magnitude)
        };
        self.clamp();
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        self.width = area.width;
        let block = Block::bordered().border_style(theme.border(focused));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        self.viewport = inner.height as usize;
        self.ensure_rows();
        self.clamp();
        let buf = frame.buffer_mut();
        let border_width = area.width.saturating_sub(2);
        put_line(buf, area.x + 1, area.y, border_width, &self.title(theme));

        let Some(loaded) = &self.loaded else {
            centred(buf, inner, &HINT, theme.dim());
            return;
        };
        if loaded.diff.is_empty() {
            centred(buf, inner, &["No differences"], theme.title());
            return;
        }
        let Some(rows) = &self.rows else { return };
        let painter = Painter {
            diff: &loaded.diff,
            layout: rows.layout,
            theme,
            number_width: loaded.number_width,
        };
        let visible = rows.rows.iter().skip(self.scroll).take(self.viewport);
        for (y, row) in (inner.y..).zip(visible) {
            painter.row(buf, Rect::new(inner.x, y, inner.width, 1), *row);
        }

        // The bottom border: the summary on the left, the position on the right.
        let total = rows.rows.len();
        let last = (self.scroll + self.viewport).min(total);
        let position = format!(" {}-{}/{} ", (self.scroll + 1).min(total), last, total);
        let position_width = str_width(&position) as u16;
        let bottom = area.bottom().saturating_sub(1);
        let right = area.right().saturating_sub(1 + position_width);
        if right > area.x + 1 {
            buf.set_string(right, bottom, &position, theme.dim());
        }
        // The field names go first when space is short: the counts matter more.
        let room = right.saturating_sub(area.x + 2);
        let mut text = format!(" {} ", summary(&loaded.diff, true));
        if str_width(&text) > room as usize {
            text = format!(" {} ", summary(&loaded.diff, false));
        }
        put_line(
            buf,
            area.x + 1,
            bottom,
            room,
            &Line::styled(text, theme.text()),
        );

        let max = self.max_scroll();
        if max > 0 {
            let mut state = ScrollbarState::new(max + 1)
                .position(self.scroll)
                .viewport_content_length(self.viewport);
            let bar = Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None)
                .track_symbol(Some("│"))
                .track_style(theme.border(focused))
                .thumb_symbol("█");
            let track = Rect::new(area.x, inner.y, area.width, inner.height);
            frame.render_stateful_widget(bar, track, &mut state);
        }
    }

    /// ` Diff  v3 → draft · side by side · folded `
    fn title(&self, theme: Theme) -> Line<'static> {
        let mut spans = vec![Span::styled(" Diff ", theme.title())];
        if let Some(loaded) = &self.loaded {
            spans.push(Span::styled(
                format!(" {} → {} ", loaded.from, loaded.to),
                theme.accent(),
            ));
            let mut modes = vec![match self.layout() {
                Layout::SideBySide => "side by side",
                Layout::Unified if self.unified => "unified",
                Layout::Unified => "unified (narrow)",
            }];
            if !self.unfolded {
                modes.push("folded");
            }
            if self.ignore_whitespace {
                modes.push("ignoring white space");
            }
            spans.push(Span::styled(
                format!("· {} ", modes.join(" · ")),
                theme.dim(),
            ));
        }
        Line::from(spans)
    }

    fn layout(&self) -> Layout {
        if !self.unified && self.width >= SIDE_BY_SIDE_MIN_WIDTH {
            Layout::SideBySide
        } else {
            Layout::Unified
        }
    }

    /// Builds the row list if the diff, the layout or the fold changed, keeping the top row on
    /// the same line of the same part.
    fn ensure_rows(&mut self) {
        let Some(loaded) = &self.loaded else {
            self.rows = None;
            return;
        };
        let (layout, fold) = (self.layout(), !self.unfolded);
        if let Some(rows) = &self.rows
            && rows.layout == layout
            && rows.fold == fold
        {
            return;
        }
        let fields = loaded.diff.fields.len();
        let top = self
            .rows
            .as_ref()
            .and_then(|r| r.rows.get(self.scroll))
            .map(|row| anchor(*row, fields));
        let rows = build(&loaded.diff, layout, fold);
        if let Some(top) = top {
            let after = rows.rows.partition_point(|r| anchor(*r, fields) <= top);
            self.scroll = after.saturating_sub(1);
        }
        self.rows = Some(rows);
        self.clamp();
    }

    fn max_scroll(&self) -> usize {
        let total = self.rows.as_ref().map_or(0, |r| r.rows.len());
        total.saturating_sub(self.viewport.max(1))
    }

    fn clamp(&mut self) {
        self.scroll = self.scroll.min(self.max_scroll());
    }
}

/// Where a row sits in the diff, ordered like the rows: (part, 0 for the header or line + 1).
fn anchor(row: Row, fields: usize) -> (usize, usize) {
    let ordinal = |part| match part {
        Part::Field(i) => i,
        Part::Section(i) => fields + i,
    };
    match row {
        Row::Header(part) => (ordinal(part), 0),
        Row::Line(part, k) | Row::Fold(part, k, _) => (ordinal(part), k + 1),
        Row::Pair(part, left, right) => {
            let k = left.into_iter().chain(right).min().unwrap_or(0);
            (ordinal(part), k + 1)
        }
    }
}

fn build(diff: &PromptDiff, layout: Layout, fold: bool) -> Rows {
    let mut out = Rows {
        layout,
        fold,
        rows: Vec::new(),
        stops: Vec::new(),
    };
    for (i, field) in diff.fields.iter().enumerate() {
        out.push_part(Part::Field(i), &field.lines, true, true);
    }
    for (i, section) in diff.sections.iter().enumerate() {
        let changed = section.is_changed();
        out.push_part(Part::Section(i), &section.lines, changed, changed || !fold);
    }
    out
}

impl Rows {
    /// A part's header and, if `body`, its lines with long unchanged runs folded.
    fn push_part(&mut self, part: Part, lines: &[DiffLine], changed: bool, body: bool) {
        let header = self.rows.len();
        if changed {
            self.stops.push(header);
        }
        self.rows.push(Row::Header(part));
        if !body {
            return;
        }
        let units: Vec<Row> = match self.layout {
            Layout::Unified => (0..lines.len()).map(|k| Row::Line(part, k)).collect(),
            Layout::SideBySide => pairs(part, lines),
        };
        let equal = |row: &Row| match *row {
            Row::Line(_, k) | Row::Pair(_, Some(k), _) => lines[k].tag == LineTag::Equal,
            _ => false,
        };
        let mut k = 0;
        while k < units.len() {
            if !equal(&units[k]) {
                // A change in view right under a changed part's header is reached through it.
                let starts = k == 0 || equal(&units[k - 1]);
                let near_header = changed && self.rows.len() - header <= CONTEXT + 1;
                if starts && !near_header {
                    self.stops.push(self.rows.len());
                }
                self.rows.push(units[k]);
                k += 1;
                continue;
            }
            let end = k + units[k..].iter().take_while(|r| equal(r)).count();
            if self.fold && end - k > FOLD_RUN {
                let before = if k > 0 { CONTEXT } else { 0 };
                let after = if end < units.len() { CONTEXT } else { 0 };
                self.rows.extend_from_slice(&units[k..k + before]);
                let first = match units[k + before] {
                    Row::Line(_, line) | Row::Pair(_, Some(line), _) => line,
                    _ => 0,
                };
                let hidden = end - k - before - after;
                self.rows.push(Row::Fold(part, first, hidden));
                self.rows.extend_from_slice(&units[end - after..end]);
            } else {
                self.rows.extend_from_slice(&units[k..end]);
            }
            k = end;
        }
    }
}

/// The model's aligned rows, as indices into `lines` (line numbers are dense per side).
fn pairs(part: Part, lines: &[DiffLine]) -> Vec<Row> {
    let side = |skip: LineTag| -> Vec<usize> {
        (0..lines.len()).filter(|&k| lines[k].tag != skip).collect()
    };
    let (old_at, new_at) = (side(LineTag::Insert), side(LineTag::Delete));
    let index = |at: &[usize], number: Option<usize>| {
        number
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| at.get(n).copied())
    };
    side_by_side(lines)
        .into_iter()
        .map(|row| {
            Row::Pair(
                part,
                index(&old_at, row.left.and_then(|l| l.old_line)),
                index(&new_at, row.right.and_then(|r| r.new_line)),
            )
        })
        .collect()
}

/// Digits of the largest line number, so both gutters keep one width while scrolling.
fn number_width(diff: &PromptDiff) -> usize {
    let all = diff
        .fields
        .iter()
        .map(|f| &f.lines)
        .chain(diff.sections.iter().map(|s| &s.lines));
    let max = all
        .flat_map(|lines| lines.last())
        .flat_map(|l| [l.old_line, l.new_line])
        .flatten()
        .max()
        .unwrap_or(0);
    max.to_string().len().max(2)
}

/// `2 modified, 1 added, 1 renamed · config changed · +14 −3`
fn summary(diff: &PromptDiff, with_fields: bool) -> String {
    let DiffStats {
        sections_added,
        sections_removed,
        sections_modified,
        sections_renamed,
        sections_moved,
        lines_added,
        lines_removed,
    } = diff.stats;
    let sections: Vec<String> = [
        (sections_modified, "modified"),
        (sections_added, "added"),
        (sections_removed, "removed"),
        (sections_renamed, "renamed"),
        (sections_moved, "moved"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    let mut parts = Vec::new();
    if !sections.is_empty() {
        parts.push(sections.join(", "));
    }
    match diff.fields.len() {
        _ if !with_fields => {}
        0 => {}
        1 | 2 => {
            let names: Vec<_> = diff.fields.iter().map(|f| f.field.as_str()).collect();
            parts.push(format!("{} changed", names.join(", ")));
        }
        n => parts.push(format!("{n} fields changed")),
    }
    parts.push(format!("+{lines_added} −{lines_removed}"));
    parts.join(" · ")
}

mod anchor;
mod paint;

use paint::{Painter, centred, put_line, str_width};

#[cfg(test)]
mod tests;
