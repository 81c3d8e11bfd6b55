//! Metrics of production calls per prompt, version, environment and day, read from rollups,
//! and the thresholds they breach.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::PromptName;
use crate::domain::metrics::{BucketSize, Metrics, Rollup, RollupKey};
use crate::domain::thresholds::{Breach, ThresholdConfig, breaches};

use super::{Result, Workspace};

/// How metrics rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One row per version × environment over the whole range.
    Version,
    /// One row per UTC day × environment, all versions together.
    Day,
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct MetricsQuery {
    pub prompt: PromptName,
    pub env: Option<String>,
    /// The range starts at the start of this hour (rollups are hourly) and runs to now.
    pub since: jiff::Timestamp,
    pub by: GroupBy,
}

/// One group's metrics and the thresholds they breach.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsRow {
    /// The version (0: calls that named no known version); `None` when grouped by day.
    pub version: Option<u32>,
    pub env: String,
    /// `YYYY-MM-DD` (UTC) when grouped by day.
    pub day: Option<String>,
    #[serde(flatten)]
    pub metrics: Metrics,
    pub breaches: Vec<Breach>,
}

/// A prompt's metrics over a range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsReport {
    pub prompt: String,
    pub env: Option<String>,
    /// RFC 3339, hour-aligned.
    pub since: String,
    pub by: GroupBy,
    pub rows: Vec<MetricsRow>,
}

impl MetricsReport {
    /// Every breach in the report, with the row it is on.
    pub fn breaches(&self) -> impl Iterator<Item = (&MetricsRow, &Breach)> {
        self.rows
            .iter()
            .flat_map(|row| row.breaches.iter().map(move |b| (row, b)))
    }
}

/// A threshold one prompt version breaches in one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub prompt: String,
    pub version: u32,
    pub env: String,
    pub breach: Breach,
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

fn day_name(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl Workspace {
    /// A prompt's metrics since `query.since`, from rollups: whole days are read from day
    /// rollups and the partial first day from hour rollups, so a month is a few dozen rows.
    pub fn metrics(
        &self,
        query: &MetricsQuery,
        thresholds: &ThresholdConfig,
    ) -> Result<MetricsReport> {
        let rollups = self.rollups_since(query)?;
        let mut groups: BTreeMap<(i64, u32, String), Rollup> = BTreeMap::new();
        for (key, rollup) in &rollups {
            let group = match query.by {
                GroupBy::Version => (0, key.version, key.env.clone()),
                GroupBy::Day => (BucketSize::Day.start_of(key.start), 0, key.env.clone()),
            };
            groups.entry(group).or_default().merge(rollup);
        }
        let rows = groups
            .into_iter()
            .map(|((day, version, env), rollup)| {
                let metrics = rollup.metrics();
                let limits = thresholds.for_prompt(query.prompt.as_str(), &env);
                MetricsRow {
                    version: (query.by == GroupBy::Version).then_some(version),
                    day: (query.by == GroupBy::Day).then(|| day_name(day)),
                    breaches: breaches(&metrics, &limits),
                    env,
                    metrics,
                }
            })
            .collect();
        Ok(MetricsReport {
            prompt: query.prompt.to_string(),
            env: query.env.clone(),
            since: rfc3339(BucketSize::Hour.start_of(query.since.as_millisecond())),
            by: query.by,
            rows,
        })
    }

    /// Every breach of every observed prompt since `since`, per version × environment: what
    /// the prompt list shows as badges.
    pub fn alerts(
        &self,
        since: jiff::Timestamp,
        thresholds: &ThresholdConfig,
    ) -> Result<Vec<Alert>> {
        let from = BucketSize::Hour.start_of(since.as_millisecond());
        let mut out = Vec::new();
        for prompt in self.store.read().observed_prompts(from)? {
            let query = MetricsQuery {
                prompt: PromptName::parse(&prompt)?,
                env: None,
                since,
                by: GroupBy::Version,
            };
            for row in self.metrics(&query, thresholds)?.rows {
                out.extend(row.breaches.into_iter().map(|breach| Alert {
                    prompt: prompt.clone(),
                    version: row.version.unwrap_or(0),
                    env: row.env.clone(),
                    breach,
                }));
            }
        }
        Ok(out)
    }

    fn rollups_since(&self, query: &MetricsQuery) -> Result<Vec<(RollupKey, Rollup)>> {
        let tx = self.store.read();
        let since = query.since.as_millisecond();
        let from_hour = BucketSize::Hour.start_of(since);
        let day = BucketSize::Day.start_of(since);
        let first_whole_day = if from_hour == day {
            day
        } else {
            day + BucketSize::Day.millis()
        };
        let (prompt, env) = (query.prompt.as_str(), query.env.as_deref());
        let mut out = tx.rollups(prompt, env, BucketSize::Hour, from_hour, first_whole_day)?;
        out.extend(tx.rollups(prompt, env, BucketSize::Day, first_whole_day, i64::MAX)?);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::observation::KeepLimits;

    #[test]
    fn alerts_list_every_breach_of_every_observed_prompt() {
        let dir = tempfile::tempdir().unwrap();
        let mut ws = Workspace::open(&dir.path().join("ws.db"), "t").unwrap();
        let at = jiff::Timestamp::now().to_string();
        let call = |id: &str, prompt: &str, status: &str| {
            let mut o = json!({"id": id, "prompt": prompt, "env": "production", "timestamp": at,
                               "version": 2, "status": status});
            if status == "error" {
                o["error"] = json!({"type": "timeout", "message": ""});
            }
            o
        };
        let items = [
            call("1", "a", "error"),
            call("2", "a", "ok"),
            call("3", "b", "ok"),
        ];
        // Prompts `a` and `b` are only names here: the alerts read rollups, whoever made them.
        let limits = KeepLimits {
            accept_unknown: true,
            ..KeepLimits::default()
        };
        assert_eq!(ws.ingest(&items, &limits).unwrap().accepted, 3);
        assert!(ws.has_observation("1").unwrap() && !ws.has_observation("9").unwrap());
        let limits: ThresholdConfig = toml::from_str("error_rate = 0.1").unwrap();
        let since = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24);
        let alerts = ws.alerts(since, &limits).unwrap();
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!((alerts[0].prompt.as_str(), alerts[0].version), ("a", 2));
        assert_eq!(alerts[0].breach.to_string(), "BREACH error rate 50% > 10%");
    }
}
