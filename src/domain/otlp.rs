//! OpenTelemetry spans (the OTLP/HTTP JSON encoding of an `ExportTraceServiceRequest`) mapped to
//! observations in their wire form, so they go through the same per-item validation as a native
//! batch. Pure: JSON in, JSON out.
//!
//! What is read, span attributes first, then the resource's:
//! - prompt: `galley.prompt.name`, else `langfuse.prompt.name` (a span with neither is skipped);
//! - version: `galley.prompt.version`, else `langfuse.prompt.version` (a number, or a string of
//!   digits); `galley.prompt.hash` for a content hash;
//! - env: `galley.env`, else `deployment.environment.name`, else `deployment.environment`;
//! - tokens: `gen_ai.usage.input_tokens` / `gen_ai.usage.output_tokens` (the older
//!   `gen_ai.usage.prompt_tokens` / `completion_tokens` too); cost: `galley.cost_usd` or
//!   `gen_ai.usage.cost`, else the price of `gen_ai.request.model` (or `gen_ai.response.model`);
//! - status code 2 (`STATUS_CODE_ERROR`) is an error: type `error.type` (else `span_error`),
//!   message the status message (else `exception.message`, else the type);
//! - id `otel-TRACE-SPAN` (a re-sent span is a no-op), `trace_id` the trace id, timestamp the
//!   start time, `latency_ms` end − start. A span whose times are impossible (missing or zero,
//!   the end before the start, longer than a day) is refused with the reason.

use serde_json::{Map, Value as Json, json};

/// Looks up the cost of a call: (model, input tokens, output tokens) → USD.
pub type PriceLookup<'a> = &'a dyn Fn(&str, u64, u64) -> Option<f64>;

/// The spans of a request, mapped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MappedSpans {
    /// Wire-form observations, one per span that names a prompt.
    pub observations: Vec<Json>,
    /// How many spans were skipped (no prompt attribute, not a span object) or refused
    /// (impossible times).
    pub skipped: usize,
    /// Why, for the first few skipped spans (`span N: reason`).
    pub reasons: Vec<String>,
}

/// The most reasons kept for an answer's `errorMessage`.
const MAX_REASONS: usize = 5;

/// Attribute names for each field, in the order they are looked for.
const PROMPT: &[&str] = &["galley.prompt.name", "langfuse.prompt.name"];
const VERSION: &[&str] = &["galley.prompt.version", "langfuse.prompt.version"];
const HASH: &[&str] = &["galley.prompt.hash"];
const ENV: &[&str] = &[
    "galley.env",
    "deployment.environment.name",
    "deployment.environment",
];
const INPUT: &[&str] = &["gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens"];
const OUTPUT: &[&str] = &[
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
];
const COST: &[&str] = &["galley.cost_usd", "gen_ai.usage.cost"];
const MODEL: &[&str] = &["gen_ai.request.model", "gen_ai.response.model"];

/// Maps every span of an OTLP JSON request. `Err` when the body is not a traces request at all.
pub fn map_request(request: &Json, price: PriceLookup<'_>) -> Result<MappedSpans, String> {
    let resource_spans = match request.get("resourceSpans") {
        Some(Json::Array(rs)) => rs.as_slice(),
        None | Some(Json::Null) if request.is_object() => &[],
        _ => {
            return Err(
                "not an OTLP traces request: expected {\"resourceSpans\": [...]} (OTLP/HTTP JSON)"
                    .into(),
            );
        }
    };
    let mut out = MappedSpans::default();
    let mut index = 0usize;
    for rs in resource_spans {
        let resource = attributes(rs.get("resource").and_then(|r| r.get("attributes")));
        let scopes = rs.get("scopeSpans").and_then(Json::as_array);
        for span in scopes.into_iter().flatten().flat_map(|s| {
            s.get("spans")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
        }) {
            match map_span(span, &resource, price) {
                Ok(obs) => out.observations.push(obs),
                Err(reason) => {
                    out.skipped += 1;
                    if out.reasons.len() < MAX_REASONS {
                        out.reasons.push(format!("span {index}: {reason}"));
                    }
                }
            }
            index += 1;
        }
    }
    Ok(out)
}

