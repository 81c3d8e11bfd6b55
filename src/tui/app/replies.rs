//! The worker's answers, and the mouse.

use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

use crate::domain::VersionRef;
use crate::tui::components::edit_view::OpenPrompt;
use crate::tui::components::popup::Popup;
use crate::tui::event::{BoardReply, Effect, MonitorReply, Reply, Request, RequestId};
use crate::workspace::DraftChange;

use super::{App, Focus, Slot, View};

fn label(side: VersionRef) -> String {
    side.to_string()
}

impl App {
    pub(super) fn on_reply(&mut self, id: RequestId, reply: Reply) -> Vec<Effect> {
        let slot = match &reply {
            Reply::Prompts(_) => Some(Slot::List),
            Reply::Loaded(_) => Some(Slot::Load),
            Reply::Preview(_) => Some(Slot::Preview),
            Reply::Diff { .. } => Some(Slot::Diff),
            Reply::CommitSummary(_) => Some(Slot::CommitSummary),
            Reply::Catalog { .. } => Some(Slot::Catalog),
            Reply::Runs { .. } => Some(Slot::Runs),
            Reply::RunReport(_) => Some(Slot::Report),
            Reply::Comparison(_) => Some(Slot::Compare),
            Reply::Board(board) => match board {
                BoardReply::Served(_) => Some(Slot::Served),
                BoardReply::ReviewQueue(_) => Some(Slot::ReviewQueue),
                BoardReply::ReviewDetail(_) => Some(Slot::ReviewDetail),
                BoardReply::DeployBoard(_) => Some(Slot::DeployBoard),
                BoardReply::DeployHistory { .. } => Some(Slot::DeployHistory),
                _ => None,
            },
            Reply::Monitor(MonitorReply::Loaded(_)) => Some(Slot::Monitor),
            Reply::Monitor(MonitorReply::Alerts(_)) => Some(Slot::Alerts),
            Reply::SyncStatus(_) => Some(Slot::SyncStatus),
            _ => None,
        };
        if let Some(slot) = slot
            && self.pending.get(&slot) != Some(&id)
        {
            // A newer request of the same kind is on its way: this answer is stale.
            return Vec::new();
        }
        match reply {
            Reply::Monitor(reply) => return self.on_monitor_reply(reply),
            Reply::SyncStatus(remotes) => self.sync.remotes = remotes,
            Reply::Synced(outcome) => return self.on_synced(id, outcome),
            Reply::Failed(message) if self.sync.running == Some(id) => {
                return self.on_synced(id, Err(message));
            }
            Reply::PlaygroundDelta(_) | Reply::PlaygroundDone(_) | Reply::CaseSaved { .. } => {
                return self.on_playground_reply(id, reply);
            }
            Reply::Failed(_)
                if self.playground.draft.request == Some(id)
                    || self.playground.version.request == Some(id) =>
            {
                return self.on_playground_reply(id, reply);
            }
            Reply::Catalog { .. }
            | Reply::Runs { .. }
            | Reply::RunReport(_)
            | Reply::EvalProgress(_)
            | Reply::EvalFinished(_)
            | Reply::Comparison(_)
            | Reply::Graded { .. } => return self.on_eval_reply(id, reply),
            Reply::Failed(_) if self.is_long_request(id) => return self.on_eval_reply(id, reply),
            Reply::Board(
                board @ (BoardReply::Served(_)
                | BoardReply::DeployBoard(_)
                | BoardReply::DeployHistory { .. }
                | BoardReply::Preview(_)
                | BoardReply::Applied(_)),
            ) => return self.on_deploy_reply(board),
            Reply::Board(board) => return self.on_review_reply(board),
            Reply::PassphraseNeeded { path, retry } => {
                return self.on_passphrase_needed(id, path, retry);
            }
            Reply::SignerReady { key_file } => self.on_signer_ready(key_file),
            Reply::Failed(message) if self.popup_refused(id, &message) => self.fail(message),
            Reply::Prompts(prompts) => {
                self.list.set_prompts(prompts);
                if let Some(name) = self.open_after_list.take() {
                    self.list.select_name(&name);
                }
                let selected = self.list.selected_name().cloned();
                match selected {
                    Some(name) if self.open.as_ref().map(|o| &o.name) != Some(&name) => {
                        return vec![self.request(Request::LoadPrompt(name))];
                    }
                    None => self.open = None,
                    _ => {}
                }
            }
            Reply::Loaded(loaded) => {
                let same = self
                    .open
                    .as_ref()
                    .is_some_and(|o| o.name == loaded.summary.name);
                self.list
                    .set_has_draft(&loaded.summary.name, loaded.summary.has_draft);
                match &mut self.open {
                    Some(open) if same && !open.dirty => open.reload(*loaded, self.theme),
                    Some(_) if same => {}
                    _ => {
                        self.open = Some(OpenPrompt::new(*loaded, self.theme));
                        self.history.reset();
                        self.diff.clear();
                        self.diff_sides = None;
                        let mut effects: Vec<Effect> = self
                            .playground
                            .streaming()
                            .into_iter()
                            .map(Effect::Cancel)
                            .collect();
                        self.playground.draft = Default::default();
                        self.playground.version = Default::default();
                        if self.view == View::Diff {
                            self.view = View::Edit;
                        }
                        if self.view == View::Evals {
                            effects.extend(self.evals_effects(false));
                        }
                        if self.view == View::Monitor {
                            effects.extend(self.monitor_effects());
                        }
                        effects.extend(self.preview_effects());
                        return effects;
                    }
                }
                return self.preview_effects();
            }
            Reply::Saved { name, change } => {
                let seq = self.saves.remove(&id);
                if let Some(open) = self.open.as_mut().filter(|o| o.name == name) {
                    if seq == Some(open.edit_seq) {
                        open.dirty = false;
                    }
                    open.has_draft = change != DraftChange::MatchesLatest
                        && (change == DraftChange::Saved || open.has_draft);
                    let has_draft = open.has_draft;
                    self.list.set_has_draft(&name, has_draft);
                }
            }
            Reply::Preview(result) => {
                if let Some(open) = &mut self.open {
                    if let Ok(variables) = result.variables {
                        open.var_selected =
                            open.var_selected.min(variables.len().saturating_sub(1));
                        open.variables = variables;
                    }
                    open.preview = Some(result.rendered);
                }
            }
            Reply::CommitSummary(diff) => {
                if let Some(Popup::Commit { summary, .. }) = &mut self.popup {
                    *summary = Some(*diff);
                }
            }
            Reply::Committed { name, version } => {
                self.popup = None;
                self.say(format!("Committed {name} v{version}"));
                self.sync.soon();
                if let Some(open) = &mut self.open {
                    open.dirty = false;
                }
                return vec![
                    self.request(Request::ListPrompts),
                    self.request(Request::LoadPrompt(name)),
                ];
            }
            Reply::Diff { from, to, diff } => {
                self.diff.set_diff(label(from), label(to), *diff);
                self.view = View::Diff;
                self.focus = Focus::Diff;
            }
            Reply::Created(name) => {
                self.say(format!(
                    "Created {name}: edit a section and watch the preview"
                ));
                self.open_after_list = Some(name);
                self.open = None;
                self.view = View::Edit;
                self.focus = Focus::Sections;
                return vec![self.request(Request::ListPrompts)];
            }
            Reply::Imported(report) => {
                let mut text = format!("Imported {} files", report.imported.len());
                if !report.skipped.is_empty() {
                    let (path, why) = &report.skipped[0];
                    text.push_str(&format!(
                        "; skipped {} ({}: {why})",
                        report.skipped.len(),
                        path.display()
                    ));
                    self.fail(text);
                } else {
                    self.say(text);
                }
                return vec![self.request(Request::ListPrompts)];
            }
            Reply::Demo(report) => {
                let versions: u32 = report.created.iter().map(|(_, n)| n).sum();
                self.say(format!(
                    "Demo loaded: {} prompts, {versions} versions. Press ? for keys.",
                    report.created.len()
                ));
                let mut effects = vec![self.request(Request::ListPrompts)];
                effects.extend(self.deploy_effects());
                effects.extend(self.reviews_effects());
                effects.push(self.alerts_request());
                return effects;
            }
            Reply::Restored { name, version } => {
                self.say(format!("Restored v{version} into your draft"));
                self.view = View::Edit;
                self.focus = Focus::Sections;
                return vec![self.request(Request::LoadPrompt(name))];
            }
            Reply::Discarded(name) => {
                self.say("Draft discarded");
                return vec![
                    self.request(Request::ListPrompts),
                    self.request(Request::LoadPrompt(name)),
                ];
            }
            Reply::Failed(message) => {
                if let Some(popup @ Popup::Commit { .. }) = &mut self.popup {
                    popup.set_error(message);
                } else {
                    self.fail(message);
                }
            }
        }
        Vec::new()
    }

    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        if self.popup.is_some()
            || self.help.is_some()
            || self.palette.is_some()
            || self.eval_setup.is_some()
            || self.deploy_confirm.is_some()
        {
            return Vec::new();
        }
        let at = Position::new(mouse.column, mouse.row);
        let areas = self.areas.clone();
        let panes: [(Rect, Focus); 17] = [
            (areas.list, Focus::List),
            (areas.sections, Focus::Sections),
            (areas.editor, Focus::Editor),
            (areas.variables, Focus::Variables),
            (areas.preview, Focus::Preview),
            (areas.history, Focus::History),
            (areas.diff, Focus::Diff),
            (areas.playground, Focus::Playground),
            (areas.evals.runs, Focus::EvalRuns),
            (areas.evals.results, Focus::EvalResults),
            (areas.evals.detail, Focus::EvalDetail),
            (areas.evals.compare, Focus::EvalCompare),
            (areas.reviews.queue, Focus::ReviewQueue),
            (areas.reviews.diff, Focus::ReviewDiff),
            (areas.reviews.threads, Focus::ReviewThreads),
            (areas.deploy, Focus::Deploy),
            (areas.monitor, Focus::Monitor),
        ];
        let Some((rect, pane)) = panes.into_iter().find(|(r, _)| r.contains(at)) else {
            return Vec::new();
        };
        let row = mouse.row.saturating_sub(rect.y + 1) as usize;
        match mouse.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let delta = if mouse.kind == MouseEventKind::ScrollUp {
                    -3
                } else {
                    3
                };
                match pane {
                    Focus::List => {
                        let before = self.list.selected_name().cloned();
                        self.list.scroll(delta);
                        return self.follow_list_selection(before);
                    }
                    Focus::Diff => self.diff.scroll(delta),
                    Focus::ReviewDiff => self.reviews.diff.scroll(delta),
                    Focus::ReviewQueue => {
                        self.reviews.move_selection(delta.signum() as isize);
                    }
                    Focus::ReviewThreads => self.reviews.move_thread(delta.signum() as isize),
                    Focus::Monitor => self.monitor.move_selection(delta.signum() as isize),
                    Focus::Deploy if self.deploys.move_row(delta.signum() as isize) => {
                        return self.deploy_history_effects();
                    }
                    Focus::Playground => {
                        let scroll = self.playground.scroll as i32 + delta;
                        self.playground.scroll = scroll.clamp(0, u16::MAX as i32) as u16;
                    }
                    Focus::EvalRuns if self.evals.move_run(delta as isize) => {
                        return self.report_effects();
                    }
                    Focus::EvalResults => self.evals.move_result(delta as isize),
                    Focus::EvalDetail => self.evals.scroll(false, delta),
                    Focus::EvalCompare => self.evals.scroll(true, delta),
                    Focus::Preview => {
                        if let Some(open) = &mut self.open {
                            open.preview_scroll =
                                (open.preview_scroll as i32 + delta).max(0) as u16;
                        }
                    }
                    _ => {}
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = pane;
                match pane {
                    // The matrix's header takes the first row.
                    Focus::Deploy
                        if mouse.row > rect.y + 1 && self.deploys.click(row - 1, mouse.column) =>
                    {
                        return self.deploy_history_effects();
                    }
                    Focus::Monitor => {
                        self.monitor.click(mouse.column, mouse.row);
                    }
                    Focus::List if mouse.row > rect.y => {
                        let before = self.list.selected_name().cloned();
                        if self.list.click(row) {
                            return self.follow_list_selection(before);
                        }
                    }
                    Focus::Sections => {
                        if let Some(open) = &mut self.open {
                            open.select(row, self.theme);
                        }
                    }
                    Focus::Variables => {
                        if let Some(open) = &mut self.open
                            && row < open.variables.len()
                        {
                            open.var_selected = row;
                        }
                    }
                    // The tables' headers take the first row.
                    Focus::EvalRuns if mouse.row > rect.y + 1 && self.evals.click_run(row - 1) => {
                        return self.report_effects();
                    }
                    Focus::EvalResults if mouse.row > rect.y + 1 => {
                        self.evals.click_result(row - 1)
                    }
                    Focus::History => {
                        if let Some(open) = &self.open {
                            // The table's header takes the first row.
                            self.history.click(
                                row.saturating_sub(1),
                                &open.versions,
                                open.has_draft || open.dirty,
                            );
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
