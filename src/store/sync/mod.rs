//! Sync bookkeeping: the ordered record log every store keeps (fed by triggers, see migration
//! 11), the remotes of a client with their cursors, and what each remote acknowledged or
//! refused. Loading and storing the records themselves is in `records.rs`.

mod load;
mod monitor;
mod records;
mod renumber;

pub(super) use monitor::number_existing_rollups;
pub use monitor::{MonitorCursorRow, MonitorPage};
pub use records::{LocalTable, NumberHolder};

use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, Tx};

/// One entry of the record log: the store applied record `record_id` at position `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub seq: i64,
    pub kind: String,
    pub record_id: String,
}

/// A remote as the client keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RemoteRow {
    pub name: String,
    pub url: String,
    pub key_env: String,
    pub created_at: String,
    /// The server log position pulled up to.
    pub pull_cursor: i64,
    /// Every local log entry up to here was acknowledged or refused by the remote.
    pub pushed_through: i64,
    /// The server's log head when it last answered.
    pub server_head: Option<i64>,
    pub last_sync: Option<String>,
    pub last_attempt: Option<String>,
    pub last_error: Option<String>,
}

/// A record a remote refused, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedRow {
    pub record_id: String,
    pub kind: String,
    pub reason: String,
    pub at: String,
}

const REMOTE_COLUMNS: &str = "name, url, key_env, created_at, pull_cursor, pushed_through, \
                              server_head, last_sync, last_attempt, last_error";

fn remote_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RemoteRow> {
    Ok(RemoteRow {
        name: r.get(0)?,
        url: r.get(1)?,
        key_env: r.get(2)?,
        created_at: r.get(3)?,
        pull_cursor: r.get(4)?,
        pushed_through: r.get(5)?,
        server_head: r.get(6)?,
        last_sync: r.get(7)?,
        last_attempt: r.get(8)?,
        last_error: r.get(9)?,
    })
}

fn log_entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogEntry> {
    Ok(LogEntry {
        seq: r.get(0)?,
        kind: r.get(1)?,
        record_id: r.get(2)?,
    })
}

