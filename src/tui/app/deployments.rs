//! The Deploy view's actions and answers: moving across the matrix, asking for a deploy,
//! promote or rollback (a preview first, shown in the confirm dialog), carrying it out, and the
//! environment badges.

use ratatui::crossterm::event::KeyEvent;

use crate::tui::action::Action;
use crate::tui::components::deployments::{ConfirmOutcome, DeployConfirm};
use crate::tui::components::popup::{Popup, Purpose};
use crate::tui::event::{BoardReply, BoardRequest, Effect, Request};
use crate::workspace::DeployMove;

use super::{App, Focus, View};

fn board(request: BoardRequest) -> Request {
    Request::Board(request)
}

impl App {
    /// Reloads the board and the selected prompt's history (when the Deploy view was opened),
    /// and the badges.
    pub(super) fn deploy_effects(&mut self) -> Vec<Effect> {
        let mut effects = vec![self.request(board(BoardRequest::Served))];
        if self.deploys.board.is_some() || self.view == View::Deploy {
            effects.push(self.request(board(BoardRequest::DeployBoard)));
            effects.extend(self.deploy_history_effects());
        }
        effects
    }

    pub(super) fn deploy_history_effects(&mut self) -> Vec<Effect> {
        match self.deploys.selected_prompt().cloned() {
            Some(name) => vec![self.request(board(BoardRequest::DeployHistory(name)))],
            None => Vec::new(),
        }
    }

    /// Actions in the Deploy view; `None` when the action is not the view's.
    pub(super) fn deploy_action(&mut self, action: Action, step: isize) -> Option<Vec<Effect>> {
        if self.focus != Focus::Deploy {
            return None;
        }
        let effects = match action {
            _ if step != 0 => {
                if self.deploys.move_row(step) {
                    self.deploy_history_effects()
                } else {
                    Vec::new()
                }
            }
            Action::Left => {
                self.deploys.move_col(-1);
                Vec::new()
            }
            Action::Right => {
                self.deploys.move_col(1);
                Vec::new()
            }
            Action::DeployVersion | Action::Open => self.ask_deploy_version(),
            Action::DeployPromote => match self.deploys.left_env().map(str::to_string) {
                Some(from) => self.preview(DeployMove::Promote { from }),
                None => {
                    let env = self.deploys.selected_env().unwrap_or("this environment");
                    self.fail(format!(
                        "{env} is the first environment: nothing to its left to promote from"
                    ));
                    Vec::new()
                }
            },
            Action::DeployRollback => self.preview(DeployMove::Rollback),
            _ => return None,
        };
        Some(effects)
    }

    fn ask_deploy_version(&mut self) -> Vec<Effect> {
        let (Some(row), Some(env)) = (self.deploys.selected_row(), self.deploys.selected_env())
        else {
            return Vec::new();
        };
        let Some(latest) = row.latest else {
            self.fail(format!("{} has no committed version to deploy", row.prompt));
            return Vec::new();
        };
        let served = row.cells.get(self.deploys.col).and_then(|c| c.served);
        let items = (1..=latest)
            .rev()
            .map(|v| {
                let mut notes = Vec::new();
                if v == latest {
                    notes.push("latest");
                }
                if Some(v) == served {
                    notes.push("served now");
                }
                (format!("v{v}"), notes.join(", "))
            })
            .collect();
        let env = env.to_string();
        self.popup = Some(Popup::choice(
            &format!("Deploy which version of {} to {env}?", row.prompt),
            items,
            0,
            Purpose::DeployVersion { env },
        ));
        Vec::new()
    }

    /// Asks the workspace what `what` would do to the selected cell; the confirm dialog shows it.
    fn preview(&mut self, what: DeployMove) -> Vec<Effect> {
        let (Some(name), Some(env)) = (
            self.deploys.selected_prompt().cloned(),
            self.deploys.selected_env().map(str::to_string),
        ) else {
            return Vec::new();
        };
        vec![self.request(board(BoardRequest::Preview { name, what, env }))]
    }

    pub(super) fn on_submit_deploy(&mut self, purpose: Purpose, value: String) -> Vec<Effect> {
        let Purpose::DeployVersion { .. } = purpose else {
            return Vec::new();
        };
        match value.trim_start_matches('v').parse::<u32>() {
            Ok(version) => self.preview(DeployMove::Deploy { version }),
            Err(_) => {
                self.fail(format!("`{value}` is not a version number"));
                Vec::new()
            }
        }
    }

    /// A key in the confirm dialog.
    pub(super) fn confirm_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        let Some(confirm) = &mut self.deploy_confirm else {
            return Vec::new();
        };
        match confirm.key(key) {
            ConfirmOutcome::Pending => Vec::new(),
            ConfirmOutcome::Cancelled => {
                self.deploy_confirm = None;
                Vec::new()
            }
            ConfirmOutcome::Proceed => {
                let p = confirm.preview.clone();
                self.deploy_confirm = None;
                vec![self.request(board(BoardRequest::Apply {
                    name: p.prompt,
                    what: p.what,
                    env: p.env,
                }))]
            }
        }
    }

    /// Answers about deployments and the badges.
    pub(super) fn on_deploy_reply(&mut self, reply: BoardReply) -> Vec<Effect> {
        match reply {
            BoardReply::Served(served) => {
                self.environments = served.environments;
                self.list.set_served(served.by_prompt);
            }
            BoardReply::DeployBoard(board) => {
                let first = self.deploys.board.is_none();
                self.deploys.set_board(*board);
                if first && let Some(name) = self.open.as_ref().map(|o| o.name.clone()) {
                    self.deploys.select_prompt(&name);
                }
                if first {
                    return self.deploy_history_effects();
                }
            }
            BoardReply::DeployHistory { name, rows } => self.deploys.history = Some((name, rows)),
            BoardReply::Preview(preview) => {
                self.deploy_confirm = Some(DeployConfirm::new(*preview));
            }
            BoardReply::Applied(d) => {
                let was = d
                    .previous_version
                    .map_or_else(String::new, |v| format!(" (was v{v})"));
                self.say(format!(
                    "{}: {} now serves v{} of {}{was}",
                    d.kind, d.env, d.version, d.prompt
                ));
                self.sync.soon();
                let mut effects = self.deploy_effects();
                if self.reviews.queue.is_some() {
                    effects.extend(self.reviews_effects());
                }
                return effects;
            }
            _ => {}
        }
        Vec::new()
    }
}
