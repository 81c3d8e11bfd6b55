//! The prompt list: folders as a tree, a fuzzy filter (nucleo), badges for drafts.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState};

use crate::domain::{PromptName, PromptSummary};
use crate::tui::action::Action;
use crate::tui::components::env_badges::badges;
use crate::tui::theme::Theme;

/// One row of the list: a folder heading or a prompt.
#[derive(Debug, Clone, PartialEq)]
enum Row {
    Folder { path: String, depth: usize },
    Prompt { index: usize, depth: usize },
}

/// The prompt list's state.
#[derive(Debug, Default)]
pub struct PromptList {
    prompts: Vec<PromptSummary>,
    rows: Vec<Row>,
    selected: usize,
    offset: usize,
    filter: String,
    /// Typing goes to the filter.
    filtering: bool,
    loaded: bool,
    /// What each environment serves, by prompt name (the environment badges).
    served: std::collections::BTreeMap<String, Vec<(String, u32)>>,
    /// How many thresholds each prompt breaches (the `!` badge; the Monitor view says which).
    alerts: std::collections::BTreeMap<String, usize>,
}

impl PromptList {
    /// Replaces the prompts, keeping the selection on the same name when it still exists.
    pub fn set_prompts(&mut self, prompts: Vec<PromptSummary>) {
        let keep = self.selected_name().cloned();
        self.prompts = prompts;
        self.loaded = true;
        self.rebuild();
        if let Some(name) = keep {
            self.select_name(&name);
        }
    }

    /// Sets what each environment serves, by prompt name, for the badges.
    pub fn set_served(&mut self, served: std::collections::BTreeMap<String, Vec<(String, u32)>>) {
        self.served = served;
    }

    /// Sets the breaches of the last week, for the `!` badges.
    pub fn set_alerts(&mut self, alerts: &[crate::workspace::Alert]) {
        self.alerts.clear();
        for a in alerts {
            *self.alerts.entry(a.prompt.clone()).or_default() += 1;
        }
    }

    /// What each environment serves of `name`.
    pub fn served(&self, name: &PromptName) -> &[(String, u32)] {
        self.served.get(name.as_str()).map_or(&[], Vec::as_slice)
    }

