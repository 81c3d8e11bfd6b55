//! Reading promptfoo configs: the `tests:` list and `defaultTest:` of a `promptfooconfig.yaml`.
//!
//! Everything galley cannot reproduce exactly (JavaScript and Python assertions, similarity
//! metrics, transforms, files) is a problem naming the test, and that test is left out: a suite
//! is never imported silently different.

use serde_json::{Map, Value as Json};

use super::cases::kind_of;
use super::yaml::{item_lines, read};
use super::{ImportProblem, Imported, case_label};
use crate::domain::PromptName;
use crate::domain::eval::{AssertionSpec, TestCase};
use crate::eval::assertions;

/// Test fields galley reads; any other is a problem.
const TEST_FIELDS: [&str; 6] = [
    "description",
    "vars",
    "assert",
    "threshold",
    "metadata",
    "options",
];
/// Assertion fields galley reads (`metric` only names a score in promptfoo's reports).
const ASSERTION_FIELDS: [&str; 6] = ["type", "value", "weight", "threshold", "provider", "metric"];
/// Options galley honours or that do not change a result.
const OPTIONS: [&str; 5] = [
    "provider",
    "disableDefaultAsserts",
    "disableVarExpansion",
    "runSerially",
    "cache",
];
/// The most cases one test may expand into through list variables.
const MAX_EXPANSION: usize = 1000;

/// What a test (or `defaultTest`) says, read and checked.
#[derive(Default)]
struct Parts {
    description: String,
    vars: Map<String, Json>,
    assertions: Vec<AssertionSpec>,
    threshold: Option<f64>,
    metadata: Map<String, Json>,
    grader: Option<String>,
    disable_default_asserts: Option<bool>,
    disable_expansion: Option<bool>,
}

pub fn parse(text: &str) -> Imported {
    let mut imported = Imported::default();
    read_config(text, &mut imported.cases, &mut imported.problems);
    imported
}

fn read_config(text: &str, cases: &mut Vec<TestCase>, problems: &mut Vec<ImportProblem>) {
    let mut problem = |line, case: Option<&str>, message: String| {
        problems.push(ImportProblem::new(line, case.map(String::from), message));
    };
    let config = match read(text) {
        Ok(Json::Object(config)) => config,
        Ok(other) => {
            let message = format!(
                "expected a promptfoo config (a mapping with `tests:`), not {}",
                kind_of(&other)
            );
            return problem(Some(1), None, message);
        }
        Err(e) => return problem(e.line, None, e.message),
    };
    if config.contains_key("scenarios") {
        let message = "`scenarios:` are not supported: their tests are not imported".to_string();
        problem(line_of(text, "scenarios:"), None, message);
    }
    let default_line = line_of(text, "defaultTest:");
    let defaults = match config.get("defaultTest") {
        None | Some(Json::Null) => Parts::default(),
        Some(Json::Object(fields)) => {
            let mut errors = Vec::new();
            let parts = read_parts(fields, &mut errors);
            if !errors.is_empty() {
                for message in errors {
                    problem(default_line, Some("defaultTest"), message);
                }
                let message = "no tests imported: every test inherits defaultTest".to_string();
                return problem(default_line, None, message);
            }
            parts
        }
        Some(Json::String(path)) => {
            let message = format!("defaultTest from a file (`{path}`) is not supported");
            return problem(default_line, Some("defaultTest"), message);
        }
        Some(other) => {
            let message = format!("defaultTest must be a mapping, not {}", kind_of(other));
            return problem(default_line, Some("defaultTest"), message);
        }
    };
    let items = match config.get("tests") {
        Some(Json::Array(items)) => items,
        None | Some(Json::Null) => {
            return problem(None, None, "no `tests:` in this promptfoo config".into());
        }
        Some(Json::String(path)) => {
            let message =
                format!("`tests: {path}` loads the tests from a file, which is not supported");
            return problem(line_of(text, "tests:"), None, message);
        }
        Some(other) => {
            let message = format!("`tests:` must be a list, not {}", kind_of(other));
            return problem(line_of(text, "tests:"), None, message);
        }
    };
    let lines = item_lines(text, Some("tests"));
    for (i, item) in items.iter().enumerate() {
        let line = lines.get(i).copied().flatten();
        let label = case_label(item.get("description").and_then(Json::as_str), i + 1);
        let result = match item {
            Json::Object(fields) => cases_of(fields, &defaults),
            Json::String(path) => Err(vec![format!(
                "a test from a file (`{path}`) is not supported"
            )]),
            other => Err(vec![format!(
                "a test must be a mapping, not {}",
                kind_of(other)
            )]),
        };
        match result {
            Ok(found) => cases.extend(found),
            Err(errors) => {
                for message in errors {
                    problem(line, Some(&label), message);
                }
            }
        }
    }
}

