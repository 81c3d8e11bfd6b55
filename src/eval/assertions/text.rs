//! Checks on the output as text: equality, substrings, prefixes, regexes, sizes, edit distance,
//! and the latency and cost ceilings.

use regex::{Regex, RegexBuilder};
use serde_json::Value as Json;

use super::json::json_eq;
use super::quote::{around, char_pos, q};
use super::spec::{Bounds, Check};
use super::{Finding, Observed};

impl Check {
    /// Runs the check; None for `llm-rubric`, which only a grader model can judge.
    pub fn run(&self, observed: &Observed) -> Option<Finding> {
        let output = observed.output;
        Some(match self {
            Check::Equals(value) => equals(value.as_deref().or(observed.expected), output),
            Check::Contains(needle) => contains(output, needle),
            Check::ContainsAny(needles) => contains_any(output, needles),
            Check::ContainsAll(needles) => contains_all(output, needles),
            Check::StartsWith(prefix) => starts_with(output, prefix),
            Check::Regex(re) => regex(output, re),
            Check::IsJson(schema) => super::json::is_json(output, schema.as_ref()),
            Check::ContainsJson(schema) => super::json::contains_json(output, schema.as_ref()),
            Check::JsonSchema(schema) => super::json::is_json(output, Some(schema)),
            Check::JsonPath { path, source, test } => {
                super::json::json_path(output, path, source, test)
            }
            Check::Length(bounds) => {
                size(output.trim().chars().count(), "characters", *bounds, output)
            }
            Check::WordCount(bounds) => {
                size(output.split_whitespace().count(), "words", *bounds, output)
            }
            Check::Levenshtein { target, max } => {
                levenshtein(output, target.as_deref().or(observed.expected), *max)
            }
            Check::Latency(max) => latency(observed.latency_ms, *max),
            Check::Cost(max) => cost(observed.cost_usd, *max),
            Check::Rubric => return None,
        })
    }
}

const NO_EXPECTED: &str =
    "nothing to compare with: give the assertion a `value` or the case an `expected` output";

fn equals(expected: Option<&str>, output: &str) -> Finding {
    let Some(expected) = expected else {
        return Finding::unjudged(NO_EXPECTED);
    };
    let (got, want) = (output.trim_end(), expected.trim_end());
    if got == want {
        return Finding::new(true, format!("output equals {}", q(want)));
    }
    if let (Ok(a), Ok(b)) = (
        serde_json::from_str::<Json>(got),
        serde_json::from_str::<Json>(want),
    ) && json_eq(&a, &b)
    {
        return Finding::new(true, format!("output equals {} as JSON", q(want)));
    }
    let at = got
        .chars()
        .zip(want.chars())
        .take_while(|(a, b)| a == b)
        .count()
        + 1;
    Finding::new(
        false,
        format!(
            "expected {} but got {} (they differ from character {at})",
            q(want),
            q(got)
        ),
    )
}

/// A text to look for, ignoring case or not.
pub struct Needle {
    pub text: String,
    fold: bool,
    /// Ignoring case, a regex finds the match at its place in the original text (lowercasing
    /// can move byte offsets).
    matcher: Option<Regex>,
}

impl Needle {
    pub fn new(text: String, fold: bool) -> Self {
        let matcher = if fold {
            RegexBuilder::new(&regex::escape(&text))
                .case_insensitive(true)
                .build()
                .ok()
        } else {
            None
        };
        Self {
            text,
            fold,
            matcher,
        }
    }

    /// The byte range of the first occurrence in `output`.
    fn find(&self, output: &str) -> Option<(usize, usize)> {
        match (&self.matcher, self.fold) {
            (Some(re), _) => re.find(output).map(|m| (m.start(), m.end())),
            (None, false) => output
                .find(&self.text)
                .map(|start| (start, start + self.text.len())),
            // Too large for a regex: found, but shown from the start.
            (None, true) => output
                .to_lowercase()
                .contains(&self.text.to_lowercase())
                .then_some((0, 0)),
        }
    }
}

fn found(output: &str, needle: &Needle, (start, end): (usize, usize)) -> String {
    format!(
        "found {} at character {}: {}",
        q(&needle.text),
        char_pos(output, start),
        around(output, start, end)
    )
}

fn list(needles: &[&Needle]) -> String {
    needles
        .iter()
        .map(|n| q(&n.text))
        .collect::<Vec<_>>()
        .join(", ")
}

