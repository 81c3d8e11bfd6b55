//! From an [`AssertionSpec`] as written to a [`Check`] ready to run: kinds, value shapes,
//! compiled regexes, schemas and paths. Every error is one line a person can act on.

use jsonschema::Validator;
use regex::Regex;
use serde_json::Value as Json;
use serde_json_path::JsonPath;

use super::KINDS;
use super::fill::{has_template, stand_in};
use super::text::Needle;
use crate::domain::eval::AssertionSpec;

/// The default largest edit distance for `levenshtein`.
pub const DEFAULT_MAX_DISTANCE: f64 = 5.0;

/// A parsed assertion (without its `not-`, which [`super::finish`] applies).
pub enum Check {
    Equals(Option<String>),
    Contains(Needle),
    ContainsAny(Vec<Needle>),
    ContainsAll(Vec<Needle>),
    StartsWith(String),
    Regex(Regex),
    IsJson(Option<Validator>),
    ContainsJson(Option<Validator>),
    JsonSchema(Validator),
    JsonPath {
        path: JsonPath,
        source: String,
        test: PathTest,
    },
    Length(Bounds),
    WordCount(Bounds),
    Levenshtein {
        target: Option<String>,
        max: f64,
    },
    Latency(f64),
    Cost(f64),
    Rubric,
}

/// What `json-path` checks of the nodes its path selects.
pub enum PathTest {
    /// At least one node.
    Exists,
    /// The node (or, for several, the list of nodes) equals this JSON.
    Equals(Json),
    /// Some node's text contains this.
    Contains(String),
}

/// Inclusive bounds for `length` and `word-count`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: Option<u64>,
    pub max: Option<u64>,
}

impl Check {
    /// Parses `spec`; a value with `{{ var }}` templates is checked with a stand-in for each.
    pub fn parse(spec: &AssertionSpec) -> Result<Self, String> {
        let (kind, _) = spec.base_kind();
        if !KINDS.contains(&kind) {
            return Err(unknown_kind(&spec.kind, kind));
        }
        if !spec.weight.is_finite() || spec.weight < 0.0 {
            return Err(format!(
                "`{}`: weight must be a number ≥ 0, not {}",
                spec.kind, spec.weight
            ));
        }
        if let Some(t) = spec.threshold
            && !t.is_finite()
        {
            return Err(format!("`{}`: threshold must be a number", spec.kind));
        }
        match &spec.value {
            Some(value) if has_template(value) => parse_kind(spec, kind, Some(&stand_in(value))),
            value => parse_kind(spec, kind, value.as_ref()),
        }
    }
}

