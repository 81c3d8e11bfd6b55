//! Field-by-field checks of a wire observation: each problem is named `field: problem`.

use serde_json::{Map, Value as Json};

use super::{
    CallError, CallStatus, Feedback, FeedbackScale, KeepLimits, MAX_NOTE_CHARS, MAX_SHORT_CHARS,
    cut,
};

/// The problems found in one item, each `field: problem`.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<String>);

impl Problems {
    pub(super) fn add(&mut self, field: &str, problem: &str) {
        self.0.push(format!("{field}: {problem}"));
    }

    pub(super) fn short_text(
        &mut self,
        obj: &Map<String, Json>,
        field: &str,
        max: usize,
        required: bool,
    ) -> Option<String> {
        match obj.get(field) {
            None | Some(Json::Null) if required => {
                self.add(field, "is required");
                None
            }
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s.trim().is_empty() => {
                self.add(field, "is empty");
                None
            }
            Some(Json::String(s)) if s.chars().count() > max => {
                self.add(field, &format!("is longer than {max} characters"));
                None
            }
            Some(Json::String(s)) if s.chars().any(char::is_control) => {
                self.add(field, "has a control character");
                None
            }
            Some(Json::String(s)) => Some(s.clone()),
            Some(_) => {
                self.add(field, "must be a string");
                None
            }
        }
    }

