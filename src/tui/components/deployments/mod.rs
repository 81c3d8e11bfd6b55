//! The Deploy view: every prompt × every environment (the version served, with markers for a
//! newer version and a pending review), a selected cell to act on, and the deployment history
//! of the selected prompt in the selected environment. It draws what the worker loaded.

mod confirm;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::PromptName;
use crate::store::DeploymentRow;
use crate::tui::components::edit_view::pane;
use crate::tui::components::prompt_list::cut;
use crate::tui::theme::Theme;
use crate::workspace::{BoardCell, BoardRow, DeployBoard};

pub use confirm::{ConfirmOutcome, DeployConfirm};

const LEGEND: &str = " ↑ newer version · … review pending · [ ] selected ";

/// The Deploy view's state.
#[derive(Debug, Default)]
pub struct DeployView {
    pub board: Option<DeployBoard>,
    pub row: usize,
    pub col: usize,
    offset: usize,
    /// The deployment history of a prompt (all environments, oldest first).
    pub history: Option<(PromptName, Vec<DeploymentRow>)>,
    /// Where the last draw put the environment columns: their left edge and width.
    columns: (u16, u16),
}

impl DeployView {
    /// Shows `board`, keeping the selection on the same prompt when it is still there.
    pub fn set_board(&mut self, board: DeployBoard) {
        let keep = self.selected_prompt().cloned();
        self.row = keep
            .and_then(|name| board.rows.iter().position(|r| r.prompt == name))
            .unwrap_or(self.row)
            .min(board.rows.len().saturating_sub(1));
        self.col = self.col.min(board.environments.len().saturating_sub(1));
        self.board = Some(board);
    }

    /// The selected prompt's row.
    pub fn selected_row(&self) -> Option<&BoardRow> {
        self.board.as_ref()?.rows.get(self.row)
    }

    pub fn selected_prompt(&self) -> Option<&PromptName> {
        self.selected_row().map(|r| &r.prompt)
    }

    /// The selected environment.
    pub fn selected_env(&self) -> Option<&str> {
        self.board
            .as_ref()?
            .environments
            .get(self.col)
            .map(String::as_str)
    }

    /// The environment left of the selected one (what a promotion takes from).
    pub fn left_env(&self) -> Option<&str> {
        let col = self.col.checked_sub(1)?;
        self.board
            .as_ref()?
            .environments
            .get(col)
            .map(String::as_str)
    }

    /// The selected cell.
    pub fn selected_cell(&self) -> Option<&BoardCell> {
        self.selected_row()?.cells.get(self.col)
    }

    /// Selects the row of `name`, if listed.
    pub fn select_prompt(&mut self, name: &PromptName) {
        if let Some(i) = self
            .board
            .as_ref()
            .and_then(|b| b.rows.iter().position(|r| &r.prompt == name))
        {
            self.row = i;
        }
    }

    /// Moves the selection up or down; true when the prompt changed.
    pub fn move_row(&mut self, step: isize) -> bool {
        let count = self.board.as_ref().map_or(0, |b| b.rows.len());
        let before = self.row;
        self.row = (self.row as isize + step).clamp(0, count.saturating_sub(1) as isize) as usize;
        before != self.row
    }

    pub fn move_col(&mut self, step: isize) {
        let count = self.board.as_ref().map_or(0, |b| b.environments.len());
        self.col = (self.col as isize + step).clamp(0, count.saturating_sub(1) as isize) as usize;
    }

    /// Selects the cell drawn at body row `row` and terminal column `x`; true when the prompt
    /// changed.
    pub fn click(&mut self, row: usize, x: u16) -> bool {
        let (left, width) = self.columns;
        if x >= left && width > 0 {
            let envs = self.board.as_ref().map_or(0, |b| b.environments.len());
            self.col = (usize::from((x - left) / width)).min(envs.saturating_sub(1));
        }
        let count = self.board.as_ref().map_or(0, |b| b.rows.len());
        let index = self.offset + row;
        let changed = index < count && index != self.row;
        if index < count {
            self.row = index;
        }
        changed
    }

