//! Production observations and their rollups. An observation is stored once (its id is unique,
//! so a re-send changes nothing); its rollups, per prompt × version × env × hour and day, are
//! updated in the same transaction, so metrics are read from a few rows whatever the traffic.

use rusqlite::{OptionalExtension, params};

use crate::domain::metrics::{BucketSize, LatencyHistogram, Rollup, RollupKey};
use crate::domain::observation::{Observation, WorstKind};

use super::{StoreError, Tx};

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

pub(super) fn size_name(size: BucketSize) -> &'static str {
    match size {
        BucketSize::Hour => "hour",
        BucketSize::Day => "day",
    }
}

pub(super) fn size_from(name: &str) -> Result<BucketSize, StoreError> {
    match name {
        "hour" => Ok(BucketSize::Hour),
        "day" => Ok(BucketSize::Day),
        other => Err(corrupt("rollup bucket size", other)),
    }
}

/// Stores an observation unless its id is stored (see [`Tx::put_observation`]).
const INSERT_OBSERVATION: &str =
    "INSERT INTO observations (id, prompt, version, env, at_ms, status, latency_us, feedback, body)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (id) DO NOTHING";

/// Stores an observation, or takes the new body and feedback of one already stored when they
/// differ (a sample pulled again after its feedback changed).
pub(super) const UPSERT_OBSERVATION: &str =
    "INSERT INTO observations (id, prompt, version, env, at_ms, status, latency_us, feedback, body)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
     ON CONFLICT (id) DO UPDATE SET feedback = excluded.feedback, body = excluded.body
     WHERE body <> excluded.body";

pub(super) const ROLLUP_COLUMNS: &str =
    "prompt, version, env, size, start_ms, calls, errors, latency_sum_us,
     input_tokens, output_tokens, cost_count, cost_nanos, feedback_count, feedback_points,
     negative_feedback, latency";

/// Reads a rollup row selected with [`ROLLUP_COLUMNS`].
pub(super) fn rollup_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(RollupKey, Rollup, Vec<u8>, String)> {
    let n = |i: usize| r.get::<_, i64>(i).map(|v| v as u64);
    let size: String = r.get(3)?;
    Ok((
        RollupKey {
            prompt: r.get(0)?,
            version: r.get::<_, i64>(1)? as u32,
            env: r.get(2)?,
            size: BucketSize::Hour,
            start: r.get(4)?,
        },
        Rollup {
            count: n(5)?,
            errors: n(6)?,
            latency: LatencyHistogram::default(),
            latency_sum_us: n(7)?,
            input_tokens: n(8)?,
            output_tokens: n(9)?,
            cost_count: n(10)?,
            cost_nanos: n(11)?,
            feedback_count: n(12)?,
            feedback_points: n(13)?,
            negative_feedback: n(14)?,
        },
        r.get(15)?,
        size,
    ))
}

pub(super) fn finish_rollup(
    (mut key, mut rollup, latency, size): (RollupKey, Rollup, Vec<u8>, String),
) -> Result<(RollupKey, Rollup), StoreError> {
    key.size = size_from(&size)?;
    rollup.latency =
        LatencyHistogram::decode(&latency).map_err(|e| corrupt("rollup latency", e))?;
    Ok((key, rollup))
}