impl Tx<'_> {
    /// Adds a remote; false when one of that name exists.
    pub fn add_remote(
        &self,
        name: &str,
        url: &str,
        key_env: &str,
        at: &str,
    ) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "INSERT INTO sync_remotes (name, url, key_env, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO NOTHING",
            params![name, url, key_env, at],
        )?;
        Ok(n > 0)
    }

    /// The remote called `name`.
    pub fn remote(&self, name: &str) -> Result<Option<RemoteRow>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {REMOTE_COLUMNS} FROM sync_remotes WHERE name = ?1"
            ))?
            .query_row([name], remote_row)
            .optional()?)
    }

    /// Every remote, by name.
    pub fn remotes(&self) -> Result<Vec<RemoteRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REMOTE_COLUMNS} FROM sync_remotes ORDER BY name"
        ))?;
        let rows = stmt.query_map([], remote_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Moves a remote's pull cursor and records the server's head.
    pub fn set_pull_cursor(&self, remote: &str, cursor: i64, head: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE sync_remotes SET pull_cursor = max(pull_cursor, ?2), server_head = ?3
                 WHERE name = ?1",
            )?
            .execute(params![remote, cursor, head])?;
        Ok(())
    }

    /// How many records the remote had at its last answer that this workspace lacks: those
    /// after the pull cursor, less those it acknowledged from this workspace's pushes.
    pub fn behind(&self, remote: &RemoteRow) -> Result<i64, StoreError> {
        let Some(head) = remote.server_head else {
            return Ok(0);
        };
        let ours: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM sync_known
                 WHERE remote = ?1 AND remote_seq > ?2 AND remote_seq <= ?3",
            )?
            .query_row(params![remote.name, remote.pull_cursor, head], |r| r.get(0))?;
        Ok((head - remote.pull_cursor - ours).max(0))
    }

    /// Moves the pull cursor to the server's head when every record up to it is already known
    /// here (what this workspace just pushed), so the next pull does not fetch them back.
    pub fn catch_up_pull_cursor(&self, remote: &str) -> Result<(), StoreError> {
        let Some(row) = self.remote(remote)? else {
            return Ok(());
        };
        if let Some(head) = row.server_head
            && head > row.pull_cursor
            && self.behind(&row)? == 0
        {
            self.set_pull_cursor(remote, head, head)?;
        }
        Ok(())
    }

    /// Records the server's head after a push.
    pub fn set_server_head(&self, remote: &str, head: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("UPDATE sync_remotes SET server_head = ?2 WHERE name = ?1")?
            .execute(params![remote, head])?;
        Ok(())
    }

    /// Moves the push watermark past every local entry the remote acknowledged or refused.
    pub fn advance_pushed_through(&self, remote: &str) -> Result<(), StoreError> {
        let from: i64 = self
            .conn
            .prepare_cached("SELECT pushed_through FROM sync_remotes WHERE name = ?1")?
            .query_row([remote], |r| r.get(0))?;
        let first_open: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT min(seq) FROM sync_log l WHERE seq > ?2
                   AND NOT EXISTS (SELECT 1 FROM sync_known k
                                   WHERE k.remote = ?1 AND k.record_id = l.record_id)
                   AND NOT EXISTS (SELECT 1 FROM sync_rejected j
                                   WHERE j.remote = ?1 AND j.record_id = l.record_id)",
            )?
            .query_row(params![remote, from], |r| r.get(0))?;
        let through = match first_open {
            Some(seq) => seq - 1,
            None => self.log_head()?,
        };
        self.conn
            .prepare_cached("UPDATE sync_remotes SET pushed_through = ?2 WHERE name = ?1")?
            .execute(params![remote, through.max(from)])?;
        Ok(())
    }

    /// Notes the outcome of a sync attempt: `error` is `None` on success.
    pub fn note_sync(&self, remote: &str, at: &str, error: Option<&str>) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "UPDATE sync_remotes SET last_attempt = ?2, last_error = ?3,
                    last_sync = CASE WHEN ?3 IS NULL THEN ?2 ELSE last_sync END
                 WHERE name = ?1",
            )?
            .execute(params![remote, at, error])?;
        Ok(())
    }

    /// The newest position of this store's record log (0 when empty).
    pub fn log_head(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT coalesce(max(seq), 0) FROM sync_log")?
            .query_row([], |r| r.get(0))?)
    }

    /// Up to `limit` log entries after position `after`, oldest first.
    pub fn log_after(&self, after: i64, limit: usize) -> Result<Vec<LogEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, record_id FROM sync_log WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], log_entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Where record `id` sits in this store's log, if the store holds it.
    pub fn log_position(&self, id: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT seq FROM sync_log WHERE record_id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// Up to `limit` local entries after `after` that `remote` has neither acknowledged nor
    /// refused, oldest first.
    pub fn unpushed(
        &self,
        remote: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<LogEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, kind, record_id FROM sync_log l WHERE seq > ?2
               AND NOT EXISTS (SELECT 1 FROM sync_known k
                               WHERE k.remote = ?1 AND k.record_id = l.record_id)
               AND NOT EXISTS (SELECT 1 FROM sync_rejected j
                               WHERE j.remote = ?1 AND j.record_id = l.record_id)
             ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![remote, after, limit as i64], log_entry)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many local records `remote` has neither acknowledged nor refused.
    pub fn unpushed_count(&self, remote: &str, after: i64) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM sync_log l WHERE seq > ?2
                   AND NOT EXISTS (SELECT 1 FROM sync_known k
                                   WHERE k.remote = ?1 AND k.record_id = l.record_id)
                   AND NOT EXISTS (SELECT 1 FROM sync_rejected j
                                   WHERE j.remote = ?1 AND j.record_id = l.record_id)",
            )?
            .query_row(params![remote, after], |r| r.get(0))?)
    }

    /// Records that `remote` holds record `id` at its position `seq`.
    pub fn mark_known(&self, remote: &str, id: &str, seq: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_known (remote, record_id, remote_seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT (remote, record_id) DO NOTHING",
            )?
            .execute(params![remote, id, seq])?;
        Ok(())
    }

    /// Whether any remote holds record `id`.
    pub fn known_to_a_remote(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM sync_known WHERE record_id = ?1 LIMIT 1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Records that `remote` refused record `id`, and why.
    pub fn mark_rejected(
        &self,
        remote: &str,
        id: &str,
        reason: &str,
        at: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO sync_rejected (remote, record_id, reason, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (remote, record_id) DO UPDATE SET reason = excluded.reason,
                    at = excluded.at",
            )?
            .execute(params![remote, id, reason, at])?;
        Ok(())
    }

    /// The records `remote` refused, oldest first.
    pub fn rejected(&self, remote: &str) -> Result<Vec<RejectedRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT j.record_id, coalesce(l.kind, ''), j.reason, j.at FROM sync_rejected j
             LEFT JOIN sync_log l ON l.record_id = j.record_id
             WHERE j.remote = ?1 ORDER BY l.seq",
        )?;
        let rows = stmt.query_map([remote], |r| {
            Ok(RejectedRow {
                record_id: r.get(0)?,
                kind: r.get(1)?,
                reason: r.get(2)?,
                at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The immutability triggers migration 11 dropped to fill in record ids (same text as the
/// migrations that first created them).
const IMMUTABILITY_TRIGGERS: &str = r#"
    CREATE TRIGGER deployments_no_update BEFORE UPDATE ON deployments
    BEGIN SELECT RAISE(ABORT, 'deployments are immutable'); END;
    CREATE TRIGGER comments_no_update BEFORE UPDATE ON comments
    BEGIN SELECT RAISE(ABORT, 'comments are immutable'); END;
    CREATE TRIGGER comment_resolutions_no_update BEFORE UPDATE ON comment_resolutions
    BEGIN SELECT RAISE(ABORT, 'comment resolutions are immutable'); END;
    CREATE TRIGGER dataset_versions_are_immutable BEFORE UPDATE ON dataset_versions
    BEGIN SELECT RAISE(ABORT, 'dataset versions are immutable'); END;
"#;

/// Every record insert lands in the log, in the order the store applies it; a record written
/// without an id fails on the log's NOT NULL. An eval run is logged once it has finished.
const LOG_TRIGGERS: &str = r#"
    CREATE UNIQUE INDEX reviews_by_record ON reviews (record_id);
    CREATE UNIQUE INDEX review_decisions_by_record ON review_decisions (record_id);
    CREATE UNIQUE INDEX comments_by_record ON comments (record_id);
    CREATE UNIQUE INDEX comment_resolutions_by_record ON comment_resolutions (record_id);
    CREATE UNIQUE INDEX deployments_by_record ON deployments (record_id);
    CREATE UNIQUE INDEX dataset_versions_by_record ON dataset_versions (record_id);

    CREATE TRIGGER sync_log_version AFTER INSERT ON versions
    BEGIN INSERT INTO sync_log (record_id, kind) VALUES (NEW.id, 'version'); END;
    CREATE TRIGGER sync_log_review AFTER INSERT ON reviews
    BEGIN INSERT INTO sync_log (record_id, kind) VALUES (NEW.record_id, 'review'); END;
    CREATE TRIGGER sync_log_decision AFTER INSERT ON review_decisions
    BEGIN INSERT INTO sync_log (record_id, kind) VALUES (NEW.record_id, 'decision'); END;
    CREATE TRIGGER sync_log_comment AFTER INSERT ON comments
    BEGIN INSERT INTO sync_log (record_id, kind) VALUES (NEW.record_id, 'comment'); END;
    CREATE TRIGGER sync_log_resolution AFTER INSERT ON comment_resolutions
    BEGIN INSERT INTO sync_log (record_id, kind) VALUES (NEW.record_id, 'resolution'); END;
    CREATE TRIGGER sync_log_deployment AFTER INSERT ON deployments
    BEGIN INSERT INTO sync_log (record_id, kind) VALUES (NEW.record_id, 'deployment'); END;
    CREATE TRIGGER sync_log_dataset_version AFTER INSERT ON dataset_versions
    BEGIN INSERT INTO sync_log (record_id, kind) VALUES (NEW.record_id, 'dataset_version'); END;
    CREATE TRIGGER sync_log_eval_run_insert AFTER INSERT ON eval_runs
    WHEN NEW.finished_at IS NOT NULL
    BEGIN INSERT OR IGNORE INTO sync_log (record_id, kind) VALUES (NEW.id, 'eval_run'); END;
    CREATE TRIGGER sync_log_eval_run_finish AFTER UPDATE OF finished_at ON eval_runs
    WHEN OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL
    BEGIN INSERT OR IGNORE INTO sync_log (record_id, kind) VALUES (NEW.id, 'eval_run'); END;

    CREATE TRIGGER sync_log_no_update BEFORE UPDATE ON sync_log
    BEGIN SELECT RAISE(ABORT, 'the sync log is append-only'); END;
    CREATE TRIGGER sync_log_no_delete BEFORE DELETE ON sync_log
    BEGIN SELECT RAISE(ABORT, 'the sync log is append-only'); END;
"#;

/// Migration 11's step: gives every existing record a UUIDv7 id (oldest first, so ids sort like
/// the rows), logs the existing records (each kind after the kinds it refers to), then restores
/// the immutability triggers and installs the log's.
pub(super) fn stamp_existing_records(conn: &Connection) -> Result<(), StoreError> {
    for table in [
        "reviews",
        "review_decisions",
        "comments",
        "comment_resolutions",
        "deployments",
        "dataset_versions",
    ] {
        let rowids: Vec<i64> = conn
            .prepare(&format!("SELECT rowid FROM {table} ORDER BY rowid"))?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut update = conn.prepare(&format!(
            "UPDATE {table} SET record_id = ?2 WHERE rowid = ?1"
        ))?;
        for rowid in rowids {
            update.execute(params![rowid, uuid::Uuid::now_v7().to_string()])?;
        }
    }
    conn.execute_batch(
        "INSERT INTO sync_log (record_id, kind) SELECT id, 'version' FROM versions ORDER BY rowid;
         INSERT INTO sync_log (record_id, kind)
            SELECT record_id, 'dataset_version' FROM dataset_versions ORDER BY rowid;
         INSERT INTO sync_log (record_id, kind) SELECT record_id, 'review' FROM reviews ORDER BY id;
         INSERT INTO sync_log (record_id, kind)
            SELECT record_id, 'decision' FROM review_decisions ORDER BY id;
         INSERT INTO sync_log (record_id, kind) SELECT record_id, 'comment' FROM comments ORDER BY id;
         INSERT INTO sync_log (record_id, kind)
            SELECT record_id, 'resolution' FROM comment_resolutions ORDER BY rowid;
         INSERT INTO sync_log (record_id, kind)
            SELECT record_id, 'deployment' FROM deployments ORDER BY id;
         INSERT INTO sync_log (record_id, kind)
            SELECT id, 'eval_run' FROM eval_runs WHERE finished_at IS NOT NULL
            ORDER BY started_at, id;",
    )?;
    conn.execute_batch(IMMUTABILITY_TRIGGERS)?;
    conn.execute_batch(LOG_TRIGGERS)?;
    Ok(())
}

#[cfg(test)]
mod tests;
