//! Eval runs: a prompt's versions × providers × a dataset's cases, persisted result by result so
//! a cancelled or crashed run keeps what finished; run history, comparisons and human grades.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::domain::eval::{CaseResult, Dataset, HumanGrade, RunInfo, RunStatus, RunSummary};
use crate::domain::{PromptName, VersionRef};
use crate::eval::compare::{Comparison, compare};
use crate::eval::pricing::PriceTable;
use crate::eval::providers::Provider;
use crate::eval::runner::{self, CachedResponse, Cancel, PreparedVersion, ResponseCache, RunPlan};
use crate::store::{RunSpecRow, Store};

use super::providers::runtime;
use super::{Result, Workspace, WorkspaceError, now};

/// What to run.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub prompt: PromptName,
    pub dataset: String,
    /// Versions to run (latest when empty); `Draft` runs the user's draft as version 0.
    pub versions: Vec<VersionRef>,
    /// Providers by name (`echo` when empty).
    pub providers: Vec<String>,
    pub concurrency: usize,
    pub repeat: u32,
    /// Rerun only what failed (or errored) in this run.
    pub only_failed: Option<String>,
    /// The grader for `llm-rubric` assertions.
    pub grader: Option<String>,
    pub use_cache: bool,
    pub overrides: Json,
    pub prices: PriceTable,
}

/// How far a run has got.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
}

/// A run with its results and the dataset version it ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub run: RunInfo,
    pub results: Vec<CaseResult>,
    pub dataset: Dataset,
}

struct StoreCache(Mutex<Store>);

impl ResponseCache for StoreCache {
    fn get(&self, key: &str) -> Option<CachedResponse> {
        let store = self.0.lock().ok()?;
        let text = store.read().cached_response(key).ok()??;
        serde_json::from_str(&text).ok()
    }

    fn put(&self, key: &str, response: &CachedResponse) {
        if let (Ok(mut store), Ok(text)) = (self.0.lock(), serde_json::to_string(response)) {
            let _ = store.write(|tx| tx.cache_response(key, &text, &now()));
        }
    }
}

impl Workspace {
    fn providers_named(&self, names: &[String]) -> Result<Vec<Provider>> {
        names
            .iter()
            .map(|name| {
                let config = self.provider_config(name)?;
                Provider::new(config).map_err(|e| WorkspaceError::Refused(e.to_string()))
            })
            .collect()
    }

    fn prepare_version(&self, name: &PromptName, which: VersionRef) -> Result<PreparedVersion> {
        let resolved = self.resolve(name, which)?;
        let snippets = self.snippets_for(name, &resolved.content)?;
        let number = resolved.version.as_ref().map_or(0, |v| v.number);
        Ok(PreparedVersion {
            name: name.to_string(),
            number,
            budget: self.render_budget,
            content: resolved.content,
            snippets,
        })
    }

