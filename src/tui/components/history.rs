//! The History view: versions with number, author, relative time, message and hash; mark two
//! (or one and the draft) to diff; restore one into the draft.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Cell, Row, Table, TableState};

use crate::domain::{VersionInfo, VersionRef};
use crate::tui::action::Action;
use crate::tui::theme::Theme;

use super::edit_view::pane;
use super::env_badges::serving;

/// What the history view asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryOutcome {
    None,
    Diff {
        from: VersionRef,
        to: VersionRef,
    },
    Restore {
        version: u32,
    },
    /// Nothing to do, and why.
    Message(&'static str),
}

/// What the history table lists: the versions (newest first), whether a draft row leads, and
/// whose draft it is.
#[derive(Debug, Clone, Copy)]
pub struct HistoryRows<'a> {
    pub versions: &'a [VersionInfo],
    pub has_draft: bool,
    pub user: &'a str,
    /// What each environment serves (environment, version), for the `serves` column.
    pub served: &'a [(String, u32)],
}

/// The history view's state. Row 0 is the draft when there is one.
#[derive(Debug, Default)]
pub struct HistoryView {
    pub selected: usize,
    pub marked: Option<VersionRef>,
    /// The row the selection is on, so it stays on the same version when the draft row comes
    /// or goes (an autosave, a commit).
    anchor: Option<VersionRef>,
    offset: usize,
}

impl HistoryView {
    fn rows(versions: &[VersionInfo], has_draft: bool) -> Vec<VersionRef> {
        let mut rows = Vec::new();
        if has_draft {
            rows.push(VersionRef::Draft);
        }
        rows.extend(versions.iter().map(|v| VersionRef::Number(v.number)));
        rows
    }

    /// Forgets the selection (another prompt was opened).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Handles an action on `versions` (newest first).
    pub fn handle(
        &mut self,
        action: Action,
        versions: &[VersionInfo],
        has_draft: bool,
    ) -> HistoryOutcome {
        let rows = Self::rows(versions, has_draft);
        if rows.is_empty() {
            return HistoryOutcome::None;
        }
        self.follow_anchor(&rows);
        let here = rows[self.selected];
        let outcome = self.act(action, &rows, here);
        self.anchor = rows.get(self.selected).copied();
        outcome
    }

    /// Puts the selection back on the anchored version if it moved rows.
    fn follow_anchor(&mut self, rows: &[VersionRef]) {
        if let Some(i) = self.anchor.and_then(|a| rows.iter().position(|r| *r == a)) {
            self.selected = i;
        }
        self.selected = self.selected.min(rows.len().saturating_sub(1));
    }

