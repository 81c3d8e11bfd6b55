//! Evaluation records: test cases and datasets, assertion specs, provider configs, runs and their
//! results. Pure data; the `eval` module runs them and `store` keeps them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// One test case: variables for the prompt, an optional expected output, assertions on the
/// output, tags and a description.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TestCase {
    /// Stable within a dataset across its versions (UUIDv7), so runs can be compared per case.
    #[serde(default)]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default)]
    pub vars: Map<String, Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", rename = "assert")]
    pub assertions: Vec<AssertionSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The weighted score (0–1) the case needs to pass; all assertions must pass when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// An assertion on a model's output, as written in datasets (promptfoo-compatible shape):
/// `{type: "contains", value: "refund"}`, `{type: "not-icontains", value: "sorry", weight: 2}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssertionSpec {
    /// The assertion type, possibly with a `not-` prefix.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Json>,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub weight: f64,
    /// For scored assertions (levenshtein, llm-rubric, ...): the score that counts as a pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// For `llm-rubric`: the grader provider (else the run's default grader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

fn one() -> f64 {
    1.0
}

fn is_one(w: &f64) -> bool {
    *w == 1.0
}

impl AssertionSpec {
    /// An assertion of `kind` with `value`, weight 1.
    pub fn new(kind: &str, value: Option<Json>) -> Self {
        Self {
            kind: kind.to_string(),
            value,
            weight: 1.0,
            threshold: None,
            provider: None,
        }
    }

    /// The kind without its `not-` prefix, and whether it was negated.
    pub fn base_kind(&self) -> (&str, bool) {
        match self.kind.strip_prefix("not-") {
            Some(rest) => (rest, true),
            None => (self.kind.as_str(), false),
        }
    }
}

/// A dataset's identity and size, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetInfo {
    pub name: String,
    pub description: String,
    /// The latest version (1, 2, ...): every change to the cases makes a new one.
    pub version: u32,
    pub cases: usize,
    pub updated_at: String,
}

/// A dataset version: its cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    pub name: String,
    pub description: String,
    pub version: u32,
    pub cases: Vec<TestCase>,
}

/// The kinds of model provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Any OpenAI-compatible chat completions endpoint.
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
    /// A local program: the rendered prompt on stdin, the answer on stdout.
    Command,
    /// Deterministic and offline: answers with the prompt it was given.
    Echo,
}

impl ProviderKind {
    /// The kind's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Openai => "openai",
            Self::Anthropic => "anthropic",
            Self::Command => "command",
            Self::Echo => "echo",
        }
    }
}

impl std::str::FromStr for ProviderKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "openai" => Ok(Self::Openai),
            "anthropic" => Ok(Self::Anthropic),
            "command" => Ok(Self::Command),
            "echo" => Ok(Self::Echo),
            _ => Err(format!(
                "unknown provider type `{s}` (expected openai, anthropic, command or echo)"
            )),
        }
    }
}

/// A named provider configuration. Never holds a secret: `api_key_env` names the environment
/// variable the key is read from at request time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderConfig {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ProviderKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// For `command`: the program and its arguments, run through the shell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// For `command`: send `{"messages": [...], "config": {...}}` as JSON instead of plain text.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub json_input: bool,
    /// Request defaults merged over the prompt's model config (prompt < provider < run).
    #[serde(default = "empty_object")]
    pub defaults: Json,
    /// Requests per minute (none: unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpm: Option<u32>,
    /// Seconds before a request is abandoned (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Retries after the first attempt on 429, 5xx and connection errors (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
}

fn empty_object() -> Json {
    Json::Object(Map::new())
}

impl ProviderConfig {
    /// A provider of `kind` called `name` with every option at its default.
    pub fn new(name: &str, kind: ProviderKind) -> Self {
        Self {
            name: name.to_string(),
            kind,
            base_url: None,
            model: None,
            api_key_env: None,
            command: None,
            json_input: false,
            defaults: empty_object(),
            rpm: None,
            timeout_secs: None,
            max_retries: None,
        }
    }
}

/// How a run or a result ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Completed,
    Cancelled,
    Failed,
}

impl RunStatus {
    /// The status's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }
}

/// One assertion's verdict on one output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssertionOutcome {
    /// The assertion as written (`not-contains`, ...).
    pub kind: String,
    pub pass: bool,
    /// 0–1.
    pub score: f64,
    pub weight: f64,
    /// Why, in words a person reads: always set on failure.
    pub reason: String,
}

