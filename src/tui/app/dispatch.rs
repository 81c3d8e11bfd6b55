//! Actions: from a key, the palette or a test, to the pane or the open prompt they act on.

use std::time::Instant;

use crate::tui::action::Action;
use crate::tui::components::help::Help;
use crate::tui::components::palette::Palette;
use crate::tui::components::popup::{Popup, Purpose};
use crate::tui::event::{Effect, Request};
use crate::tui::theme::Theme;

use super::{App, Focus, View};

impl App {
    /// Runs an action (from a key, the palette or a test).
    pub fn dispatch(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        let theme = self.theme;
        match action {
            Action::Quit | Action::ForceQuit => return self.quit(),
            Action::Help => self.help = Some(Help::default()),
            Action::Palette => self.palette = Some(Palette::default()),
            Action::FocusNext => self.cycle_focus(true),
            Action::FocusPrev => self.cycle_focus(false),
            Action::Back if self.view == View::Evals && self.evals.live.is_some() => {
                return self.cancel_run();
            }
            Action::Back => match self.focus {
                Focus::Editor => self.focus = Focus::Sections,
                Focus::List if !self.list.filter().is_empty() => self.list.set_filter(""),
                Focus::List => self.status = None,
                Focus::EvalCompare => {
                    self.evals.comparison = None;
                    self.focus = Focus::EvalRuns;
                }
                Focus::EvalDetail => self.focus = Focus::EvalResults,
                Focus::EvalResults => self.focus = Focus::EvalRuns,
                Focus::Playground => self.focus = Focus::Sections,
                Focus::ReviewDiff | Focus::ReviewThreads => self.focus = Focus::ReviewQueue,
                Focus::Monitor if self.monitor.detail => self.monitor.detail = false,
                Focus::ReviewQueue | Focus::Deploy => {
                    self.view = View::Edit;
                    self.focus = Focus::List;
                }
                _ => self.focus = Focus::List,
            },
            Action::ViewEdit => return self.set_view(View::Edit),
            Action::ViewHistory => return self.set_view(View::History),
            Action::ViewDiff => return self.set_view(View::Diff),
            Action::ViewEvals => return self.set_view(View::Evals),
            Action::ViewReview => return self.set_view(View::Review),
            Action::ViewDeploy => return self.set_view(View::Deploy),
            Action::ViewMonitor => return self.set_view(View::Monitor),
            Action::Filter => {
                // The list shows in the per-prompt views only.
                if matches!(self.view, View::Review | View::Deploy) {
                    self.view = View::Edit;
                }
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
                effects.push(self.request(Request::Catalog));
                if self.view == View::Evals {
                    effects.extend(self.evals_effects(true));
                }
                effects.extend(self.deploy_effects());
                if self.view == View::Review {
                    effects.extend(self.reviews_effects());
                }
                if self.view == View::Monitor {
                    effects.extend(self.monitor_effects());
                }
                effects.push(self.alerts_request());
                effects.push(self.request(Request::SyncStatus));
                return effects;
            }
            Action::UnlockKey => return self.unlock_key(),
            Action::ReviewRequest | Action::HistoryDiffEnv => {
                return self.history_board_action(action);
            }
            _ => {
                let step = step_of(action);
                if let Some(effects) = self.review_action_in_view(action, step) {
                    return effects;
                }
                if let Some(effects) = self.deploy_action(action, step) {
                    return effects;
                }
                if let Some(effects) = self.monitor_action(action, step) {
                    return effects;
                }
                return self.dispatch_on_prompt(action, now, theme);
            }
        }
        Vec::new()
    }

    fn review_action_in_view(&mut self, action: Action, step: isize) -> Option<Vec<Effect>> {
        let in_view = matches!(
            self.focus,
            Focus::ReviewQueue | Focus::ReviewDiff | Focus::ReviewThreads
        );
        if in_view {
            self.review_action(action, step)
        } else {
            None
        }
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
                if self.open.is_some() && self.view != View::Evals {
                    return self.set_view(View::Edit);
                }
                if self.open.is_some() {
                    self.focus = Focus::EvalRuns;
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
        let step = step_of(action);
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
            (Focus::Playground, _) if movement => {
                let scroll = self.playground.scroll as isize + step;
                self.playground.scroll = scroll.clamp(0, u16::MAX as isize) as u16;
            }
            (Focus::EvalRuns | Focus::EvalResults | Focus::EvalDetail | Focus::EvalCompare, _)
                if movement || action == Action::Open =>
            {
                return self.eval_action(action, step);
            }
            (
                _,
                Action::EvalRun
                | Action::EvalMark
                | Action::EvalCompare
                | Action::EvalCompareVersions
                | Action::EvalSort
                | Action::EvalFailures
                | Action::EvalGrade,
            ) => return self.eval_action(action, step),
            (
                _,
                Action::PlaygroundRun
                | Action::PlaygroundRunVersion
                | Action::PlaygroundProvider
                | Action::PlaygroundSaveCase
                | Action::PlaygroundClose,
            ) => return self.playground_action(action, now),
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
}

/// How far a movement action moves a selection (0 for other actions).
fn step_of(action: Action) -> isize {
    match action {
        Action::Up => -1,
        Action::Down => 1,
        Action::PageUp => -10,
        Action::PageDown => 10,
        Action::Top => -10_000,
        Action::Bottom => 10_000,
        _ => 0,
    }
}
