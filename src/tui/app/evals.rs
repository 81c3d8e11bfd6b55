//! The Evals view's actions and answers: run history, reports, starting and cancelling a run,
//! its streamed progress, comparisons and human grades.

use crate::domain::VersionRef;
use crate::domain::eval::case_label;
use crate::tui::action::Action;
use crate::tui::components::eval_setup::EvalSetup;
use crate::tui::components::evals::{CompareView, LiveRun, percent};
use crate::tui::components::popup::{Popup, Purpose};
use crate::tui::event::{Effect, Reply, Request, RequestId};
use crate::workspace::Progress;

use super::{App, Catalog, Focus, View};

/// What waits for the catalog (datasets and providers) to arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CatalogUse {
    EvalSetup,
    PlaygroundProvider,
    SaveCase,
}

fn version_label(v: VersionRef) -> String {
    match v {
        VersionRef::Number(n) => format!("v{n}"),
        other => other.to_string(),
    }
}

impl App {
    /// Loads the open prompt's runs when the Evals view lists another prompt's (or `force`).
    pub(super) fn evals_effects(&mut self, force: bool) -> Vec<Effect> {
        let Some(name) = self.open.as_ref().map(|o| o.name.clone()) else {
            return Vec::new();
        };
        if !force && self.evals.loaded && self.evals.prompt.as_ref() == Some(&name) {
            return Vec::new();
        }
        if self.evals.prompt.as_ref() != Some(&name) {
            self.evals.reset();
        }
        vec![self.request(Request::Runs(name))]
    }

    /// Asks for the catalog, then opens what `what` needs.
    pub(super) fn ask_catalog(&mut self, what: CatalogUse) -> Vec<Effect> {
        self.after_catalog = Some(what);
        vec![self.request(Request::Catalog)]
    }

    pub(super) fn eval_action(&mut self, action: Action, step: isize) -> Vec<Effect> {
        if self.view != View::Evals && action != Action::EvalRun {
            let mut effects = self.set_view(View::Evals);
            effects.extend(self.eval_action(action, step));
            return effects;
        }
        match (self.focus, action) {
            (Focus::EvalRuns, Action::Open) => self.focus = Focus::EvalResults,
            (Focus::EvalResults, Action::Open) => self.focus = Focus::EvalDetail,
            (Focus::EvalRuns, _) if step != 0 && self.evals.move_run(step) => {
                return self.report_effects();
            }
            (Focus::EvalRuns, _) if step != 0 => {}
            (Focus::EvalResults, _) if step != 0 => self.evals.move_result(step),
            (Focus::EvalDetail, _) if step != 0 => self.evals.scroll(false, step as i32),
            (Focus::EvalCompare, _) if step != 0 => self.evals.scroll(true, step as i32),
            (_, Action::EvalRun) => {
                if self.evals.live.is_some() {
                    self.fail(
                        "A run is in progress: wait for it, or press Esc in Evals to cancel it",
                    );
                    return Vec::new();
                }
                return self.ask_catalog(CatalogUse::EvalSetup);
            }
            (_, Action::EvalMark) => match self.evals.toggle_mark() {
                Some(id) => {
                    let label = self.evals.run_label(&id);
                    self.say(format!(
                        "Marked run {label}: select another run and press c to compare"
                    ));
                }
                None => self.say("Mark cleared"),
            },
            (_, Action::EvalCompare) => return self.compare_runs(),
            (_, Action::EvalCompareVersions) => return self.compare_versions(),
            (_, Action::EvalSort) => self.evals.cycle_sort(),
            (_, Action::EvalFailures) => self.evals.toggle_failures(),
            (_, Action::EvalGrade) => self.open_grade(),
            _ => {}
        }
        Vec::new()
    }

    /// The report of the selected run, when it is not on show (the comparison closes).
    pub(super) fn report_effects(&mut self) -> Vec<Effect> {
        self.evals.comparison = None;
        match self.evals.wanted_report() {
            Some(id) => vec![self.request(Request::RunReport(id))],
            None => Vec::new(),
        }
    }

    fn compare_runs(&mut self) -> Vec<Effect> {
        let Some(selected) = self.evals.selected_run().cloned() else {
            self.fail("No runs to compare yet: press r to start one");
            return Vec::new();
        };
        let other = match &self.evals.marked {
            Some(id) if *id != selected.id => self.evals.runs.iter().find(|r| r.id == *id),
            _ => self.evals.runs.get(self.evals.run_selected + 1),
        };
        let Some(other) = other.cloned() else {
            self.fail("Mark a run with Space first (or select a run that has an older one)");
            return Vec::new();
        };
        // The older run goes on the left; ids are UUIDv7, so they sort by time.
        let (before, after) = if other.id < selected.id {
            (other, selected)
        } else {
            (selected, other)
        };
        let label = |run: &crate::domain::eval::RunInfo| {
            let version = run.versions.iter().max().copied().unwrap_or(0);
            format!("{} v{version}", self.evals.run_label(&run.id))
        };
        self.evals.pending_labels = Some((label(&before), label(&after)));
        vec![self.request(Request::CompareRuns {
            before: before.id,
            after: after.id,
        })]
    }

