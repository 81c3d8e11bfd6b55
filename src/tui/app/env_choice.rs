//! Choosing an environment: from History, to ask for a review of a version or to diff it
//! against what the environment serves; from the Review view, to diff the version under review
//! against another environment.

use crate::domain::PromptName;
use crate::tui::action::Action;
use crate::tui::components::popup::{Popup, Purpose};
use crate::tui::event::Effect;

use super::{App, View};

impl App {
    /// A choice of environment, labelled with what each serves of the open prompt.
    pub(super) fn ask_env(&mut self, title: &str, purpose: Purpose) {
        if self.environments.is_empty() {
            self.fail("No environments loaded yet: press Ctrl-R and try again");
            return;
        }
        let name = self.board_prompt();
        let served = name
            .as_ref()
            .map(|n| self.list.served(n).to_vec())
            .unwrap_or_default();
        let items = self
            .environments
            .iter()
            .map(|env| {
                let now = served
                    .iter()
                    .find(|(e, _)| e == env)
                    .map_or("serves nothing yet".to_string(), |(_, v)| {
                        format!("serves v{v}")
                    });
                (env.clone(), now)
            })
            .collect();
        self.popup = Some(Popup::choice(title, items, 0, purpose));
    }

    /// The prompt the Review and History actions are about: the open review's in the Review
    /// view, else the open prompt.
    pub(super) fn board_prompt(&self) -> Option<PromptName> {
        if self.view == View::Review {
            let info = self.acted_review()?;
            return PromptName::parse(&info.review.prompt).ok();
        }
        self.open.as_ref().map(|o| o.name.clone())
    }

    /// From History: ask for a review of the selected version, or diff it against what an
    /// environment serves.
    pub(super) fn history_board_action(&mut self, action: Action) -> Vec<Effect> {
        let Some(open) = &self.open else {
            return Vec::new();
        };
        let Some(version) = self
            .history
            .chosen(&open.versions, open.has_draft || open.dirty)
        else {
            self.fail("Select a committed version in History (2) first");
            return Vec::new();
        };
        if action == Action::ReviewRequest {
            self.ask_env(
                &format!("Ask for a review of v{version} for which environment?"),
                Purpose::RequestReviewEnv { version },
            );
        } else {
            self.ask_env(
                &format!("Diff v{version} against what which environment serves?"),
                Purpose::DiffEnv { version },
            );
        }
        Vec::new()
    }
}