    /// Whether the first list has arrived.
    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    /// Whether the workspace has no prompts at all.
    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }

    /// The prompts' summaries.
    pub fn prompts(&self) -> &[PromptSummary] {
        &self.prompts
    }

    /// The selected prompt's name.
    pub fn selected_name(&self) -> Option<&PromptName> {
        match self.rows.get(self.selected) {
            Some(Row::Prompt { index, .. }) => Some(&self.prompts[*index].name),
            _ => None,
        }
    }

    /// Selects `name` if it is listed.
    pub fn select_name(&mut self, name: &PromptName) -> bool {
        let found = self.rows.iter().position(
            |r| matches!(r, Row::Prompt { index, .. } if self.prompts[*index].name == *name),
        );
        if let Some(i) = found {
            self.selected = i;
        }
        found.is_some()
    }

    /// Marks whether `name` has a draft (the badge), without a reload.
    pub fn set_has_draft(&mut self, name: &PromptName, has_draft: bool) {
        if let Some(p) = self.prompts.iter_mut().find(|p| p.name == *name) {
            p.has_draft = has_draft;
        }
    }

    /// The current filter text.
    pub fn filter(&self) -> &str {
        &self.filter
    }

    /// Whether keys are going to the filter.
    pub fn is_filtering(&self) -> bool {
        self.filtering
    }

    /// Starts typing a filter.
    pub fn start_filter(&mut self) {
        self.filtering = true;
    }

    /// Types into the filter: a character, Backspace, Enter (keep the filter, stop typing) or
    /// Esc (clear it). Returns whether the key was used.
    pub fn filter_key(&mut self, key: ratatui::crossterm::event::KeyEvent) -> bool {
        use ratatui::crossterm::event::{KeyCode, KeyModifiers};
        match key.code {
            KeyCode::Char(c)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.filter.push(c);
            }
            KeyCode::Backspace => {
                self.filter.pop();
            }
            KeyCode::Enter => self.filtering = false,
            KeyCode::Esc => {
                self.filtering = false;
                self.filter.clear();
            }
            KeyCode::Up | KeyCode::Down => {
                self.handle(if key.code == KeyCode::Up {
                    Action::Up
                } else {
                    Action::Down
                });
                return true;
            }
            _ => return false,
        }
        self.rebuild();
        true
    }

    /// Sets the filter text directly.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        self.rebuild();
    }

    /// Moves the selection; returns true when it changed.
    pub fn handle(&mut self, action: Action) -> bool {
        let before = self.selected;
        let prompt_rows: Vec<usize> = (0..self.rows.len())
            .filter(|&i| matches!(self.rows[i], Row::Prompt { .. }))
            .collect();
        let Some(pos) = prompt_rows
            .iter()
            .position(|&i| i >= self.selected)
            .or(prompt_rows.len().checked_sub(1))
        else {
            return false;
        };
        let target = match action {
            Action::Up => pos.saturating_sub(1),
            Action::Down => (pos + 1).min(prompt_rows.len() - 1),
            Action::PageUp => pos.saturating_sub(10),
            Action::PageDown => (pos + 10).min(prompt_rows.len() - 1),
            Action::Top => 0,
            Action::Bottom => prompt_rows.len() - 1,
            _ => pos,
        };
        self.selected = prompt_rows[target];
        self.selected != before
    }

    /// Selects the row drawn at `row` (relative to the list's inner area); true when a prompt
    /// was hit.
    pub fn click(&mut self, row: usize) -> bool {
        let index = self.offset + row;
        if matches!(self.rows.get(index), Some(Row::Prompt { .. })) {
            self.selected = index;
            true
        } else {
            false
        }
    }

    /// Scrolls the selection by `delta` prompts (mouse wheel).
    pub fn scroll(&mut self, delta: i32) {
        for _ in 0..delta.unsigned_abs() {
            self.handle(if delta < 0 { Action::Up } else { Action::Down });
        }
    }

    fn rebuild(&mut self) {
        let keep = self.selected_name().cloned();
        self.rows.clear();
        if self.filter.is_empty() {
            self.rows = tree_rows(&self.prompts);
        } else {
            let pattern = Pattern::parse(&self.filter, CaseMatching::Ignore, Normalization::Smart);
            let mut matcher = Matcher::new(Config::DEFAULT.match_paths());
            let mut buf = Vec::new();
            let mut scored: Vec<(u32, usize)> = self
                .prompts
                .iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    let score =
                        pattern.score(Utf32Str::new(p.name.as_str(), &mut buf), &mut matcher)?;
                    Some((score, i))
                })
                .collect();
            scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            self.rows = scored
                .into_iter()
                .map(|(_, index)| Row::Prompt { index, depth: 0 })
                .collect();
        }
        self.selected = 0;
        if let Some(name) = keep {
            self.select_name(&name);
        }
        if !matches!(self.rows.get(self.selected), Some(Row::Prompt { .. })) {
            self.selected = self
                .rows
                .iter()
                .position(|r| matches!(r, Row::Prompt { .. }))
                .unwrap_or(0);
        }
    }

    /// Draws the list.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let title = if self.filtering || !self.filter.is_empty() {
            let cursor = if self.filtering { "▏" } else { "" };
            format!(" Prompts /{}{cursor} ", self.filter)
        } else {
            format!(" Prompts ({}) ", self.prompts.len())
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border(focused))
            .title(Span::styled(title, theme.title()));
        let width = area.width.saturating_sub(2) as usize;
        // Only the visible rows are built: a frame costs the same with 10 or 50,000 prompts.
        let height = area.height.saturating_sub(2) as usize;
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if height > 0 && self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        let end = (self.offset + height.max(1)).min(self.rows.len());
        let start = self.offset.min(end);
        let items: Vec<ListItem> = self.rows[start..end]
            .iter()
            .map(|row| match row {
                Row::Folder { path, depth } => {
                    let name = path.rsplit('/').next().unwrap_or(path);
                    ListItem::new(Line::from(Span::styled(
                        format!("{}▾ {name}/", "  ".repeat(*depth)),
                        theme.dim(),
                    )))
                }
                Row::Prompt { index, depth } => {
                    let p = &self.prompts[*index];
                    let label = if self.filter.is_empty() {
                        p.name.leaf()
                    } else {
                        p.name.as_str()
                    };
                    let version = match (p.latest_version, p.has_draft) {
                        (Some(v), true) => format!("v{v}*"),
                        (Some(v), false) => format!("v{v}"),
                        (None, _) => String::new(),
                    };
                    let served = self
                        .served
                        .get(p.name.as_str())
                        .map_or(&[][..], Vec::as_slice);
                    // Badges take at most half the row, so the name stays readable.
                    let envs = badges(served, (width / 2).saturating_sub(version.len() + 1));
                    let badge = if envs.is_empty() {
                        version
                    } else {
                        format!("{envs} {version}")
                    };
                    let indent = "  ".repeat(*depth);
                    // `!3` where the name still fits beside it, else a bare `!`.
                    let alert = match self.alerts.get(p.name.as_str()) {
                        Some(n)
                            if indent.len() + label.chars().count() + badge.len() + 5 <= width =>
                        {
                            format!("!{n} ")
                        }
                        Some(_) => "! ".to_string(),
                        None => String::new(),
                    };
                    let badge = format!("{alert}{badge}");
                    let room = width.saturating_sub(indent.len() + badge.len() + 1);
                    let shown = cut(label, room);
                    let pad =
                        width.saturating_sub(indent.len() + shown.chars().count() + badge.len());
                    let badge_style = if p.has_draft {
                        theme.warning()
                    } else {
                        theme.dim()
                    };
                    let rest = badge[alert.len()..].to_string();
                    ListItem::new(Line::from(vec![
                        Span::raw(format!("{indent}{shown}")),
                        Span::raw(" ".repeat(pad)),
                        Span::styled(alert, theme.error()),
                        Span::styled(rest, badge_style),
                    ]))
                }
            })
            .collect();
        let empty = self.rows.is_empty();
        let list = List::new(items).block(block).highlight_style(if focused {
            theme.selected()
        } else {
            theme.selected_dim()
        });
        let mut state = ListState::default();
        if !empty && (start..end).contains(&self.selected) {
            state.select(Some(self.selected - start));
        }
        frame.render_stateful_widget(list, area, &mut state);
        if empty && !self.filter.is_empty() && area.height > 2 {
            let inner = Rect {
                x: area.x + 2,
                y: area.y + 1,
                width: area.width.saturating_sub(4),
                height: 1,
            };
            frame.render_widget(Span::styled("no match", theme.dim()), inner);
        }
    }
}

