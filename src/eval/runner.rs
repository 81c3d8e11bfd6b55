//! The runner: versions × providers × cases (× repeats) with bounded concurrency, cancellation
//! that keeps finished results, an optional response cache, token and cost accounting, and
//! assertions (model-graded ones through a grader provider). A provider error on one case never
//! stops the run.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::domain::eval::{AssertionOutcome, CaseResult, RunStatus, TestCase, case_verdict};
use crate::domain::{PromptContent, VarType};
use crate::template::{Rendered, SnippetSet, Template};

use super::assertions::{self, Observed};
use super::pricing::{PriceTable, estimate_tokens};
use super::providers::{
    Provider, ProviderError, ProviderRequest, ProviderResponse, merge_params, request_for,
};

/// A version ready to run: its content and the snippets it includes.
#[derive(Debug, Clone)]
pub struct PreparedVersion {
    /// The prompt's name, for errors that name it.
    pub name: String,
    pub number: u32,
    pub content: PromptContent,
    pub snippets: SnippetSet,
    /// What rendering it for one case may cost.
    pub budget: crate::template::RenderBudget,
}

/// Identifies a result across runs: (case id, version, provider).
pub type ResultKey = (String, u32, String);

/// Where responses are cached, keyed by the exact request.
pub trait ResponseCache: Send + Sync {
    fn get(&self, key: &str) -> Option<CachedResponse>;
    fn put(&self, key: &str, response: &CachedResponse);
}

/// A provider response as the cache keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedResponse {
    pub text: String,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub model: Option<String>,
    pub tool_calls: Option<Json>,
}

impl From<&ProviderResponse> for CachedResponse {
    fn from(r: &ProviderResponse) -> Self {
        Self {
            text: r.text.clone(),
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            model: r.model.clone(),
            tool_calls: r.tool_calls.clone(),
        }
    }
}

/// Everything a run needs.
pub struct RunPlan {
    pub versions: Vec<PreparedVersion>,
    pub providers: Vec<Provider>,
    pub cases: Vec<TestCase>,
    /// How many times each case runs (at least 1).
    pub repeat: u32,
    /// How many requests are in flight at once (at least 1).
    pub concurrency: usize,
    /// Request parameters over the prompt's and the provider's (prompt < provider < run).
    pub overrides: Json,
    /// The grader for `llm-rubric` assertions that name none.
    pub grader: Option<Provider>,
    /// Named graders (`provider:` on an assertion).
    pub graders: HashMap<String, Provider>,
    /// Only these (case, version, provider) combinations, for `--only-failed`.
    pub only: Option<HashSet<ResultKey>>,
    pub cache: Option<Arc<dyn ResponseCache>>,
    pub prices: PriceTable,
}

impl RunPlan {
    /// How many results the run will produce.
    pub fn job_count(&self) -> usize {
        self.jobs().len()
    }

    fn jobs(&self) -> Vec<(u32, usize, usize, usize)> {
        let mut jobs = Vec::new();
        for repeat in 0..self.repeat.max(1) {
            for (v, version) in self.versions.iter().enumerate() {
                for (p, provider) in self.providers.iter().enumerate() {
                    for (c, case) in self.cases.iter().enumerate() {
                        let key = (
                            case.id.clone(),
                            version.number,
                            provider.config().name.clone(),
                        );
                        if self.only.as_ref().is_none_or(|only| only.contains(&key)) {
                            jobs.push((repeat, v, p, c));
                        }
                    }
                }
            }
        }
        jobs
    }
}

/// Stops a run: started requests are abandoned, finished results are kept.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<(AtomicBool, Notify)>);

impl Cancel {
    /// Asks the run to stop.
    pub fn cancel(&self) {
        self.0.0.store(true, Ordering::SeqCst);
        self.0.1.notify_waiters();
    }

