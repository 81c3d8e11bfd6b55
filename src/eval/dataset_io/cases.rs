//! Reading one case in the test-case shape (JSONL lines, YAML items), and the checks every
//! imported case goes through.

use serde_json::{Map, Value as Json};

use crate::domain::eval::{AssertionSpec, TestCase};
use crate::eval::assertions;

/// The fields of a case in the test-case shape.
pub const CASE_FIELDS: [&str; 7] = [
    "id",
    "description",
    "vars",
    "expected",
    "assert",
    "tags",
    "threshold",
];

/// The fields of an assertion.
pub const ASSERTION_FIELDS: [&str; 5] = ["type", "value", "weight", "threshold", "provider"];

/// The description of a raw case, for naming it in problems before it is read.
pub fn raw_description(value: &Json) -> Option<&str> {
    value.get("description").and_then(Json::as_str)
}

/// A case from a JSON object in the test-case shape, or a bare object of variables (no `vars`
/// and none of the case fields). Every problem found is returned, not just the first.
pub fn case_from_json(value: Json) -> Result<TestCase, Vec<String>> {
    let Json::Object(fields) = value else {
        return Err(vec![format!(
            "expected an object with `vars` (and optionally {}), not {}",
            "expected, assert, tags, description, threshold",
            kind_of(&value)
        )]);
    };
    let known: Vec<&String> = fields
        .keys()
        .filter(|k| CASE_FIELDS.contains(&k.as_str()))
        .collect();
    let unknown: Vec<&String> = fields
        .keys()
        .filter(|k| !CASE_FIELDS.contains(&k.as_str()))
        .collect();
    if !fields.contains_key("vars") && known.is_empty() {
        let case = TestCase {
            vars: fields,
            ..TestCase::default()
        };
        return checked(case);
    }
    if !unknown.is_empty() {
        return Err(vec![if fields.contains_key("vars") {
            format!(
                "unknown field {} (a case has {})",
                names(&unknown),
                CASE_FIELDS.join(", ")
            )
        } else {
            format!(
                "mixes case fields ({}) with other keys ({}): put the variables under `vars`",
                names(&known),
                names(&unknown)
            )
        }]);
    }
    let mut problems = field_type_problems(&fields);
    if let Some(Json::Array(items)) = fields.get("assert") {
        for (i, item) in items.iter().enumerate() {
            if let Some(extra) = item
                .as_object()
                .and_then(|o| o.keys().find(|k| !ASSERTION_FIELDS.contains(&k.as_str())))
            {
                problems.push(format!(
                    "assertion {}: unknown field `{extra}` (an assertion has {})",
                    i + 1,
                    ASSERTION_FIELDS.join(", ")
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let case: TestCase = serde_json::from_value(Json::Object(fields))
        .map_err(|e| vec![shape_error(&e.to_string())])?;
    checked(case)
}

fn shape_error(serde_message: &str) -> String {
    format!("not a test case: {serde_message}")
}

/// Fields of the wrong type, named (serde's own message does not say which field).
fn field_type_problems(fields: &Map<String, Json>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expect = |name: &str, ok: bool, wanted: &str| {
        if !ok && let Some(value) = fields.get(name) {
            problems.push(format!("`{name}` must be {wanted}, not {}", kind_of(value)));
        }
    };
    let get = |name: &str| fields.get(name).unwrap_or(&Json::Null);
    expect("id", get("id").is_string(), "a string");
    expect("description", get("description").is_string(), "a string");
    expect(
        "expected",
        get("expected").is_string() || get("expected").is_null(),
        "a string",
    );
    expect("vars", get("vars").is_object(), "an object of variables");
    expect(
        "threshold",
        get("threshold").is_number() || get("threshold").is_null(),
        "a number from 0 to 1",
    );
    let tags_ok = get("tags")
        .as_array()
        .is_some_and(|tags| tags.iter().all(Json::is_string));
    expect("tags", tags_ok, "a list of strings");
    let asserts_ok = get("assert")
        .as_array()
        .is_some_and(|items| items.iter().all(Json::is_object));
    expect(
        "assert",
        asserts_ok,
        "a list of assertions like {type: contains, value: refund}",
    );
    if let Some(Json::Array(items)) = fields.get("assert") {
        for (i, item) in items.iter().enumerate() {
            let Some(spec) = item.as_object() else {
                continue;
            };
            let n = i + 1;
            if !spec.get("type").is_some_and(Json::is_string) {
                problems.push(format!(
                    "assertion {n}: `type` must be a string such as `contains`"
                ));
            }
            if spec.get("weight").is_some_and(|v| !v.is_number()) {
                problems.push(format!("assertion {n}: `weight` must be a number"));
            }
            if spec
                .get("threshold")
                .is_some_and(|v| !v.is_number() && !v.is_null())
            {
                problems.push(format!("assertion {n}: `threshold` must be a number"));
            }
            if spec
                .get("provider")
                .is_some_and(|v| !v.is_string() && !v.is_null())
            {
                problems.push(format!("assertion {n}: `provider` must be a provider name"));
            }
        }
    }
    problems
}

/// `case` if it passes the checks of every import: assertions valid, threshold within 0–1.
pub fn checked(case: TestCase) -> Result<TestCase, Vec<String>> {
    let problems = case_problems(&case);
    if problems.is_empty() {
        Ok(case)
    } else {
        Err(problems)
    }
}

/// What is wrong with a case read from any format.
pub fn case_problems(case: &TestCase) -> Vec<String> {
    let mut problems = assertion_problems(&case.assertions);
    if let Some(t) = case.threshold
        && !(0.0..=1.0).contains(&t)
    {
        problems.push(format!(
            "threshold must be between 0 and 1 (the weighted score to reach), not {t}"
        ));
    }
    problems
}

/// Each invalid assertion, numbered from 1.
pub fn assertion_problems(specs: &[AssertionSpec]) -> Vec<String> {
    specs
        .iter()
        .enumerate()
        .filter_map(|(i, spec)| {
            assertions::validate(spec)
                .err()
                .map(|e| format!("assertion {}: {e}", i + 1))
        })
        .collect()
}

fn names(keys: &[&String]) -> String {
    keys.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn kind_of(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// A JSON syntax error without serde's `at line 1 column N` (the line is the file's, not 1).
pub fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let message = text.split(" at line ").next().unwrap_or(&text);
    format!("not valid JSON: {message} (column {})", e.column())
}

/// A variable's value as one CSV cell: strings as they are, anything else as JSON.
pub fn var_text(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}
