//! `llm-rubric`: the prompt that asks a grader model to score an output against a rubric, and
//! the reading of its answer.

use serde_json::Value as Json;

use super::json::EmbeddedJson;
use super::quote::q;
use super::{Finding, Observed, fill, finish};
use crate::domain::MessageRole;
use crate::domain::eval::{AssertionOutcome, AssertionSpec};
use crate::template::ChatMessage;

/// The most characters of one variable shown to the grader.
const VAR_CHARS: usize = 2000;

const GRADER_INSTRUCTIONS: &str = "You grade the output of an AI system against a rubric.
Read the rubric and the output. Decide whether the output satisfies the rubric, judging only \
what the rubric asks for.

Answer with one JSON object and nothing else:
{\"pass\": true or false, \"score\": a number from 0 to 1, \"reason\": \"one or two sentences explaining the verdict\"}

`score` is how fully the output satisfies the rubric (1 = completely, 0 = not at all); `pass` is \
true when the rubric is satisfied.";

/// The grader's prompt for `spec` (an `llm-rubric`) on `observed`: a system message with the
/// instructions and the answer format, and a user message with the rubric, the case's inputs,
/// the reference answer when there is one, and the output.
pub fn rubric_messages(spec: &AssertionSpec, observed: &Observed) -> Vec<ChatMessage> {
    let rendered = fill::render_values(spec, observed.vars).unwrap_or_else(|_| spec.clone());
    let rubric = match &rendered.value {
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let mut user = format!("<rubric>\n{}\n</rubric>\n\n", rubric.trim());
    let inputs: Vec<String> = observed
        .vars
        .iter()
        .map(|(name, value)| {
            let text = match value {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            };
            let mut shown: String = text.chars().take(VAR_CHARS).collect();
            if text.chars().count() > VAR_CHARS {
                shown.push_str(" […]");
            }
            format!("{name}: {shown}")
        })
        .collect();
    if !inputs.is_empty() {
        user.push_str(&format!("<inputs>\n{}\n</inputs>\n\n", inputs.join("\n")));
    }
    if let Some(expected) = observed.expected {
        user.push_str(&format!(
            "<reference_answer>\n{}\n</reference_answer>\n\n",
            expected.trim_end()
        ));
    }
    user.push_str(&format!(
        "<output>\n{}\n</output>",
        observed.output.trim_end()
    ));
    vec![
        ChatMessage {
            role: MessageRole::System,
            content: GRADER_INSTRUCTIONS.to_string(),
        },
        ChatMessage {
            role: MessageRole::User,
            content: user,
        },
    ]
}

/// The outcome of `spec` (an `llm-rubric`) from the grader's answer: JSON with `pass`, `score`
/// and `reason`, possibly in code fences or among other text. With a threshold on the spec, the
/// score decides; otherwise the grader's `pass` does. An answer that cannot be read fails.
pub fn rubric_outcome(spec: &AssertionSpec, grader_output: &str) -> AssertionOutcome {
    let verdict = EmbeddedJson::new(grader_output).find_map(|(_, _, value)| Verdict::read(&value));
    let Some(verdict) = verdict else {
        let finding = Finding::unjudged(format!(
            "the grader's answer is not JSON with `pass` and `score`: {}",
            q(grader_output)
        ));
        return finish(spec, finding);
    };
    let score = verdict
        .score
        .unwrap_or(if verdict.pass == Some(true) { 1.0 } else { 0.0 })
        .clamp(0.0, 1.0);
    let holds = match (spec.threshold, verdict.pass) {
        (Some(threshold), _) => score + 1e-9 >= threshold,
        (None, Some(pass)) => pass,
        (None, None) => score >= 0.5,
    };
    let mut reason = format!("grader: {}", verdict.reason.trim());
    if let Some(threshold) = spec.threshold {
        reason.push_str(&format!(" (score {score:.2}, threshold {threshold})"));
    }
    if !holds {
        let rubric = spec
            .value
            .as_ref()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from));
        reason.push_str(&format!(" — rubric {}", q(&rubric.unwrap_or_default())));
    }
    finish(
        spec,
        Finding {
            score,
            ..Finding::new(holds, reason)
        },
    )
}

/// What a grader answered.
struct Verdict {
    pass: Option<bool>,
    score: Option<f64>,
    reason: String,
}

impl Verdict {
    fn read(value: &Json) -> Option<Self> {
        let fields = value.as_object()?;
        let pass = match fields.get("pass") {
            Some(Json::Bool(b)) => Some(*b),
            Some(Json::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "pass" | "yes" => Some(true),
                "false" | "fail" | "no" => Some(false),
                _ => None,
            },
            _ => None,
        };
        let score = match fields.get("score") {
            Some(Json::Number(n)) => n.as_f64(),
            Some(Json::String(s)) => s.trim().parse().ok(),
            _ => None,
        };
        if pass.is_none() && score.is_none() {
            return None;
        }
        let reason = match fields.get("reason") {
            Some(Json::String(s)) if !s.trim().is_empty() => s.clone(),
            _ => "(no reason given)".to_string(),
        };
        Some(Self {
            pass,
            score,
            reason,
        })
    }
}
