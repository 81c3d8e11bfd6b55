//! The playground's actions and answers: run the draft (and a version beside it) on the sample
//! values with a chosen provider, stream the answers in, save the input as a test case.

use std::time::Instant;

use serde_json::Value as Json;

use crate::domain::eval::TestCase;
use crate::tui::action::Action;
use crate::tui::components::edit_view::preview_inputs;
use crate::tui::components::eval_setup::default_provider;
use crate::tui::components::playground::AnswerState;
use crate::tui::components::popup::{NEW_DATASET, Popup, Purpose};
use crate::tui::event::{Effect, PlaygroundTarget, Reply, Request, RequestId};

use super::evals::CatalogUse;
use super::{App, Focus, View};

impl App {
    /// The provider the playground uses: the user's pick, else the first configured provider
    /// that is not `echo`, else `echo`.
    pub fn playground_provider(&self) -> String {
        self.playground.provider.clone().unwrap_or_else(|| {
            self.catalog
                .as_ref()
                .map_or_else(|| "echo".to_string(), |c| default_provider(&c.providers))
        })
    }

    /// The version the playground runs beside the draft: the one marked (or selected) in
    /// History, else the latest.
    pub fn playground_version(&self) -> Option<u32> {
        let open = self.open.as_ref()?;
        self.history
            .chosen(&open.versions, open.has_draft || open.dirty)
            .or_else(|| open.versions.first().map(|v| v.number))
    }