impl Tx<'_> {
    /// Stores `obs` unless an observation with its id is already stored; returns whether it
    /// was new (only then do its rollups change).
    pub fn insert_observation(&self, obs: &Observation) -> Result<bool, StoreError> {
        self.put_observation(obs, INSERT_OBSERVATION)
    }

    /// Runs `sql` (an insert of one observation, [`INSERT_OBSERVATION`]'s parameters) for
    /// `obs`; returns whether a row changed.
    pub(super) fn put_observation(&self, obs: &Observation, sql: &str) -> Result<bool, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let body = serde_json::to_string(obs).map_err(|e| corrupt("observation", e))?;
        let changed = stmt.execute(params![
            obs.id,
            obs.prompt,
            obs.version.unwrap_or(0),
            obs.env,
            obs.epoch_ms(),
            obs.status.as_str(),
            obs.latency_us().map(|us| us as i64),
            obs.feedback.as_ref().map(|f| f.points() as i64),
            body,
        ])?;
        Ok(changed == 1)
    }

    /// Replaces the stored body and feedback of an observation already stored (its feedback
    /// arrived later); returns whether there was one.
    pub fn update_observation_feedback(&self, obs: &Observation) -> Result<bool, StoreError> {
        let body = serde_json::to_string(obs).map_err(|e| corrupt("observation", e))?;
        let changed = self.conn.execute(
            "UPDATE observations SET feedback = ?2, body = ?3 WHERE id = ?1",
            params![
                obs.id,
                obs.feedback.as_ref().map(|f| f.points() as i64),
                body
            ],
        )?;
        Ok(changed == 1)
    }

    /// The observation with `id`.
    pub fn observation(&self, id: &str) -> Result<Option<Observation>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM observations WHERE id = ?1")?;
        let body: Option<String> = stmt.query_row([id], |r| r.get(0)).optional()?;
        body.map(|b| serde_json::from_str(&b).map_err(|e| corrupt("observation", e)))
            .transpose()
    }

    /// Changes the rollup at `key` with `change` (starting from an empty one), creating it. A
    /// bucket pulled from a server is left alone: the server's numbers stand for it (see
    /// `store::sync::monitor`).
    pub fn update_rollup(
        &self,
        key: &RollupKey,
        change: impl FnOnce(&mut Rollup),
    ) -> Result<(), StoreError> {
        let mut read = self.conn.prepare_cached(&format!(
            "SELECT {ROLLUP_COLUMNS}, pulled FROM observation_rollups
             WHERE prompt = ?1 AND size = ?2 AND start_ms = ?3 AND version = ?4 AND env = ?5"
        ))?;
        let size = size_name(key.size);
        let found = read
            .query_row(
                params![key.prompt, size, key.start, key.version, key.env],
                |r| Ok((rollup_row(r)?, r.get::<_, i64>(16)? != 0)),
            )
            .optional()?;
        let mut rollup = match found {
            Some((_, true)) => return Ok(()),
            Some((row, false)) => finish_rollup(row)?.1,
            None => Rollup::default(),
        };
        change(&mut rollup);
        self.write_rollup(key, &rollup, false)
    }

    /// Writes the rollup at `key` as `rollup` (replacing what was there), marked as pulled
    /// from a server or not, with the file's next change position.
    pub(super) fn write_rollup(
        &self,
        key: &RollupKey,
        rollup: &Rollup,
        pulled: bool,
    ) -> Result<(), StoreError> {
        let size = size_name(key.size);
        let mut write = self.conn.prepare_cached(&format!(
            "INSERT OR REPLACE INTO observation_rollups ({ROLLUP_COLUMNS}, pulled, change_seq)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                     (SELECT COALESCE(MAX(change_seq), 0) + 1 FROM observation_rollups))"
        ))?;
        let n = |v: u64| v as i64;
        write.execute(params![
            key.prompt,
            key.version,
            key.env,
            size,
            key.start,
            n(rollup.count),
            n(rollup.errors),
            n(rollup.latency_sum_us),
            n(rollup.input_tokens),
            n(rollup.output_tokens),
            n(rollup.cost_count),
            n(rollup.cost_nanos),
            n(rollup.feedback_count),
            n(rollup.feedback_points),
            n(rollup.negative_feedback),
            rollup.latency.encode(),
            pulled as i64,
        ])?;
        Ok(())
    }

    /// `prompt`'s rollups of `size` starting in `from_ms..to_ms` (in `env` when given).
    pub fn rollups(
        &self,
        prompt: &str,
        env: Option<&str>,
        size: BucketSize,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<(RollupKey, Rollup)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROLLUP_COLUMNS} FROM observation_rollups
             WHERE prompt = ?1 AND size = ?2 AND start_ms >= ?3 AND start_ms < ?4
               AND (?5 IS NULL OR env = ?5)
             ORDER BY start_ms, version, env"
        ))?;
        let rows = stmt.query_map(
            params![prompt, size_name(size), from_ms, to_ms, env],
            rollup_row,
        )?;
        rows.map(|row| finish_rollup(row?)).collect()
    }

    /// Up to `limit` of `prompt`'s observations since `since_ms` (in `env` when given), the
    /// worst of `kind` first.
    pub fn worst_observations(
        &self,
        prompt: &str,
        env: Option<&str>,
        kind: WorstKind,
        since_ms: i64,
        limit: usize,
    ) -> Result<Vec<Observation>, StoreError> {
        self.worst_observations_in(prompt, env, kind, since_ms..i64::MAX, limit)
    }

    /// Up to `limit` of `prompt`'s observations at `range` (ms since the epoch; in `env` when
    /// given), the worst of `kind` first.
    pub fn worst_observations_in(
        &self,
        prompt: &str,
        env: Option<&str>,
        kind: WorstKind,
        range: std::ops::Range<i64>,
        limit: usize,
    ) -> Result<Vec<Observation>, StoreError> {
        // Errors and negative feedback read their own partial index in order and stop at
        // `limit`. The slowest are picked from the time index alone (it covers latency and env),
        // and only the chosen rows' bodies are read.
        let sql = match kind {
            WorstKind::Errors => {
                "SELECT body FROM observations
                 WHERE prompt = ?1 AND status = 'error' AND at_ms >= ?2 AND at_ms < ?5 AND (?3 IS NULL OR env = ?3)
                 ORDER BY at_ms DESC LIMIT ?4"
            }
            WorstKind::Feedback => {
                "SELECT body FROM observations
                 WHERE prompt = ?1 AND feedback <= 1 AND at_ms >= ?2 AND at_ms < ?5 AND (?3 IS NULL OR env = ?3)
                 ORDER BY feedback, at_ms DESC LIMIT ?4"
            }
            WorstKind::Slow => {
                "SELECT o.body FROM observations o JOIN (
                     SELECT seq, latency_us FROM observations INDEXED BY observations_by_time
                     WHERE prompt = ?1 AND at_ms >= ?2 AND at_ms < ?5 AND latency_us IS NOT NULL
                       AND (?3 IS NULL OR env = ?3)
                     ORDER BY latency_us DESC LIMIT ?4
                 ) worst ON o.seq = worst.seq
                 ORDER BY worst.latency_us DESC"
            }
            WorstKind::Recent => {
                "SELECT body FROM observations
                 WHERE prompt = ?1 AND at_ms >= ?2 AND at_ms < ?5 AND (?3 IS NULL OR env = ?3)
                 ORDER BY at_ms DESC LIMIT ?4"
            }
        };
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(
            params![prompt, range.start, env, limit as i64, range.end],
            |r| r.get::<_, String>(0),
        )?;
        rows.map(|body| serde_json::from_str(&body?).map_err(|e| corrupt("observation", e)))
            .collect()
    }

    /// The prompts with rollups starting at or after `from_ms`, by name.
    pub fn observed_prompts(&self, from_ms: i64) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT prompt FROM observation_rollups
             WHERE size = 'hour' AND start_ms >= ?1 ORDER BY prompt",
        )?;
        let rows = stmt.query_map([from_ms], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The number of `prompt`'s latest version; `None` when there is no prompt of that name
    /// (a prompt has its versions 1 to the latest: numbers are given in order, none skipped).
    pub fn latest_version_of(&self, prompt: &str) -> Result<Option<u32>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT max(v.number) FROM versions v JOIN prompts p ON p.id = v.prompt_id
             WHERE p.name = ?1",
        )?;
        let latest: Option<i64> = stmt.query_row([prompt], |r| r.get(0))?;
        Ok(latest.map(|n| n as u32))
    }

    /// The number of `prompt`'s version whose content hash starts with `hash`, if exactly one
    /// does.
    pub fn version_with_hash(&self, prompt: &str, hash: &str) -> Result<Option<u32>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT v.number FROM versions v JOIN prompts p ON p.id = v.prompt_id
             WHERE p.name = ?1 AND v.content_hash >= ?2 AND v.content_hash < ?2 || 'g'
             LIMIT 2",
        )?;
        let found: Vec<i64> = stmt
            .query_map(params![prompt, hash], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(match found.as_slice() {
            [one] => Some(*one as u32),
            _ => None,
        })
    }
}
