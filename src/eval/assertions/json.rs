//! Checks on JSON in the output: whole-output JSON, JSON embedded in text, JSON Schema, and
//! JSONPath queries.

use jsonschema::Validator;
use serde_json::Value as Json;
use serde_json_path::JsonPath;

use super::Finding;
use super::quote::{char_pos, q};
use super::spec::PathTest;

/// How many schema errors a reason lists.
const ERRORS_SHOWN: usize = 3;

/// JSON equality where numbers compare by value (`1` equals `1.0`).
pub fn json_eq(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

fn parse_whole(output: &str) -> Result<Json, String> {
    serde_json::from_str::<Json>(output.trim()).map_err(|e| {
        let fenced = if output.trim_start().starts_with("```") {
            " (it is wrapped in ``` fences: `contains-json` accepts that)"
        } else {
            ""
        };
        format!("output is not JSON ({e}){fenced}: {}", q(output))
    })
}

/// The first schema errors, each with its JSON pointer, and how many more there are.
fn schema_errors(schema: &Validator, instance: &Json) -> Option<String> {
    let errors: Vec<String> = schema
        .iter_errors(instance)
        .map(|e| {
            let at = e.instance_path().as_str();
            format!(
                "at {}: {}",
                if at.is_empty() { "/" } else { at },
                cut(&e.to_string())
            )
        })
        .collect();
    if errors.is_empty() {
        return None;
    }
    let more = errors.len().saturating_sub(ERRORS_SHOWN);
    let mut shown = errors
        .into_iter()
        .take(ERRORS_SHOWN)
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        shown.push_str(&format!("; and {more} more"));
    }
    Some(shown)
}

fn cut(text: &str) -> String {
    const MAX: usize = 100;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let mut out: String = text.chars().take(MAX - 1).collect();
    out.push('…');
    out
}

/// `is-json` (with an optional schema) and `json-schema`.
pub fn is_json(output: &str, schema: Option<&Validator>) -> Finding {
    let value = match parse_whole(output) {
        Ok(value) => value,
        Err(reason) => return Finding::new(false, reason),
    };
    match schema.and_then(|s| schema_errors(s, &value)) {
        Some(errors) => Finding::new(
            false,
            format!(
                "output JSON does not match the schema: {errors}; output {}",
                q(output)
            ),
        ),
        None if schema.is_some() => Finding::new(
            true,
            format!("output is JSON matching the schema: {}", q(output)),
        ),
        None => Finding::new(true, format!("output is JSON: {}", q(output))),
    }
}

/// `contains-json`: some object or array embedded in the text (and valid, with a schema).
pub fn contains_json(output: &str, schema: Option<&Validator>) -> Finding {
    let mut first_invalid: Option<(usize, String)> = None;
    for (start, end, value) in EmbeddedJson::new(output) {
        let found = &output[start..end];
        let at = char_pos(output, start);
        match schema.and_then(|s| schema_errors(s, &value)) {
            None => {
                let matching = if schema.is_some() {
                    " matching the schema"
                } else {
                    ""
                };
                return Finding::new(
                    true,
                    format!("found JSON{matching} at character {at}: {}", q(found)),
                );
            }
            Some(errors) => {
                first_invalid.get_or_insert((at, format!("{}: {errors}", q(found))));
            }
        }
    }
    match first_invalid {
        Some((at, detail)) => Finding::new(
            false,
            format!("found JSON at character {at} but not matching the schema: {detail}"),
        ),
        None => Finding::new(
            false,
            format!("no JSON object or array in the output {}", q(output)),
        ),
    }
}

/// `json-path`: the output as JSON, queried.
pub fn json_path(output: &str, path: &JsonPath, source: &str, test: &PathTest) -> Finding {
    let value = match parse_whole(output) {
        Ok(value) => value,
        Err(reason) => return Finding::new(false, reason),
    };
    let nodes = path.query(&value).all();
    if nodes.is_empty() {
        return Finding::new(
            false,
            format!("`{source}` selects nothing in the output {}", q(output)),
        );
    }
    let selected = if nodes.len() == 1 {
        nodes[0].clone()
    } else {
        Json::Array(nodes.iter().map(|n| (*n).clone()).collect())
    };
    let shown = q(&selected.to_string());
    match test {
        PathTest::Exists => Finding::new(true, format!("`{source}` selects {shown}")),
        PathTest::Equals(expected) if json_eq(&selected, expected) => {
            Finding::new(true, format!("`{source}` is {shown}"))
        }
        PathTest::Equals(expected) => Finding::new(
            false,
            format!(
                "`{source}` is {shown}, expected {}",
                q(&expected.to_string())
            ),
        ),
        PathTest::Contains(needle) => {
            let hit = nodes.iter().any(|n| match n {
                Json::String(s) => s.contains(needle.as_str()),
                other => other.to_string().contains(needle.as_str()),
            });
            if hit {
                Finding::new(true, format!("`{source}` ({shown}) contains {}", q(needle)))
            } else {
                Finding::new(
                    false,
                    format!(
                        "`{source}` is {shown}, which does not contain {}",
                        q(needle)
                    ),
                )
            }
        }
    }
}

/// The JSON objects and arrays embedded in a text, in order, with their byte ranges.
pub struct EmbeddedJson<'a> {
    text: &'a str,
    at: usize,
    /// Parse attempts left: bounds the work on text full of brackets that are not JSON.
    attempts: usize,
}

impl<'a> EmbeddedJson<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            at: 0,
            attempts: 1000,
        }
    }
}

impl Iterator for EmbeddedJson<'_> {
    type Item = (usize, usize, Json);

    fn next(&mut self) -> Option<Self::Item> {
        while self.attempts > 0 {
            let start = self.at + self.text[self.at..].find(['{', '['])?;
            self.attempts -= 1;
            let mut values =
                serde_json::Deserializer::from_str(&self.text[start..]).into_iter::<Json>();
            if let Some(Ok(value)) = values.next() {
                let end = start + values.byte_offset();
                self.at = end;
                return Some((start, end, value));
            }
            self.at = start + 1;
        }
        None
    }
}