fn parse_kind(spec: &AssertionSpec, kind: &str, value: Option<&Json>) -> Result<Check, String> {
    let name = spec.kind.as_str();
    let required = || {
        value
            .filter(|v| !v.is_null())
            .ok_or_else(|| missing(name, kind))
    };
    Ok(match kind {
        "equals" => Check::Equals(value.filter(|v| !v.is_null()).map(as_text_or_json)),
        "contains" | "icontains" => {
            Check::Contains(Needle::new(text(name, required()?)?, kind.starts_with('i')))
        }
        "contains-any" | "icontains-any" => Check::ContainsAny(needles(name, required()?, kind)?),
        "contains-all" | "icontains-all" => Check::ContainsAll(needles(name, required()?, kind)?),
        "starts-with" => Check::StartsWith(text(name, required()?)?),
        "regex" => {
            let pattern = text(name, required()?)?;
            Check::Regex(Regex::new(&pattern).map_err(|e| {
                let detail = e.to_string();
                let last = detail.lines().last().unwrap_or_default().trim().to_string();
                format!(
                    "`{name}`: bad regex `{pattern}`: {}",
                    last.trim_start_matches("error: ")
                )
            })?)
        }
        "is-json" => Check::IsJson(
            value
                .filter(|v| !v.is_null())
                .map(|v| schema(name, v))
                .transpose()?,
        ),
        "contains-json" => Check::ContainsJson(
            value
                .filter(|v| !v.is_null())
                .map(|v| schema(name, v))
                .transpose()?,
        ),
        "json-schema" => Check::JsonSchema(schema(name, required()?)?),
        "json-path" => json_path(name, required()?)?,
        "length" => Check::Length(bounds(name, required()?)?),
        "word-count" => Check::WordCount(bounds(name, required()?)?),
        "levenshtein" => {
            let target = value
                .filter(|v| !v.is_null())
                .map(|v| text(name, v))
                .transpose()?;
            let max = spec.threshold.unwrap_or(DEFAULT_MAX_DISTANCE);
            if max < 0.0 {
                return Err(format!(
                    "`{name}`: threshold (the largest edit distance) must be ≥ 0"
                ));
            }
            Check::Levenshtein { target, max }
        }
        "latency" => Check::Latency(ceiling(
            spec,
            "the largest latency in milliseconds, e.g. 2000",
        )?),
        "cost" => Check::Cost(ceiling(spec, "the largest cost in USD, e.g. 0.002")?),
        "llm-rubric" => {
            let rubric = text(name, required()?)?;
            if rubric.trim().is_empty() {
                return Err(missing(name, kind));
            }
            if let Some(t) = spec.threshold
                && !(0.0..=1.0).contains(&t)
            {
                return Err(format!(
                    "`{name}`: threshold is the grader's minimum score, from 0 to 1 (got {t})"
                ));
            }
            Check::Rubric
        }
        _ => return Err(unknown_kind(name, kind)),
    })
}

fn unknown_kind(name: &str, kind: &str) -> String {
    let closest = KINDS
        .iter()
        .map(|k| (strsim::levenshtein(k, kind), *k))
        .min()
        .filter(|(d, _)| *d <= 2)
        .map(|(_, k)| format!(" — did you mean `{k}`?"))
        .unwrap_or_default();
    format!(
        "unknown assertion type `{name}`{closest} (supported: {})",
        KINDS.join(", ")
    )
}

fn missing(name: &str, kind: &str) -> String {
    let what = match kind {
        "contains" | "icontains" | "starts-with" => "the text to look for",
        "contains-any" | "contains-all" | "icontains-any" | "icontains-all" => {
            "a list of texts, or one comma-separated string"
        }
        "regex" => "a regular expression",
        "json-schema" => "a JSON Schema",
        "json-path" => "{path: \"$.field\", equals: ...} or {path, contains: \"...\"}",
        "length" | "word-count" => "{min: N, max: N} (either may be left out)",
        "llm-rubric" => "the rubric text the grader scores against",
        _ => "a value",
    };
    format!("`{name}` needs a value: {what}")
}

/// A scalar value as text (numbers and booleans as written).
fn text(name: &str, value: &Json) -> Result<String, String> {
    match value {
        Json::String(s) if s.is_empty() => Err(format!("`{name}`: the value is empty")),
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        other => Err(format!(
            "`{name}`: the value must be a string, not {}",
            json_type(other)
        )),
    }
}

