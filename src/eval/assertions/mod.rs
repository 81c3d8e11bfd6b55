//! Assertions on model outputs: validating specs as written in datasets, checking outputs
//! against them, and the grader prompt for the model-graded `llm-rubric`.
//!
//! Pure and synchronous: the runner calls the model (and the grader), this module judges.

mod fill;
mod json;
mod quote;
mod rubric;
mod spec;
mod text;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_json;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value as Json;

use crate::domain::eval::{AssertionOutcome, AssertionSpec};

pub use rubric::{rubric_messages, rubric_outcome};

use spec::Check;

/// Every supported assertion kind (without the `not-` prefix, which any of them accepts).
pub const KINDS: &[&str] = &[
    "equals",
    "contains",
    "icontains",
    "contains-any",
    "contains-all",
    "icontains-any",
    "icontains-all",
    "starts-with",
    "regex",
    "is-json",
    "contains-json",
    "json-schema",
    "json-path",
    "length",
    "word-count",
    "levenshtein",
    "latency",
    "cost",
    "llm-rubric",
];

/// What an assertion looks at: one model output and the facts around it.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    pub output: &'a str,
    /// The case's expected output (used by `equals` and `levenshtein` without a value).
    pub expected: Option<&'a str>,
    pub latency_ms: u64,
    /// None when the price of the model is unknown.
    pub cost_usd: Option<f64>,
    /// The case's variables: `{{ var }}` in an assertion's value is filled from them.
    pub vars: &'a serde_json::Map<String, Json>,
}

/// Whether `spec` is well formed: a known kind with a value of the right shape (a regex that
/// compiles, a valid JSON Schema, a parseable JSONPath, ...). The error is one line.
pub fn validate(spec: &AssertionSpec) -> Result<(), String> {
    Check::parse(spec).map(|_| ())
}

/// Whether `spec` is graded by a model (`llm-rubric`): the runner asks a grader with
/// [`rubric_messages`] and reads its answer with [`rubric_outcome`] instead of calling [`check`].
pub fn is_model_graded(spec: &AssertionSpec) -> bool {
    spec.base_kind().0 == "llm-rubric"
}

/// Checks `observed` against `spec`, for every kind but `llm-rubric` (which needs a grader).
/// An invalid spec fails with the validation error as its reason.
pub fn check(spec: &AssertionSpec, observed: &Observed) -> AssertionOutcome {
    let parsed = match fill::render_values(spec, observed.vars) {
        Ok(rendered) => parsed(&rendered),
        Err(e) => return outcome(spec, false, 0.0, format!("invalid assertion: {e}")),
    };
    let finding = match parsed.as_ref() {
        Ok(check) => check.run(observed),
        Err(e) => return outcome(spec, false, 0.0, format!("invalid assertion: {e}")),
    };
    match finding {
        Some(finding) => finish(spec, finding),
        None => outcome(
            spec,
            false,
            0.0,
            format!("`{}` is model-graded: it needs a grader model", spec.kind),
        ),
    }
}

/// How many parsed assertions each thread keeps.
const CACHE_SIZE: usize = 512;

thread_local! {
    static PARSED: RefCell<HashMap<String, Rc<Result<Check, String>>>> = RefCell::new(HashMap::new());
}

/// `spec` parsed, through a per-thread cache: a run checks the same few assertions on every
/// output, and compiling their regexes and schemas costs more than checking.
fn parsed(spec: &AssertionSpec) -> Rc<Result<Check, String>> {
    let key = serde_json::to_string(spec).unwrap_or_default();
    PARSED.with(|cache| {
        if let Some(hit) = cache.borrow().get(&key) {
            return Rc::clone(hit);
        }
        let parsed = Rc::new(Check::parse(spec));
        let mut cache = cache.borrow_mut();
        if cache.len() >= CACHE_SIZE {
            cache.clear();
        }
        cache.insert(key, Rc::clone(&parsed));
        parsed
    })
}

/// A check's raw result, before negation: whether the condition holds, its score, and a
/// sentence saying what was found (it reads right whether or not the assertion is negated).
#[derive(Debug, Clone, PartialEq)]
struct Finding {
    pub holds: bool,
    pub score: f64,
    pub reason: String,
    /// The check could not judge (no expected output, no known cost): it fails, negated or not.
    pub unjudged: bool,
}

impl Finding {
    pub fn new(holds: bool, reason: impl Into<String>) -> Self {
        Self {
            holds,
            score: if holds { 1.0 } else { 0.0 },
            reason: reason.into(),
            unjudged: false,
        }
    }

    pub fn unjudged(reason: impl Into<String>) -> Self {
        Self {
            unjudged: true,
            ..Self::new(false, reason)
        }
    }
}

/// Applies the `not-` prefix and the weight.
fn finish(spec: &AssertionSpec, finding: Finding) -> AssertionOutcome {
    let (_, negated) = spec.base_kind();
    if finding.unjudged {
        return outcome(spec, false, 0.0, finding.reason);
    }
    if !negated {
        return outcome(spec, finding.holds, finding.score, finding.reason);
    }
    let reason = if finding.holds {
        format!("{} — `{}` rules this out", finding.reason, spec.kind)
    } else {
        finding.reason
    };
    outcome(spec, !finding.holds, 1.0 - finding.score, reason)
}

fn outcome(spec: &AssertionSpec, pass: bool, score: f64, reason: String) -> AssertionOutcome {
    AssertionOutcome {
        kind: spec.kind.clone(),
        pass,
        score: score.clamp(0.0, 1.0),
        weight: spec.weight,
        reason,
    }
}
