//! Views and focus: which pane gets the keys, the focus ring, switching views, and the History
//! and Diff views' actions.

use crate::domain::VersionRef;
use crate::tui::action::Action;
use crate::tui::components::diff_view::DiffOutcome;
use crate::tui::components::history::HistoryOutcome;
use crate::tui::components::popup::{Popup, Purpose};
use crate::tui::event::{Effect, Request};
use crate::tui::keymap::Context;

use super::{App, Focus, View};

impl App {
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
            Focus::Playground => Context::Playground,
            Focus::EvalRuns => Context::EvalRuns,
            Focus::EvalResults => Context::EvalResults,
            Focus::EvalDetail => Context::EvalDetail,
            Focus::EvalCompare => Context::EvalCompare,
            Focus::ReviewQueue => Context::ReviewQueue,
            Focus::ReviewDiff => Context::ReviewDiff,
            Focus::ReviewThreads => Context::ReviewThreads,
            Focus::Deploy => Context::Deploy,
            Focus::Monitor => Context::Monitor,
        }
    }

    /// Whether the preview pane is on screen (a narrow Edit view gives its place to the
    /// playground).
    pub(super) fn preview_shown(&self) -> bool {
        !self.playground.visible || self.areas.preview.area() > 0
    }

    pub(super) fn focus_ring(&self) -> Vec<Focus> {
        // The Review and Deploy views are about every prompt: no prompt needs to be open.
        let per_prompt = !matches!(self.view, View::Review | View::Deploy);
        if per_prompt && self.open.is_none() {
            return vec![Focus::List];
        }
        match self.view {
            View::Edit => {
                let mut ring = vec![
                    Focus::List,
                    Focus::Sections,
                    Focus::Editor,
                    Focus::Variables,
                ];
                if self.preview_shown() {
                    ring.push(Focus::Preview);
                }
                if self.playground.visible {
                    ring.push(Focus::Playground);
                }
                ring
            }
            View::History => vec![Focus::List, Focus::History],
            View::Diff => vec![Focus::List, Focus::Diff],
            View::Evals if self.evals.comparison.is_some() => {
                vec![Focus::List, Focus::EvalRuns, Focus::EvalCompare]
            }
            View::Evals => vec![
                Focus::List,
                Focus::EvalRuns,
                Focus::EvalResults,
                Focus::EvalDetail,
            ],
            View::Review if self.reviews.detail.is_some() => {
                vec![Focus::ReviewQueue, Focus::ReviewDiff, Focus::ReviewThreads]
            }
            View::Review => vec![Focus::ReviewQueue],
            View::Deploy => vec![Focus::Deploy],
            View::Monitor => vec![Focus::List, Focus::Monitor],
        }
    }

    pub(super) fn cycle_focus(&mut self, forward: bool) {
        let ring = self.focus_ring();
        let at = ring.iter().position(|f| *f == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1) % ring.len()
        } else {
            (at + ring.len() - 1) % ring.len()
        };
        self.focus = ring[next];
    }

    /// Shows `view`; the Evals view loads the open prompt's runs when it has not yet.
    pub(super) fn set_view(&mut self, view: View) -> Vec<Effect> {
        self.view = view;
        if self.open.is_some() {
            self.focus = match view {
                View::Edit => Focus::Sections,
                View::History => Focus::History,
                View::Diff => Focus::Diff,
                View::Evals if self.evals.comparison.is_some() => Focus::EvalCompare,
                View::Evals => Focus::EvalRuns,
                View::Monitor => Focus::Monitor,
                View::Review | View::Deploy => self.focus,
            };
        }
        match view {
            View::Evals => self.evals_effects(false),
            View::Review => {
                self.focus = Focus::ReviewQueue;
                self.reviews_effects()
            }
            View::Deploy => {
                self.focus = Focus::Deploy;
                if let Some(name) = self.open.as_ref().map(|o| o.name.clone()) {
                    self.deploys.select_prompt(&name);
                }
                self.deploy_effects()
            }
            View::Monitor => self.monitor_effects(),
            _ => Vec::new(),
        }
    }

    pub(super) fn history_action(&mut self, action: Action) -> Vec<Effect> {
        let Some(open) = &self.open else {
            return Vec::new();
        };
        match self
            .history
            .handle(action, &open.versions, open.has_draft || open.dirty)
        {
            HistoryOutcome::None => Vec::new(),
            HistoryOutcome::Message(text) => {
                self.say(text);
                Vec::new()
            }
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

    pub(super) fn diff_action(&mut self, action: Action) -> Vec<Effect> {
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