fn as_text_or_json(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn needles(name: &str, value: &Json, kind: &str) -> Result<Vec<Needle>, String> {
    let fold = kind.starts_with('i');
    Ok(list(name, value)?
        .into_iter()
        .map(|text| Needle::new(text, fold))
        .collect())
}

/// A list value: a list of scalars, or one comma-separated string.
fn list(name: &str, value: &Json) -> Result<Vec<String>, String> {
    let items: Vec<String> = match value {
        Json::Array(items) => items
            .iter()
            .map(|item| text(name, item))
            .collect::<Result<_, _>>()?,
        Json::String(s) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        other => {
            return Err(format!(
                "`{name}`: the value must be a list of strings, not {}",
                json_type(other)
            ));
        }
    };
    if items.is_empty() {
        return Err(format!("`{name}`: the list of texts is empty"));
    }
    Ok(items)
}

/// A JSON Schema (an object or a boolean, or a string holding one), compiled.
fn schema(name: &str, value: &Json) -> Result<Validator, String> {
    let parsed;
    let schema = match value {
        Json::String(s) if s.trim_start().starts_with("file://") => {
            return Err(format!(
                "`{name}`: schemas from files (`{}`) are not supported; inline the schema",
                s.trim()
            ));
        }
        Json::String(s) => {
            parsed = serde_json::from_str::<Json>(s)
                .map_err(|e| format!("`{name}`: the schema is a string but not JSON: {e}"))?;
            &parsed
        }
        other => other,
    };
    if !matches!(schema, Json::Object(_) | Json::Bool(_)) {
        return Err(format!(
            "`{name}`: the schema must be a JSON object, not {}",
            json_type(schema)
        ));
    }
    jsonschema::validator_for(schema).map_err(|e| format!("`{name}`: invalid JSON Schema: {e}"))
}

fn json_path(name: &str, value: &Json) -> Result<Check, String> {
    let (source, test) = match value {
        Json::String(path) => (path.clone(), PathTest::Exists),
        Json::Object(fields) => {
            if let Some(extra) = fields
                .keys()
                .find(|k| !["path", "equals", "contains"].contains(&k.as_str()))
            {
                return Err(format!(
                    "`{name}`: unknown field `{extra}` (expected path, and equals or contains)"
                ));
            }
            let Some(Json::String(path)) = fields.get("path") else {
                return Err(format!(
                    "`{name}`: `path` must be a JSONPath string such as \"$.label\""
                ));
            };
            let test = match (fields.get("equals"), fields.get("contains")) {
                (Some(_), Some(_)) => {
                    return Err(format!("`{name}`: give `equals` or `contains`, not both"));
                }
                (Some(expected), None) => PathTest::Equals(expected.clone()),
                (None, Some(needle)) => PathTest::Contains(text(name, needle)?),
                (None, None) => PathTest::Exists,
            };
            (path.clone(), test)
        }
        other => {
            return Err(format!(
                "`{name}`: the value must be {{path, equals}} or {{path, contains}}, not {}",
                json_type(other)
            ));
        }
    };
    let path =
        JsonPath::parse(&source).map_err(|e| format!("`{name}`: bad JSONPath `{source}`: {e}"))?;
    Ok(Check::JsonPath { path, source, test })
}

fn bounds(name: &str, value: &Json) -> Result<Bounds, String> {
    let Json::Object(fields) = value else {
        return Err(format!(
            "`{name}`: the value must be {{min: N, max: N}}, not {}",
            json_type(value)
        ));
    };
    if let Some(extra) = fields
        .keys()
        .find(|k| k.as_str() != "min" && k.as_str() != "max")
    {
        return Err(format!(
            "`{name}`: unknown field `{extra}` (expected min and/or max)"
        ));
    }
    let bound = |key: &str| match fields.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("`{name}`: `{key}` must be a whole number ≥ 0, not {v}")),
    };
    let bounds = Bounds {
        min: bound("min")?,
        max: bound("max")?,
    };
    match (bounds.min, bounds.max) {
        (None, None) => Err(format!("`{name}`: give `min`, `max` or both")),
        (Some(min), Some(max)) if min > max => {
            Err(format!("`{name}`: min ({min}) is above max ({max})"))
        }
        _ => Ok(bounds),
    }
}

fn ceiling(spec: &AssertionSpec, what: &str) -> Result<f64, String> {
    let name = &spec.kind;
    match spec.threshold {
        Some(t) if t >= 0.0 => Ok(t),
        Some(t) => Err(format!("`{name}`: threshold must be ≥ 0, not {t}")),
        None if spec.value.is_some() => Err(format!(
            "`{name}`: put the limit in `threshold` ({what}), not in `value`"
        )),
        None => Err(format!("`{name}` needs a threshold: {what}")),
    }
}

fn json_type(value: &Json) -> &'static str {
    match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}
