//! Popups: text input, a choice from a list, a yes/no confirmation, a multi-line text editor,
//! and the commit dialog. Each returns what the user decided; the app acts on it.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph, Wrap};
use ratatui_textarea::TextArea;

use crate::diff::PromptDiff;
use crate::tui::theme::Theme;

use super::edit_view::pane;

/// What a popup is for, so the app knows what to do with its answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Purpose {
    NewPromptTemplate,
    NewPromptName {
        template: String,
    },
    ImportPath,
    RenameSection,
    AddSectionKind,
    SectionKind,
    SectionRole,
    DeleteSection,
    DiscardDraft,
    Restore {
        version: u32,
    },
    Search,
    Sample {
        variable: String,
    },
    Config,
    Declaration {
        variable: String,
    },
    Commit,
    /// The playground's provider.
    PlaygroundProvider,
    /// The dataset a playground case goes to (or `NEW_DATASET`).
    SaveCaseDataset,
    SaveCaseNewDataset,
    /// Whether the draft's answer becomes the case's expected output.
    SaveCaseExpected {
        dataset: String,
        create: bool,
    },
    /// A person's verdict on the selected result, then their note.
    GradeVerdict,
    GradeNote {
        pass: bool,
    },
    /// The older version to compare with the newest one within the selected run.
    CompareVersion,
    /// The comment of a decision on review `review`.
    Decision {
        review: i64,
        kind: crate::domain::policy::DecisionKind,
    },
    /// A new thread on the version under review, at a section and line.
    CommentNew {
        review: i64,
        section: u32,
        line: u32,
    },
    CommentReply {
        review: i64,
        comment: i64,
    },
    /// The environment a review of `version` is for, then its reviewers, then a note.
    RequestReviewEnv {
        version: u32,
    },
    RequestReviewers {
        version: u32,
        env: String,
    },
    RequestReviewNote {
        version: u32,
        env: String,
        reviewers: Vec<String>,
    },
    /// The environment whose served version `version` is diffed against.
    DiffEnv {
        version: u32,
    },
    /// The version to deploy to `env`.
    DeployVersion {
        env: String,
    },
    /// The dataset production call `id` becomes a test case of (or `NEW_DATASET`), or the name
    /// of a new one.
    ObservationCase {
        id: String,
    },
    ObservationCaseNew {
        id: String,
    },
    /// The signing key's passphrase; `retry` is the decision or deployment that needed it.
    Passphrase {
        retry: Option<Box<crate::tui::event::Request>>,
    },
}

/// The choice that creates a dataset in the save-case popup (not a valid dataset name).
pub const NEW_DATASET: &str = "+ new";

/// A popup's state.
pub enum Popup {
    Input {
        title: String,
        field: TextArea<'static>,
        purpose: Purpose,
        error: Option<String>,
    },
    Choice {
        title: String,
        items: Vec<(String, String)>,
        selected: usize,
        purpose: Purpose,
    },
    Confirm {
        message: String,
        purpose: Purpose,
    },
    TextEdit {
        title: String,
        field: TextArea<'static>,
        purpose: Purpose,
        error: Option<String>,
    },
    Commit {
        field: TextArea<'static>,
        summary: Option<PromptDiff>,
        error: Option<String>,
    },
}

/// What the user did in a popup.
#[derive(Debug, Clone, PartialEq)]
pub enum PopupOutcome {
    /// Still open.
    Pending,
    /// Closed without an answer.
    Cancelled,
    /// Answered: the text typed, the choice's key, or `yes`.
    Submitted(Purpose, String),
}

fn single_line(initial: &str) -> TextArea<'static> {
    let mut field = TextArea::new(vec![initial.to_string()]);
    field.move_cursor(ratatui_textarea::CursorMove::End);
    field
}

impl Popup {
    /// A one-line text input.
    pub fn input(title: &str, initial: &str, purpose: Purpose) -> Self {
        Self::Input {
            title: title.to_string(),
            field: single_line(initial),
            purpose,
            error: None,
        }
    }

    /// A one-line input whose characters show as •: a passphrase.
    pub fn secret(title: &str, purpose: Purpose) -> Self {
        let mut field = single_line("");
        field.set_mask_char('•');
        Self::Input {
            title: title.to_string(),
            field,
            purpose,
            error: None,
        }
    }

    /// A choice among (key, label) items.
    pub fn choice(
        title: &str,
        items: Vec<(String, String)>,
        selected: usize,
        purpose: Purpose,
    ) -> Self {
        Self::Choice {
            title: title.to_string(),
            items,
            selected,
            purpose,
        }
    }