/// The best-effort line of a top-level key.
fn line_of(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| line.starts_with(key))
        .map(|i| i + 1)
}

/// The cases of one test over the defaults: one, or one per combination of its list variables.
fn cases_of(fields: &Map<String, Json>, defaults: &Parts) -> Result<Vec<TestCase>, Vec<String>> {
    let mut errors = Vec::new();
    let test = read_parts(fields, &mut errors);
    if let Some(t) = test.threshold.or(defaults.threshold)
        && !(0.0..=1.0).contains(&t)
    {
        errors.push(format!("threshold must be between 0 and 1, not {t}"));
    }
    let mut vars = defaults.vars.clone();
    vars.extend(test.vars);
    let expand = !test
        .disable_expansion
        .or(defaults.disable_expansion)
        .unwrap_or(false);
    let combinations = if expand {
        combinations(&vars)
    } else {
        vec![vars]
    };
    if combinations.len() > MAX_EXPANSION {
        errors.push(format!(
            "its list variables expand into {} cases (at most {MAX_EXPANSION})",
            combinations.len()
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut specs = test.assertions;
    if !test
        .disable_default_asserts
        .or(defaults.disable_default_asserts)
        .unwrap_or(false)
    {
        specs.extend(defaults.assertions.iter().cloned());
    }
    if let Some(grader) = test.grader.or(defaults.grader.clone()) {
        for spec in specs
            .iter_mut()
            .filter(|s| assertions::is_model_graded(s) && s.provider.is_none())
        {
            spec.provider = Some(grader.clone());
        }
    }
    let mut metadata = defaults.metadata.clone();
    metadata.extend(test.metadata);
    let (id, expected, tags) = from_metadata(metadata);
    Ok(combinations
        .into_iter()
        .map(|vars| TestCase {
            id: id.clone(),
            description: test.description.clone(),
            vars,
            expected: expected.clone(),
            assertions: specs.clone(),
            tags: tags.clone(),
            threshold: test.threshold.or(defaults.threshold),
        })
        .collect())
}

fn read_parts(fields: &Map<String, Json>, errors: &mut Vec<String>) -> Parts {
    let mut parts = Parts::default();
    for (key, value) in fields {
        match (key.as_str(), value) {
            (_, Json::Null) => {}
            ("description", Json::String(s)) => parts.description = s.clone(),
            ("vars", Json::Object(vars)) => {
                for (name, value) in vars {
                    match value.as_str() {
                        Some(path) if path.starts_with("file://") => errors.push(format!(
                            "variable `{name}` loads a file (`{path}`), which is not supported: put the text inline"
                        )),
                        _ => {
                            parts.vars.insert(name.clone(), value.clone());
                        }
                    }
                }
            }
            ("vars", Json::String(path)) => errors.push(format!(
                "variables from a file (`{path}`) are not supported"
            )),
            ("assert", Json::Array(items)) => {
                parts.assertions = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, a)| assertion(a, i + 1, errors))
                    .collect();
            }
            ("threshold", Json::Number(n)) => parts.threshold = n.as_f64(),
            ("metadata", Json::Object(metadata)) => parts.metadata = metadata.clone(),
            ("options", Json::Object(options)) => read_options(options, &mut parts, errors),
            (key, other) if TEST_FIELDS.contains(&key) => {
                errors.push(format!("`{key}` cannot be {}", kind_of(other)))
            }
            (key, _) => errors.push(format!("`{key}` is not supported")),
        }
    }
    parts
}

fn read_options(options: &Map<String, Json>, parts: &mut Parts, errors: &mut Vec<String>) {
    for (key, value) in options {
        match (key.as_str(), value) {
            ("provider", provider) => match provider_id(provider) {
                Some(id) => parts.grader = grader_name(id),
                None => errors.push("option `provider` must be a provider id".to_string()),
            },
            ("disableDefaultAsserts", Json::Bool(b)) => parts.disable_default_asserts = Some(*b),
            ("disableVarExpansion", Json::Bool(b)) => parts.disable_expansion = Some(*b),
            (key, _) if OPTIONS.contains(&key) => {}
            (key, _) => errors.push(format!("option `{key}` is not supported")),
        }
    }
}

/// A provider as promptfoo writes it: `openai:gpt-4o-mini` or `{id: ..., config: ...}`.
fn provider_id(value: &Json) -> Option<String> {
    match value {
        Json::String(id) => Some(id.clone()),
        Json::Object(fields) => fields.get("id").and_then(Json::as_str).map(String::from),
        _ => None,
    }
}

/// A grader provider galley can look up: a galley provider name. promptfoo ids
/// (`openai:gpt-4o-mini`) never are one; those assertions are graded by the run's grader.
fn grader_name(id: String) -> Option<String> {
    PromptName::parse(&id).is_ok().then_some(id)
}

/// One promptfoo assertion as a galley assertion, or the reasons it cannot be one.
fn assertion(value: &Json, n: usize, errors: &mut Vec<String>) -> Option<AssertionSpec> {
    let Some(fields) = value.as_object() else {
        errors.push(format!(
            "assertion {n} must be a mapping with `type`, not {}",
            kind_of(value)
        ));
        return None;
    };
    let Some(kind) = fields.get("type").and_then(Json::as_str) else {
        errors.push(format!("assertion {n} has no `type`"));
        return None;
    };
    let mut spec = AssertionSpec::new(kind, fields.get("value").filter(|v| !v.is_null()).cloned());
    if !assertions::KINDS.contains(&spec.base_kind().0) {
        errors.push(format!(
            "assertion type `{kind}` is not supported by galley"
        ));
        return None;
    }
    let before = errors.len();
    for (key, value) in fields {
        match (key.as_str(), value) {
            ("type" | "value" | "metric", _) | (_, Json::Null) => {}
            ("weight", Json::Number(w)) => spec.weight = w.as_f64().unwrap_or(1.0),
            ("threshold", Json::Number(t)) => spec.threshold = t.as_f64(),
            ("provider", provider) if provider_id(provider).is_some() => {
                spec.provider = provider_id(provider).and_then(grader_name)
            }
            (key, _) if ASSERTION_FIELDS.contains(&key) => {
                errors.push(format!(
                    "assertion `{kind}`: `{key}` cannot be {}",
                    kind_of(value)
                ));
            }
            (key, _) => errors.push(format!("assertion `{kind}`: `{key}` is not supported")),
        }
    }
    if let Some(path) = spec
        .value
        .as_ref()
        .and_then(Json::as_str)
        .filter(|v| v.starts_with("file://"))
    {
        errors.push(format!(
            "assertion `{kind}`: values from files (`{path}`) are not supported"
        ));
    }
    if errors.len() == before
        && let Err(e) = assertions::validate(&spec)
    {
        errors.push(format!("assertion {n}: {e}"));
    }
    (errors.len() == before).then_some(spec)
}

/// Expands list variables as promptfoo does: a list whose first item is a string runs the
/// test once per item (other lists are values).
fn combinations(vars: &Map<String, Json>) -> Vec<Map<String, Json>> {
    let mut combos = vec![Map::new()];
    for (name, value) in vars {
        let values = match value {
            Json::Array(items) if items.first().is_some_and(Json::is_string) => items.clone(),
            other => vec![other.clone()],
        };
        combos = combos
            .iter()
            .flat_map(|combo| {
                values.iter().map(move |v| {
                    let mut combo = combo.clone();
                    combo.insert(name.clone(), v.clone());
                    combo
                })
            })
            .take(MAX_EXPANSION + 1)
            .collect();
    }
    combos
}

/// galley's own fields from promptfoo metadata: `id`, `expected`, `tags`; any other key
/// becomes a `key=value` tag (the form promptfoo's `--filter-metadata` uses).
fn from_metadata(metadata: Map<String, Json>) -> (String, Option<String>, Vec<String>) {
    let (mut id, mut expected, mut tags, mut more) = (String::new(), None, Vec::new(), Vec::new());
    for (key, value) in metadata {
        match (key.as_str(), value) {
            ("id", Json::String(s)) => id = s,
            ("expected", Json::String(s)) => expected = Some(s),
            ("tags", Json::Array(items)) => tags.extend(
                items
                    .iter()
                    .map(|t| t.as_str().map_or_else(|| t.to_string(), String::from)),
            ),
            ("tags", Json::String(s)) => tags.extend(
                s.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from),
            ),
            (_, Json::String(s)) => more.push(format!("{key}={s}")),
            (_, other) => more.push(format!("{key}={other}")),
        }
    }
    tags.extend(more);
    (id, expected, tags)
}
