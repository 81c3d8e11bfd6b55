//! The run setup popup: pick a dataset, one or more providers and one or more versions, then
//! start the run.

use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, List, ListItem, ListState, Paragraph};

use crate::domain::eval::{DatasetInfo, ProviderConfig, ProviderKind};
use crate::domain::{PromptName, VersionInfo, VersionRef};
use crate::tui::theme::Theme;

use super::edit_view::pane;
use super::popup::centered;

/// One row of a list: what it stands for, how it reads, and whether it is ticked.
#[derive(Debug, Clone, PartialEq)]
struct Item<T> {
    value: T,
    label: String,
    on: bool,
}

/// The three lists, in order.
const SECTIONS: [&str; 3] = ["Dataset", "Providers", "Versions"];

/// The run setup's state.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalSetup {
    pub prompt: PromptName,
    datasets: Vec<Item<String>>,
    /// How many cases each dataset has.
    sizes: Vec<usize>,
    providers: Vec<Item<String>>,
    versions: Vec<Item<VersionRef>>,
    /// The list with the cursor.
    section: usize,
    cursor: [usize; 3],
    error: Option<String>,
}

/// What the user decided.
#[derive(Debug, Clone, PartialEq)]
pub enum SetupOutcome {
    Pending,
    Cancelled,
    Start {
        dataset: String,
        providers: Vec<String>,
        versions: Vec<VersionRef>,
    },
}

impl EvalSetup {
    /// A setup for `prompt`, with `dataset` and `providers` ticked (when they exist; else the
    /// first dataset and the first provider that is not `echo`, or `echo`) and the latest version.
    pub fn new(
        prompt: PromptName,
        datasets: &[DatasetInfo],
        providers: &[ProviderConfig],
        versions: &[VersionInfo],
        has_draft: bool,
        previous: Option<(&str, &[String])>,
    ) -> Self {
        let chosen_dataset = previous
            .map(|(d, _)| d)
            .filter(|d| datasets.iter().any(|x| x.name == *d))
            .or_else(|| datasets.first().map(|d| d.name.as_str()))
            .unwrap_or_default()
            .to_string();
        let sizes = datasets.iter().map(|d| d.cases).collect();
        let datasets: Vec<Item<String>> = datasets
            .iter()
            .map(|d| Item {
                on: d.name == chosen_dataset,
                label: format!("{} · v{} · {} cases", d.name, d.version, d.cases),
                value: d.name.clone(),
            })
            .collect();
        let default_provider = default_provider(providers);
        let wanted: Vec<String> = match previous {
            Some((_, p)) if p.iter().any(|p| providers.iter().any(|x| x.name == *p)) => p.to_vec(),
            _ => vec![default_provider],
        };
        let providers = providers
            .iter()
            .map(|p| Item {
                on: wanted.contains(&p.name),
                label: provider_label(p),
                value: p.name.clone(),
            })
            .collect();
        let mut rows = Vec::new();
        if has_draft {
            rows.push(Item {
                value: VersionRef::Draft,
                label: "draft (your saved draft)".into(),
                on: false,
            });
        }
        for (i, v) in versions.iter().enumerate() {
            let latest = if i == 0 { " (latest)" } else { "" };
            rows.push(Item {
                value: VersionRef::Number(v.number),
                label: format!(
                    "v{}{latest} · {}",
                    v.number,
                    v.message.lines().next().unwrap_or("")
                ),
                on: i == 0,
            });
        }
        let cursor_dataset = datasets.iter().position(|d| d.on).unwrap_or(0);
        Self {
            prompt,
            datasets,
            sizes,
            providers,
            versions: rows,
            section: 0,
            cursor: [cursor_dataset, 0, 0],
            error: None,
        }
    }

    fn len(&self, section: usize) -> usize {
        [
            self.datasets.len(),
            self.providers.len(),
            self.versions.len(),
        ][section]
    }

    fn toggle(&mut self) {
        let at = self.cursor[self.section];
        match self.section {
            0 => {
                for (i, d) in self.datasets.iter_mut().enumerate() {
                    d.on = i == at;
                }
            }
            1 => {
                if let Some(p) = self.providers.get_mut(at) {
                    p.on = !p.on;
                }
            }
            _ => {
                if let Some(v) = self.versions.get_mut(at) {
                    v.on = !v.on;
                }
            }
        }
        self.error = None;
    }