fn contains(output: &str, needle: &Needle) -> Finding {
    match needle.find(output) {
        Some(at) => Finding::new(true, found(output, needle, at)),
        None => Finding::new(
            false,
            format!("{} not found in the output {}", q(&needle.text), q(output)),
        ),
    }
}

fn contains_any(output: &str, needles: &[Needle]) -> Finding {
    for needle in needles {
        if let Some(at) = needle.find(output) {
            return Finding::new(true, found(output, needle, at));
        }
    }
    let all: Vec<&Needle> = needles.iter().collect();
    Finding::new(
        false,
        format!("none of {} found in the output {}", list(&all), q(output)),
    )
}

fn contains_all(output: &str, needles: &[Needle]) -> Finding {
    let missing: Vec<&Needle> = needles
        .iter()
        .filter(|n| n.find(output).is_none())
        .collect();
    if missing.is_empty() {
        let all: Vec<&Needle> = needles.iter().collect();
        return Finding::new(
            true,
            format!("found all of {} in the output {}", list(&all), q(output)),
        );
    }
    Finding::new(
        false,
        format!(
            "missing {} (of {}) in the output {}",
            list(&missing),
            needles.len(),
            q(output)
        ),
    )
}

fn starts_with(output: &str, prefix: &str) -> Finding {
    if output.starts_with(prefix) {
        return Finding::new(true, format!("output starts with {}", q(prefix)));
    }
    Finding::new(
        false,
        format!(
            "expected the output to start with {}; it starts {}",
            q(prefix),
            q(output)
        ),
    )
}

fn regex(output: &str, re: &Regex) -> Finding {
    match re.find(output) {
        Some(m) => Finding::new(
            true,
            format!(
                "/{}/ matches {} at character {}: {}",
                re.as_str(),
                q(m.as_str()),
                char_pos(output, m.start()),
                around(output, m.start(), m.end())
            ),
        ),
        None => Finding::new(
            false,
            format!("/{}/ does not match the output {}", re.as_str(), q(output)),
        ),
    }
}

fn size(count: usize, unit: &str, bounds: Bounds, output: &str) -> Finding {
    let count = count as u64;
    if let Some(min) = bounds.min
        && count < min
    {
        return Finding::new(
            false,
            format!("{count} {unit}, under the minimum of {min}: {}", q(output)),
        );
    }
    if let Some(max) = bounds.max
        && count > max
    {
        return Finding::new(
            false,
            format!("{count} {unit}, over the maximum of {max}: {}", q(output)),
        );
    }
    let range = match (bounds.min, bounds.max) {
        (Some(min), Some(max)) => format!("between {min} and {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => "any number".to_string(),
    };
    Finding::new(true, format!("{count} {unit} ({range} allowed)"))
}

fn levenshtein(output: &str, target: Option<&str>, max: f64) -> Finding {
    let Some(target) = target else {
        return Finding::unjudged(NO_EXPECTED);
    };
    let (got, want) = (output.trim_end(), target.trim_end());
    let distance = strsim::levenshtein(got, want);
    let longest = got.chars().count().max(want.chars().count());
    let score = if longest == 0 {
        1.0
    } else {
        1.0 - distance as f64 / longest as f64
    };
    let holds = distance as f64 <= max;
    let reason = if holds {
        format!(
            "edit distance {distance} from {} (at most {max} allowed)",
            q(want)
        )
    } else {
        format!(
            "edit distance {distance} from {}, over the {max} allowed; got {}",
            q(want),
            q(got)
        )
    };
    Finding {
        score,
        ..Finding::new(holds, reason)
    }
}

fn latency(latency_ms: u64, max: f64) -> Finding {
    if latency_ms as f64 <= max {
        Finding::new(
            true,
            format!("answered in {latency_ms} ms (limit {max} ms)"),
        )
    } else {
        Finding::new(
            false,
            format!("answered in {latency_ms} ms, over the {max} ms limit"),
        )
    }
}

fn cost(cost_usd: Option<f64>, max: f64) -> Finding {
    let Some(cost) = cost_usd else {
        return Finding::unjudged(
            "the cost is unknown (no price for this model in the price table)",
        );
    };
    if cost <= max {
        Finding::new(true, format!("cost ${cost:.6} (limit ${max})"))
    } else {
        Finding::new(false, format!("cost ${cost:.6}, over the ${max} limit"))
    }
}
