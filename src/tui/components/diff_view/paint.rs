//! Drawing the rows of the diff view into the buffer.

use crate::diff::{ChangeStatus, DiffLine, LineTag, PromptDiff};
use crate::domain::MessageRole;
use crate::tui::theme::Theme;
use ratatui::buffer::Buffer;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use std::borrow::Cow;

use super::*;

/// Draws rows of one diff.
pub(super) struct Painter<'a> {
    pub(super) diff: &'a PromptDiff,
    pub(super) layout: Layout,
    pub(super) theme: Theme,
    pub(super) number_width: usize,
}

impl<'a> Painter<'a> {
    fn lines(&self, part: Part) -> &'a [DiffLine] {
        match part {
            Part::Field(i) => &self.diff.fields[i].lines,
            Part::Section(i) => &self.diff.sections[i].lines,
        }
    }

    pub(super) fn row(&self, buf: &mut Buffer, area: Rect, row: Row) {
        let (x, y, width) = (area.x, area.y, area.width);
        match row {
            Row::Header(part) => {
                let end = put_line(buf, x, y, width, &self.header(part));
                let fill = area.right().saturating_sub(end + 1);
                if fill > 0 {
                    buf.set_string(end + 1, y, "─".repeat(fill as usize), self.theme.dim());
                }
            }
            Row::Line(part, k) => {
                let line = &self.lines(part)[k];
                let mut spans = vec![
                    self.number(line.old_line),
                    Span::raw(" "),
                    self.number(line.new_line),
                    Span::raw(" "),
                ];
                spans.extend(self.text(line));
                put_line(buf, x, y, width, &Line::from(spans));
            }
            Row::Pair(part, left, right) => {
                let lines = self.lines(part);
                let left_width = width.saturating_sub(1) / 2;
                let right_width = width.saturating_sub(left_width + 1);
                let side = |k: Option<usize>, old: bool| {
                    let Some(line) = k.map(|k| &lines[k]) else {
                        return Line::default();
                    };
                    let number = if old { line.old_line } else { line.new_line };
                    let mut spans = vec![self.number(number), Span::raw(" ")];
                    spans.extend(self.text(line));
                    Line::from(spans)
                };
                put_line(buf, x, y, left_width, &side(left, true));
                buf.set_string(x + left_width, y, "│", self.theme.dim());
                put_line(buf, x + left_width + 1, y, right_width, &side(right, false));
            }
            Row::Fold(_, _, count) => {
                let plural = if count == 1 { "" } else { "s" };
                let text = format!("⋯ {count} unchanged line{plural}");
                let line = |pad: usize| {
                    Line::from(vec![
                        Span::raw(" ".repeat(pad)),
                        Span::styled(text.clone(), self.theme.dim()),
                    ])
                };
                if self.layout == Layout::SideBySide {
                    let left_width = width.saturating_sub(1) / 2;
                    let pad = self.number_width + 1;
                    put_line(buf, x, y, left_width, &line(pad));
                    buf.set_string(x + left_width, y, "│", self.theme.dim());
                    let right_width = width.saturating_sub(left_width + 1);
                    put_line(buf, x + left_width + 1, y, right_width, &line(pad));
                } else {
                    put_line(buf, x, y, width, &line(2 * self.number_width + 2));
                }
            }
        }
    }

    fn number(&self, number: Option<usize>) -> Span<'static> {
        let text = match number {
            Some(n) => format!("{n:>w$}", w = self.number_width),
            None => " ".repeat(self.number_width),
        };
        Span::styled(text, self.theme.dim())
    }

    /// The gutter marker, a space, and the text with its changed words emphasized.
    fn text(&self, line: &'a DiffLine) -> Vec<Span<'a>> {
        let t = self.theme;
        let (base, word) = match line.tag {
            LineTag::Equal => (t.text(), t.text()),
            LineTag::Insert => (t.added(), t.added_word()),
            LineTag::Delete => (t.removed(), t.removed_word()),
        };
        let mut spans = Vec::with_capacity(line.segments.len() + 2);
        spans.push(Span::styled(line.tag.marker().to_string(), base.bold()));
        spans.push(Span::raw(" "));
        spans.extend(line.segments.iter().map(|s| {
            let style = if s.emphasized { word } else { base };
            Span::styled(printable(&s.text), style)
        }));
        spans
    }

    /// `~ §3 Instructions [instructions · user] renamed from "Steps", moved from §5 · +2 −1`
    pub(super) fn header(&self, part: Part) -> Line<'a> {
        let t = self.theme;
        let (status, mut spans, labels, added, removed) = match part {
            Part::Field(i) => {
                let field = &self.diff.fields[i];
                let spans = vec![Span::styled(field.field.clone(), t.title())];
                let labels = vec![field.status.as_str().to_string()];
                (field.status, spans, labels, field.added, field.removed)
            }
            Part::Section(i) => {
                let s = &self.diff.sections[i];
                let number = match (s.old_index, s.new_index) {
                    (_, Some(n)) => format!("§{}", n + 1),
                    (Some(o), None) => format!("old §{}", o + 1),
                    (None, None) => "§".to_string(),
                };
                let role = s.role.map(|r| format!(" · {r}")).unwrap_or_default();
                let spans = vec![
                    Span::styled(number, t.dim()),
                    Span::raw(" "),
                    Span::styled(printable(&s.title), t.title()),
                    Span::raw(" "),
                    Span::styled(format!("[{}{role}]", s.kind), t.dim()),
                ];
                let mut labels = Vec::new();
                match s.status {
                    ChangeStatus::Added | ChangeStatus::Removed => {
                        labels.push(s.status.as_str().to_string())
                    }
                    _ => {}
                }
                if let Some(from) = &s.renamed_from {
                    labels.push(format!("renamed from \"{}\"", printable(from)));
                }
                if s.moved {
                    let from = s.old_index.map(|o| format!(" from §{}", o + 1));
                    labels.push(format!("moved{}", from.unwrap_or_default()));
                }
                if let Some((from, to)) = s.kind_changed {
                    labels.push(format!("kind {from} → {to}"));
                }
                if let Some((from, to)) = s.role_changed {
                    labels.push(format!("role {} → {}", role_name(from), role_name(to)));
                }
                if labels.is_empty() && s.status == ChangeStatus::Modified {
                    labels.push("modified".to_string());
                }
                let status = if s.moved && s.status == ChangeStatus::Unchanged {
                    ChangeStatus::Modified
                } else {
                    s.status
                };
                (status, spans, labels, s.added, s.removed)
            }
        };
        let (marker, style) = match status {
            ChangeStatus::Added => ("+", t.added()),
            ChangeStatus::Removed => ("-", t.removed()),
            ChangeStatus::Modified => ("~", t.warning()),
            ChangeStatus::Unchanged => ("=", t.dim()),
        };
        spans.insert(0, Span::styled(marker, style.bold()));
        spans.insert(1, Span::raw(" "));
        if !labels.is_empty() {
            spans.push(Span::raw(" "));
            spans.push(Span::styled(labels.join(", "), t.warning()));
        }
        let mut counts = Vec::new();
        if added > 0 {
            counts.push(Span::styled(format!("+{added}"), t.added()));
        }
        if removed > 0 {
            counts.push(Span::styled(format!("−{removed}"), t.removed()));
        }
        if !counts.is_empty() {
            spans.push(Span::styled(" ·", t.dim()));
            for count in counts {
                spans.push(Span::raw(" "));
                spans.push(count);
            }
        }
        Line::from(spans)
    }
}