    /// Runs an eval, calling `progress` after every result; `cancel` stops it (finished results
    /// are kept and the run is marked cancelled).
    pub fn run_eval(
        &mut self,
        options: EvalOptions,
        progress: &mut dyn FnMut(Progress, &CaseResult),
        cancel: Cancel,
    ) -> Result<RunInfo> {
        let dataset = self.dataset(&options.dataset, None)?;
        let versions = if options.versions.is_empty() {
            vec![VersionRef::Latest]
        } else {
            options.versions.clone()
        };
        let prepared: Vec<PreparedVersion> = versions
            .iter()
            .map(|v| self.prepare_version(&options.prompt, *v))
            .collect::<Result<_>>()?;
        let provider_names = if options.providers.is_empty() {
            vec!["echo".to_string()]
        } else {
            options.providers.clone()
        };
        let providers = self.providers_named(&provider_names)?;
        let grader = options
            .grader
            .as_ref()
            .map(|g| self.providers_named(std::slice::from_ref(g)))
            .transpose()?;
        let mut graders = HashMap::new();
        for case in &dataset.cases {
            for spec in case.assertions.iter().filter_map(|a| a.provider.as_ref()) {
                if !graders.contains_key(spec) {
                    graders.insert(
                        spec.clone(),
                        self.providers_named(std::slice::from_ref(spec))?.remove(0),
                    );
                }
            }
        }
        let only = match &options.only_failed {
            None => None,
            Some(id) => {
                let report = self.run_report(id)?;
                let failed: HashSet<_> = report
                    .results
                    .iter()
                    .filter(|r| !r.human.as_ref().map_or(r.pass, |h| h.pass))
                    .map(|r| (r.case_id.clone(), r.version, r.provider.clone()))
                    .collect();
                if failed.is_empty() {
                    return Err(WorkspaceError::Refused(format!(
                        "run {} has no failed results to rerun",
                        report.run.id
                    )));
                }
                Some(failed)
            }
        };
        let cache: Option<Arc<dyn ResponseCache>> = if options.use_cache {
            Some(Arc::new(StoreCache(Mutex::new(Store::open(self.path())?))))
        } else {
            None
        };
        let plan = RunPlan {
            versions: prepared,
            providers,
            cases: dataset.cases.clone(),
            repeat: options.repeat.max(1),
            concurrency: options.concurrency.max(1),
            overrides: options.overrides.clone(),
            grader: grader.map(|mut g| g.remove(0)),
            graders,
            only,
            cache,
            prices: options.prices.clone(),
        };
        let spec = RunSpecRow {
            versions: plan.versions.iter().map(|v| v.number).collect(),
            providers: provider_names.clone(),
            repeat: plan.repeat,
            concurrency: plan.concurrency,
            overrides: options.overrides.clone(),
        };
        let mut run = RunInfo {
            id: uuid::Uuid::now_v7().to_string(),
            prompt: options.prompt.to_string(),
            dataset: dataset.name.clone(),
            dataset_version: dataset.version,
            versions: spec.versions.clone(),
            providers: provider_names,
            repeat: plan.repeat,
            status: RunStatus::Running,
            started_at: now(),
            finished_at: None,
            started_by: self.user.clone(),
            summary: RunSummary::default(),
        };
        self.store
            .write(|tx| tx.insert_run(&run, &spec).map_err(WorkspaceError::from))?;
        let total = plan.job_count();
        let runtime = runtime()?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let handle = runtime.spawn(runner::execute(plan, tx, cancel));
        let mut results = Vec::with_capacity(total);
        let mut state = Progress {
            total,
            ..Progress::default()
        };
        // Results are written as they arrive, so an interrupted run keeps them.
        while let Some(result) = rx.blocking_recv() {
            let run_id = run.id.clone();
            self.store.write(|tx| {
                tx.save_result(&run_id, &result)
                    .map_err(WorkspaceError::from)
            })?;
            state.done += 1;
            match (&result.error, result.pass) {
                (Some(_), _) => state.errors += 1,
                (None, true) => state.passed += 1,
                (None, false) => state.failed += 1,
            }
            progress(state, &result);
            results.push(result);
        }
        let status = runtime.block_on(handle).unwrap_or(RunStatus::Failed);
        run.status = status;
        run.summary = RunSummary::of(&results);
        run.finished_at = Some(now());
        let user = self.user.clone();
        let finished = run.clone();
        self.store.write(|tx| {
            let at = finished.finished_at.clone().unwrap_or_default();
            tx.finish_run(&finished.id, finished.status, &finished.summary, &at)?;
            tx.append_audit(
                &user,
                &at,
                "eval.run",
                &finished.prompt,
                &json!({
                    "run": finished.id, "dataset": finished.dataset, "dataset_version": finished.dataset_version,
                    "versions": finished.versions, "providers": finished.providers, "status": finished.status,
                    "pass_rate": finished.summary.pass_rate, "total": finished.summary.total,
                }),
            )?;
            Ok::<_, WorkspaceError>(())
        })?;
        Ok(run)
    }

