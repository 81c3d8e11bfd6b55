//! Monitoring data a workspace pulls from its server (pull only: applications send
//! observations to the server's ingestion API, never through a workspace).
//!
//! `GET /v1/sync/monitor?after=SEQ&limit=N&samples=K` answers [`MonitorReply`]: the rollup
//! buckets that changed after the server's change position `after` (each with its new position,
//! in order; a bucket that grew again is sent again, whole), and for each day bucket among them
//! the day's `K` worst observations of that prompt and environment of each kind (errors, most
//! negative feedback, slowest). The client replaces its buckets with the server's and keeps the
//! last position as its cursor.

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::domain::metrics::{BucketSize, LatencyHistogram, Rollup, RollupKey};
use crate::domain::observation::Observation;

/// The most rollup buckets one page returns.
pub const MAX_ROLLUPS: usize = 5_000;
/// How many of each kind of worst observation a day of a prompt in an environment sends when
/// the workspace does not say (`galley sync --samples N`).
pub const DEFAULT_SAMPLES: usize = 5;
/// The most of each kind a client may ask for.
pub const MAX_SAMPLES: usize = 50;

/// The query of a monitoring pull.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct MonitorQuery {
    #[serde(default)]
    pub after: i64,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub samples: Option<usize>,
}

/// One page of changed buckets and the samples of their days.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MonitorReply {
    pub rollups: Vec<WireRollup>,
    pub samples: Vec<Observation>,
    /// The server's newest change position.
    pub head: i64,
}

/// A rollup bucket in its wire form: its key, its change position and its integer sums; the
/// latency histogram is [`LatencyHistogram::encode`]'s bytes in base64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireRollup {
    pub seq: i64,
    pub prompt: String,
    pub version: u32,
    pub env: String,
    pub size: BucketSize,
    /// ms since the epoch.
    pub start: i64,
    pub count: u64,
    pub errors: u64,
    pub latency_sum_us: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost_count: u64,
    pub cost_nanos: u64,
    pub feedback_count: u64,
    pub feedback_points: u64,
    pub negative_feedback: u64,
    pub latency: String,
}

impl WireRollup {
    /// The wire form of the bucket at `key`, changed at position `seq`.
    pub fn new(seq: i64, key: &RollupKey, r: &Rollup) -> Self {
        Self {
            seq,
            prompt: key.prompt.clone(),
            version: key.version,
            env: key.env.clone(),
            size: key.size,
            start: key.start,
            count: r.count,
            errors: r.errors,
            latency_sum_us: r.latency_sum_us,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            cost_count: r.cost_count,
            cost_nanos: r.cost_nanos,
            feedback_count: r.feedback_count,
            feedback_points: r.feedback_points,
            negative_feedback: r.negative_feedback,
            latency: base64::engine::general_purpose::STANDARD.encode(r.latency.encode()),
        }
    }

    /// The bucket's key and numbers, or why they cannot be read.
    pub fn parts(&self) -> Result<(RollupKey, Rollup), String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.latency)
            .map_err(|e| format!("latency of bucket {}: {e}", self.start))?;
        let latency = LatencyHistogram::decode(&bytes)?;
        let key = RollupKey {
            prompt: self.prompt.clone(),
            version: self.version,
            env: self.env.clone(),
            size: self.size,
            start: self.start,
        };
        let rollup = Rollup {
            count: self.count,
            errors: self.errors,
            latency,
            latency_sum_us: self.latency_sum_us,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cost_count: self.cost_count,
            cost_nanos: self.cost_nanos,
            feedback_count: self.feedback_count,
            feedback_points: self.feedback_points,
            negative_feedback: self.negative_feedback,
        };
        Ok((key, rollup))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_survives_the_wire() {
        let mut rollup = Rollup {
            count: 3,
            errors: 1,
            cost_nanos: 42,
            ..Rollup::default()
        };
        rollup.latency.add(1_500);
        rollup.latency.add(90_000);
        let key = RollupKey {
            prompt: "support/triage".into(),
            version: 2,
            env: "production".into(),
            size: BucketSize::Day,
            start: 1_700_006_400_000,
        };
        let wire = WireRollup::new(7, &key, &rollup);
        let text = serde_json::to_string(&wire).unwrap();
        let back: WireRollup = serde_json::from_str(&text).unwrap();
        assert_eq!(back.parts().unwrap(), (key, rollup));
    }

    #[test]
    fn a_broken_histogram_is_named() {
        let key = RollupKey {
            prompt: "p".into(),
            version: 1,
            env: "e".into(),
            size: BucketSize::Hour,
            start: 0,
        };
        let mut wire = WireRollup::new(1, &key, &Rollup::default());
        wire.latency = "AAA".into();
        assert!(wire.parts().unwrap_err().contains("latency"));
    }
}
