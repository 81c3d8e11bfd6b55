//! Monitoring data in sync (migration 13): the server reads its rollup buckets by change
//! position; a client replaces its buckets with the server's (marked `pulled`, so local
//! ingestion leaves them alone), stores the samples of worst observations without counting them,
//! and keeps a cursor per remote.

use rusqlite::{Connection, OptionalExtension, params};

use crate::domain::metrics::{Rollup, RollupKey};
use crate::domain::observation::Observation;

use super::super::observations::{ROLLUP_COLUMNS, UPSERT_OBSERVATION, finish_rollup, rollup_row};
use super::super::{StoreError, Tx};

/// How far a client pulled a remote's monitoring data.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MonitorCursorRow {
    /// The server's change position pulled up to.
    pub cursor: i64,
    /// The server's newest change position when it last answered.
    pub head: i64,
    /// The newest bucket start pulled (ms since the epoch).
    pub last_bucket_ms: Option<i64>,
    /// Buckets and samples received over every pull.
    pub rollups: i64,
    pub samples: i64,
    pub pulled_at: Option<String>,
    /// How many of each kind of worst observation per day to ask for.
    pub sample_count: i64,
}

impl Tx<'_> {
    /// Up to `limit` buckets changed after position `after`, in change order.
    pub fn rollups_changed_after(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<Vec<(i64, RollupKey, Rollup)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {ROLLUP_COLUMNS}, change_seq FROM observation_rollups
             INDEXED BY observation_rollups_by_change
             WHERE change_seq > ?1 ORDER BY change_seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![after, limit as i64], |r| {
            Ok((rollup_row(r)?, r.get::<_, i64>(16)?))
        })?;
        rows.map(|row| {
            let (row, seq) = row?;
            let (key, rollup) = finish_rollup(row)?;
            Ok((seq, key, rollup))
        })
        .collect()
    }

    /// The newest change position of the rollups (0 without any).
    pub fn rollup_change_head(&self) -> Result<i64, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(change_seq), 0) FROM observation_rollups")?;
        Ok(stmt.query_row([], |r| r.get(0))?)
    }

    /// Replaces the bucket at `key` with a server's numbers.
    pub fn replace_with_pulled_rollup(
        &self,
        key: &RollupKey,
        rollup: &Rollup,
    ) -> Result<(), StoreError> {
        self.write_rollup(key, rollup, true)
    }

    /// Stores a sample observation pulled from a server, without touching any rollup; a sample
    /// already stored takes the server's body (its feedback may have arrived since). Returns
    /// whether anything changed.
    pub fn store_pulled_sample(&self, obs: &Observation) -> Result<bool, StoreError> {
        self.put_observation(obs, UPSERT_OBSERVATION)
    }

    /// How far monitoring data was pulled from `remote` (zeros when never).
    pub fn monitor_cursor(&self, remote: &str) -> Result<MonitorCursorRow, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT cursor, head, last_bucket_ms, rollups, samples, pulled_at, sample_count
             FROM sync_monitor WHERE remote = ?1",
        )?;
        let row = stmt
            .query_row([remote], |r| {
                Ok(MonitorCursorRow {
                    cursor: r.get(0)?,
                    head: r.get(1)?,
                    last_bucket_ms: r.get(2)?,
                    rollups: r.get(3)?,
                    samples: r.get(4)?,
                    pulled_at: r.get(5)?,
                    sample_count: r.get(6)?,
                })
            })
            .optional()?;
        Ok(row.unwrap_or(MonitorCursorRow {
            sample_count: crate::sync::monitor::DEFAULT_SAMPLES as i64,
            ..MonitorCursorRow::default()
        }))
    }

    /// Notes a pulled page of `remote`'s monitoring data: the new cursor and head, the newest
    /// bucket start seen, and how many buckets and samples it brought.
    pub fn advance_monitor_cursor(
        &self,
        remote: &str,
        page: &MonitorPage,
        at: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_monitor (remote, cursor, head, last_bucket_ms, rollups, samples, pulled_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (remote) DO UPDATE SET
                cursor = MAX(cursor, excluded.cursor),
                head = excluded.head,
                last_bucket_ms = MAX(COALESCE(last_bucket_ms, excluded.last_bucket_ms),
                                     COALESCE(excluded.last_bucket_ms, last_bucket_ms)),
                rollups = rollups + excluded.rollups,
                samples = samples + excluded.samples,
                pulled_at = excluded.pulled_at",
            params![
                remote,
                page.cursor,
                page.head,
                page.last_bucket_ms,
                page.rollups as i64,
                page.samples as i64,
                at
            ],
        )?;
        Ok(())
    }

    /// Sets how many of each kind of worst observation per day to pull from `remote`.
    pub fn set_monitor_samples(&self, remote: &str, count: usize) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_monitor (remote, sample_count) VALUES (?1, ?2)
             ON CONFLICT (remote) DO UPDATE SET sample_count = excluded.sample_count",
            params![remote, count as i64],
        )?;
        Ok(())
    }
}

/// What one pulled page of monitoring data brought.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonitorPage {
    pub cursor: i64,
    pub head: i64,
    pub last_bucket_ms: Option<i64>,
    pub rollups: usize,
    pub samples: usize,
}

/// Migration 13's step: numbers the existing buckets (in key order), so a first pull from a
/// server that already held observations sees them all.
pub(in crate::store) fn number_existing_rollups(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(
        "CREATE TEMP TABLE rollup_numbers AS
             SELECT prompt, size, start_ms, version, env,
                    row_number() OVER (ORDER BY start_ms, prompt, size, version, env) AS n
             FROM observation_rollups;
         CREATE INDEX temp.rollup_numbers_by_key
             ON rollup_numbers (prompt, size, start_ms, version, env);
         UPDATE observation_rollups SET change_seq = (
             SELECT n FROM rollup_numbers r
             WHERE r.prompt = observation_rollups.prompt AND r.size = observation_rollups.size
               AND r.start_ms = observation_rollups.start_ms
               AND r.version = observation_rollups.version AND r.env = observation_rollups.env);
         DROP TABLE rollup_numbers;",
    )?;
    Ok(())
}
