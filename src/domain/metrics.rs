//! Metrics of production calls, from mergeable rollups: per prompt × version × environment ×
//! time bucket, counts and integer sums plus a fixed log-linear latency histogram. Every field
//! is an integer, so merging is exact, associative and commutative: hour rollups add up to the
//! day's, days to any range, and the result equals the metrics recomputed from the raw rows.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::observation::{CallStatus, Feedback, Observation};

/// Sub-buckets per power of two. Latencies below this many microseconds have a bucket each
/// (exact); above, a bucket spans 1/64 to 1/128 of its lower bound, so the bucket's midpoint is
/// within 1/128 (0.79%) of any latency in it: the stated relative error of every percentile.
const SUB_BUCKETS: u64 = 64;
const SUB_BITS: u32 = 6;

/// The histogram bucket of a latency in microseconds.
pub fn latency_bucket(us: u64) -> u16 {
    if us < SUB_BUCKETS {
        return us as u16;
    }
    let top = 63 - us.leading_zeros(); // >= SUB_BITS
    let shift = top - SUB_BITS;
    let mantissa = us >> shift; // SUB_BUCKETS..2*SUB_BUCKETS
    (SUB_BUCKETS * (shift as u64 + 1) + (mantissa - SUB_BUCKETS)) as u16
}

/// The latencies (µs) bucket `index` holds: `lo..hi`.
pub fn bucket_bounds(index: u16) -> (u64, u64) {
    let index = index as u64;
    if index < SUB_BUCKETS {
        return (index, index + 1);
    }
    let shift = index / SUB_BUCKETS - 1;
    let mantissa = SUB_BUCKETS + index % SUB_BUCKETS;
    (mantissa << shift, (mantissa + 1) << shift)
}

/// The latency (ms) a bucket stands for: the midpoint of its bounds (its only value when exact).
pub fn bucket_value_ms(index: u16) -> f64 {
    let (lo, hi) = bucket_bounds(index);
    if hi - lo == 1 {
        return lo as f64 / 1000.0;
    }
    (lo + hi) as f64 / 2.0 / 1000.0
}

/// Counts of latencies per bucket, sparse.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: BTreeMap<u16, u64>,
}

impl LatencyHistogram {
    /// Counts one latency.
    pub fn add(&mut self, us: u64) {
        *self.counts.entry(latency_bucket(us)).or_default() += 1;
    }

    /// Adds another histogram's counts.
    pub fn merge(&mut self, other: &Self) {
        for (&bucket, &n) in &other.counts {
            *self.counts.entry(bucket).or_default() += n;
        }
    }

    /// How many latencies were counted.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The nearest-rank percentile (`permille` of 1000: 500, 950, 990), in ms, as its bucket's
    /// value; `None` when empty.
    pub fn percentile(&self, permille: u64) -> Option<f64> {
        let total = self.total();
        let rank = nearest_rank(total, permille)?;
        let mut seen = 0;
        self.counts.iter().find_map(|(&bucket, &n)| {
            seen += n;
            (seen >= rank).then(|| bucket_value_ms(bucket))
        })
    }

    /// Compact bytes: per bucket, its index (2 bytes) and count (8 bytes), little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.counts.len() * 10);
        for (&bucket, &n) in &self.counts {
            out.extend_from_slice(&bucket.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
        out
    }

    /// Reads [`LatencyHistogram::encode`]'s bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, String> {
        if !bytes.len().is_multiple_of(10) {
            return Err(format!("latency histogram of {} bytes", bytes.len()));
        }
        let counts = bytes
            .chunks_exact(10)
            .map(|c| {
                let bucket = u16::from_le_bytes([c[0], c[1]]);
                let n = u64::from_le_bytes(c[2..10].try_into().expect("8 bytes"));
                (bucket, n)
            })
            .collect();
        Ok(Self { counts })
    }
}

/// The 1-based rank of the `permille` percentile among `total` values (nearest-rank method),
/// in integers so that it is the same wherever it is computed.
pub fn nearest_rank(total: u64, permille: u64) -> Option<u64> {
    (total > 0).then(|| (total * permille).div_ceil(1000).clamp(1, total))
}

/// The mergeable summary of a set of calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    pub count: u64,
    pub errors: u64,
    pub latency: LatencyHistogram,
    pub latency_sum_us: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Calls that reported a cost.
    pub cost_count: u64,
    pub cost_nanos: u64,
    pub feedback_count: u64,
    /// Sum of [`Feedback::points`] (0–4 each).
    pub feedback_points: u64,
    pub negative_feedback: u64,
}

