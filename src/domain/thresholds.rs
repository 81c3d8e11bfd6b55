//! Alert thresholds on production metrics, per prompt and environment, and the pure check that
//! says which are breached, in words (`p95 2.3 s > 2 s`): the badge never rests on colour.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::metrics::Metrics;

/// Limits on one set of metrics; an absent limit is not checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// Highest error rate, 0–1 (0.05 = 5%).
    pub error_rate: Option<f64>,
    /// Highest p95 latency, ms.
    pub p95_latency_ms: Option<f64>,
    /// Highest mean cost of a call, USD.
    pub cost_per_call_usd: Option<f64>,
    /// Highest share of negative feedback, 0–1.
    pub negative_feedback_share: Option<f64>,
    /// Fewest calls before anything is judged (default 1), so that one early error is no alarm.
    pub min_calls: Option<u64>,
}

impl Thresholds {
    /// These limits with every limit `over` sets replacing them.
    pub fn overridden_by(self, over: &Thresholds) -> Thresholds {
        Thresholds {
            error_rate: over.error_rate.or(self.error_rate),
            p95_latency_ms: over.p95_latency_ms.or(self.p95_latency_ms),
            cost_per_call_usd: over.cost_per_call_usd.or(self.cost_per_call_usd),
            negative_feedback_share: over
                .negative_feedback_share
                .or(self.negative_feedback_share),
            min_calls: over.min_calls.or(self.min_calls),
        }
    }
}

/// A prompt's limits, and its limits in particular environments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PromptThresholds {
    #[serde(flatten)]
    pub all: Thresholds,
    pub env: BTreeMap<String, Thresholds>,
}

/// `[monitor.thresholds]`: limits for every prompt, per environment, per prompt, and per prompt
/// in an environment; the most specific limit wins, field by field.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThresholdConfig {
    #[serde(flatten)]
    pub all: Thresholds,
    pub env: BTreeMap<String, Thresholds>,
    pub prompt: BTreeMap<String, PromptThresholds>,
}

impl ThresholdConfig {
    /// The limits that apply to `prompt` in `env`.
    pub fn for_prompt(&self, prompt: &str, env: &str) -> Thresholds {
        let mut t = self.all;
        if let Some(e) = self.env.get(env) {
            t = t.overridden_by(e);
        }
        if let Some(p) = self.prompt.get(prompt) {
            t = t.overridden_by(&p.all);
            if let Some(pe) = p.env.get(env) {
                t = t.overridden_by(pe);
            }
        }
        t
    }
}

/// Which metric a limit is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    ErrorRate,
    P95Latency,
    CostPerCall,
    NegativeFeedback,
}

/// A limit exceeded: the metric, its value and the limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    pub metric: Metric,
    pub value: f64,
    pub limit: f64,
}

/// Every limit in `limits` that `m` exceeds (strictly), in a fixed order.
pub fn breaches(m: &Metrics, limits: &Thresholds) -> Vec<Breach> {
    if m.count == 0 || m.count < limits.min_calls.unwrap_or(1) {
        return Vec::new();
    }
    let checks = [
        (Metric::ErrorRate, Some(m.error_rate), limits.error_rate),
        (Metric::P95Latency, m.latency_p95_ms, limits.p95_latency_ms),
        (
            Metric::CostPerCall,
            m.cost_per_call_usd,
            limits.cost_per_call_usd,
        ),
        (
            Metric::NegativeFeedback,
            m.negative_feedback_share,
            limits.negative_feedback_share,
        ),
    ];
    checks
        .into_iter()
        .filter_map(|(metric, value, limit)| {
            let (value, limit) = (value?, limit?);
            (value > limit).then_some(Breach {
                metric,
                value,
                limit,
            })
        })
        .collect()
}

/// A latency as people read it: `850 ms`, `2.3 s`.
pub fn format_ms(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{} s", trim(ms / 1000.0, 1))
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{} ms", trim(ms, 2))
    }
}

/// A share as a percentage: `12.5%`, `5%`.
pub fn format_share(x: f64) -> String {
    format!("{}%", trim(x * 100.0, 1))
}

