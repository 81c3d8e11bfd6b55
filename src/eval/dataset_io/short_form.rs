//! Assertions in promptfoo's short string form, as CSV cells hold them: `contains: refund`,
//! `not-icontains:sorry`, `regex:^\d+$`, `is-json`, `llm-rubric: is polite`, `latency: 2000`.

use serde_json::Value as Json;

use crate::domain::eval::AssertionSpec;
use crate::eval::assertions;

/// How several assertions share one cell.
pub const SEPARATOR: &str = " && ";

/// One assertion from its short form. Structured values may be written as JSON
/// (`length: {"max": 280}`, `contains-any: ["a", "b"]`); `latency` and `cost` take their limit.
pub fn parse_assertion(text: &str) -> Result<AssertionSpec, String> {
    let text = text.trim();
    let (kind, rest) = match text.split_once(':') {
        Some((kind, rest)) => (kind.trim(), Some(rest.trim())),
        None => (text, None),
    };
    if kind.is_empty()
        || !kind
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "`{text}` is not an assertion: write `type: value`, e.g. `contains: refund`"
        ));
    }
    let mut spec = AssertionSpec::new(kind, None);
    let rest = rest.filter(|r| !r.is_empty());
    let base = spec.base_kind().0.to_string();
    match (base.as_str(), rest) {
        (_, None) => {}
        ("latency" | "cost", Some(limit)) => {
            let limit: f64 = limit
                .parse()
                .map_err(|_| format!("`{kind}: {limit}`: the limit must be a number"))?;
            spec.threshold = Some(limit);
        }
        (
            "length" | "word-count" | "json-path" | "json-schema" | "is-json" | "contains-json",
            Some(value),
        ) if value.starts_with('{') => {
            let parsed = serde_json::from_str(value)
                .map_err(|e| format!("`{kind}`: the value is not valid JSON: {e}"))?;
            spec.value = Some(parsed);
        }
        ("contains-any" | "contains-all" | "icontains-any" | "icontains-all", Some(value))
            if value.starts_with('[') =>
        {
            spec.value = Some(
                serde_json::from_str(value).unwrap_or_else(|_| Json::String(value.to_string())),
            );
        }
        (_, Some(value)) => spec.value = Some(Json::String(value.to_string())),
    }
    Ok(spec)
}

/// Every assertion of a cell (separated by ` && `), each validated.
pub fn parse_cell(cell: &str) -> Result<Vec<AssertionSpec>, Vec<String>> {
    let mut specs = Vec::new();
    let mut problems = Vec::new();
    for part in cell
        .split(SEPARATOR)
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match parse_assertion(part).and_then(|spec| assertions::validate(&spec).map(|()| spec)) {
            Ok(spec) => specs.push(spec),
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(specs)
    } else {
        Err(problems)
    }
}

/// The short form of `spec`, when it has one that reads back to the same assertion (numbers
/// and booleans in values read back as text, which the checks treat alike).
pub fn format_assertion(spec: &AssertionSpec) -> Result<String, String> {
    let unwritable = |why: &str| {
        Err(format!(
            "assertion `{}` {why}; a CSV cell holds only short assertions like `contains: refund`",
            spec.kind
        ))
    };
    if spec.weight != 1.0 {
        return unwritable("has a weight");
    }
    if spec.provider.is_some() {
        return unwritable("names a grader provider");
    }
    let base = spec.base_kind().0;
    let text = match (base, &spec.value, spec.threshold) {
        ("latency" | "cost", None, Some(limit)) => format!("{}: {limit}", spec.kind),
        (_, _, Some(_)) => return unwritable("has a threshold"),
        (_, None, None) => spec.kind.clone(),
        (_, Some(Json::String(s)), None) => format!("{}: {s}", spec.kind),
        (_, Some(value), None) => format!("{}: {value}", spec.kind),
    };
    let mut expected = spec.clone();
    if let Some(value @ (Json::Number(_) | Json::Bool(_))) = &spec.value {
        expected.value = Some(Json::String(value.to_string()));
    }
    if text.contains(SEPARATOR) || parse_assertion(&text).as_ref() != Ok(&expected) {
        return unwritable(
            "has a value that does not survive the short form (surrounding spaces, ` && `, ...)",
        );
    }
    Ok(text)
}