    fn compare_versions(&mut self) -> Vec<Effect> {
        let Some(run) = self.evals.selected_run().cloned() else {
            return Vec::new();
        };
        let mut versions = run.versions.clone();
        versions.sort_unstable();
        match versions.as_slice() {
            [] | [_] => {
                self.fail(
                    "This run has one version: start a run of two versions (r) to compare them",
                );
                Vec::new()
            }
            [before, after] => self.compare_pair(&run.id, *before, *after),
            [older @ .., newest] => {
                let items = older
                    .iter()
                    .rev()
                    .map(|v| (v.to_string(), format!("v{v} → v{newest}")))
                    .collect();
                self.popup = Some(Popup::choice(
                    &format!("Compare which version with v{newest}?"),
                    items,
                    0,
                    Purpose::CompareVersion,
                ));
                Vec::new()
            }
        }
    }

    fn compare_pair(&mut self, run: &str, before: u32, after: u32) -> Vec<Effect> {
        let label = self.evals.run_label(run);
        let name = |v: u32| {
            if v == 0 {
                format!("{label} draft")
            } else {
                format!("{label} v{v}")
            }
        };
        self.evals.pending_labels = Some((name(before), name(after)));
        vec![self.request(Request::CompareVersions {
            run: run.to_string(),
            before,
            after,
        })]
    }

    fn open_grade(&mut self) {
        let (Some(report), Some(result)) = (&self.evals.report, self.evals.selected_result())
        else {
            self.fail("Select a result to grade (Tab to the results)");
            return;
        };
        let label = case_label(&report.dataset.cases, &result.case_id);
        let current = result.human.as_ref().map_or(result.pass, |h| h.pass);
        let items = vec![
            (
                "pass".to_string(),
                "it passes (overrides the automatic verdict)".to_string(),
            ),
            (
                "fail".to_string(),
                "it fails (overrides the automatic verdict)".to_string(),
            ),
        ];
        self.popup = Some(Popup::choice(
            &format!(
                "Your verdict on \"{label}\" · v{} · {}",
                result.version, result.provider
            ),
            items,
            usize::from(!current),
            Purpose::GradeVerdict,
        ));
    }

    /// Starts a run picked in the setup popup.
    pub(super) fn start_run(
        &mut self,
        dataset: String,
        providers: Vec<String>,
        versions: Vec<VersionRef>,
    ) -> Vec<Effect> {
        let Some(prompt) = self.open.as_ref().map(|o| o.name.clone()) else {
            return Vec::new();
        };
        let mut effects = if versions.contains(&VersionRef::Draft) {
            self.save_effects()
        } else {
            Vec::new()
        };
        let cases = self
            .catalog
            .as_ref()
            .and_then(|c| c.datasets.iter().find(|d| d.name == dataset))
            .map_or(0, |d| d.cases);
        let label = format!(
            "{dataset} · {} · {}",
            versions
                .iter()
                .map(|v| version_label(*v))
                .collect::<Vec<_>>()
                .join(","),
            providers.join(",")
        );
        let total = cases * versions.len() * providers.len();
        let effect = self.request(Request::RunEval {
            prompt,
            dataset,
            versions,
            providers,
        });
        if let Effect::Request(id, _) = &effect {
            self.evals.live = Some(LiveRun {
                request: *id,
                label,
                progress: Progress {
                    total,
                    ..Progress::default()
                },
                cancelling: false,
            });
        }
        self.evals.last = None;
        self.view = View::Evals;
        self.focus = Focus::EvalRuns;
        effects.push(effect);
        effects
    }

    /// Cancels the live run (what finished is kept).
    pub(super) fn cancel_run(&mut self) -> Vec<Effect> {
        let Some(live) = &mut self.evals.live else {
            return Vec::new();
        };
        live.cancelling = true;
        let id = live.request;
        self.say("Cancelling the run: finished results are kept");
        vec![Effect::Cancel(id)]
    }

    /// Whether `id` is a long request the Evals view or the playground waits on.
    pub(super) fn is_long_request(&self, id: RequestId) -> bool {
        self.evals.live.as_ref().is_some_and(|l| l.request == id)
            || self.playground.draft.request == Some(id)
            || self.playground.version.request == Some(id)
    }