    /// Runs, newest first (of one prompt when given).
    pub fn runs(&self, prompt: Option<&str>, limit: usize) -> Result<Vec<RunInfo>> {
        Ok(self.store.read().runs(prompt, limit)?)
    }

    /// A run (by id or unambiguous prefix) with its results and dataset version.
    pub fn run_report(&self, id: &str) -> Result<RunReport> {
        let (run, _) = self.store.read().run(id)?.ok_or_else(|| {
            WorkspaceError::Refused(format!(
                "no run `{id}` (or the prefix is ambiguous; see `galley eval list`)"
            ))
        })?;
        let results = self.store.read().results(&run.id)?;
        let dataset = self.dataset(&run.dataset, Some(run.dataset_version))?;
        Ok(RunReport {
            run,
            results,
            dataset,
        })
    }

    /// Compares two runs (each side: its latest version's results).
    pub fn compare_runs(&self, before: &str, after: &str) -> Result<Comparison> {
        let a = self.run_report(before)?;
        let b = self.run_report(after)?;
        let side = |r: &RunReport| {
            let version = r.run.versions.iter().copied().max().unwrap_or(0);
            let results: Vec<CaseResult> = r
                .results
                .iter()
                .filter(|x| x.version == version)
                .cloned()
                .collect();
            (format!("run {} v{version}", short(&r.run.id)), results)
        };
        let (la, ra) = side(&a);
        let (lb, rb) = side(&b);
        Ok(compare((&la, &ra), (&lb, &rb), &b.dataset.cases))
    }

    /// Compares two versions within one run.
    pub fn compare_versions(&self, run: &str, before: u32, after: u32) -> Result<Comparison> {
        let r = self.run_report(run)?;
        let pick = |v: u32| -> Result<Vec<CaseResult>> {
            let picked: Vec<CaseResult> = r
                .results
                .iter()
                .filter(|x| x.version == v)
                .cloned()
                .collect();
            if picked.is_empty() {
                return Err(WorkspaceError::Refused(format!(
                    "run {} has no results for v{v}",
                    short(&r.run.id)
                )));
            }
            Ok(picked)
        };
        let (a, b) = (pick(before)?, pick(after)?);
        Ok(compare(
            (&format!("v{before}"), &a),
            (&format!("v{after}"), &b),
            &r.dataset.cases,
        ))
    }

    /// A person's pass/fail over a result's automatic verdict, with a note.
    pub fn grade(
        &mut self,
        run: &str,
        case: &str,
        version: u32,
        provider: &str,
        pass: bool,
        note: &str,
    ) -> Result<()> {
        let report = self.run_report(run)?;
        let index = super::datasets::find_case(&report.dataset.cases, case)?;
        let case_id = report.dataset.cases[index].id.clone();
        let user = self.user.clone();
        let mut graded: Vec<CaseResult> = report
            .results
            .into_iter()
            .filter(|r| r.case_id == case_id && r.version == version && r.provider == provider)
            .collect();
        if graded.is_empty() {
            return Err(WorkspaceError::Refused(format!(
                "run {} has no result for that case, v{version} and {provider}",
                short(&report.run.id)
            )));
        }
        let run_id = report.run.id.clone();
        self.store.write(|tx| {
            let at = now();
            for result in &mut graded {
                result.human = Some(HumanGrade { pass, note: note.to_string(), by: user.clone(), at: at.clone() });
                tx.save_result(&run_id, result)?;
            }
            tx.append_audit(&user, &at, "eval.grade", &run_id, &json!({"case": case_id, "version": version, "provider": provider, "pass": pass, "note": note}))?;
            Ok::<_, WorkspaceError>(())
        })
    }
}

/// A run id as shown: its first 13 characters (the whole millisecond timestamp of a UUIDv7),
/// which `run_report` accepts back as a prefix.
pub fn short(id: &str) -> String {
    id.chars().take(13).collect()
}