/// One span as a wire-form observation, or why it is skipped or refused.
pub fn map_span(
    span: &Json,
    resource: &Map<String, Json>,
    price: PriceLookup<'_>,
) -> Result<Json, String> {
    if !span.is_object() {
        return Err("not a span object".into());
    }
    let attrs = attributes(span.get("attributes"));
    let find = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| attrs.get(*n).or_else(|| resource.get(*n)))
            .cloned()
    };
    let Some(prompt) = find(PROMPT) else {
        return Err("no prompt attribute (galley.prompt.name or langfuse.prompt.name)".into());
    };
    let trace = text(span.get("traceId")).unwrap_or_default().to_lowercase();
    let span_id = text(span.get("spanId")).unwrap_or_default().to_lowercase();
    if span_id.is_empty() {
        return Err("no spanId".into());
    }
    let mut obs = Map::new();
    obs.insert("id".into(), json!(format!("otel-{trace}-{span_id}")));
    obs.insert("prompt".into(), prompt);
    if let Some(v) = find(VERSION) {
        obs.insert("version".into(), number_or_text(v));
    }
    if let Some(h) = find(HASH) {
        obs.insert("hash".into(), h);
    }
    obs.insert("env".into(), find(ENV).unwrap_or(Json::Null));
    let (start, end) = span_times(span)?;
    let timestamp = jiff::Timestamp::from_nanosecond(start)
        .map_err(|_| format!("startTimeUnixNano {start} is not a time"))?;
    obs.insert(
        "timestamp".into(),
        json!(timestamp.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
    );
    obs.insert("latency_ms".into(), json!((end - start) as f64 / 1e6));
    let input = find(INPUT).map(number_or_text);
    let output = find(OUTPUT).map(number_or_text);
    if let Some(v) = &input {
        obs.insert("input_tokens".into(), v.clone());
    }
    if let Some(v) = &output {
        obs.insert("output_tokens".into(), v.clone());
    }
    let cost = find(COST).map(number_or_text).or_else(|| {
        let model = find(MODEL)?;
        let tokens = |v: &Option<Json>| v.as_ref().and_then(Json::as_u64).unwrap_or(0);
        price(model.as_str()?, tokens(&input), tokens(&output)).map(|c| json!(c))
    });
    if let Some(c) = cost {
        obs.insert("cost_usd".into(), c);
    }
    if is_error(span.get("status")) {
        let kind = attrs
            .get("error.type")
            .and_then(Json::as_str)
            .unwrap_or("span_error")
            .to_string();
        let message = span
            .get("status")
            .and_then(|s| text(s.get("message")))
            .filter(|m| !m.trim().is_empty())
            .or_else(|| text(attrs.get("exception.message")))
            .unwrap_or_else(|| kind.clone());
        obs.insert("status".into(), json!("error"));
        obs.insert("error".into(), json!({"type": kind, "message": message}));
    }
    if !trace.is_empty() {
        obs.insert("trace_id".into(), json!(trace));
    }
    Ok(Json::Object(obs))
}

/// The longest span accepted, in nanoseconds: a day (as the longest latency of an
/// observation). Anything longer is a clock or unit mistake, not a call.
pub const MAX_SPAN_NANOS: i128 = 86_400 * 1_000_000_000;

/// A span's start and end (Unix nanoseconds), or why they are impossible: either missing or
/// zero, the end before the start, or more than [`MAX_SPAN_NANOS`] apart.
fn span_times(span: &Json) -> Result<(i128, i128), String> {
    let time = |field: &str| match nanos(span.get(field)) {
        Some(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{field} is missing or not after 1970 (Unix nanoseconds)"
        )),
    };
    let (start, end) = (time("startTimeUnixNano")?, time("endTimeUnixNano")?);
    if end < start {
        return Err(format!(
            "the span ends before it starts (endTimeUnixNano {end} < startTimeUnixNano {start})"
        ));
    }
    if end - start > MAX_SPAN_NANOS {
        return Err(format!(
            "the span lasts {:.0} s, longer than a day (endTimeUnixNano − startTimeUnixNano)",
            (end - start) as f64 / 1e9
        ));
    }
    Ok((start, end))
}

/// OTLP `[{key, value: {stringValue|intValue|doubleValue|boolValue|...}}]` as plain JSON values.
pub fn attributes(list: Option<&Json>) -> Map<String, Json> {
    let mut out = Map::new();
    for kv in list.and_then(Json::as_array).into_iter().flatten() {
        if let (Some(key), Some(value)) = (kv.get("key").and_then(Json::as_str), kv.get("value")) {
            out.insert(key.to_string(), any_value(value));
        }
    }
    out
}

/// An OTLP `AnyValue` as plain JSON (`intValue` may be a string in the JSON encoding).
fn any_value(v: &Json) -> Json {
    if let Some(s) = v.get("stringValue") {
        return s.clone();
    }
    if let Some(i) = v.get("intValue") {
        return match i {
            Json::String(s) => s.parse::<i64>().map_or_else(|_| i.clone(), |n| json!(n)),
            _ => i.clone(),
        };
    }
    for key in ["doubleValue", "boolValue"] {
        if let Some(x) = v.get(key) {
            return x.clone();
        }
    }
    if let Some(values) = v
        .get("arrayValue")
        .and_then(|a| a.get("values"))
        .and_then(Json::as_array)
    {
        return Json::Array(values.iter().map(any_value).collect());
    }
    Json::Null
}

/// A string of digits as a number; anything else unchanged (validation names the problem).
fn number_or_text(v: Json) -> Json {
    match &v {
        Json::String(s) => s.trim().parse::<u64>().map_or(v.clone(), |n| json!(n)),
        _ => v,
    }
}

fn text(v: Option<&Json>) -> Option<String> {
    v.and_then(Json::as_str).map(str::to_string)
}

/// Unix nanoseconds, given as a string (the JSON encoding) or a number.
fn nanos(v: Option<&Json>) -> Option<i128> {
    match v? {
        Json::String(s) => s.trim().parse().ok(),
        Json::Number(n) => n.as_u64().map(i128::from),
        _ => None,
    }
}

/// Status code 2 (`STATUS_CODE_ERROR`), as a number or its enum name.
fn is_error(status: Option<&Json>) -> bool {
    match status.and_then(|s| s.get("code")) {
        Some(Json::Number(n)) => n.as_u64() == Some(2),
        Some(Json::String(s)) => s == "STATUS_CODE_ERROR" || s == "2",
        _ => false,
    }
}

#[cfg(test)]
#[path = "otlp_tests.rs"]
mod tests;
