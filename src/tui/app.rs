//! The workbench's state and its update function: events in, effects out. No I/O here, so
//! every behaviour can be driven by key sequences in tests.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;

use crate::domain::{PromptName, VersionRef};

use super::components::deployments::{DeployConfirm, DeployView};
use super::components::diff_view::DiffView;
use super::components::edit_view::OpenPrompt;
use super::components::eval_setup::{EvalSetup, SetupOutcome};
use super::components::evals::EvalsView;
use super::components::help::Help;
use super::components::history::HistoryView;
use super::components::monitor::MonitorView;
use super::components::palette::{Palette, PaletteOutcome};
use super::components::playground::Playground;
use super::components::popup::{Popup, PopupOutcome};
use super::components::prompt_list::PromptList;
use super::components::reviews::ReviewsView;
use super::components::sync_status::SyncBar;
use super::event::{BoardRequest, Effect, Event, MonitorRequest, Request, RequestId};
use super::keymap::Keymap;
use super::theme::Theme;

/// How long after the last keystroke a draft is saved.
pub const AUTOSAVE_AFTER: Duration = Duration::from_millis(700);

/// The views of the main area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Edit,
    History,
    Diff,
    Evals,
    Review,
    Deploy,
    Monitor,
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
    Playground,
    EvalRuns,
    EvalResults,
    EvalDetail,
    EvalCompare,
    ReviewQueue,
    ReviewDiff,
    ReviewThreads,
    Deploy,
    Monitor,
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
    Catalog,
    Runs,
    Report,
    Compare,
    Served,
    ReviewQueue,
    ReviewDetail,
    DeployBoard,
    DeployHistory,
    Monitor,
    Alerts,
    SyncStatus,
    Other,
}

/// The workspace's datasets and providers, as last loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub datasets: Vec<crate::domain::eval::DatasetInfo>,
    pub providers: Vec<crate::domain::eval::ProviderConfig>,
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
    pub playground: Rect,
    pub evals: super::components::evals::EvalAreas,
    pub reviews: super::components::reviews::ReviewAreas,
    pub deploy: Rect,
    pub monitor: Rect,
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
    pub evals: EvalsView,
    pub playground: Playground,
    /// The run setup popup.
    pub eval_setup: Option<EvalSetup>,
    pub catalog: Option<Catalog>,
    pub reviews: ReviewsView,
    pub deploys: DeployView,
    /// The confirm dialog of a deploy, promote or rollback.
    pub deploy_confirm: Option<DeployConfirm>,
    /// The workspace's environments, in order.
    pub environments: Vec<String>,
    pub monitor: MonitorView,
    /// The remotes' sync state and the background sync.
    pub sync: SyncBar,
    /// The request whose refusal shows inside the open popup (a decision, a comment).
    popup_request: Option<RequestId>,
    /// What to open when the catalog arrives.
    after_catalog: Option<evals::CatalogUse>,
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
            evals: EvalsView::default(),
            playground: Playground::default(),
            eval_setup: None,
            catalog: None,
            reviews: ReviewsView::default(),
            deploys: DeployView::default(),
            deploy_confirm: None,
            environments: Vec::new(),
            monitor: MonitorView::default(),
            sync: SyncBar::default(),
            popup_request: None,
            after_catalog: None,
            next_id: 0,
            pending: HashMap::new(),
            saves: HashMap::new(),
            open_after_list: None,
        }
    }

    /// The effects to run at start: load the prompt list, the datasets, the providers and what
    /// each environment serves.
    pub fn start(&mut self) -> Vec<Effect> {
        vec![
            self.request(Request::ListPrompts),
            self.request(Request::Catalog),
            self.request(Request::Board(BoardRequest::Served)),
            self.request(Request::Board(BoardRequest::ReviewQueue)),
            self.alerts_request(),
            self.request(Request::SyncStatus),
        ]
    }

    fn request(&mut self, request: Request) -> Effect {
        self.next_id += 1;
        let slot = match &request {
            Request::ListPrompts => Slot::List,
            Request::LoadPrompt(_) => Slot::Load,
            Request::Preview { .. } => Slot::Preview,
            Request::Diff { .. } => Slot::Diff,
            Request::CommitSummary { .. } => Slot::CommitSummary,
            Request::Catalog => Slot::Catalog,
            Request::Runs(_) => Slot::Runs,
            Request::RunReport(_) => Slot::Report,
            Request::CompareRuns { .. } | Request::CompareVersions { .. } => Slot::Compare,
            Request::Board(board) => match board {
                BoardRequest::Served => Slot::Served,
                BoardRequest::ReviewQueue => Slot::ReviewQueue,
                BoardRequest::ReviewDetail(_) => Slot::ReviewDetail,
                BoardRequest::DeployBoard => Slot::DeployBoard,
                BoardRequest::DeployHistory(_) => Slot::DeployHistory,
                _ => Slot::Other,
            },
            Request::Monitor(MonitorRequest::Load(_)) => Slot::Monitor,
            Request::Monitor(MonitorRequest::Alerts { .. }) => Slot::Alerts,
            Request::SyncStatus => Slot::SyncStatus,
            _ => Slot::Other,
        };
        self.pending.insert(slot, self.next_id);
        if let (Request::SaveDraft { .. }, Some(open)) = (&request, &self.open) {
            self.saves.insert(self.next_id, open.edit_seq);
        }
        Effect::Request(self.next_id, request)
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
            Event::Reply(id, reply) => self.on_reply(id, reply),
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
        let mut effects = self.sync_tick(now);
        effects.extend(self.autosave_tick(now));
        effects
    }

    fn autosave_tick(&mut self, now: Instant) -> Vec<Effect> {
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
        if self.deploy_confirm.is_some() {
            return self.confirm_key(key);
        }
        if let Some(setup) = &mut self.eval_setup {
            return match setup.key(key) {
                SetupOutcome::Pending => Vec::new(),
                SetupOutcome::Cancelled => {
                    self.eval_setup = None;
                    Vec::new()
                }
                SetupOutcome::Start {
                    dataset,
                    providers,
                    versions,
                } => {
                    self.eval_setup = None;
                    self.start_run(dataset, providers, versions)
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
}

mod deployments;
mod dispatch;
mod env_choice;
mod evals;
mod monitor;
mod playground;
mod prompt_actions;
mod replies;
mod reviews;
mod signing;
mod sync;
mod views;