    pub(super) fn playground_action(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        let Some(open) = &self.open else {
            return Vec::new();
        };
        let name = open.name.clone();
        match action {
            Action::PlaygroundRun | Action::PlaygroundRunVersion => {
                let provider = self.playground_provider();
                let (target, label) = if action == Action::PlaygroundRun {
                    self.playground.inputs = preview_inputs(&open.variables, &open.samples);
                    (
                        PlaygroundTarget::Draft(open.content.clone()),
                        "draft".to_string(),
                    )
                } else {
                    let Some(n) = self.playground_version() else {
                        self.fail("This prompt has no committed version yet");
                        return Vec::new();
                    };
                    let latest = open.versions.first().map(|v| v.number) == Some(n);
                    let label = format!("v{n}{}", if latest { " (latest)" } else { "" });
                    (PlaygroundTarget::Version(n), label)
                };
                let request = Request::Playground {
                    name,
                    target,
                    samples: open.samples.clone(),
                    provider: provider.clone(),
                };
                let mut effects = Vec::new();
                let side = if action == Action::PlaygroundRun {
                    &self.playground.draft
                } else {
                    &self.playground.version
                };
                if let (true, Some(old)) = (side.is_streaming(), side.request) {
                    effects.push(Effect::Cancel(old));
                }
                let effect = self.request(request);
                let Effect::Request(id, _) = &effect else {
                    return effects;
                };
                let side = if action == Action::PlaygroundRun {
                    &mut self.playground.draft
                } else {
                    &mut self.playground.version
                };
                side.start(*id, label, provider, now);
                self.playground.visible = true;
                self.playground.scroll = 0;
                // Off the Edit view, or on the preview a narrow screen gives to the playground.
                if self.view != View::Edit || self.focus == Focus::Preview {
                    self.view = View::Edit;
                    self.focus = Focus::Playground;
                }
                effects.push(effect);
                return effects;
            }
            Action::PlaygroundProvider => return self.ask_catalog(CatalogUse::PlaygroundProvider),
            Action::PlaygroundSaveCase => {
                if !matches!(self.playground.draft.state, AnswerState::Done(_)) {
                    self.playground.inputs = preview_inputs(&open.variables, &open.samples);
                }
                return self.ask_catalog(CatalogUse::SaveCase);
            }
            Action::PlaygroundClose => {
                self.playground.visible = false;
                if self.focus == Focus::Playground {
                    self.focus = Focus::Sections;
                }
                return self
                    .playground
                    .streaming()
                    .into_iter()
                    .map(Effect::Cancel)
                    .collect();
            }
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn open_provider_choice(&mut self) {
        let Some(catalog) = &self.catalog else {
            return;
        };
        let current = self.playground_provider();
        let items: Vec<(String, String)> = catalog
            .providers
            .iter()
            .map(|p| {
                let model = p
                    .model
                    .as_ref()
                    .map(|m| format!(" · {m}"))
                    .unwrap_or_default();
                (p.name.clone(), format!("{}{model}", p.kind.as_str()))
            })
            .collect();
        let at = items.iter().position(|(k, _)| *k == current).unwrap_or(0);
        self.popup = Some(Popup::choice(
            "Playground provider",
            items,
            at,
            Purpose::PlaygroundProvider,
        ));
    }

    pub(super) fn open_dataset_choice(&mut self) {
        let Some(catalog) = &self.catalog else {
            return;
        };
        let mut items: Vec<(String, String)> = catalog
            .datasets
            .iter()
            .map(|d| {
                (
                    d.name.clone(),
                    format!("v{} · {} cases", d.version, d.cases),
                )
            })
            .collect();
        items.push((NEW_DATASET.into(), "create a new dataset".into()));
        self.popup = Some(Popup::choice(
            "Save the playground input as a case in",
            items,
            0,
            Purpose::SaveCaseDataset,
        ));
    }

    /// Answers of the playground's requests.
    pub(super) fn on_playground_reply(&mut self, id: RequestId, reply: Reply) -> Vec<Effect> {
        match reply {
            Reply::PlaygroundDelta(text) => {
                if let Some(side) = self.playground.side_mut(id) {
                    side.text.push_str(&text);
                }
            }
            Reply::PlaygroundDone(answer) => {
                if let Some(side) = self.playground.side_mut(id) {
                    side.text = answer.text.clone();
                    side.state = AnswerState::Done(answer);
                }
            }
            Reply::Failed(message) => {
                if let Some(side) = self.playground.side_mut(id) {
                    side.state = AnswerState::Failed(message);
                }
            }
            Reply::CaseSaved { dataset, version } => {
                self.say(format!(
                    "Saved the case to dataset {dataset} (now v{version}): run it from Evals (4, r)"
                ));
            }
            _ => {}
        }
        Vec::new()
    }

    /// Acts on the answers of the playground's popups.
    pub(super) fn on_submit_playground(
        &mut self,
        purpose: Purpose,
        value: String,
        popup: Option<Popup>,
    ) -> Vec<Effect> {
        match purpose {
            Purpose::PlaygroundProvider => {
                self.say(format!("Playground provider: {value} (p runs the draft)"));
                self.playground.provider = Some(value);
            }
            Purpose::SaveCaseDataset if value == NEW_DATASET => {
                self.popup = Some(Popup::input(
                    "Name of the new dataset (folders: support/golden)",
                    "",
                    Purpose::SaveCaseNewDataset,
                ));
            }
            Purpose::SaveCaseDataset => return self.ask_expected(value, false),
            Purpose::SaveCaseNewDataset => {
                let name = value.trim().to_string();
                if let Err(e) = crate::domain::PromptName::parse(&name) {
                    let mut popup = popup.unwrap_or_else(|| {
                        Popup::input(
                            "Name of the new dataset",
                            &name,
                            Purpose::SaveCaseNewDataset,
                        )
                    });
                    popup.set_error(e.to_string().replace("prompt name", "dataset name"));
                    self.popup = Some(popup);
                    return Vec::new();
                }
                return self.ask_expected(name, true);
            }
            Purpose::SaveCaseExpected { dataset, create } => {
                return self.save_case(dataset, create, value == "yes");
            }
            _ => {}
        }
        Vec::new()
    }

    /// Asks whether the draft's answer becomes the expected output (when there is one).
    fn ask_expected(&mut self, dataset: String, create: bool) -> Vec<Effect> {
        let AnswerState::Done(answer) = &self.playground.draft.state else {
            return self.save_case(dataset, create, false);
        };
        let first = answer.text.lines().next().unwrap_or("");
        let shown: String = first.chars().take(40).collect();
        let items = vec![
            (
                "yes".to_string(),
                format!("expected = the draft's answer (\"{shown}…\")"),
            ),
            ("no".to_string(), "the variables only".to_string()),
        ];
        self.popup = Some(Popup::choice(
            "Keep the draft's answer as the expected output?",
            items,
            0,
            Purpose::SaveCaseExpected { dataset, create },
        ));
        Vec::new()
    }

    fn save_case(&mut self, dataset: String, create: bool, with_expected: bool) -> Vec<Effect> {
        let expected = match (&self.playground.draft.state, with_expected) {
            (AnswerState::Done(answer), true) => Some(answer.text.clone()),
            _ => None,
        };
        let vars = self.playground.inputs.clone();
        let description = vars
            .values()
            .find_map(Json::as_str)
            .map(|s| {
                let line = s.lines().next().unwrap_or("");
                let short: String = line.chars().take(48).collect();
                if short.chars().count() < line.chars().count() {
                    format!("{short}…")
                } else {
                    short
                }
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "playground case".into());
        let case = TestCase {
            description,
            vars,
            expected,
            tags: vec!["playground".into()],
            ..TestCase::default()
        };
        self.say(format!("Saving the case to {dataset}…"));
        vec![self.request(Request::SaveCase {
            dataset,
            create,
            case: Box::new(case),
        })]
    }
}
