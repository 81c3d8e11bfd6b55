//! Writing cases as a promptfoo `tests:` list, which promptfoo and galley both read back as the
//! same cases. galley-only fields go into each test's `metadata` (`id`, `expected`, `tags`).

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::{case_label, quoted};
use crate::domain::eval::{AssertionSpec, TestCase};

#[derive(Serialize)]
struct Doc<'a> {
    tests: Vec<Test<'a>>,
}

#[derive(Serialize)]
struct Test<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    #[serde(skip_serializing_if = "Map::is_empty")]
    vars: &'a Map<String, Json>,
    #[serde(rename = "assert", skip_serializing_if = "<[_]>::is_empty")]
    assertions: &'a [AssertionSpec],
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f64>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    metadata: Map<String, Json>,
}

pub fn write(cases: &[TestCase]) -> Result<String, String> {
    let mut tests = Vec::with_capacity(cases.len());
    for (i, case) in cases.iter().enumerate() {
        let label = quoted(&case_label(Some(&case.description), i + 1));
        for (name, value) in &case.vars {
            if value
                .as_array()
                .and_then(|items| items.first())
                .is_some_and(Json::is_string)
            {
                return Err(format!(
                    "case {label}: promptfoo would run one test per item of the list variable `{name}`; export as YAML or JSONL"
                ));
            }
            if value.as_str().is_some_and(|s| s.starts_with("file://")) {
                return Err(format!(
                    "case {label}: promptfoo would read variable `{name}` (`file://…`) as a file"
                ));
            }
        }
        if let Some(spec) = case.assertions.iter().find(|s| {
            s.value
                .as_ref()
                .and_then(Json::as_str)
                .is_some_and(|v| v.starts_with("file://"))
        }) {
            return Err(format!(
                "case {label}: promptfoo would read the value of `{}` (`file://…`) as a file",
                spec.kind
            ));
        }
        let mut metadata = Map::new();
        if !case.id.is_empty() {
            metadata.insert("id".into(), Json::String(case.id.clone()));
        }
        if let Some(expected) = &case.expected {
            metadata.insert("expected".into(), Json::String(expected.clone()));
        }
        if !case.tags.is_empty() {
            metadata.insert("tags".into(), Json::from(case.tags.clone()));
        }
        tests.push(Test {
            description: &case.description,
            vars: &case.vars,
            assertions: &case.assertions,
            threshold: case.threshold,
            metadata,
        });
    }
    let yaml =
        serde_saphyr::to_string(&Doc { tests }).map_err(|e| format!("cannot write YAML: {e}"))?;
    Ok(format!(
        "# Test cases exported by galley: use this `tests:` list in a promptfooconfig.yaml.\n{yaml}"
    ))
}
