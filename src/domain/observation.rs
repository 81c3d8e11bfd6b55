//! Production observations: one call of a deployed prompt, as applications send it (the wire
//! form of issue 7), validated field by field so a batch can say exactly what was wrong with
//! each refused item. Pure: parsing, validation, truncation and redaction; no I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use super::PromptName;

mod fields;
mod window;
use fields::Problems;

/// The longest observation id, in characters.
pub const MAX_ID_CHARS: usize = 128;
/// The longest trace id, environment name or error type, in characters.
pub const MAX_SHORT_CHARS: usize = 128;
/// The longest error message or feedback comment kept, in characters (longer ones are cut).
pub const MAX_NOTE_CHARS: usize = 2_000;
/// The longest latency accepted: a day. Anything longer is a unit mistake, not a call.
pub const MAX_LATENCY_MS: f64 = 86_400_000.0;
/// The most tokens one call may report.
pub const MAX_TOKENS: u64 = 100_000_000;
/// The highest cost one call may report, in USD.
pub const MAX_COST_USD: f64 = 10_000.0;
/// How old an observation may be by default: a month of whole days, everything that
/// `galley monitor --since 30d --by day` shows.
pub const DEFAULT_MAX_PAST_DAYS: u32 = 31;
/// How far ahead of the clock an observation may be by default (clocks drift, zones get mixed
/// up; a day covers both).
pub const DEFAULT_MAX_FUTURE_HOURS: u32 = 24;

const FIELDS: &[&str] = &[
    "id",
    "prompt",
    "version",
    "hash",
    "env",
    "timestamp",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "status",
    "error",
    "feedback",
    "variables",
    "output",
    "trace_id",
];

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum CallStatus {
    #[default]
    Ok,
    Error,
}

impl CallStatus {
    /// The status's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }
}

/// What went wrong in a failed call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallError {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

/// The scale a feedback score is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackScale {
    /// −1 (thumbs down) or +1 (thumbs up).
    Thumbs,
    /// 1 to 5 stars.
    Rating,
}

/// A user's verdict on a call. Without `scale`, −1 and +1 are thumbs and 2–5 a rating, so a
/// one-star rating must say `"scale": "rating"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub score: i64,
    pub scale: FeedbackScale,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Feedback {
    /// The score on one integer scale, 0 (worst) to 4 (best): thumbs down 0, thumbs up 4, a
    /// rating of r stars r − 1. Integer so that sums merge exactly.
    pub fn points(&self) -> u64 {
        match self.scale {
            FeedbackScale::Thumbs if self.score > 0 => 4,
            FeedbackScale::Thumbs => 0,
            FeedbackScale::Rating => (self.score - 1).clamp(0, 4) as u64,
        }
    }

    /// Whether this is negative feedback: a thumbs down, or one or two stars.
    pub fn is_negative(&self) -> bool {
        self.points() <= 1
    }
}

/// What ingestion keeps of an observation and which observations it accepts (the `[monitor]`
/// config).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeepLimits {
    /// The most characters of `output` kept; the rest is cut and marked.
    pub max_output_chars: usize,
    /// The most characters of one variable's value kept.
    pub max_variable_chars: usize,
    /// Variables whose values are never kept (replaced by `[redacted]`).
    pub redact: Vec<String>,
    /// Store observations of prompts, versions and environments the workspace does not hold
    /// (off: each is refused with the reason).
    pub accept_unknown: bool,
    /// How long ago an observation's time may be, in days.
    pub max_past_days: u32,
    /// How far ahead of the clock an observation's time may be, in hours.
    pub max_future_hours: u32,
}

impl Default for KeepLimits {
    fn default() -> Self {
        Self {
            max_output_chars: 10_000,
            max_variable_chars: 2_000,
            redact: Vec::new(),
            accept_unknown: false,
            max_past_days: DEFAULT_MAX_PAST_DAYS,
            max_future_hours: DEFAULT_MAX_FUTURE_HOURS,
        }
    }
}

/// A validated observation, as stored and shown. Serialises to the wire form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub id: String,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    pub env: String,
    /// RFC 3339 in UTC with milliseconds, so that timestamps sort as text.
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    pub status: CallStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CallError>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<Feedback>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub variables: Map<String, Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

impl Observation {
    /// Milliseconds since the Unix epoch (the timestamp was validated on the way in).
    pub fn epoch_ms(&self) -> i64 {
        self.timestamp
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or(0)
    }

    /// The latency in whole microseconds, the unit rollups count in.
    pub fn latency_us(&self) -> Option<u64> {
        self.latency_ms.map(|ms| (ms * 1000.0).round() as u64)
    }

    /// The cost in nano-dollars, the unit rollups sum in (integers merge exactly).
    pub fn cost_nanos(&self) -> Option<u64> {
        self.cost_usd.map(|usd| (usd * 1e9).round() as u64)
    }
}

/// Which observations count as the worst of a prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorstKind {
    /// Failed calls, newest first.
    Errors,
    /// Negative feedback, the lowest score first, then newest.
    Feedback,
    /// The slowest calls first.
    Slow,
    /// Not the worst: every call, newest first.
    Recent,
}

impl std::str::FromStr for WorstKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "errors" => Ok(Self::Errors),
            "feedback" => Ok(Self::Feedback),
            "slow" => Ok(Self::Slow),
            "recent" => Ok(Self::Recent),
            _ => Err(format!("`{s}`: expected errors, feedback, slow or recent")),
        }
    }
}

