//! The workbench's state and its update function: events in, effects out. No I/O here, so
//! every behaviour can be driven by key sequences in tests.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use crate::domain::{PromptName, VersionRef};

use super::action::Action;
use super::components::diff_view::{DiffOutcome, DiffView};
use super::components::edit_view::OpenPrompt;
use super::components::help::Help;
use super::components::history::{HistoryOutcome, HistoryView};
use super::components::palette::{Palette, PaletteOutcome};
use super::components::popup::{Popup, PopupOutcome, Purpose};
use super::components::prompt_list::PromptList;
use super::event::{Effect, Event, Request, RequestId};
use super::keymap::{Context, Keymap};
use super::theme::Theme;

/// How long after the last keystroke a draft is saved.
pub const AUTOSAVE_AFTER: Duration = Duration::from_millis(700);

/// The three views of the main area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Edit,
    History,
    Diff,
}

/// The pane that receives keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Sections,
    Editor,
    Variables,
    Preview,
    History,
    Diff,
}

/// A message in the status bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// Kinds of request whose older answers are dropped when a newer one is pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Slot {
    List,
    Load,
    Preview,
    Diff,
    CommitSummary,
    Other,
}

/// Where panes were drawn last, for the mouse.
#[derive(Debug, Default, Clone)]
pub struct Areas {
    pub list: Rect,
    pub sections: Rect,
    pub editor: Rect,
    pub variables: Rect,
    pub preview: Rect,
    pub history: Rect,
    pub diff: Rect,
}

/// The workbench's whole state.
pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub db_label: String,
    pub user: String,
    pub list: PromptList,
    pub view: View,
    pub focus: Focus,
    pub open: Option<OpenPrompt>,
    pub history: HistoryView,
    pub diff: DiffView,
    /// The two sides of the diff on screen, to recompute it.
    pub diff_sides: Option<(VersionRef, VersionRef)>,
    pub popup: Option<Popup>,
    pub help: Option<Help>,
    pub palette: Option<Palette>,
    pub status: Option<Status>,
    pub areas: Areas,
    pub quitting: bool,
    next_id: RequestId,
    pending: HashMap<Slot, RequestId>,
    /// The edit counter of each save in flight.
    saves: HashMap<RequestId, u64>,
    open_after_list: Option<PromptName>,
}

impl App {
    /// A workbench on the workspace `db_label`, acting as `user`.
    pub fn new(keymap: Keymap, theme: Theme, db_label: String, user: String) -> Self {
        Self {
            keymap,
            theme,
            db_label,
            user,
            list: PromptList::default(),
            view: View::Edit,
            focus: Focus::List,
            open: None,
            history: HistoryView::default(),
            diff: DiffView::default(),
            diff_sides: None,
            popup: None,
            help: None,
            palette: None,
            status: None,
            areas: Areas::default(),
            quitting: false,
            next_id: 0,
            pending: HashMap::new(),
            saves: HashMap::new(),
            open_after_list: None,
        }
    }

