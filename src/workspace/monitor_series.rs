//! Metrics over time for the workbench's Monitor view: a prompt's calls in one environment
//! between two instants, per time bucket (hour or day) and version, the totals per version with
//! the thresholds they breach, and the environments the prompt was observed in. Read from the
//! rollups, like `metrics`.

use std::collections::BTreeMap;

use crate::domain::PromptName;
use crate::domain::metrics::{BucketSize, Metrics, Rollup};
use crate::domain::thresholds::{Breach, ThresholdConfig, breaches};

use super::{Alert, Result, Workspace};

/// One bucket of one version's calls.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesPoint {
    /// The bucket's start, ms since the epoch.
    pub start_ms: i64,
    /// 0: calls that named no known version.
    pub version: u32,
    pub metrics: Metrics,
}

/// One version's calls over the whole range.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionTotal {
    pub version: u32,
    pub metrics: Metrics,
    pub breaches: Vec<Breach>,
    /// The first and last bucket it had calls in.
    pub first_ms: i64,
    pub last_ms: i64,
}

/// A prompt's metrics over time in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSeries {
    pub prompt: String,
    pub env: String,
    pub bucket: BucketSize,
    /// The range, ms since the epoch: `from_ms..to_ms`, `from_ms` bucket-aligned.
    pub from_ms: i64,
    pub to_ms: i64,
    /// Per bucket and version, in time order.
    pub points: Vec<SeriesPoint>,
    /// Per bucket, every version together, in time order.
    pub totals: Vec<SeriesPoint>,
    /// Per version over the range, in version order.
    pub versions: Vec<VersionTotal>,
    /// Every environment with calls of the prompt in the range, by name.
    pub envs: Vec<String>,
}

impl Workspace {
    /// `prompt`'s calls in `env` from `from` to `to`, per `bucket` and version.
    pub fn metric_series(
        &self,
        prompt: &PromptName,
        env: &str,
        (from, to): (jiff::Timestamp, jiff::Timestamp),
        bucket: BucketSize,
        thresholds: &ThresholdConfig,
    ) -> Result<MetricSeries> {
        let from_ms = bucket.start_of(from.as_millisecond());
        let to_ms = to.as_millisecond();
        let rows = self
            .store
            .read()
            .rollups(prompt.as_str(), None, bucket, from_ms, to_ms)?;
        let mut envs: Vec<String> = rows.iter().map(|(k, _)| k.env.clone()).collect();
        envs.sort();
        envs.dedup();
        let mut by_point: BTreeMap<(i64, u32), Rollup> = BTreeMap::new();
        let mut by_bucket: BTreeMap<i64, Rollup> = BTreeMap::new();
        let mut by_version: BTreeMap<u32, (Rollup, i64, i64)> = BTreeMap::new();
        for (key, rollup) in rows.iter().filter(|(k, _)| k.env == env) {
            by_point
                .entry((key.start, key.version))
                .or_default()
                .merge(rollup);
            by_bucket.entry(key.start).or_default().merge(rollup);
            let entry = by_version
                .entry(key.version)
                .or_insert_with(|| (Rollup::default(), key.start, key.start));
            entry.0.merge(rollup);
            entry.1 = entry.1.min(key.start);
            entry.2 = entry.2.max(key.start);
        }
        let limits = thresholds.for_prompt(prompt.as_str(), env);
        let versions = by_version
            .into_iter()
            .map(|(version, (rollup, first_ms, last_ms))| {
                let metrics = rollup.metrics();
                VersionTotal {
                    version,
                    breaches: breaches(&metrics, &limits),
                    metrics,
                    first_ms,
                    last_ms,
                }
            })
            .collect();
        Ok(MetricSeries {
            prompt: prompt.to_string(),
            env: env.to_string(),
            bucket,
            from_ms,
            to_ms,
            points: by_point
                .into_iter()
                .map(|((start_ms, version), r)| SeriesPoint {
                    start_ms,
                    version,
                    metrics: r.metrics(),
                })
                .collect(),
            totals: by_bucket
                .into_iter()
                .map(|(start_ms, r)| SeriesPoint {
                    start_ms,
                    version: 0,
                    metrics: r.metrics(),
                })
                .collect(),
            versions,
            envs,
        })
    }

    /// Every breach of every prompt observed between `from` and `to`, per version ×
    /// environment (hour rollups, so the range ends where `to` says: the prompt list's badges
    /// for a Monitor view whose end is pinned).
    pub fn alerts_between(
        &self,
        (from, to): (jiff::Timestamp, jiff::Timestamp),
        thresholds: &ThresholdConfig,
    ) -> Result<Vec<Alert>> {
        let size = BucketSize::Hour;
        let (from_ms, to_ms) = (size.start_of(from.as_millisecond()), to.as_millisecond());
        let tx = self.store.read();
        let mut out = Vec::new();
        for prompt in tx.observed_prompts(from_ms)? {
            let mut groups: BTreeMap<(u32, String), Rollup> = BTreeMap::new();
            for (key, rollup) in tx.rollups(&prompt, None, size, from_ms, to_ms)? {
                groups
                    .entry((key.version, key.env))
                    .or_default()
                    .merge(&rollup);
            }
            for ((version, env), rollup) in groups {
                let limits = thresholds.for_prompt(&prompt, &env);
                out.extend(
                    breaches(&rollup.metrics(), &limits)
                        .into_iter()
                        .map(|breach| Alert {
                            prompt: prompt.clone(),
                            version,
                            env: env.clone(),
                            breach,
                        }),
                );
            }
        }
        Ok(out)
    }
}