    /// Whether the run was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.0.load(Ordering::SeqCst)
    }

    async fn cancelled(&self) {
        loop {
            let notified = self.0.1.notified();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Runs the plan, sending each result as it finishes. Returns `Completed`, or `Cancelled`
/// when `cancel` stopped it.
pub async fn execute(
    plan: RunPlan,
    results: mpsc::UnboundedSender<CaseResult>,
    cancel: Cancel,
) -> RunStatus {
    let plan = Arc::new(plan);
    let permits = Arc::new(Semaphore::new(plan.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (repeat, v, p, c) in plan.jobs() {
        // `biased`: a cancel always wins over work that is also ready, so a cancelled run
        // starts nothing more.
        let permit = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let plan = plan.clone();
        let results = results.clone();
        let cancel = cancel.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let outcome = tokio::select! {
                biased;
                _ = cancel.cancelled() => None,
                result = run_case(&plan, repeat, v, p, c) => Some(result),
            };
            if let Some(result) = outcome {
                let _ = results.send(result);
            }
        });
        // Reap finished tasks as we go so the set stays small.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    if cancel.is_cancelled() {
        RunStatus::Cancelled
    } else {
        RunStatus::Completed
    }
}

async fn run_case(plan: &RunPlan, repeat: u32, v: usize, p: usize, c: usize) -> CaseResult {
    let version = &plan.versions[v];
    let provider = &plan.providers[p];
    let case = &plan.cases[c];
    let mut result = CaseResult {
        case_id: case.id.clone(),
        version: version.number,
        provider: provider.config().name.clone(),
        repeat,
        output: None,
        error: None,
        pass: false,
        score: 0.0,
        assertions: Vec::new(),
        latency_ms: 0,
        input_tokens: None,
        output_tokens: None,
        tokens_estimated: false,
        cost_usd: None,
        cached: false,
        human: None,
    };
    let rendered = match render(version, case) {
        Ok(rendered) => rendered,
        Err(error) => {
            result.error = Some(error);
            return result;
        }
    };
    let params = merge_params(&version.content.config, provider.config(), &plan.overrides);
    let request = request_for(&rendered, params);
    let key = provider.cache_key(&request);
    let cached = plan.cache.as_ref().and_then(|cache| cache.get(&key));
    let started = Instant::now();
    let response = match cached {
        Some(hit) => {
            result.cached = true;
            Ok(hit)
        }
        None => provider.complete(&request).await.map(|r| {
            let cached = CachedResponse::from(&r);
            if let Some(cache) = &plan.cache {
                cache.put(&key, &cached);
            }
            result.latency_ms = r.latency_ms;
            cached
        }),
    };
    if result.latency_ms == 0 && !result.cached {
        result.latency_ms = started.elapsed().as_millis() as u64;
    }
    let response = match response {
        Ok(response) => response,
        Err(error) => {
            result.error = Some(describe_error(&provider.config().name, &error));
            return result;
        }
    };
    let output = if response.text.is_empty() {
        response
            .tool_calls
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_default()
    } else {
        response.text.clone()
    };
    account(
        plan,
        provider.config().kind,
        &mut result,
        &request,
        &response,
        &output,
    );
    result.assertions = check_all(plan, case, &output, &result).await;
    let (pass, score) = case_verdict(&result.assertions, case.threshold);
    result.pass = pass;
    result.score = score;
    result.output = Some(output);
    result
}

/// Tokens (estimated when the provider gave none) and cost.
fn account(
    plan: &RunPlan,
    provider_kind: crate::domain::eval::ProviderKind,
    result: &mut CaseResult,
    request: &ProviderRequest,
    response: &CachedResponse,
    output: &str,
) {
    let model = request
        .params
        .get("model")
        .and_then(Json::as_str)
        .map(str::to_string)
        .or_else(|| response.model.clone())
        .unwrap_or_default();
    let input = response.input_tokens.unwrap_or_else(|| {
        result.tokens_estimated = true;
        request
            .messages
            .iter()
            .map(|m| estimate_tokens(&model, &m.content) + 4)
            .sum()
    });
    let output_tokens = response.output_tokens.unwrap_or_else(|| {
        result.tokens_estimated = true;
        estimate_tokens(&model, output)
    });
    result.input_tokens = Some(input);
    result.output_tokens = Some(output_tokens);
    // The echo provider is offline: it costs nothing whatever model the prompt names.
    result.cost_usd = match provider_kind {
        crate::domain::eval::ProviderKind::Echo => Some(0.0),
        _ => plan.prices.cost(&model, input, output_tokens),
    };
}

async fn check_all(
    plan: &RunPlan,
    case: &TestCase,
    output: &str,
    result: &CaseResult,
) -> Vec<AssertionOutcome> {
    let observed = Observed {
        output,
        expected: case.expected.as_deref(),
        latency_ms: result.latency_ms,
        cost_usd: result.cost_usd,
        vars: &case.vars,
    };
    let mut outcomes = Vec::with_capacity(case.assertions.len());
    for spec in &case.assertions {
        if !assertions::is_model_graded(spec) {
            outcomes.push(assertions::check(spec, &observed));
            continue;
        }
        let grader = match &spec.provider {
            Some(name) => plan.graders.get(name),
            None => plan.grader.as_ref(),
        };
        let outcome = match grader {
            None => failed(
                spec,
                "llm-rubric needs a grader: run with --grader PROVIDER (or name one on the assertion)",
            ),
            Some(grader) => {
                let mut params = Map::new();
                params.insert("temperature".into(), Json::from(0));
                if let Some(model) = &grader.config().model {
                    params.insert("model".into(), Json::from(model.clone()));
                }
                let request = ProviderRequest {
                    messages: assertions::rubric_messages(spec, &observed),
                    params,
                };
                match grader.complete(&request).await {
                    Ok(answer) => assertions::rubric_outcome(spec, &answer.text),
                    Err(e) => failed(
                        spec,
                        &format!(
                            "the grader failed: {}",
                            describe_error(&grader.config().name, &e)
                        ),
                    ),
                }
            }
        };
        outcomes.push(outcome);
    }
    outcomes
}

fn failed(spec: &crate::domain::eval::AssertionSpec, reason: &str) -> AssertionOutcome {
    AssertionOutcome {
        kind: spec.kind.clone(),
        pass: false,
        score: 0.0,
        weight: spec.weight,
        reason: reason.to_string(),
    }
}

/// Renders a version with a case's variables, typing string values by their declarations (CSV
/// cells arrive as text).
fn render(version: &PreparedVersion, case: &TestCase) -> Result<Rendered, String> {
    let mut vars = case.vars.clone();
    for (name, value) in vars.iter_mut() {
        if let (Some(spec), Json::String(text)) = (version.content.variables.get(name), &*value)
            && spec.var_type != VarType::String
        {
            *value = spec
                .var_type
                .parse_text(text)
                .map_err(|e| format!("variable `{name}` {e}"))?;
        }
    }
    let template = Template::compile(&version.content, &version.snippets)
        .map_err(|e| e.to_string())?
        .budgeted(&version.name, version.budget);
    template.render(&vars).map_err(|e| e.to_string())
}

/// A provider error as one line that names the provider.
pub fn describe_error(provider: &str, error: &ProviderError) -> String {
    match error {
        ProviderError::MissingKey { .. } => error.to_string(),
        _ => format!("provider `{provider}`: {error}"),
    }
}
