//! The demo's production traffic: a month of observations of one prompt, generated from the
//! phases in `assets/demo.toml` with a seeded generator, so every run writes the same calls
//! (ids included: running the demo again re-sends them, which changes nothing). Timestamps are
//! laid out backwards from the current hour, so "the last 30 days" always shows the story. The
//! phases are also the demo's deployment schedule: `demo.rs` dates the deployments of the
//! traffic's prompt at the starts of its phases ([`DemoTraffic::schedule`]).

use serde::Deserialize;
use serde_json::{Value as Json, json};

use crate::domain::metrics::BucketSize;
use crate::domain::observation::KeepLimits;

use super::{Result, Workspace, WorkspaceError};

/// `[traffic]`: the calls one prompt received.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DemoTraffic {
    prompt: String,
    seed: u64,
    /// What customers wrote and what the prompt answered.
    ticket: Vec<DemoTicket>,
    phase: Vec<Phase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoTicket {
    text: String,
    label: String,
}

/// One version serving one environment for a while.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Phase {
    env: String,
    version: u32,
    /// Days before today (UTC) when it started serving, and when it stopped (0: still does).
    from_days_ago: i64,
    #[serde(default)]
    to_days_ago: i64,
    per_hour: u64,
    /// The typical latency; calls spread around it with a long tail.
    latency_ms: f64,
    error_rate: f64,
    /// Of the calls with feedback (one in eight), the share that is negative.
    negative_rate: f64,
    cost_usd: f64,
    #[serde(default)]
    errors: Vec<String>,
    /// The share of answers that are wrong labels (and draw negative feedback).
    #[serde(default)]
    wrong_rate: f64,
}

/// xorshift64*: a small seeded generator, the same numbers on every machine, for the demo's
/// traffic and the benchmarks' data.
pub struct SeededRng(u64);

impl SeededRng {
    /// A generator starting from `seed` (0 is taken as 1: xorshift never leaves 0).
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in 0..1.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (0 when n is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

const LABELS: &[&str] = &[
    "billing",
    "account_access",
    "security",
    "bug",
    "how_to",
    "feature_request",
    "cancellation",
    "other",
];

/// When one phase began: a version started serving an environment (a deployment).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PhaseStart {
    pub env: String,
    pub version: u32,
    pub at_ms: i64,
}

impl DemoTraffic {
    /// The prompt the traffic is for.
    pub(super) fn prompt(&self) -> &str {
        &self.prompt
    }

    /// When each phase began, for the demo's clock at `now_ms`, in the script's order.
    pub(super) fn schedule(&self, now_ms: i64) -> Vec<PhaseStart> {
        let today = BucketSize::Day.start_of(now_ms);
        self.phase
            .iter()
            .map(|phase| PhaseStart {
                env: phase.env.clone(),
                version: phase.version,
                at_ms: today - phase.from_days_ago * BucketSize::Day.millis(),
            })
            .collect()
    }
}

impl Workspace {
    /// Stores the demo's traffic, up to the hour of `now_ms`; returns how many calls were new.
    pub(super) fn replay_traffic(&mut self, traffic: &DemoTraffic, now: i64) -> Result<usize> {
        let hour = BucketSize::Hour.millis();
        let today = BucketSize::Day.start_of(now);
        let mut rng = SeededRng::new(traffic.seed);
        let mut items = Vec::new();
        let schedule = traffic.schedule(now);
        for (p, phase) in traffic.phase.iter().enumerate() {
            let start = schedule[p].at_ms;
            let end = if phase.to_days_ago == 0 {
                BucketSize::Hour.start_of(now)
            } else {
                today - phase.to_days_ago * BucketSize::Day.millis()
            };
            for (h, at_hour) in (start..end).step_by(hour as usize).enumerate() {
                // Quieter at night (UTC), busier in the afternoon.
                let hour_of_day = (at_hour / hour).rem_euclid(24) as f64;
                let load = 0.4
                    + 0.6
                        * ((hour_of_day - 4.0) / 24.0 * std::f64::consts::TAU)
                            .sin()
                            .abs();
                let calls = ((phase.per_hour as f64) * load).round() as u64 + rng.below(2);
                for c in 0..calls {
                    let at = at_hour + rng.below(hour as u64) as i64;
                    let id = format!("demo-{p}-{h:04}-{c:02}");
                    items.push(call(&mut rng, traffic, phase, &id, at));
                }
            }
        }
        // Dated by the demo's clock, so a pinned demo's traffic falls in its own window; every
        // call names a prompt, version and environment the story created.
        let answer = self.ingest_at(&items, &KeepLimits::default(), now)?;
        if let Some(r) = answer.rejected.first() {
            return Err(WorkspaceError::Refused(format!(
                "the demo's traffic was refused ({} calls), the first: {}",
                answer.rejected.len(),
                r.reason
            )));
        }
        Ok(answer.accepted - answer.duplicates)
    }
}

/// One call of `phase` at `at_ms`.
fn call(rng: &mut SeededRng, traffic: &DemoTraffic, phase: &Phase, id: &str, at_ms: i64) -> Json {
    let ticket = &traffic.ticket[rng.below(traffic.ticket.len() as u64) as usize];
    // A long-tailed spread: most calls near the typical latency, a few several times slower.
    let spread = (rng.unit() + rng.unit() + rng.unit()) / 1.5; // 0..2, peaked at 1
    let tail = if rng.below(40) == 0 { 3.0 } else { 1.0 };
    let latency = (phase.latency_ms * (0.55 + 0.45 * spread) * tail * 10.0).round() / 10.0;
    let timestamp = jiff::Timestamp::from_millisecond(at_ms)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let input_tokens = 380 + ticket.text.len() as u64 / 4;
    let mut o = json!({
        "id": id,
        "prompt": traffic.prompt,
        "version": phase.version,
        "env": phase.env,
        "timestamp": timestamp,
        "latency_ms": latency,
        "input_tokens": input_tokens,
        "variables": {"ticket": ticket.text},
        "trace_id": format!("{:032x}", (rng.next_u64() as u128) << 64 | rng.next_u64() as u128),
    });
    if rng.unit() < phase.error_rate && !phase.errors.is_empty() {
        let kind = &phase.errors[rng.below(phase.errors.len() as u64) as usize];
        o["status"] = json!("error");
        o["error"] = json!({"type": kind, "message": error_message(kind)});
        o["latency_ms"] = json!(latency * 4.0);
        return o;
    }
    let wrong = rng.unit() < phase.wrong_rate;
    let label = if wrong {
        LABELS[rng.below(LABELS.len() as u64) as usize]
    } else {
        ticket.label.as_str()
    };
    o["output"] = json!(label);
    o["output_tokens"] = json!(2);
    o["cost_usd"] = json!((phase.cost_usd * (0.8 + 0.4 * rng.unit()) * 1e6).round() / 1e6);
    if rng.below(8) == 0 {
        let negative = wrong || rng.unit() < phase.negative_rate;
        o["feedback"] = if negative {
            json!({"score": -1, "comment": "routed to the wrong team"})
        } else {
            json!({"score": 1})
        };
    }
    o
}

fn error_message(kind: &str) -> &'static str {
    match kind {
        "timeout" => "the model did not answer within 10 s",
        "rate_limit" => "429 Too Many Requests: tokens per minute exceeded",
        "invalid_output" => "the answer was not one of the eight labels",
        _ => "the provider returned an error",
    }
}