    /// Answers for the Evals view (and the catalog).
    pub(super) fn on_eval_reply(&mut self, id: RequestId, reply: Reply) -> Vec<Effect> {
        match reply {
            Reply::Catalog {
                datasets,
                providers,
            } => {
                self.catalog = Some(Catalog {
                    datasets,
                    providers,
                });
                match self.after_catalog.take() {
                    Some(CatalogUse::EvalSetup) => self.open_setup(),
                    Some(CatalogUse::PlaygroundProvider) => self.open_provider_choice(),
                    Some(CatalogUse::SaveCase) => self.open_dataset_choice(),
                    None => {}
                }
            }
            Reply::Runs { prompt, runs } => {
                if self.open.as_ref().map(|o| &o.name) != Some(&prompt) {
                    return Vec::new();
                }
                self.evals.set_runs(prompt, runs);
                if let Some(follow) = self.evals.follow.take() {
                    self.evals.select_run(&follow);
                }
                if self.evals.runs.is_empty() {
                    self.evals.report = None;
                }
                return self.report_effects_keep();
            }
            Reply::RunReport(report) => self.evals.set_report(*report),
            Reply::EvalProgress(progress) => {
                if let Some(live) = self.evals.live.as_mut().filter(|l| l.request == id) {
                    live.progress = progress;
                }
            }
            Reply::EvalFinished(run) => {
                if self.evals.live.as_ref().is_some_and(|l| l.request == id) {
                    self.evals.live = None;
                }
                let s = &run.summary;
                let text = match run.status {
                    crate::domain::eval::RunStatus::Cancelled => format!(
                        "■ Run cancelled: {} results kept, {} passed",
                        s.total, s.passed
                    ),
                    _ => format!(
                        "✓ Run finished: {} passed ({}/{}), {} errors",
                        percent(s.pass_rate),
                        s.passed,
                        s.total,
                        s.errors
                    ),
                };
                self.say(text.trim_start_matches(['✓', '■', ' ']).to_string());
                self.evals.last = Some(text);
                self.evals.follow = Some(run.id.clone());
                self.evals.report = None;
                return self.evals_effects(true);
            }
            Reply::Comparison(comparison) => {
                let (before, after) = self.evals.pending_labels.take().unwrap_or_else(|| {
                    (
                        comparison.before.label.clone(),
                        comparison.after.label.clone(),
                    )
                });
                self.evals.comparison = Some(CompareView {
                    comparison: *comparison,
                    before,
                    after,
                    scroll: 0,
                });
                self.view = View::Evals;
                self.focus = Focus::EvalCompare;
            }
            Reply::Graded { run } => {
                self.say("Graded: your verdict is kept beside the automatic one");
                return vec![self.request(Request::RunReport(run))];
            }
            Reply::Failed(message) => {
                if self.evals.live.as_ref().is_some_and(|l| l.request == id) {
                    self.evals.live = None;
                    self.evals.last = Some(format!("✗ The run failed: {message}"));
                }
                self.fail(message);
            }
            _ => {}
        }
        Vec::new()
    }

    /// The report of the selected run, unless it is on show.
    fn report_effects_keep(&mut self) -> Vec<Effect> {
        match self.evals.wanted_report() {
            Some(id) => vec![self.request(Request::RunReport(id))],
            None => Vec::new(),
        }
    }

    fn open_setup(&mut self) {
        let (Some(open), Some(catalog)) = (&self.open, &self.catalog) else {
            return;
        };
        let previous = self.evals.runs.first();
        self.eval_setup = Some(EvalSetup::new(
            open.name.clone(),
            &catalog.datasets,
            &catalog.providers,
            &open.versions,
            open.has_draft || open.dirty,
            previous.map(|r| (r.dataset.as_str(), r.providers.as_slice())),
        ));
    }

    /// Acts on the answers of the grade and compare popups.
    pub(super) fn on_submit_evals(&mut self, purpose: Purpose, value: String) -> Vec<Effect> {
        match purpose {
            Purpose::GradeVerdict => {
                let pass = value == "pass";
                self.popup = Some(Popup::input(
                    &format!(
                        "Note on your {} verdict: why? (Enter to save)",
                        if pass { "PASS" } else { "FAIL" }
                    ),
                    "",
                    Purpose::GradeNote { pass },
                ));
            }
            Purpose::GradeNote { pass } => {
                let (Some(report), Some(result)) =
                    (&self.evals.report, self.evals.selected_result())
                else {
                    return Vec::new();
                };
                let request = Request::Grade {
                    run: report.run.id.clone(),
                    case: result.case_id.clone(),
                    version: result.version,
                    provider: result.provider.clone(),
                    pass,
                    note: value.trim().to_string(),
                };
                return vec![self.request(request)];
            }
            Purpose::CompareVersion => {
                let run = self.evals.selected_run().cloned();
                if let (Some(run), Ok(before)) = (run, value.parse::<u32>()) {
                    let newest = run.versions.iter().max().copied().unwrap_or(before);
                    return self.compare_pair(&run.id, before, newest);
                }
            }
            _ => {}
        }
        Vec::new()
    }
}