/// A cost in USD: `$0.0123`.
pub fn format_usd(x: f64) -> String {
    if x >= 1.0 {
        format!("${x:.2}")
    } else {
        format!("${}", trim(x, 4))
    }
}

/// `x` with at most `digits` decimals and no trailing zeros.
fn trim(x: f64, digits: usize) -> String {
    let s = format!("{x:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

impl fmt::Display for Breach {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, value, limit) = match self.metric {
            Metric::ErrorRate => (
                "error rate",
                format_share(self.value),
                format_share(self.limit),
            ),
            Metric::P95Latency => ("p95", format_ms(self.value), format_ms(self.limit)),
            Metric::CostPerCall => ("cost/call", format_usd(self.value), format_usd(self.limit)),
            Metric::NegativeFeedback => (
                "negative feedback",
                format_share(self.value),
                format_share(self.limit),
            ),
        };
        write!(f, "BREACH {name} {value} > {limit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::metrics::Rollup;

    fn metrics(count: u64, error_rate: f64, p95: f64, cost: f64, negative: f64) -> Metrics {
        Metrics {
            count,
            error_rate,
            latency_p95_ms: Some(p95),
            cost_per_call_usd: Some(cost),
            negative_feedback_share: Some(negative),
            ..Rollup::default().metrics()
        }
    }

    #[test]
    fn breaches_are_strict_and_worded() {
        let limits = Thresholds {
            error_rate: Some(0.05),
            p95_latency_ms: Some(2000.0),
            cost_per_call_usd: Some(0.01),
            negative_feedback_share: Some(0.2),
            min_calls: None,
        };
        let table: Vec<(Metrics, Vec<&str>)> = vec![
            (metrics(100, 0.05, 2000.0, 0.01, 0.2), vec![]),
            (
                metrics(100, 0.12, 2300.0, 0.0123, 0.25),
                vec![
                    "BREACH error rate 12% > 5%",
                    "BREACH p95 2.3 s > 2 s",
                    "BREACH cost/call $0.0123 > $0.01",
                    "BREACH negative feedback 25% > 20%",
                ],
            ),
            (metrics(0, 1.0, 9000.0, 1.0, 1.0), vec![]),
        ];
        for (m, expected) in table {
            let got: Vec<String> = breaches(&m, &limits)
                .iter()
                .map(ToString::to_string)
                .collect();
            assert_eq!(got, expected);
        }
        let few = Thresholds {
            min_calls: Some(20),
            ..limits
        };
        assert!(breaches(&metrics(10, 0.5, 1.0, 0.0, 0.0), &few).is_empty());
        assert!(breaches(&metrics(10, 0.5, 1.0, 0.0, 0.0), &Thresholds::default()).is_empty());
    }

    #[test]
    fn the_most_specific_limit_wins_field_by_field() {
        let config: ThresholdConfig = toml::from_str(
            r#"
            error_rate = 0.05
            p95_latency_ms = 3000
            [env.production]
            p95_latency_ms = 2000
            [prompt."support/triage"]
            error_rate = 0.01
            [prompt."support/triage".env.production]
            cost_per_call_usd = 0.02
            "#,
        )
        .unwrap();
        let t = config.for_prompt("support/triage", "production");
        assert_eq!(
            (t.error_rate, t.p95_latency_ms, t.cost_per_call_usd),
            (Some(0.01), Some(2000.0), Some(0.02))
        );
        let t = config.for_prompt("other", "staging");
        assert_eq!(
            (t.error_rate, t.p95_latency_ms, t.cost_per_call_usd),
            (Some(0.05), Some(3000.0), None)
        );
    }

    #[test]
    fn numbers_read_like_speech() {
        assert_eq!(format_ms(850.4), "850 ms");
        assert_eq!(format_ms(2300.0), "2.3 s");
        assert_eq!(format_ms(1.25), "1.25 ms");
        assert_eq!(format_share(0.125), "12.5%");
        assert_eq!(format_usd(0.01), "$0.01");
        assert_eq!(format_usd(12.5), "$12.50");
    }
}
