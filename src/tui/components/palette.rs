//! The command palette (`:` or Ctrl-P): fuzzy search over every action.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState};

use crate::tui::action::Action;
use crate::tui::keymap::{Context, Keymap};
use crate::tui::theme::Theme;

use super::edit_view::pane;
use super::popup::centered;

/// The palette's state.
#[derive(Debug, Default)]
pub struct Palette {
    pub query: String,
    pub selected: usize,
}

/// What the palette did with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaletteOutcome {
    Pending,
    Cancelled,
    Run(Action),
}

impl Palette {
    /// The actions matching the query, best first.
    pub fn matches(&self) -> Vec<Action> {
        let candidates = Action::ALL
            .iter()
            .copied()
            .filter(|a| !matches!(a, Action::Palette | Action::Back));
        if self.query.is_empty() {
            return candidates.collect();
        }
        let pattern = Pattern::parse(&self.query, CaseMatching::Ignore, Normalization::Smart);
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut buf = Vec::new();
        let mut scored: Vec<(u32, usize, Action)> = candidates
            .enumerate()
            .filter_map(|(i, a)| {
                let haystack = format!("{} {}", a.name(), a.description());
                let score = pattern.score(Utf32Str::new(&haystack, &mut buf), &mut matcher)?;
                Some((score, i, a))
            })
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, a)| a).collect()
    }

    /// Handles a key.
    pub fn key(&mut self, key: KeyEvent) -> PaletteOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return PaletteOutcome::Cancelled,
            KeyCode::Char('c') if ctrl => return PaletteOutcome::Cancelled,
            KeyCode::Enter => {
                return self
                    .matches()
                    .get(self.selected)
                    .map_or(PaletteOutcome::Pending, |a| PaletteOutcome::Run(*a));
            }
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            KeyCode::Down => {
                self.selected = (self.selected + 1).min(self.matches().len().saturating_sub(1))
            }
            KeyCode::Backspace => {
                self.query.pop();
                self.selected = 0;
            }
            KeyCode::Char(c) if !ctrl => {
                self.query.push(c);
                self.selected = 0;
            }
            _ => {}
        }
        PaletteOutcome::Pending
    }

    /// Draws the palette.
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        keymap: &Keymap,
        context: Context,
        theme: Theme,
    ) {
        let rect = centered(
            area,
            area.width.saturating_sub(6).min(80),
            area.height.saturating_sub(4).min(20),
        );
        frame.render_widget(Clear, rect);
        let block = pane(" Run an action ".into(), theme, true);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [input, list_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        frame.render_widget(
            Line::from(vec![
                Span::styled(": ", theme.accent()),
                Span::raw(self.query.clone()),
                Span::styled("▏", theme.accent()),
            ]),
            input,
        );
        let items: Vec<ListItem> = self
            .matches()
            .into_iter()
            .map(|a| {
                let keys = keymap.keys_for(context, a).unwrap_or_default();
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{:<24}", a.name()), theme.accent()),
                    Span::raw(a.description().to_string()),
                    Span::styled(format!("  {keys}"), theme.dim()),
                ]))
            })
            .collect();
        let list = List::new(items).highlight_style(theme.selected());
        let mut state = ListState::default().with_selected(Some(self.selected));
        frame.render_stateful_widget(list, list_area, &mut state);
    }
}
