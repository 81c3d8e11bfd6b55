//! The audit log: an append-only, hash-chained record of every change to shared state.
//!
//! Each entry carries the hash of the entry before it (`prev_hash`; 64 zeros for the first) and
//! its own `hash`: the sha256 of a canonical serialisation of its fields and `prev_hash` (see
//! [`chain_hash`]). Changing an entry breaks its own hash; removing or reordering entries breaks
//! the links between them; SQLite triggers refuse UPDATE and DELETE on the table outright.
//!
//! Removing the newest entries leaves a chain that is still whole, so the chain's head (its
//! length and last hash) is also written to `workspace_meta` on every append, in the same
//! transaction, and [`Tx::verify_audit_chain`] compares the log against it.
//!
//! What this does not catch: someone with write access to the file who rewrites entries,
//! recomputes every later hash *and* rewrites the recorded head to match. The chain shows the log
//! is consistent with itself, not that nobody with the file in hand rebuilt it; keeping the head
//! somewhere else (an exported archive, a server) is what closes that gap, and it is out of scope
//! here.

mod chain;
mod checkpoints;
mod ledger;
mod records;
mod verify;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{StoreError, Tx};

pub use chain::{canonical_json, chain_hash};
pub use checkpoints::{CheckpointRow, NewCheckpoint};
#[cfg(test)]
use verify::ChainVerifier;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The `workspace_meta` key holding the chain's head, as JSON [`ChainHead`].
const HEAD_KEY: &str = "audit_head";

const COLUMNS: &str = "seq, id, actor, at, action, target, details, prev_hash, hash";

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: String,
    pub actor: String,
    pub at: String,
    pub action: String,
    pub target: String,
    pub details: Value,
    /// The previous entry's `hash` ([`GENESIS_HASH`] for the first entry).
    pub prev_hash: String,
    /// [`chain_hash`] of this entry, as stored.
    pub hash: String,
}

impl AuditEntry {
    /// `#12 (version.commit on support/triage by ada)`.
    pub(super) fn label(&self) -> String {
        format!(
            "#{} ({} on {} by {})",
            self.seq, self.action, self.target, self.actor
        )
    }
}

/// The chain's head as recorded in `workspace_meta`: how many entries the log holds (which is
/// also the newest entry's `seq`: numbers start at 1 and are never reused) and the newest hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    pub count: i64,
    pub hash: String,
}

/// Which entries [`Tx::audit_entries`] returns.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditQuery<'a> {
    /// Only entries about this target.
    pub target: Option<&'a str>,
    /// Only entries at or after this time.
    pub since: Option<jiff::Timestamp>,
    /// Only the newest this many (all when `None`).
    pub limit: Option<usize>,
}

/// What [`Tx::verify_audit_chain`] found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChainReport {
    /// How many entries the log holds.
    pub entries: u64,
    /// The newest entry's hash ([`GENESIS_HASH`] for an empty log).
    pub head: String,
    /// The first break in the chain, if any.
    pub problem: Option<ChainBreak>,
    /// The newest entry's `seq` (0 for an empty log): with `head`, the `SEQ:HASH` to keep
    /// outside the file and pass back to `audit verify --head`.
    pub head_seq: i64,
    /// How many checkpoints the chain was checked against.
    pub checkpoints: u64,
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    pub kind: BreakKind,
    /// The first entry concerned.
    pub seq: i64,
    /// One line naming the entry and what is wrong with it.
    pub message: String,
}

/// How the chain was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// An entry's content differs from what was hashed.
    Changed,
    /// Entries are gone from the middle, the start or the end.
    Missing,
    /// Entries have swapped places.
    OutOfOrder,
    /// Entries follow the recorded head: they were written without galley.
    Added,
    /// The recorded head is absent or unreadable.
    Unanchored,
    /// The chain no longer extends a head kept outside the file, or a checkpoint.
    Rewritten,
    /// A record (version, prompt, decision, deployment, checkpoint) has no audit entry.
    Unrecorded,
    /// A record differs from its audit entry, or a version's text from its content hash.
    RecordChanged,
    /// An audit entry records something the workspace no longer holds.
    RecordMissing,
    /// A signature does not hold (a key's registration, a decision, a deployment, a
    /// checkpoint), or a record that had to be signed is not.
    Signature,
}

impl ChainBreak {
    pub fn new(kind: BreakKind, seq: i64, message: String) -> Self {
        Self { kind, seq, message }
    }
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How an entry's stored details text relates to what was hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DetailsForm {
    /// The text is the canonical JSON the hash covers.
    Canonical,
    /// Valid JSON, but not in canonical form (duplicate keys, another key order, spaces): the
    /// bytes stored are not the bytes hashed.
    NotCanonical,
    /// Not JSON at all (kept as a JSON string so it still shows).
    Unreadable,
}

/// An entry as stored, and the form of its details.
fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<(AuditEntry, DetailsForm)> {
    let text: String = r.get(6)?;
    let (details, form) = match serde_json::from_str::<Value>(&text) {
        Ok(value) if canonical_json(&value) == text => (value, DetailsForm::Canonical),
        Ok(value) => (value, DetailsForm::NotCanonical),
        Err(_) => (Value::String(text), DetailsForm::Unreadable),
    };
    Ok((
        AuditEntry {
            seq: r.get(0)?,
            id: r.get(1)?,
            actor: r.get(2)?,
            at: r.get(3)?,
            action: r.get(4)?,
            target: r.get(5)?,
            details,
            prev_hash: r.get(7)?,
            hash: r.get(8)?,
        },
        form,
    ))
}