impl Rollup {
    /// Counts one call.
    pub fn add(&mut self, obs: &Observation) {
        self.count += 1;
        self.errors += u64::from(obs.status == CallStatus::Error);
        if let Some(us) = obs.latency_us() {
            self.latency.add(us);
            self.latency_sum_us += us;
        }
        self.input_tokens += obs.input_tokens.unwrap_or(0);
        self.output_tokens += obs.output_tokens.unwrap_or(0);
        if let Some(nanos) = obs.cost_nanos() {
            self.cost_count += 1;
            self.cost_nanos += nanos;
        }
        if let Some(f) = &obs.feedback {
            self.add_feedback(f);
        }
    }

    /// Counts one feedback (sent with the call, or later).
    pub fn add_feedback(&mut self, f: &Feedback) {
        self.feedback_count += 1;
        self.feedback_points += f.points();
        self.negative_feedback += u64::from(f.is_negative());
    }

    /// Takes back a feedback counted before (it was replaced).
    pub fn remove_feedback(&mut self, f: &Feedback) {
        self.feedback_count = self.feedback_count.saturating_sub(1);
        self.feedback_points = self.feedback_points.saturating_sub(f.points());
        self.negative_feedback = self
            .negative_feedback
            .saturating_sub(u64::from(f.is_negative()));
    }

    /// Adds another rollup.
    pub fn merge(&mut self, other: &Self) {
        self.count += other.count;
        self.errors += other.errors;
        self.latency.merge(&other.latency);
        self.latency_sum_us += other.latency_sum_us;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cost_count += other.cost_count;
        self.cost_nanos += other.cost_nanos;
        self.feedback_count += other.feedback_count;
        self.feedback_points += other.feedback_points;
        self.negative_feedback += other.negative_feedback;
    }

    /// The metrics this rollup stands for.
    pub fn metrics(&self) -> Metrics {
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let latency_n = self.latency.total();
        Metrics {
            count: self.count,
            errors: self.errors,
            error_rate: ratio(self.errors, self.count).unwrap_or(0.0),
            latency_p50_ms: self.latency.percentile(500),
            latency_p95_ms: self.latency.percentile(950),
            latency_p99_ms: self.latency.percentile(990),
            latency_mean_ms: ratio(self.latency_sum_us, latency_n).map(|us| us / 1000.0),
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost_usd: self.cost_nanos as f64 / 1e9,
            cost_per_call_usd: ratio(self.cost_nanos, self.cost_count).map(|n| n / 1e9),
            feedback_count: self.feedback_count,
            // Points 0–4 mapped onto −1…+1: thumbs and 1–5 ratings on one scale.
            mean_feedback: ratio(self.feedback_points, self.feedback_count).map(|p| p / 2.0 - 1.0),
            negative_feedback_share: ratio(self.negative_feedback, self.feedback_count),
        }
    }
}

/// What people read about a set of calls. Options are `None` when nothing was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub count: u64,
    pub errors: u64,
    /// errors / count (0 when there was no call).
    pub error_rate: f64,
    /// Percentiles are bucket values: within 0.79% of the true nearest-rank percentile.
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub latency_mean_ms: Option<f64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    /// Over the calls that reported a cost.
    pub cost_per_call_usd: Option<f64>,
    pub feedback_count: u64,
    /// −1 (all negative) to +1 (all positive).
    pub mean_feedback: Option<f64>,
    pub negative_feedback_share: Option<f64>,
}

/// The length of a rollup's time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BucketSize {
    Hour,
    Day,
}

impl BucketSize {
    /// The bucket's length in milliseconds (days are UTC days).
    pub fn millis(self) -> i64 {
        match self {
            Self::Hour => 3_600_000,
            Self::Day => 86_400_000,
        }
    }

    /// The start (ms since the epoch) of the bucket holding `epoch_ms`.
    pub fn start_of(self, epoch_ms: i64) -> i64 {
        epoch_ms.div_euclid(self.millis()) * self.millis()
    }
}

/// What a rollup is about: one prompt version in one environment during one bucket.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub prompt: String,
    /// 0 when the call named no version the workspace knows.
    pub version: u32,
    pub env: String,
    pub size: BucketSize,
    /// ms since the epoch.
    pub start: i64,
}

impl RollupKey {
    /// The key of `obs`'s bucket of `size`.
    pub fn of(obs: &Observation, size: BucketSize) -> Self {
        Self {
            prompt: obs.prompt.clone(),
            version: obs.version.unwrap_or(0),
            env: obs.env.clone(),
            size,
            start: size.start_of(obs.epoch_ms()),
        }
    }
}

/// Rolls `observations` up into hour and day buckets.
pub fn roll_up<'a>(
    observations: impl IntoIterator<Item = &'a Observation>,
) -> BTreeMap<RollupKey, Rollup> {
    let mut out: BTreeMap<RollupKey, Rollup> = BTreeMap::new();
    for obs in observations {
        for size in [BucketSize::Hour, BucketSize::Day] {
            out.entry(RollupKey::of(obs, size)).or_default().add(obs);
        }
    }
    out
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