    fn start(&mut self) -> SetupOutcome {
        let picked = self.datasets.iter().position(|d| d.on);
        let dataset = picked.map(|i| (&self.datasets[i], self.sizes[i]));
        let providers: Vec<String> = on(&self.providers).cloned().collect();
        let mut versions: Vec<VersionRef> = on(&self.versions).copied().collect();
        // Oldest first, the draft last: runs list their versions in that order.
        versions.reverse();
        self.error = Some(match dataset {
            None if self.datasets.is_empty() => {
                "no datasets yet: create one with `galley dataset new` or save a playground case"
                    .into()
            }
            None => "pick a dataset".into(),
            Some((d, 0)) => format!("dataset `{}` has no cases yet", d.value),
            Some(_) if providers.is_empty() => "tick at least one provider (Space)".into(),
            Some(_) if versions.is_empty() => "tick at least one version (Space)".into(),
            Some((d, _)) => {
                return SetupOutcome::Start {
                    dataset: d.value.clone(),
                    providers,
                    versions,
                };
            }
        });
        SetupOutcome::Pending
    }

    /// Handles a key: ↑↓ move, Tab/←→ switch lists, Space ticks, Enter starts, Esc cancels.
    pub fn key(&mut self, key: KeyEvent) -> SetupOutcome {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return SetupOutcome::Cancelled,
            KeyCode::Char('c') if ctrl => return SetupOutcome::Cancelled,
            KeyCode::Enter => return self.start(),
            KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => {
                self.section = (self.section + 1) % 3
            }
            KeyCode::BackTab | KeyCode::Left | KeyCode::Char('h') => {
                self.section = (self.section + 2) % 3
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.cursor[self.section] = self.cursor[self.section].saturating_sub(1)
            }
            KeyCode::Down | KeyCode::Char('j') => {
                let last = self.len(self.section).saturating_sub(1);
                self.cursor[self.section] = (self.cursor[self.section] + 1).min(last);
            }
            KeyCode::Char(' ') | KeyCode::Char('x') => self.toggle(),
            _ => {}
        }
        SetupOutcome::Pending
    }

    /// Draws the popup over `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme) {
        let rows = (self.datasets.len() + self.providers.len() + self.versions.len()) as u16;
        let wide = area.width >= 100;
        let height = if wide {
            self.datasets
                .len()
                .max(self.providers.len())
                .max(self.versions.len()) as u16
                + 6
        } else {
            rows + 10
        };
        let rect = centered(
            area,
            area.width
                .saturating_sub(4)
                .min(if wide { 120 } else { 76 }),
            height.min(area.height),
        );
        frame.render_widget(Clear, rect);
        let block = pane(format!(" Run an eval of {} ", self.prompt), theme, true).title_bottom(
            Span::styled(
                " Tab switch list · ↑↓ move · Space tick · Enter start · Esc cancel ",
                theme.dim(),
            ),
        );
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [lists, error] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(inner);
        if let Some(e) = &self.error {
            frame.render_widget(
                Paragraph::new(Span::styled(format!(" ✗ {e}"), theme.error())),
                error,
            );
        }
        let counts = [
            self.datasets.len(),
            self.providers.len(),
            self.versions.len(),
        ];
        let areas: Vec<Rect> = if wide {
            Layout::horizontal([
                Constraint::Percentage(34),
                Constraint::Percentage(30),
                Constraint::Percentage(36),
            ])
            .split(lists)
            .to_vec()
        } else {
            Layout::vertical(counts.map(|n| Constraint::Min(n.max(1) as u16 + 1)))
                .split(lists)
                .to_vec()
        };
        for (section, area) in areas.iter().enumerate() {
            let (labels, radio): (Vec<(&str, bool)>, bool) = match section {
                0 => (
                    self.datasets
                        .iter()
                        .map(|i| (i.label.as_str(), i.on))
                        .collect(),
                    true,
                ),
                1 => (
                    self.providers
                        .iter()
                        .map(|i| (i.label.as_str(), i.on))
                        .collect(),
                    false,
                ),
                _ => (
                    self.versions
                        .iter()
                        .map(|i| (i.label.as_str(), i.on))
                        .collect(),
                    false,
                ),
            };
            self.draw_list(frame, *area, section, &labels, radio, theme);
        }
    }

    fn draw_list(
        &self,
        frame: &mut Frame,
        area: Rect,
        section: usize,
        labels: &[(&str, bool)],
        radio: bool,
        theme: Theme,
    ) {
        let focused = self.section == section;
        let [title, list_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        let hint = if radio { "pick one" } else { "tick any" };
        frame.render_widget(
            Line::from(vec![
                Span::styled(
                    format!(" {} ", SECTIONS[section]),
                    if focused {
                        theme.accent()
                    } else {
                        theme.title()
                    },
                ),
                Span::styled(format!("({hint})"), theme.dim()),
            ]),
            title,
        );
        let items: Vec<ListItem> = labels
            .iter()
            .map(|(label, on)| {
                let mark = match (radio, on) {
                    (true, true) => "(•) ",
                    (true, false) => "( ) ",
                    (false, true) => "[x] ",
                    (false, false) => "[ ] ",
                };
                ListItem::new(Line::from(vec![
                    Span::styled(mark, theme.title()),
                    Span::raw(label.to_string()),
                ]))
            })
            .collect();
        let list = List::new(items)
            .highlight_symbol(if focused { "▸" } else { " " })
            .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
            .highlight_style(if focused {
                theme.selected()
            } else {
                theme.selected_dim()
            });
        let mut state = ListState::default().with_selected(Some(self.cursor[section]));
        frame.render_stateful_widget(list, list_area, &mut state);
    }
}

