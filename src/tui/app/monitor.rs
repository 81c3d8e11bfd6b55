//! The Monitor view's actions and answers: environment, range and worst-list choices reload
//! the view; a call opens, becomes a test case of a dataset, or sends you to the editor; the
//! prompt list's breach badges.

use crate::tui::action::Action;
use crate::tui::components::monitor::{RANGES, WORST};
use crate::tui::components::popup::{NEW_DATASET, Popup, Purpose};
use crate::tui::event::{Effect, MonitorReply, MonitorRequest, Request};

use super::{App, Focus, View};

/// The dataset a call goes to unless the user picks another.
const DEFAULT_DATASET: &str = "from-production";

impl App {
    pub(super) fn alerts_request(&mut self) -> Effect {
        let until = self.monitor.until;
        self.request(Request::Monitor(MonitorRequest::Alerts { until }))
    }

    /// Loads the open prompt's metrics with the view's choices.
    pub(super) fn monitor_effects(&mut self) -> Vec<Effect> {
        let Some(name) = self.open.as_ref().map(|o| o.name.clone()) else {
            return Vec::new();
        };
        if self
            .monitor
            .data
            .as_ref()
            .is_some_and(|d| d.query.prompt != name)
        {
            self.monitor.reset();
        }
        let query = self.monitor.query(name);
        vec![self.request(Request::Monitor(MonitorRequest::Load(query)))]
    }

    /// Actions in the Monitor view; `None` when the action is not the view's.
    pub(super) fn monitor_action(&mut self, action: Action, step: isize) -> Option<Vec<Effect>> {
        // Its own keys act from its pane; the palette's work from anywhere in the view.
        let pane = self.focus == Focus::Monitor;
        if self.view != View::Monitor || (!pane && (step != 0 || action == Action::Open)) {
            return None;
        }
        let effects = match action {
            _ if step != 0 => {
                self.monitor.move_selection(step);
                Vec::new()
            }
            Action::Open => {
                self.monitor.detail = self.monitor.selected_call().is_some();
                self.monitor.detail_scroll = 0;
                Vec::new()
            }
            Action::MonitorEnvNext | Action::MonitorEnvPrev => {
                let step = if action == Action::MonitorEnvNext {
                    1
                } else {
                    -1
                };
                if self.monitor.cycle_env(step) {
                    self.monitor.detail = false;
                    self.monitor_effects()
                } else {
                    Vec::new()
                }
            }
            Action::MonitorRange => {
                self.monitor.range = (self.monitor.range + 1) % RANGES.len();
                self.monitor_effects()
            }
            Action::MonitorWorst => {
                self.monitor.worst = (self.monitor.worst + 1) % WORST.len();
                self.monitor.selected = 0;
                self.monitor.detail = false;
                self.monitor_effects()
            }
            Action::MonitorToCase => self.ask_case_dataset(),
            Action::MonitorEdit => {
                let effects = self.set_view(View::Edit);
                if let Some(open) = &self.open {
                    self.say(format!(
                        "Editing {}: commit (Ctrl-S), run the evals (4), then review and deploy",
                        open.name
                    ));
                }
                effects
            }
            _ => return None,
        };
        Some(effects)
    }

    fn ask_case_dataset(&mut self) -> Vec<Effect> {
        let Some(id) = self.monitor.selected_call().map(|o| o.id.clone()) else {
            self.fail("No call selected: the worst list is empty (w shows another list)");
            return Vec::new();
        };
        let mut items: Vec<(String, String)> = self
            .catalog
            .as_ref()
            .map(|c| {
                c.datasets
                    .iter()
                    .map(|d| (d.name.clone(), format!("{} cases", d.cases)))
                    .collect()
            })
            .unwrap_or_default();
        if items.is_empty() {
            self.popup = Some(Popup::input(
                "Test case from this call: the dataset (created when missing)",
                DEFAULT_DATASET,
                Purpose::ObservationCaseNew { id },
            ));
            return Vec::new();
        }
        items.push((NEW_DATASET.to_string(), "type a name".to_string()));
        let selected = items
            .iter()
            .position(|(n, _)| n == DEFAULT_DATASET)
            .unwrap_or(items.len() - 1);
        self.popup = Some(Popup::choice(
            "Make this call a test case of which dataset?",
            items,
            selected,
            Purpose::ObservationCase { id },
        ));
        Vec::new()
    }

    pub(super) fn on_submit_monitor(&mut self, purpose: Purpose, value: String) -> Vec<Effect> {
        let (id, dataset) = match purpose {
            Purpose::ObservationCase { id } if value == NEW_DATASET => {
                self.popup = Some(Popup::input(
                    "Name of the new dataset",
                    DEFAULT_DATASET,
                    Purpose::ObservationCaseNew { id },
                ));
                return Vec::new();
            }
            Purpose::ObservationCase { id } | Purpose::ObservationCaseNew { id } => {
                (id, value.trim().to_string())
            }
            _ => return Vec::new(),
        };
        if dataset.is_empty() {
            self.fail("A dataset needs a name");
            return Vec::new();
        }
        self.say(format!("Adding {id} to {dataset}…"));
        vec![self.request(Request::Monitor(MonitorRequest::ToCase { id, dataset }))]
    }

    pub(super) fn on_monitor_reply(&mut self, reply: MonitorReply) -> Vec<Effect> {
        match reply {
            MonitorReply::Loaded(data) => {
                let current = self.open.as_ref().map(|o| &o.name) == Some(&data.query.prompt);
                if current {
                    self.monitor.set_data(*data);
                }
            }
            MonitorReply::CaseCreated(created) => {
                self.say(format!(
                    "Added to {} v{}: add an llm-rubric, then run it (4, r)",
                    created.dataset, created.version
                ));
                self.monitor.created = Some(*created);
                return vec![self.request(Request::Catalog)];
            }
            MonitorReply::Alerts(alerts) => self.list.set_alerts(&alerts),
        }
        Vec::new()
    }
}