impl Tx<'_> {
    /// Appends an entry chained to the newest one, and records the new head (the database
    /// refuses to change or remove an entry). Call it inside [`super::Store::write`]: the
    /// immediate transaction keeps the chain linear when several processes write.
    pub fn append_audit(
        &self,
        actor: &str,
        at: &str,
        action: &str,
        target: &str,
        details: &Value,
    ) -> Result<(), StoreError> {
        let (seq, prev_hash) = self.next_link()?;
        let mut entry = AuditEntry {
            seq,
            id: uuid::Uuid::now_v7().to_string(),
            actor: actor.to_string(),
            at: at.to_string(),
            action: action.to_string(),
            target: target.to_string(),
            details: details.clone(),
            prev_hash,
            hash: String::new(),
        };
        entry.hash = chain_hash(&entry);
        self.conn
            .prepare_cached(
                "INSERT INTO audit_log (seq, id, actor, at, action, target, details, prev_hash, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                entry.seq,
                entry.id,
                entry.actor,
                entry.at,
                entry.action,
                entry.target,
                canonical_json(&entry.details),
                entry.prev_hash,
                entry.hash,
            ])?;
        set_head(
            self.conn,
            &ChainHead {
                count: entry.seq,
                hash: entry.hash,
            },
        )
    }

    /// The next entry's number and `prev_hash`. The number continues AUTOINCREMENT's counter
    /// (so a number is never reused, even after the newest entries were removed behind galley's
    /// back) and the link is to the newest entry present.
    fn next_link(&self) -> Result<(i64, String), StoreError> {
        let last: Option<(i64, String)> = self
            .conn
            .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let counter: i64 = self
            .conn
            .prepare_cached(
                "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0)",
            )?
            .query_row([], |r| r.get(0))?;
        Ok(match last {
            Some((seq, hash)) => (counter.max(seq) + 1, hash),
            None => (counter + 1, GENESIS_HASH.to_string()),
        })
    }

    /// The newest entries matching `query`, oldest first.
    pub fn audit_entries(&self, query: &AuditQuery<'_>) -> Result<Vec<AuditEntry>, StoreError> {
        // SQLite reads `Z`-suffixed RFC 3339 times; 'subsec' keeps the milliseconds, and both
        // sides are whole milliseconds divided by 1000, so equal times compare equal.
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM (
                SELECT * FROM audit_log
                WHERE (?1 IS NULL OR target = ?1)
                  AND (?2 IS NULL OR unixepoch(at, 'subsec') >= ?2)
                ORDER BY seq DESC LIMIT ?3
             ) ORDER BY seq"
        ))?;
        let since = query.since.map(|t| t.as_millisecond() as f64 / 1000.0);
        let limit = query.limit.map_or(-1, |n| n.min(i64::MAX as usize) as i64);
        let rows = stmt.query_map(params![query.target, since, limit], |r| {
            entry_from_row(r).map(|(entry, _)| entry)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Calls `f` with every entry, oldest first, without holding the log in memory; returns how
    /// many there were.
    pub fn each_audit_entry<E: From<StoreError>>(
        &self,
        mut f: impl FnMut(&AuditEntry) -> Result<(), E>,
    ) -> Result<u64, E> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"))
            .map_err(StoreError::from)?;
        let mut rows = stmt.query([]).map_err(StoreError::from)?;
        let mut count = 0;
        while let Some(row) = rows.next().map_err(StoreError::from)? {
            let (entry, _) = entry_from_row(row).map_err(StoreError::from)?;
            f(&entry)?;
            count += 1;
        }
        Ok(count)
    }

    /// Recomputes the whole chain and compares it with the recorded head, in one snapshot of the
    /// file (so a concurrent append cannot look like tampering). Reports the first break.
    /// Tries to rewrite an entry; exists so tests can show the database refuses it.
    #[cfg(test)]
    pub fn tamper_with_audit(&self) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .execute("UPDATE audit_log SET actor = 'mallory'", [])?)
    }
}

fn set_head(conn: &Connection, head: &ChainHead) -> Result<(), StoreError> {
    let value = serde_json::to_string(head).expect("a chain head serialises");
    conn.prepare_cached(
        "INSERT INTO workspace_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![HEAD_KEY, value])?;
    Ok(())
}

/// Migration step: hashes the entries of a file from before the chain, oldest first, and records
/// the head. Runs inside the migration's transaction, while the append-only triggers are dropped.
pub(super) fn chain_existing_entries(conn: &Connection) -> Result<(), StoreError> {
    const BATCH: i64 = 1000;
    let mut select = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    ))?;
    let mut update =
        conn.prepare("UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3")?;
    let mut head = ChainHead {
        count: 0,
        hash: GENESIS_HASH.to_string(),
    };
    loop {
        let batch = select
            .query_map(params![head.count, BATCH], |r| {
                entry_from_row(r).map(|(entry, _)| entry)
            })?
            .collect::<Result<Vec<_>, _>>()?;
        if batch.is_empty() {
            break;
        }
        for mut entry in batch {
            entry.prev_hash = std::mem::take(&mut head.hash);
            entry.hash = chain_hash(&entry);
            update.execute(params![entry.prev_hash, entry.hash, entry.seq])?;
            head = ChainHead {
                count: entry.seq,
                hash: entry.hash,
            };
        }
    }
    set_head(conn, &head)
}

#[cfg(test)]
mod tests;