    pub(super) fn whole(
        &mut self,
        obj: &Map<String, Json>,
        field: &str,
        min: u64,
        max: u64,
    ) -> Option<u64> {
        let value = obj.get(field).filter(|v| !v.is_null())?;
        match value.as_u64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.add(field, &format!("{n} is outside {min}–{max}"));
                None
            }
            None if value.as_i64().is_some() => {
                self.add(field, "must not be negative");
                None
            }
            None if value.is_number() => {
                self.add(field, "must be a whole number");
                None
            }
            None => {
                self.add(field, "must be a number");
                None
            }
        }
    }

    pub(super) fn amount(&mut self, obj: &Map<String, Json>, field: &str, max: f64) -> Option<f64> {
        let value = obj.get(field).filter(|v| !v.is_null())?;
        match value.as_f64() {
            Some(x) if x < 0.0 => self.add(field, "must not be negative"),
            Some(x) if x > max => self.add(field, &format!("{x} is more than {max}")),
            Some(x) => return Some(x),
            None => self.add(field, "must be a number"),
        }
        None
    }

    /// An RFC 3339 time, in UTC with milliseconds. One that is well formed but beyond the
    /// times jiff holds (9999-12-31) is outside the accepted window, as year 0000 is.
    pub(super) fn timestamp(
        &mut self,
        obj: &Map<String, Json>,
        limits: &KeepLimits,
    ) -> Option<String> {
        let text = self.short_text(obj, "timestamp", 64, true)?;
        match text.parse::<jiff::Timestamp>() {
            Ok(t) => Some(t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            Err(_) if is_rfc3339(&text) => {
                self.add("timestamp", &limits.outside_window(&text));
                None
            }
            Err(_) => {
                self.add(
                    "timestamp",
                    &format!("`{text}` is not an RFC 3339 time (e.g. 2026-03-01T09:30:00Z)"),
                );
                None
            }
        }
    }

    pub(super) fn status(&mut self, obj: &Map<String, Json>) -> Option<CallStatus> {
        match obj.get("status") {
            None | Some(Json::Null) => Some(CallStatus::Ok),
            Some(Json::String(s)) if s == "ok" => Some(CallStatus::Ok),
            Some(Json::String(s)) if s == "error" => Some(CallStatus::Error),
            Some(Json::String(s)) => {
                self.add(
                    "status",
                    &format!("unknown status `{s}` (expected \"ok\" or \"error\")"),
                );
                None
            }
            Some(_) => {
                self.add("status", "must be \"ok\" or \"error\"");
                None
            }
        }
    }

    pub(super) fn error(&mut self, obj: &Map<String, Json>) -> Option<CallError> {
        let value = obj.get("error").filter(|v| !v.is_null())?;
        let Some(inner) = value.as_object() else {
            self.add("error", "must be an object {type, message}");
            return None;
        };
        let before = self.0.len();
        for key in inner
            .keys()
            .filter(|k| !["type", "message"].contains(&k.as_str()))
        {
            self.add(
                &format!("error.{key}"),
                "unknown field (expected type and message)",
            );
        }
        let kind = self.short_text(inner, "type", MAX_SHORT_CHARS, true);
        let message = match inner.get("message") {
            None | Some(Json::Null) => Some(String::new()),
            Some(Json::String(s)) => Some(cut(s, MAX_NOTE_CHARS)),
            Some(_) => {
                self.add("error.message", "must be a string");
                None
            }
        };
        // Name the nested fields as `error.type`.
        for problem in &mut self.0[before..] {
            if problem.starts_with("type:") {
                *problem = format!("error.{problem}");
            }
        }
        Some(CallError {
            kind: kind?,
            message: message?,
        })
    }

    pub(super) fn feedback(&mut self, obj: &Map<String, Json>) -> Option<Feedback> {
        let value = obj.get("feedback").filter(|v| !v.is_null())?;
        let Some(inner) = value.as_object() else {
            self.add("feedback", "must be an object {score, comment}");
            return None;
        };
        for key in inner
            .keys()
            .filter(|k| !["score", "comment", "scale"].contains(&k.as_str()))
        {
            self.add(
                &format!("feedback.{key}"),
                "unknown field (expected score, comment and scale)",
            );
        }
        let scale = match inner.get("scale") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) if s == "thumbs" => Some(FeedbackScale::Thumbs),
            Some(Json::String(s)) if s == "rating" => Some(FeedbackScale::Rating),
            Some(_) => {
                self.add("feedback.scale", "must be \"thumbs\" or \"rating\"");
                return None;
            }
        };
        let score = inner.get("score").and_then(Json::as_f64);
        let whole = score.filter(|s| s.fract() == 0.0).map(|s| s as i64);
        let scale = match (whole, scale) {
            (None, _) if score.is_some() => {
                self.add(
                    "feedback.score",
                    "must be a whole number: −1 or +1 (thumbs) or 1–5 (rating)",
                );
                return None;
            }
            (None, _) => {
                self.add(
                    "feedback.score",
                    "is required: −1 or +1 (thumbs) or 1–5 (rating)",
                );
                return None;
            }
            (Some(-1 | 1), None | Some(FeedbackScale::Thumbs)) => FeedbackScale::Thumbs,
            (Some(1..=5), None | Some(FeedbackScale::Rating)) => FeedbackScale::Rating,
            (Some(s), _) => {
                self.add(
                    "feedback.score",
                    &format!("{s} is outside −1/+1 (thumbs) and 1–5 (rating)"),
                );
                return None;
            }
        };
        let comment = match inner.get("comment") {
            None | Some(Json::Null) => None,
            Some(Json::String(s)) => Some(cut(s, MAX_NOTE_CHARS)),
            Some(_) => {
                self.add("feedback.comment", "must be a string");
                return None;
            }
        };
        Some(Feedback {
            score: whole?,
            scale,
            comment,
        })
    }

    pub(super) fn variables(
        &mut self,
        obj: &Map<String, Json>,
        limits: &KeepLimits,
    ) -> Map<String, Json> {
        let mut kept = Map::new();
        let Some(value) = obj.get("variables").filter(|v| !v.is_null()) else {
            return kept;
        };
        let Some(vars) = value.as_object() else {
            self.add("variables", "must be an object of name → value");
            return kept;
        };
        for (name, value) in vars {
            let value = if limits.redact.iter().any(|r| r == name) {
                Json::String("[redacted]".into())
            } else {
                match value {
                    Json::String(s) => Json::String(cut(s, limits.max_variable_chars)),
                    other => {
                        let text = other.to_string();
                        if text.chars().count() > limits.max_variable_chars {
                            Json::String(cut(&text, limits.max_variable_chars))
                        } else {
                            other.clone()
                        }
                    }
                }
            };
            kept.insert(name.clone(), value);
        }
        kept
    }
}

/// Whether `text` has the shape of an RFC 3339 time (a date, a time and an offset), whether or
/// not the instant it names is one jiff can hold.
fn is_rfc3339(text: &str) -> bool {
    jiff::fmt::temporal::Pieces::parse(text)
        .is_ok_and(|p| p.time().is_some() && p.offset().is_some())
}