    fn act(&mut self, action: Action, rows: &[VersionRef], here: VersionRef) -> HistoryOutcome {
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected = (self.selected + 1).min(rows.len() - 1),
            Action::PageUp => self.selected = self.selected.saturating_sub(10),
            Action::PageDown => self.selected = (self.selected + 10).min(rows.len() - 1),
            Action::Top => self.selected = 0,
            Action::Bottom => self.selected = rows.len() - 1,
            Action::HistoryMark => {
                self.marked = if self.marked == Some(here) {
                    None
                } else {
                    Some(here)
                };
            }
            Action::HistoryDiff | Action::Open => {
                let from = match self.marked {
                    Some(m) if m != here => Some(m),
                    _ => rows.get(self.selected + 1).copied(),
                };
                if let Some(from) = from {
                    // Older on the left.
                    let (a, b) = order(from, here);
                    return HistoryOutcome::Diff { from: a, to: b };
                }
                return HistoryOutcome::Message(
                    "this is the first version: mark another with Space to compare with it",
                );
            }
            Action::HistoryDiffDraft if here != VersionRef::Draft => {
                return HistoryOutcome::Diff {
                    from: here,
                    to: VersionRef::Draft,
                };
            }
            Action::HistoryRestore => {
                if let VersionRef::Number(version) = here {
                    return HistoryOutcome::Restore { version };
                }
            }
            _ => {}
        }
        HistoryOutcome::None
    }

    /// The version the user picked here: the marked one, else the selected one (none when
    /// that is the draft).
    pub fn chosen(&self, versions: &[VersionInfo], has_draft: bool) -> Option<u32> {
        let rows = Self::rows(versions, has_draft);
        match self.marked.or_else(|| rows.get(self.selected).copied()) {
            Some(VersionRef::Number(n)) => Some(n),
            _ => None,
        }
    }

    /// Selects the row drawn at `row` of the table body.
    pub fn click(&mut self, row: usize, versions: &[VersionInfo], has_draft: bool) {
        let count = Self::rows(versions, has_draft).len();
        let index = self.offset + row;
        if index < count {
            self.selected = index;
            self.anchor = Self::rows(versions, has_draft).get(index).copied();
        }
    }

    /// Draws the table.
    pub fn draw(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        rows_of: HistoryRows<'_>,
        theme: Theme,
        focused: bool,
    ) {
        let HistoryRows {
            versions,
            has_draft,
            user,
            served,
        } = rows_of;
        // The environments column shows when something is served; a narrow pane gives it the
        // hash's place.
        let serves_width = versions
            .iter()
            .map(|v| serving(served, v.number).chars().count())
            .max()
            .unwrap_or(0)
            .max(if served.is_empty() { 0 } else { 6 }) as u16;
        let show_hash = serves_width == 0 || area.width >= 100;
        self.follow_anchor(&Self::rows(versions, has_draft));
        let mut rows = Vec::new();
        let mark = |r: VersionRef| if self.marked == Some(r) { "◆" } else { " " };
        if has_draft {
            rows.push(Row::new(vec![
                Cell::from(mark(VersionRef::Draft)),
                Cell::from(Span::styled("draft", theme.warning())),
                Cell::from(""),
                Cell::from(user.to_string()),
                Cell::from(""),
                Cell::from(""),
                Cell::from(Span::styled("(your uncommitted changes)", theme.dim())),
            ]));
        }
        for v in versions {
            rows.push(Row::new(vec![
                Cell::from(mark(VersionRef::Number(v.number))),
                Cell::from(Span::styled(format!("v{}", v.number), theme.title())),
                Cell::from(Span::styled(
                    v.content_hash[..v.content_hash.len().min(8)].to_string(),
                    theme.dim(),
                )),
                Cell::from(v.author.clone()),
                Cell::from(Span::styled(
                    crate::timefmt::relative_time(&v.created_at),
                    theme.dim(),
                )),
                Cell::from(Span::styled(serving(served, v.number), theme.accent())),
                Cell::from(v.message.lines().next().unwrap_or("").to_string()),
            ]));
        }
        let header = Row::new([
            "",
            "ver",
            "hash",
            "author",
            "when",
            if serves_width > 0 { "serves" } else { "" },
            "message",
        ])
        .style(theme.title());
        let marked = match self.marked {
            Some(VersionRef::Number(n)) => format!(" · marked v{n}"),
            Some(VersionRef::Draft) => " · marked draft".into(),
            _ => String::new(),
        };
        let table = Table::new(
            rows,
            [
                Constraint::Length(1),
                Constraint::Length(6),
                Constraint::Length(if show_hash { 8 } else { 0 }),
                Constraint::Length(10),
                Constraint::Length(14),
                Constraint::Length(serves_width),
                Constraint::Min(10),
            ],
        )
        .header(header)
        .block(pane(
            format!(" History ({} versions{marked}) ", versions.len()),
            theme,
            focused,
        ))
        .row_highlight_style(if focused {
            theme.selected()
        } else {
            theme.selected_dim()
        });
        let mut state = TableState::default()
            .with_offset(self.offset)
            .with_selected(Some(self.selected));
        frame.render_stateful_widget(table, area, &mut state);
        self.offset = state.offset();
    }
}

fn order(a: VersionRef, b: VersionRef) -> (VersionRef, VersionRef) {
    let rank = |v: VersionRef| match v {
        VersionRef::Number(n) => n as u64,
        VersionRef::Latest => u64::MAX - 1,
        VersionRef::Draft => u64::MAX,
    };
    if rank(a) <= rank(b) { (a, b) } else { (b, a) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn versions(n: u32) -> Vec<VersionInfo> {
        (1..=n)
            .rev()
            .map(|number| VersionInfo {
                number,
                content_hash: format!("{number:064}"),
                author: "ada".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
                message: format!("v{number}"),
                parent: number.checked_sub(1).filter(|p| *p > 0),
            })
            .collect()
    }

    #[test]
    fn the_selection_stays_on_its_version_when_the_draft_row_goes() {
        let vs = versions(3);
        let mut view = HistoryView::default();
        view.handle(Action::Down, &vs, true); // draft -> v3
        view.handle(Action::Down, &vs, true); // v3 -> v2
        // The draft was autosaved away: v2 is now row 1, not row 2.
        let outcome = view.handle(Action::HistoryDiff, &vs, false);
        assert_eq!(
            outcome,
            HistoryOutcome::Diff {
                from: VersionRef::Number(1),
                to: VersionRef::Number(2)
            }
        );
    }

    #[test]
    fn diffing_the_first_version_says_why_nothing_happens() {
        let vs = versions(2);
        let mut view = HistoryView::default();
        view.handle(Action::Bottom, &vs, false);
        assert!(matches!(
            view.handle(Action::HistoryDiff, &vs, false),
            HistoryOutcome::Message(_)
        ));
    }
}
