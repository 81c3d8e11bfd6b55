//! The confirm dialog of a deploy, promote or rollback: what the environment serves now and what
//! it would serve, the diff between the two, and — when the policy blocks it — exactly what is
//! missing. A blocked deployment cannot be confirmed.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use crate::tui::action::Action;
use crate::tui::components::diff_view::DiffView;
use crate::tui::components::edit_view::pane;
use crate::tui::components::popup::centered;
use crate::tui::theme::Theme;
use crate::workspace::{DeployMove, DeployPreview};

/// What the user did in the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmOutcome {
    Pending,
    Cancelled,
    /// Go ahead (only offered when the policy allows it).
    Proceed,
}

/// The dialog's state.
#[derive(Debug)]
pub struct DeployConfirm {
    pub preview: DeployPreview,
    pub diff: DiffView,
}

impl DeployConfirm {
    pub fn new(preview: DeployPreview) -> Self {
        let mut diff = DiffView::default();
        if let (Some(d), Some(target)) = (&preview.diff, preview.target) {
            let from = match preview.current {
                Some(v) => format!("{} v{v}", preview.env),
                None => format!("{} (nothing)", preview.env),
            };
            diff.set_diff(from, format!("v{target}"), d.clone());
        }
        Self { preview, diff }
    }

    /// The verb of the move: `Deploy`, `Promote`, `Roll back`.
    pub fn verb(&self) -> &'static str {
        match self.preview.what {
            DeployMove::Deploy { .. } => "Deploy",
            DeployMove::Promote { .. } => "Promote",
            DeployMove::Rollback => "Roll back",
        }
    }

    pub fn key(&mut self, key: KeyEvent) -> ConfirmOutcome {
        let action = match key.code {
            KeyCode::Esc | KeyCode::Char('n') | KeyCode::Char('q') => {
                return ConfirmOutcome::Cancelled;
            }
            KeyCode::Char('y') | KeyCode::Enter if self.preview.allowed() => {
                return ConfirmOutcome::Proceed;
            }
            KeyCode::Up | KeyCode::Char('k') => Action::Up,
            KeyCode::Down | KeyCode::Char('j') => Action::Down,
            KeyCode::PageUp => Action::PageUp,
            KeyCode::PageDown => Action::PageDown,
            KeyCode::Char('u') => Action::DiffToggleUnified,
            KeyCode::Char('f') => Action::DiffToggleFold,
            _ => return ConfirmOutcome::Pending,
        };
        self.diff.handle(action);
        ConfirmOutcome::Pending
    }

    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme) {
        let rect = centered(
            area,
            area.width.saturating_sub(4),
            area.height.saturating_sub(2),
        );
        frame.render_widget(Clear, rect);
        let p = &self.preview;
        let version = p.target.map_or_else(String::new, |v| format!(" v{v}"));
        let title = match &p.what {
            DeployMove::Deploy { .. } => format!(" Deploy {}{version} → {} ", p.prompt, p.env),
            DeployMove::Promote { from } => {
                format!(" Promote {}{version} from {from} → {} ", p.prompt, p.env)
            }
            DeployMove::Rollback => format!(" Roll back {} in {} ", p.prompt, p.env),
        };
        let hint = if p.allowed() {
            " y confirm · n/Esc cancel · ↑↓ scroll the diff "
        } else {
            " blocked: Esc close · ↑↓ scroll the diff "
        };
        let block = pane(title, theme, true).title_bottom(Span::styled(hint, theme.dim()));
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let now = p.current.map_or("nothing".to_string(), |v| format!("v{v}"));
        let then = p.target.map_or("–".to_string(), |v| format!("v{v}"));
        let mut lines = vec![Line::raw(format!(
            "{} serves {now} → would serve {then}",
            p.env
        ))];
        if p.allowed() {
            let why = if p.what == DeployMove::Rollback {
                "a rollback returns to a version already served: no approval needed".to_string()
            } else {
                format!("{}'s policy allows it", p.env)
            };
            lines.push(Line::styled(format!("✓ {why}"), theme.ok()));
        } else {
            lines.push(Line::styled(
                format!("✗ Blocked: this cannot go to {} yet:", p.env),
                theme.error(),
            ));
            for reason in &p.missing {
                lines.push(Line::styled(format!("  • {reason}"), theme.error()));
            }
        }
        let width = inner.width.max(1) as usize;
        let height: usize = lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum();
        let [head, diff] = Layout::vertical([
            Constraint::Length((height as u16).min(inner.height.saturating_sub(3))),
            Constraint::Min(3),
        ])
        .areas(inner);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), head);
        if p.diff.is_some() {
            self.diff.draw(frame, diff, theme, true);
        }
    }
}