    /// A yes/no question.
    pub fn confirm(message: &str, purpose: Purpose) -> Self {
        Self::Confirm {
            message: message.to_string(),
            purpose,
        }
    }

    /// A multi-line editor (Ctrl-S applies).
    pub fn text_edit(title: &str, text: &str, purpose: Purpose) -> Self {
        let field = TextArea::new(text.split('\n').map(str::to_string).collect());
        Self::TextEdit {
            title: title.to_string(),
            field,
            purpose,
            error: None,
        }
    }

    /// The commit dialog (the summary arrives later).
    pub fn commit() -> Self {
        Self::Commit {
            field: single_line(""),
            summary: None,
            error: None,
        }
    }

    /// Shows an error inside the popup (a bad value), keeping what was typed.
    pub fn set_error(&mut self, message: String) {
        match self {
            Self::Input { error, .. }
            | Self::TextEdit { error, .. }
            | Self::Commit { error, .. } => *error = Some(message),
            _ => {}
        }
    }

    /// Handles a key.
    pub fn key(&mut self, key: KeyEvent) -> PopupOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('c')) {
            return PopupOutcome::Cancelled;
        }
        match self {
            Self::Input { field, purpose, .. } => {
                if key.code == KeyCode::Enter {
                    return PopupOutcome::Submitted(purpose.clone(), field.lines().join(""));
                }
                field.input(key);
                PopupOutcome::Pending
            }
            Self::Commit { field, .. } => {
                if key.code == KeyCode::Enter || (ctrl && key.code == KeyCode::Char('s')) {
                    return PopupOutcome::Submitted(Purpose::Commit, field.lines().join(""));
                }
                field.input(key);
                PopupOutcome::Pending
            }
            Self::TextEdit { field, purpose, .. } => {
                if ctrl && key.code == KeyCode::Char('s') {
                    return PopupOutcome::Submitted(purpose.clone(), field.lines().join("\n"));
                }
                field.input(key);
                PopupOutcome::Pending
            }
            Self::Choice {
                items,
                selected,
                purpose,
                ..
            } => {
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => *selected = selected.saturating_sub(1),
                    KeyCode::Down | KeyCode::Char('j') => {
                        *selected = (*selected + 1).min(items.len().saturating_sub(1))
                    }
                    KeyCode::Enter => {
                        if let Some((key, _)) = items.get(*selected) {
                            return PopupOutcome::Submitted(purpose.clone(), key.clone());
                        }
                    }
                    _ => {}
                }
                PopupOutcome::Pending
            }
            Self::Confirm { purpose, .. } => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                    PopupOutcome::Submitted(purpose.clone(), "yes".into())
                }
                KeyCode::Char('n') | KeyCode::Char('N') => PopupOutcome::Cancelled,
                _ => PopupOutcome::Pending,
            },
        }
    }

    /// Draws the popup centred over `area`.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        match self {
            Self::Input {
                title,
                field,
                error,
                ..
            } => {
                // The error wraps: a refusal is read in full, not cut at the popup's edge.
                let error_rows = error
                    .as_ref()
                    .map_or(0, |e| (e.chars().count() + 2).div_ceil(56) as u16);
                let rect = centered(area, 60, 5 + error_rows);
                frame.render_widget(Clear, rect);
                let block = pane(format!(" {title} "), theme, true)
                    .title_bottom(hint("Enter ok · Esc cancel", theme));
                let inner = block.inner(rect);
                frame.render_widget(block, rect);
                let [line, err] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)])
                    .areas(inner.inner(ratatui::layout::Margin::new(1, 1)));
                field.set_cursor_line_style(ratatui::style::Style::new());
                field.set_cursor_style(theme.selected());
                frame.render_widget(&*field, line);
                if let Some(e) = error {
                    frame.render_widget(
                        Paragraph::new(Span::styled(format!("✗ {e}"), theme.error()))
                            .wrap(Wrap { trim: true }),
                        err,
                    );
                }
            }
            Self::Choice {
                title,
                items,
                selected,
                ..
            } => {
                let height = (items.len() as u16 + 2)
                    .min(area.height.saturating_sub(2))
                    .max(3);
                let rect = centered(area, 64, height);
                frame.render_widget(Clear, rect);
                let list_items: Vec<ListItem> = items
                    .iter()
                    .map(|(key, label)| {
                        ListItem::new(Line::from(vec![
                            Span::styled(format!("{key:<16}"), theme.accent()),
                            Span::raw(label.clone()),
                        ]))
                    })
                    .collect();
                let block = pane(format!(" {title} "), theme, true)
                    .title_bottom(hint("↑↓ choose · Enter ok · Esc cancel", theme));
                let list = List::new(list_items)
                    .block(block)
                    .highlight_style(theme.selected())
                    .highlight_symbol("▸ ");
                let mut state = ListState::default().with_selected(Some(*selected));
                frame.render_stateful_widget(list, rect, &mut state);
            }
            Self::Confirm { message, .. } => {
                let rect = centered(area, 56, 5);
                frame.render_widget(Clear, rect);
                let block = pane(" Confirm ".into(), theme, true)
                    .title_bottom(hint("y yes · n/Esc no", theme));
                frame.render_widget(
                    Paragraph::new(message.as_str())
                        .wrap(Wrap { trim: true })
                        .block(block),
                    rect,
                );
            }
            Self::TextEdit {
                title,
                field,
                error,
                ..
            } => {
                let rect = centered(
                    area,
                    area.width.saturating_sub(8).min(90),
                    area.height.saturating_sub(4).min(24),
                );
                frame.render_widget(Clear, rect);
                let mut block = pane(format!(" {title} "), theme, true)
                    .title_bottom(hint("Ctrl-S apply · Esc cancel", theme));
                if let Some(e) = error {
                    block = block.title_bottom(Span::styled(format!(" ✗ {e} "), theme.error()));
                }
                field.set_block(block);
                field.set_cursor_style(theme.selected());
                field.set_line_number_style(theme.dim());
                frame.render_widget(&*field, rect);
            }
            Self::Commit {
                field,
                summary,
                error,
            } => {
                let rect = centered(
                    area,
                    area.width.saturating_sub(8).min(80),
                    area.height.saturating_sub(4).min(18),
                );
                frame.render_widget(Clear, rect);
                let block = pane(" Commit the draft ".into(), theme, true)
                    .title_bottom(hint("Enter commit · Esc cancel", theme));
                let inner = block.inner(rect);
                frame.render_widget(block, rect);
                let [label, line, err, changes] = Layout::vertical([
                    Constraint::Length(1),
                    Constraint::Length(1),
                    Constraint::Length(1),
                    Constraint::Min(0),
                ])
                .areas(inner.inner(ratatui::layout::Margin::new(1, 0)));
                frame.render_widget(
                    Span::styled("Message (what changed and why):", theme.title()),
                    label,
                );
                field.set_cursor_line_style(ratatui::style::Style::new());
                field.set_cursor_style(theme.selected());
                frame.render_widget(&*field, line);
                if let Some(e) = error {
                    frame.render_widget(Span::styled(format!("✗ {e}"), theme.error()), err);
                }
                frame.render_widget(
                    Paragraph::new(summary_lines(summary.as_ref(), theme)),
                    changes,
                );
            }
        }
    }
}