/// One item of a batch that was refused, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    /// Its position in the batch (0-based).
    pub index: usize,
    /// Its id, when it had a readable one.
    pub id: Option<String>,
    /// Every problem found, `field: problem`, separated by `; `.
    pub reason: String,
}

/// The answer to a batch: how many were accepted, and every refused item with its reasons.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct BatchAnswer {
    /// Items stored, re-sends included (a re-sent id is accepted and changes nothing).
    pub accepted: usize,
    /// Of the accepted, how many were already stored (re-sends).
    #[serde(default)]
    pub duplicates: usize,
    pub rejected: Vec<Rejection>,
    /// Rejected items beyond the first ones listed in `rejected` (an import of a file keeps at
    /// most [`BatchAnswer::LISTED`] reasons, so a file of bad lines cannot fill the memory).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rejected_unlisted: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl BatchAnswer {
    /// The most rejections an import lists.
    pub const LISTED: usize = 1000;

    /// Every rejected item, listed or not.
    pub fn rejected_count(&self) -> usize {
        self.rejected.len() + self.rejected_unlisted
    }

    /// Sorts the rejections by index and keeps the first [`BatchAnswer::LISTED`], counting the
    /// rest, once more than `LISTED + slack` are held (a slack lets an import sort only now
    /// and then).
    pub fn bound_rejections(&mut self, slack: usize) {
        if self.rejected.len() > Self::LISTED + slack {
            self.rejected.sort_by_key(|r| r.index);
            self.rejected_unlisted += self.rejected.len() - Self::LISTED;
            self.rejected.truncate(Self::LISTED);
        }
    }
}

/// Validates one wire item. `Err` carries the id (when readable) and every problem found.
pub fn parse_observation(
    item: &Json,
    limits: &KeepLimits,
) -> Result<Observation, (Option<String>, String)> {
    let Some(obj) = item.as_object() else {
        return Err((None, "an observation must be a JSON object".into()));
    };
    let mut p = Problems::default();
    for key in obj.keys().filter(|k| !FIELDS.contains(&k.as_str())) {
        p.add(key, "unknown field (see the observation wire form)");
    }
    let id = p.short_text(obj, "id", MAX_ID_CHARS, true);
    let prompt = p.short_text(obj, "prompt", super::name::MAX_NAME_LEN, true);
    if let Some(name) = &prompt
        && let Err(e) = PromptName::parse(name)
    {
        p.add("prompt", &e.to_string());
    }
    let env = p.short_text(obj, "env", MAX_SHORT_CHARS, true);
    let version = p
        .whole(obj, "version", 1, u32::MAX as u64)
        .map(|v| v as u32);
    let hash = p.short_text(obj, "hash", MAX_SHORT_CHARS, false);
    if let Some(h) = &hash
        && !(h.len() >= 7 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        p.add(
            "hash",
            "must be a content hash (hexadecimal, 7 or more digits)",
        );
    }
    let timestamp = p.timestamp(obj, limits);
    let latency_ms = p.amount(obj, "latency_ms", MAX_LATENCY_MS);
    let input_tokens = p.whole(obj, "input_tokens", 0, MAX_TOKENS);
    let output_tokens = p.whole(obj, "output_tokens", 0, MAX_TOKENS);
    let cost_usd = p.amount(obj, "cost_usd", MAX_COST_USD);
    let status = p.status(obj);
    let error = p.error(obj);
    match (status, &error) {
        (Some(CallStatus::Error), None) => p.add(
            "error",
            "status is \"error\" but no error {type, message} is given",
        ),
        (Some(CallStatus::Ok), Some(_)) => p.add(
            "status",
            "an error is given but status is \"ok\" (the default): set status to \"error\"",
        ),
        _ => {}
    }
    let feedback = p.feedback(obj);
    let variables = p.variables(obj, limits);
    let output = match obj.get("output") {
        None | Some(Json::Null) => None,
        Some(Json::String(s)) => Some(cut(s, limits.max_output_chars)),
        Some(_) => {
            p.add("output", "must be a string");
            None
        }
    };
    let trace_id = p.short_text(obj, "trace_id", MAX_SHORT_CHARS, false);
    if !p.0.is_empty() {
        return Err((id, p.0.join("; ")));
    }
    // Every required field is present when no problem was found.
    let (Some(id), Some(prompt), Some(env), Some(timestamp), Some(status)) =
        (id, prompt, env, timestamp, status)
    else {
        return Err((None, "incomplete observation".into()));
    };
    Ok(Observation {
        id,
        prompt,
        version,
        hash: hash.map(|h| h.to_ascii_lowercase()),
        env,
        timestamp,
        latency_ms,
        input_tokens,
        output_tokens,
        cost_usd,
        status,
        error,
        feedback,
        variables,
        output,
        trace_id,
    })
}

/// Validates a feedback object (`{score, comment, scale}`), as sent with an observation or later.
pub fn parse_feedback(value: &Json) -> Result<Feedback, String> {
    let mut p = Problems::default();
    let obj = Map::from_iter([("feedback".to_string(), value.clone())]);
    match p.feedback(&obj) {
        Some(f) if p.0.is_empty() => Ok(f),
        _ if p.0.is_empty() => Err("feedback: is missing".into()),
        _ => Err(p.0.join("; ")),
    }
}

/// `s` cut to `max` characters, with a marker saying how much was left out.
pub fn cut(s: &str, max: usize) -> String {
    let total = s.chars().count();
    if total <= max {
        return s.to_string();
    }
    let kept: String = s.chars().take(max).collect();
    format!("{kept}…[{} more characters]", total - max)
}

#[cfg(test)]
#[path = "observation_tests.rs"]
mod tests;