/// `name · kind · model`, without repeating a name that is the kind.
pub fn provider_label(p: &ProviderConfig) -> String {
    let mut label = p.name.clone();
    if p.name != p.kind.as_str() {
        label.push_str(&format!(" · {}", p.kind.as_str()));
    }
    if let Some(model) = &p.model {
        label.push_str(&format!(" · {model}"));
    }
    label
}

fn on<T>(items: &[Item<T>]) -> impl Iterator<Item = &T> {
    items.iter().filter(|i| i.on).map(|i| &i.value)
}

/// The provider the playground and a new run use unless told: the first configured one that
/// is not `echo`, else `echo`.
pub fn default_provider(providers: &[ProviderConfig]) -> String {
    providers
        .iter()
        .find(|p| p.kind != ProviderKind::Echo)
        .map_or_else(|| "echo".to_string(), |p| p.name.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn dataset(name: &str, cases: usize) -> DatasetInfo {
        DatasetInfo {
            name: name.into(),
            description: String::new(),
            version: 1,
            cases,
            updated_at: String::new(),
        }
    }

    fn version(number: u32) -> VersionInfo {
        VersionInfo {
            number,
            content_hash: "h".into(),
            author: "ada".into(),
            created_at: String::new(),
            message: format!("v{number}"),
            parent: None,
        }
    }

    #[test]
    fn the_default_provider_is_the_first_real_model() {
        let echo = ProviderConfig::new("echo", ProviderKind::Echo);
        let local = ProviderConfig::new("local", ProviderKind::Openai);
        assert_eq!(default_provider(std::slice::from_ref(&echo)), "echo");
        assert_eq!(default_provider(&[echo, local]), "local");
        assert_eq!(default_provider(&[]), "echo");
    }

    #[test]
    fn picks_and_validates() {
        let providers = [
            ProviderConfig::new("echo", ProviderKind::Echo),
            ProviderConfig::new("other", ProviderKind::Echo),
        ];
        let mut setup = EvalSetup::new(
            PromptName::parse("p").unwrap(),
            &[dataset("empty", 0), dataset("golden", 3)],
            &providers,
            &[version(3), version(2), version(1)],
            true,
            Some(("golden", &["other".to_string()])),
        );
        // The previous run's dataset and provider, the latest version.
        let start = setup.key(key(KeyCode::Enter));
        assert_eq!(
            start,
            SetupOutcome::Start {
                dataset: "golden".into(),
                providers: vec!["other".into()],
                versions: vec![VersionRef::Number(3)],
            }
        );
        // The draft and v2 too: oldest first, the draft last.
        setup.key(key(KeyCode::Tab));
        setup.key(key(KeyCode::Tab));
        setup.key(key(KeyCode::Char(' '))); // the draft row
        setup.key(key(KeyCode::Down));
        setup.key(key(KeyCode::Down));
        setup.key(key(KeyCode::Char(' '))); // v2
        let SetupOutcome::Start { versions, .. } = setup.key(key(KeyCode::Enter)) else {
            panic!("starts");
        };
        assert_eq!(
            versions,
            [
                VersionRef::Number(2),
                VersionRef::Number(3),
                VersionRef::Draft
            ]
        );
        // An empty dataset is refused in place.
        setup.key(key(KeyCode::Tab));
        setup.key(key(KeyCode::Up));
        setup.key(key(KeyCode::Char(' ')));
        assert_eq!(setup.key(key(KeyCode::Enter)), SetupOutcome::Pending);
        assert!(setup.error.as_deref().unwrap().contains("no cases"));
        assert_eq!(setup.key(key(KeyCode::Esc)), SetupOutcome::Cancelled);
    }
}