fn summary_lines(summary: Option<&PromptDiff>, theme: Theme) -> Vec<Line<'static>> {
    let Some(diff) = summary else {
        return vec![Line::styled(
            "comparing with the latest version…",
            theme.dim(),
        )];
    };
    if diff.is_empty() {
        return vec![Line::styled(
            "No changes against the latest version: nothing to commit.",
            theme.warning(),
        )];
    }
    let mut lines = vec![Line::styled(
        "Changes against the latest version:",
        theme.title(),
    )];
    for field in &diff.fields {
        lines.push(Line::from(vec![
            Span::styled("  ~ ", theme.warning()),
            Span::raw(field.field.clone()),
            Span::styled(
                format!("  +{} -{}", field.added, field.removed),
                theme.dim(),
            ),
        ]));
    }
    for s in diff.sections.iter().filter(|s| s.is_changed()) {
        let (marker, style) = match s.status {
            crate::diff::ChangeStatus::Added => ("  + ", theme.added()),
            crate::diff::ChangeStatus::Removed => ("  - ", theme.removed()),
            _ => ("  ~ ", theme.warning()),
        };
        let mut notes = vec![s.status.as_str().to_string()];
        if let Some(from) = &s.renamed_from {
            notes.push(format!("renamed from \"{from}\""));
        }
        if s.moved {
            notes.push("moved".into());
        }
        lines.push(Line::from(vec![
            Span::styled(marker, style),
            Span::raw(s.title.clone()),
            Span::styled(
                format!("  {} · +{} -{}", notes.join(", "), s.added, s.removed),
                theme.dim(),
            ),
        ]));
    }
    lines
}

fn hint(text: &str, theme: Theme) -> Span<'static> {
    Span::styled(format!(" {text} "), theme.dim())
}

/// A `width`×`height` rectangle centred in `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}