pub(crate) fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Folder headings followed by their prompts, depth by depth; prompts are sorted by name.
fn tree_rows(prompts: &[PromptSummary]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut open: Vec<String> = Vec::new();
    for (index, p) in prompts.iter().enumerate() {
        let folders: Vec<&str> = p
            .name
            .folder()
            .map(|f| f.split('/').collect())
            .unwrap_or_default();
        let common = open
            .iter()
            .zip(&folders)
            .take_while(|(a, b)| a == *b)
            .count();
        open.truncate(common);
        for (depth, folder) in folders.iter().enumerate().skip(common) {
            rows.push(Row::Folder {
                path: folders[..=depth].join("/"),
                depth,
            });
            open.push((*folder).to_string());
        }
        rows.push(Row::Prompt {
            index,
            depth: folders.len(),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PromptType;

    fn summary(name: &str) -> PromptSummary {
        PromptSummary {
            name: PromptName::parse(name).unwrap(),
            prompt_type: PromptType::Text,
            description: String::new(),
            tags: vec![],
            latest_version: Some(1),
            latest_hash: None,
            updated_at: String::new(),
            has_draft: false,
        }
    }

    #[test]
    fn builds_a_tree_and_filters_fuzzily() {
        let mut list = PromptList::default();
        list.set_prompts(
            [
                "a",
                "support/agent",
                "support/email/reply",
                "support/triage",
            ]
            .map(summary)
            .to_vec(),
        );
        assert_eq!(list.rows.len(), 6, "{:?}", list.rows);
        assert_eq!(list.selected_name().unwrap().as_str(), "a");
        list.handle(Action::Down);
        assert_eq!(list.selected_name().unwrap().as_str(), "support/agent");
        list.handle(Action::Down);
        assert_eq!(
            list.selected_name().unwrap().as_str(),
            "support/email/reply"
        );
        list.set_filter("trg");
        assert_eq!(list.rows.len(), 1);
        assert_eq!(list.selected_name().unwrap().as_str(), "support/triage");
        list.set_filter("zzz");
        assert!(list.selected_name().is_none());
        list.set_filter("");
        assert_eq!(list.rows.len(), 6);
    }

    #[test]
    fn draws_only_what_shows_and_keeps_the_selection_visible() {
        let mut list = PromptList::default();
        let names: Vec<String> = (0..500).map(|i| format!("p{i:03}")).collect();
        list.set_prompts(names.iter().map(|n| summary(n)).collect());
        for _ in 0..300 {
            list.handle(Action::Down);
        }
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(30, 12)).unwrap();
        terminal
            .draw(|f| list.draw(f, f.area(), Theme { color: false }, true))
            .unwrap();
        let screen = terminal.backend().to_string();
        assert!(screen.contains("p300"), "{screen}");
        assert!(!screen.contains("p000"), "{screen}");
        // A click lands on the row drawn there.
        assert!(list.click(0));
        assert_eq!(list.selected_name().unwrap().as_str(), "p291");
    }
}