    /// Draws the matrix and, under it, the selected cell's history.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let history_rows = self.cell_history().len() as u16;
        let history_height = (history_rows + 2).clamp(3, (area.height / 3).max(3));
        let [matrix, history] =
            Layout::vertical([Constraint::Min(4), Constraint::Length(history_height)]).areas(area);
        self.draw_matrix(frame, matrix, theme, focused);
        self.draw_history(frame, history, theme);
    }

    /// The selected prompt's deployments to the selected environment, newest first.
    fn cell_history(&self) -> Vec<&DeploymentRow> {
        match (&self.history, self.selected_prompt(), self.selected_env()) {
            (Some((name, rows)), Some(selected), Some(env)) if name == selected => {
                rows.iter().rev().filter(|d| d.env == env).collect()
            }
            _ => Vec::new(),
        }
    }

    fn draw_matrix(&mut self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let block = pane(" Deployments ".into(), theme, focused)
            .title_bottom(Span::styled(LEGEND, theme.dim()));
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let Some(board) = &self.board else {
            frame.render_widget(Paragraph::new("Loading…").style(theme.dim()), inner);
            return;
        };
        let width = inner.width as usize;
        let envs = board.environments.len().max(1);
        let longest = board
            .rows
            .iter()
            .map(|r| r.prompt.as_str().chars().count())
            .max()
            .unwrap_or(6);
        let name_width = (longest + 2).clamp(8, 30).min(width / 3);
        let cell_width = (width.saturating_sub(name_width) / envs).max(6);
        self.columns = (inner.x + name_width as u16, cell_width as u16);
        let mut header = vec![Span::styled(
            format!("{:<name_width$}", "prompt"),
            theme.title(),
        )];
        for env in &board.environments {
            header.push(Span::styled(
                format!("{:<cell_width$}", cut(env, cell_width.saturating_sub(1))),
                theme.title(),
            ));
        }
        let mut lines = vec![Line::from(header)];
        let height = inner.height.saturating_sub(1) as usize;
        if self.row < self.offset {
            self.offset = self.row;
        } else if height > 0 && self.row >= self.offset + height {
            self.offset = self.row + 1 - height;
        }
        for (i, row) in board.rows.iter().enumerate().skip(self.offset).take(height) {
            let mut spans = vec![Span::raw(format!(
                "{:<name_width$}",
                cut(row.prompt.as_str(), name_width.saturating_sub(1))
            ))];
            for (j, cell) in row.cells.iter().enumerate() {
                let here = i == self.row && j == self.col;
                let text = cell_text(cell, row.latest, here);
                let style = match (here, focused) {
                    (true, true) => theme.selected(),
                    (true, false) => theme.selected_dim(),
                    _ if cell.served.is_none() => theme.dim(),
                    _ => theme.text(),
                };
                spans.push(Span::styled(
                    format!("{:<cell_width$}", cut(&text, cell_width.saturating_sub(1))),
                    style,
                ));
            }
            lines.push(Line::from(spans));
        }
        if board.rows.is_empty() {
            lines.push(Line::styled("No prompts yet.", theme.dim()));
        }
        frame.render_widget(Paragraph::new(lines), inner);
    }

    fn draw_history(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let (Some(name), Some(env)) = (self.selected_prompt(), self.selected_env()) else {
            frame.render_widget(pane(" History ".into(), theme, false), area);
            return;
        };
        let rows = self.cell_history();
        let title = format!(" History of {name} in {env} ");
        let lines: Vec<Line> = if rows.is_empty() {
            vec![Line::styled(
                format!("{env} never served {name}: d deploys a version"),
                theme.dim(),
            )]
        } else {
            rows.iter()
                .map(|d| {
                    let was = d
                        .previous_version
                        .map_or_else(|| "nothing".to_string(), |v| format!("v{v}"));
                    Line::from(vec![
                        Span::styled(format!("#{:<4}", d.id), theme.dim()),
                        Span::styled(
                            format!("{:<14}", crate::timefmt::relative_time(&d.at)),
                            theme.dim(),
                        ),
                        Span::raw(format!("{:<9}v{:<4}", d.kind, d.version)),
                        Span::styled(format!("(was {was}) by {}", d.actor), theme.dim()),
                    ])
                })
                .collect()
        };
        frame.render_widget(Paragraph::new(lines).block(pane(title, theme, false)), area);
    }
}

/// `v3 ↑v4 …v5`: served, the newer latest version, the version under a pending review; `[…]`
/// around the selected cell (so the selection shows without colour), `–` when nothing is served.
fn cell_text(cell: &BoardCell, latest: Option<u32>, selected: bool) -> String {
    let mut parts = vec![cell.served.map_or("–".to_string(), |v| format!("v{v}"))];
    if let (true, Some(latest)) = (cell.newer, latest) {
        parts.push(format!("↑v{latest}"));
    }
    if let Some(v) = cell.pending {
        parts.push(format!("…v{v}"));
    }
    let text = parts.join(" ");
    if selected {
        format!("[{text}]")
    } else {
        format!(" {text} ")
    }
}