    /// The effects to run at start: load the prompt list.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![self.request(Request::ListPrompts)]
    }

    fn request(&mut self, request: Request) -> Effect {
        self.next_id += 1;
        let slot = match &request {
            Request::ListPrompts => Slot::List,
            Request::LoadPrompt(_) => Slot::Load,
            Request::Preview { .. } => Slot::Preview,
            Request::Diff { .. } => Slot::Diff,
            Request::CommitSummary { .. } => Slot::CommitSummary,
            _ => Slot::Other,
        };
        self.pending.insert(slot, self.next_id);
        if let (Request::SaveDraft { .. }, Some(open)) = (&request, &self.open) {
            self.saves.insert(self.next_id, open.edit_seq);
        }
        Effect::Request(self.next_id, request)
    }

    /// The keymap context of the focused pane.
    pub fn context(&self) -> Context {
        if self.list.is_loaded() && self.list.is_empty() && self.focus != Focus::List {
            return Context::Welcome;
        }
        match self.focus {
            Focus::List if self.list.is_loaded() && self.list.is_empty() => Context::Welcome,
            Focus::List => Context::List,
            Focus::Sections => Context::Sections,
            Focus::Editor => Context::Editor,
            Focus::Variables => Context::Variables,
            Focus::Preview => Context::Preview,
            Focus::History => Context::History,
            Focus::Diff => Context::Diff,
        }
    }

    /// Whether the workspace has no prompts yet (the welcome view shows).
    pub fn is_welcome(&self) -> bool {
        self.list.is_loaded() && self.list.is_empty()
    }

    /// Handles one event at time `now`.
    pub fn update(&mut self, event: Event, now: Instant) -> Vec<Effect> {
        match event {
            Event::Key(key) => self.on_key(key, now),
            Event::Paste(text) => self.on_paste(&text, now),
            Event::Mouse(mouse) => self.on_mouse(mouse),
            Event::Resize(..) => Vec::new(),
            Event::Tick => self.on_tick(now),
            Event::Reply(id, reply) => self.on_reply(id, reply, now),
            Event::Terminate => self.quit(),
        }
    }

    /// The draft to save if the process has to stop now (panic, signal).
    pub fn unsaved(&self) -> Option<(PromptName, crate::domain::PromptContent)> {
        self.open
            .as_ref()
            .filter(|o| o.dirty)
            .map(|o| (o.name.clone(), o.content.clone()))
    }

    fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    fn fail(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Effect> {
        match &self.open {
            Some(open)
                if open.dirty
                    && open
                        .last_edit
                        .is_some_and(|t| now.duration_since(t) >= AUTOSAVE_AFTER) =>
            {
                self.save_effects()
            }
            _ => Vec::new(),
        }
    }

    /// A save of the open draft, if it has unsaved edits.
    fn save_effects(&mut self) -> Vec<Effect> {
        let Some(open) = self.open.as_mut().filter(|o| o.dirty) else {
            return Vec::new();
        };
        // Saved from now on unless newer edits come; the answer confirms it.
        open.last_edit = None;
        let request = Request::SaveDraft {
            name: open.name.clone(),
            content: open.content.clone(),
            base: open.base(),
        };
        vec![self.request(request)]
    }

    fn preview_effects(&mut self) -> Vec<Effect> {
        let Some(open) = &self.open else {
            return Vec::new();
        };
        let request = Request::Preview {
            name: open.name.clone(),
            content: open.content.clone(),
            samples: open.samples.clone(),
        };
        vec![self.request(request)]
    }

    fn quit(&mut self) -> Vec<Effect> {
        self.quitting = true;
        let mut effects = self.save_effects();
        effects.push(Effect::Quit);
        effects
    }

    fn on_paste(&mut self, text: &str, now: Instant) -> Vec<Effect> {
        if let Some(popup) = &mut self.popup {
            for c in text.chars().filter(|c| *c != '\n' && *c != '\r') {
                popup.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            }
            return Vec::new();
        }
        if self.focus == Focus::Editor
            && let Some(open) = &mut self.open
            && open.paste_text(text, now)
        {
            return self.preview_effects();
        }
        Vec::new()
    }

    fn on_key(&mut self, key: KeyEvent, now: Instant) -> Vec<Effect> {
        if key.kind == ratatui::crossterm::event::KeyEventKind::Release {
            return Vec::new();
        }
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c {
            return self.quit();
        }
        if let Some(help) = &mut self.help {
            match key.code {
                KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter => {
                    self.help = None
                }
                KeyCode::Down | KeyCode::Char('j') => help.scroll = help.scroll.saturating_add(1),
                KeyCode::Up | KeyCode::Char('k') => help.scroll = help.scroll.saturating_sub(1),
                KeyCode::PageDown => help.scroll = help.scroll.saturating_add(10),
                KeyCode::PageUp => help.scroll = help.scroll.saturating_sub(10),
                _ => {}
            }
            return Vec::new();
        }
        if let Some(palette) = &mut self.palette {
            return match palette.key(key) {
                PaletteOutcome::Pending => Vec::new(),
                PaletteOutcome::Cancelled => {
                    self.palette = None;
                    Vec::new()
                }
                PaletteOutcome::Run(action) => {
                    self.palette = None;
                    self.dispatch(action, now)
                }
            };
        }
        if let Some(popup) = &mut self.popup {
            return match popup.key(key) {
                PopupOutcome::Pending => Vec::new(),
                PopupOutcome::Cancelled => {
                    self.popup = None;
                    Vec::new()
                }
                PopupOutcome::Submitted(purpose, value) => self.on_submit(purpose, value, now),
            };
        }
        if self.focus == Focus::List && self.list.is_filtering() {
            let before = self.list.selected_name().cloned();
            self.list.filter_key(key);
            return self.follow_list_selection(before);
        }
        let context = self.context();
        match self.keymap.action(context, key) {
            Some(action) => self.dispatch(action, now),
            None if self.focus == Focus::Editor => {
                let changed = self
                    .open
                    .as_mut()
                    .is_some_and(|open| open.editor_input(key, now));
                if changed {
                    self.preview_effects()
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        }
    }

    /// Opens the prompt the list now selects, saving the current draft first.
    fn follow_list_selection(&mut self, before: Option<PromptName>) -> Vec<Effect> {
        let now = self.list.selected_name().cloned();
        match now {
            Some(name)
                if Some(&name) != before.as_ref()
                    && self.open.as_ref().map(|o| &o.name) != Some(&name) =>
            {
                let mut effects = self.save_effects();
                effects.push(self.request(Request::LoadPrompt(name)));
                effects
            }
            _ => Vec::new(),
        }
    }

    fn focus_ring(&self) -> Vec<Focus> {
        if self.open.is_none() {
            return vec![Focus::List];
        }
        match self.view {
            View::Edit => vec![
                Focus::List,
                Focus::Sections,
                Focus::Editor,
                Focus::Variables,
                Focus::Preview,
            ],
            View::History => vec![Focus::List, Focus::History],
            View::Diff => vec![Focus::List, Focus::Diff],
        }
    }

    fn cycle_focus(&mut self, forward: bool) {
        let ring = self.focus_ring();
        let at = ring.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1) % ring.len()
        } else {
            (at + ring.len() - 1) % ring.len()
        };
        self.focus = ring[next];
    }

    fn set_view(&mut self, view: View) {
        self.view = view;
        if self.open.is_some() {
            self.focus = match view {
                View::Edit => Focus::Sections,
                View::History => Focus::History,
                View::Diff => Focus::Diff,
            };
        }
    }

    /// Runs an action (from a key, the palette or a test).
    pub fn dispatch(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        let theme = self.theme;
        match action {
            Action::Quit | Action::ForceQuit => return self.quit(),
            Action::Help => self.help = Some(Help::default()),
            Action::Palette => self.palette = Some(Palette::default()),
            Action::FocusNext => self.cycle_focus(true),
            Action::FocusPrev => self.cycle_focus(false),
            Action::Back => match self.focus {
                Focus::Editor => self.focus = Focus::Sections,
                Focus::List if !self.list.filter().is_empty() => self.list.set_filter(""),
                Focus::List => self.status = None,
                _ => self.focus = Focus::List,
            },
            Action::ViewEdit => self.set_view(View::Edit),
            Action::ViewHistory => self.set_view(View::History),
            Action::ViewDiff => self.set_view(View::Diff),
            Action::Filter => {
                self.focus = Focus::List;
                self.list.start_filter();
            }
            Action::NewPrompt => {
                let items = crate::workspace::starters::starters()
                    .into_iter()
                    .map(|s| {
                        (
                            s.id.to_string(),
                            format!("{} · {}", s.prompt_type, s.description),
                        )
                    })
                    .collect();
                self.popup = Some(Popup::choice(
                    "New prompt from a template",
                    items,
                    0,
                    Purpose::NewPromptTemplate,
                ));
            }
            Action::ImportFolder => {
                self.popup = Some(Popup::input(
                    "Import prompt files from (folder or .md file)",
                    "",
                    Purpose::ImportPath,
                ))
            }
            Action::LoadDemo => {
                self.say("Loading the demo…");
                return vec![self.request(Request::LoadDemo)];
            }
            Action::Refresh => {
                let mut effects = vec![self.request(Request::ListPrompts)];
                if let Some(name) = self
                    .open
                    .as_ref()
                    .filter(|o| !o.dirty)
                    .map(|o| o.name.clone())
                {
                    effects.push(self.request(Request::LoadPrompt(name)));
                }
                return effects;
            }
            _ => return self.dispatch_on_prompt(action, now, theme),
        }
        Vec::new()
    }

    /// Actions that need an open prompt, or act on the focused pane.
    fn dispatch_on_prompt(&mut self, action: Action, now: Instant, theme: Theme) -> Vec<Effect> {
        let movement = matches!(
            action,
            Action::Up
                | Action::Down
                | Action::PageUp
                | Action::PageDown
                | Action::Top
                | Action::Bottom
        );
        if self.focus == Focus::List && (movement || action == Action::Open) {
            if action == Action::Open {
                if self.open.is_some() {
                    self.set_view(View::Edit);
                }
                return Vec::new();
            }
            let before = self.list.selected_name().cloned();
            self.list.handle(action);
            return self.follow_list_selection(before);
        }
        let Some(open) = self.open.as_mut() else {
            if !matches!(action, Action::Up | Action::Down) {
                self.fail("Open a prompt first: pick one in the list (or press n to create one)");
            }
            return Vec::new();
        };
        let step = match action {
            Action::Up => -1,
            Action::Down => 1,
            Action::PageUp => -10,
            Action::PageDown => 10,
            Action::Top => -10_000,
            Action::Bottom => 10_000,
            _ => 0,
        };
        match (self.focus, action) {
            (Focus::Sections, _) if movement => open.move_selection(step, theme),
            (Focus::Sections, Action::Open) | (_, Action::EditBody) => {
                self.view = View::Edit;
                self.focus = Focus::Editor;
            }
            (Focus::Variables, _) if movement => {
                let last = open.variables.len().saturating_sub(1) as isize;
                open.var_selected = (open.var_selected as isize + step).clamp(0, last) as usize;
            }
            (Focus::Variables, Action::Open) => {
                return self.dispatch_on_prompt(Action::EditVariable, now, theme);
            }
            (Focus::Preview, _) if movement => {
                open.preview_scroll =
                    (open.preview_scroll as isize + step).clamp(0, u16::MAX as isize) as u16
            }
            (Focus::History, _) if movement || matches!(action, Action::Open) => {
                return self.history_action(action);
            }
            (Focus::Diff, _) if movement => return self.diff_action(action),
            (
                _,
                Action::HistoryMark
                | Action::HistoryDiff
                | Action::HistoryDiffDraft
                | Action::HistoryRestore,
            ) => {
                return self.history_action(action);
            }
            (
                _,
                Action::DiffNextChange
                | Action::DiffPrevChange
                | Action::DiffToggleFold
                | Action::DiffToggleUnified
                | Action::DiffToggleWhitespace,
            ) => return self.diff_action(action),
            _ => return self.prompt_action(action, now),
        }
        Vec::new()
    }

    fn history_action(&mut self, action: Action) -> Vec<Effect> {
        let Some(open) = &self.open else {
            return Vec::new();
        };
        match self
            .history
            .handle(action, &open.versions, open.has_draft || open.dirty)
        {
            HistoryOutcome::None => Vec::new(),
            HistoryOutcome::Diff { from, to } => self.show_diff(from, to),
            HistoryOutcome::Restore { version } => {
                self.popup = Some(Popup::confirm(
                    &format!(
                        "Restore v{version} into your draft? Your current draft is replaced (versions are kept)."
                    ),
                    Purpose::Restore { version },
                ));
                Vec::new()
            }
        }
    }

    fn diff_action(&mut self, action: Action) -> Vec<Effect> {
        match self.diff.handle(action) {
            DiffOutcome::None => Vec::new(),
            DiffOutcome::Recompute { .. } => match self.diff_sides {
                Some((from, to)) => self.show_diff(from, to),
                None => Vec::new(),
            },
        }
    }

    /// Asks for the diff between two sides (saving the draft first when one side is it).
    pub fn show_diff(&mut self, from: VersionRef, to: VersionRef) -> Vec<Effect> {
        let Some(name) = self.open.as_ref().map(|o| o.name.clone()) else {
            return Vec::new();
        };
        let mut effects = self.save_effects();
        self.diff_sides = Some((from, to));
        let ignore_whitespace = self.diff.ignore_whitespace();
        effects.push(self.request(Request::Diff {
            name,
            from,
            to,
            ignore_whitespace,
        }));
        effects
    }
}

mod prompt_actions;
mod replies;
