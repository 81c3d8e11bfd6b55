//! Comparing two sets of results (two runs, or two versions within one run): pass-rate and score
//! deltas, cases that flipped (regressions first), cost and latency deltas.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::eval::{CaseResult, RunSummary, TestCase, case_label};

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// What the side is (`run 0193… v3`).
    pub label: String,
    pub summary: RunSummary,
}

/// A case whose verdict changed between the sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flip {
    pub case_id: String,
    pub description: String,
    pub provider: String,
    pub before_pass: bool,
    pub after_pass: bool,
    pub before_score: f64,
    pub after_score: f64,
    /// The first failing assertion's reason on the failing side.
    pub reason: String,
}

impl Flip {
    /// A pass that became a failure.
    pub fn is_regression(&self) -> bool {
        self.before_pass && !self.after_pass
    }
}

/// Two sides and what changed between them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub before: Side,
    pub after: Side,
    pub pass_rate_delta: f64,
    pub score_delta: f64,
    pub cost_delta_usd: f64,
    pub latency_delta_ms: f64,
    /// Regressions first, then fixes.
    pub flips: Vec<Flip>,
    /// Cases present on both sides.
    pub matched: usize,
}

impl Comparison {
    /// How many cases went from pass to fail.
    pub fn regressions(&self) -> usize {
        self.flips.iter().filter(|f| f.is_regression()).count()
    }
}

#[derive(Default)]
struct Agg {
    pass: bool,
    score: f64,
    n: usize,
    reason: String,
}

/// Per (case, provider): passes when every repeat passes; the mean score.
fn aggregate(results: &[CaseResult]) -> BTreeMap<(String, String), Agg> {
    let mut out: BTreeMap<(String, String), Agg> = BTreeMap::new();
    for r in results {
        let pass = r.human.as_ref().map_or(r.pass, |h| h.pass);
        let agg = out
            .entry((r.case_id.clone(), r.provider.clone()))
            .or_insert(Agg {
                pass: true,
                ..Agg::default()
            });
        agg.pass &= pass;
        agg.score += r.score;
        agg.n += 1;
        if !pass && agg.reason.is_empty() {
            agg.reason = r
                .error
                .clone()
                .or_else(|| {
                    r.assertions
                        .iter()
                        .find(|a| !a.pass)
                        .map(|a| a.reason.clone())
                })
                .unwrap_or_default();
        }
    }
    for agg in out.values_mut() {
        agg.score /= agg.n.max(1) as f64;
    }
    out
}

/// Compares `before` and `after` (labelled), naming cases from `cases`.
pub fn compare(
    before: (&str, &[CaseResult]),
    after: (&str, &[CaseResult]),
    cases: &[TestCase],
) -> Comparison {
    let a = aggregate(before.1);
    let b = aggregate(after.1);
    let describe = |id: &str| case_label(cases, id);
    let mut flips = Vec::new();
    let mut matched = 0;
    for (key, x) in &a {
        let Some(y) = b.get(key) else { continue };
        matched += 1;
        if x.pass != y.pass {
            flips.push(Flip {
                case_id: key.0.clone(),
                description: describe(&key.0),
                provider: key.1.clone(),
                before_pass: x.pass,
                after_pass: y.pass,
                before_score: x.score,
                after_score: y.score,
                reason: if y.pass {
                    x.reason.clone()
                } else {
                    y.reason.clone()
                },
            });
        }
    }
    flips.sort_by_key(|f| (!f.is_regression(), f.description.clone()));
    let sa = RunSummary::of(before.1);
    let sb = RunSummary::of(after.1);
    Comparison {
        pass_rate_delta: sb.pass_rate - sa.pass_rate,
        score_delta: sb.mean_score - sa.mean_score,
        cost_delta_usd: sb.cost_usd - sa.cost_usd,
        latency_delta_ms: sb.mean_latency_ms - sa.mean_latency_ms,
        before: Side {
            label: before.0.to_string(),
            summary: sa,
        },
        after: Side {
            label: after.0.to_string(),
            summary: sb,
        },
        flips,
        matched,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(case: &str, version: u32, pass: bool) -> CaseResult {
        CaseResult {
            case_id: case.into(),
            version,
            provider: "p".into(),
            repeat: 0,
            output: Some("x".into()),
            error: None,
            pass,
            score: if pass { 1.0 } else { 0.0 },
            assertions: vec![],
            latency_ms: 10,
            input_tokens: Some(1),
            output_tokens: Some(1),
            tokens_estimated: false,
            cost_usd: Some(0.01),
            cached: false,
            human: None,
        }
    }

    #[test]
    fn regressions_come_first() {
        let cases: Vec<TestCase> = ["a", "b", "c"]
            .iter()
            .map(|id| TestCase {
                id: id.to_string(),
                description: format!("case {id}"),
                ..Default::default()
            })
            .collect();
        let before = [
            result("a", 1, true),
            result("b", 1, false),
            result("c", 1, true),
        ];
        let after = [
            result("a", 2, false),
            result("b", 2, true),
            result("c", 2, true),
        ];
        let cmp = compare(("v1", &before), ("v2", &after), &cases);
        assert_eq!(cmp.matched, 3);
        assert_eq!(cmp.flips.len(), 2);
        assert!(cmp.flips[0].is_regression() && cmp.flips[0].case_id == "a");
        assert_eq!(cmp.regressions(), 1);
        assert!(cmp.pass_rate_delta.abs() < 1e-9);
    }
}