/// The result of one case × version × provider (× repeat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub case_id: String,
    pub version: u32,
    pub provider: String,
    /// 0 for the first attempt of a `--repeat N` run, then 1, 2, ...
    pub repeat: u32,
    pub output: Option<String>,
    /// A provider or render error; the case then fails and has no assertions checked.
    pub error: Option<String>,
    pub pass: bool,
    /// The weighted score, 0–1.
    pub score: f64,
    pub assertions: Vec<AssertionOutcome>,
    pub latency_ms: u64,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// Whether the token counts are estimates (the provider reported none).
    pub tokens_estimated: bool,
    pub cost_usd: Option<f64>,
    pub cached: bool,
    /// A person's verdict over the automatic one, with a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub human: Option<HumanGrade>,
}

/// A person's grade of a result, kept beside the automatic verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HumanGrade {
    pub pass: bool,
    pub note: String,
    pub by: String,
    pub at: String,
}

/// A run's identity, what it ran, and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// UUIDv7.
    pub id: String,
    pub prompt: String,
    pub dataset: String,
    pub dataset_version: u32,
    pub versions: Vec<u32>,
    pub providers: Vec<String>,
    pub repeat: u32,
    pub status: RunStatus,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub started_by: String,
    pub summary: RunSummary,
}

/// Totals of a run (or of one version × provider within it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    /// passed / total (0 when empty).
    pub pass_rate: f64,
    pub mean_score: f64,
    pub cost_usd: f64,
    pub mean_latency_ms: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl RunSummary {
    /// Totals over `results` (a human grade overrides the automatic verdict).
    pub fn of(results: &[CaseResult]) -> Self {
        let total = results.len();
        let passed = results
            .iter()
            .filter(|r| r.human.as_ref().map_or(r.pass, |h| h.pass))
            .count();
        let errors = results.iter().filter(|r| r.error.is_some()).count();
        let mean = |f: &dyn Fn(&CaseResult) -> f64| {
            if total == 0 {
                0.0
            } else {
                results.iter().map(f).sum::<f64>() / total as f64
            }
        };
        Self {
            total,
            passed,
            failed: total - passed,
            errors,
            pass_rate: if total == 0 {
                0.0
            } else {
                passed as f64 / total as f64
            },
            mean_score: mean(&|r| r.score),
            cost_usd: results.iter().filter_map(|r| r.cost_usd).sum(),
            mean_latency_ms: mean(&|r| r.latency_ms as f64),
            input_tokens: results.iter().filter_map(|r| r.input_tokens).sum(),
            output_tokens: results.iter().filter_map(|r| r.output_tokens).sum(),
        }
    }
}

/// How a case is named to people: its description, else `case N` (its position), else the start
/// of its id when it is not among `cases`.
pub fn case_label(cases: &[TestCase], id: &str) -> String {
    match cases.iter().position(|c| c.id == id) {
        Some(i) if !cases[i].description.is_empty() => cases[i].description.clone(),
        Some(i) => format!("case {}", i + 1),
        None => id.chars().take(13).collect(),
    }
}

/// Whether a case passes: every assertion passes, or (with a threshold) the weighted score
/// reaches it. Returns (pass, weighted score).
pub fn case_verdict(outcomes: &[AssertionOutcome], threshold: Option<f64>) -> (bool, f64) {
    let total_weight: f64 = outcomes.iter().map(|o| o.weight).sum();
    if outcomes.is_empty() || total_weight <= 0.0 {
        return (true, 1.0);
    }
    let score = outcomes.iter().map(|o| o.score * o.weight).sum::<f64>() / total_weight;
    let pass = match threshold {
        Some(t) => score + 1e-9 >= t,
        None => outcomes.iter().all(|o| o.pass),
    };
    (pass, score)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(pass: bool, score: f64, weight: f64) -> AssertionOutcome {
        AssertionOutcome {
            kind: "x".into(),
            pass,
            score,
            weight,
            reason: String::new(),
        }
    }

    #[test]
    fn verdicts_weigh_assertions() {
        assert_eq!(case_verdict(&[], None), (true, 1.0));
        let mixed = [outcome(true, 1.0, 3.0), outcome(false, 0.0, 1.0)];
        assert_eq!(case_verdict(&mixed, None), (false, 0.75));
        assert_eq!(case_verdict(&mixed, Some(0.7)), (true, 0.75));
        assert_eq!(case_verdict(&mixed, Some(0.8)), (false, 0.75));
    }

    #[test]
    fn assertion_specs_read_promptfoo_shapes() {
        let spec: AssertionSpec =
            serde_json::from_str(r#"{"type": "not-contains", "value": "sorry"}"#).unwrap();
        assert_eq!(spec.base_kind(), ("contains", true));
        assert_eq!(spec.weight, 1.0);
        let case: TestCase = serde_json::from_str(
            r#"{"vars": {"q": "hi"}, "assert": [{"type": "equals", "value": "x"}]}"#,
        )
        .unwrap();
        assert_eq!(case.assertions.len(), 1);
    }
}