pub(super) fn role_name(role: Option<MessageRole>) -> &'static str {
    role.map_or("none", MessageRole::as_str)
}

/// Text safe for one terminal row: tabs become spaces, other control characters go.
pub(super) fn printable(text: &str) -> Cow<'_, str> {
    if !text.contains(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

pub(super) fn str_width(text: &str) -> usize {
    Span::raw(text).width()
}

/// Draws `line` in `width` cells, cut with `…` when it does not fit; returns the x after it.
pub(super) fn put_line(buf: &mut Buffer, x: u16, y: u16, width: u16, line: &Line) -> u16 {
    if width == 0 {
        return x;
    }
    if line.width() <= width as usize {
        return buf.set_line(x, y, line, width).0;
    }
    buf.set_line(x, y, line, width - 1);
    let style = line.spans.last().map_or(Style::new(), |s| s.style);
    buf.set_string(x + width - 1, y, "…", style);
    x + width
}

/// A few lines in the middle of `area`.
pub(super) fn centred(buf: &mut Buffer, area: Rect, lines: &[&str], style: Style) {
    let height = (lines.len() as u16).min(area.height);
    let top = area.y + area.height.saturating_sub(height) / 2;
    let text: Vec<Line> = lines.iter().map(|l| Line::styled(*l, style)).collect();
    let target = Rect::new(area.x, top, area.width, area.bottom().saturating_sub(top));
    ratatui::widgets::Widget::render(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        target,
        buf,
    );
}
