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

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{StoreError, Tx};

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
    fn label(&self) -> String {
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
}

impl ChainBreak {
    fn new(kind: BreakKind, seq: i64, message: String) -> Self {
        Self { kind, seq, message }
    }
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The sha256 (64 hex digits) of an entry's canonical serialisation, ignoring its stored `hash`.
///
/// The serialisation is the compact JSON array
/// `[seq, id, actor, at, action, target, details, prev_hash]`: no whitespace, strings escaped as
/// serde_json escapes them, and `details` in [`canonical_json`] form. A JSON array has exactly
/// one reading, so no two different entries serialise to the same bytes.
pub fn chain_hash(entry: &AuditEntry) -> String {
    Sha256::digest(serialise(entry).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The bytes [`chain_hash`] hashes.
fn serialise(entry: &AuditEntry) -> String {
    let mut text = String::with_capacity(256);
    text.push('[');
    text.push_str(&entry.seq.to_string());
    for field in [
        &entry.id,
        &entry.actor,
        &entry.at,
        &entry.action,
        &entry.target,
    ] {
        text.push(',');
        push_string(&mut text, field);
    }
    text.push(',');
    write_canonical(&mut text, &entry.details);
    text.push(',');
    push_string(&mut text, &entry.prev_hash);
    text.push(']');
    text
}

/// `value` as compact JSON with every object's keys sorted (by their UTF-8 bytes), whatever
/// order the map holds them in.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(&mut out, value);
    out
}

fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_string(out, key);
                out.push(':');
                write_canonical(out, &map[key]);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        // null, booleans, numbers and strings have one compact form.
        scalar => out.push_str(&scalar.to_string()),
    }
}

fn push_string(out: &mut String, s: &str) {
    out.push_str(&Value::from(s).to_string());
}

/// An entry as stored, and whether its details were readable JSON (unreadable details are kept
/// as a JSON string so they still show).
fn entry_from_row(r: &Row<'_>) -> rusqlite::Result<(AuditEntry, bool)> {
    let text: String = r.get(6)?;
    let (details, readable) = match serde_json::from_str(&text) {
        Ok(value) => (value, true),
        Err(_) => (Value::String(text), false),
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
        readable,
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
    pub fn verify_audit_chain(&self) -> Result<ChainReport, StoreError> {
        // Outside a write, a read transaction pins the snapshot for the several queries below.
        let own = self.conn.is_autocommit();
        if own {
            self.conn.execute_batch("BEGIN DEFERRED")?;
        }
        let report = self.verify_in_snapshot();
        if own {
            // Nothing was written: ending the read transaction either way is the same.
            self.conn.execute_batch("ROLLBACK")?;
        }
        report
    }

    fn verify_in_snapshot(&self) -> Result<ChainReport, StoreError> {
        let max_seq: i64 =
            self.conn
                .query_row("SELECT COALESCE(MAX(seq), 0) FROM audit_log", [], |r| {
                    r.get(0)
                })?;
        let mut verifier = ChainVerifier::new(max_seq);
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (entry, readable) = entry_from_row(row)?;
            verifier.push(&entry, readable);
        }
        let head: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM workspace_meta WHERE key = ?1",
                [HEAD_KEY],
                |r| r.get(0),
            )
            .optional()?;
        Ok(verifier.finish(head.as_deref()))
    }

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

/// Checks entries one at a time, oldest first, remembering only the previous one; keeps the
/// first break and counts the rest.
struct ChainVerifier {
    /// The highest `seq` in the log: where to look for an entry's original place.
    max_seq: i64,
    /// The last entry checked: its `seq`, `hash` and label.
    prev: Option<(i64, String, String)>,
    entries: u64,
    problem: Option<ChainBreak>,
}

impl ChainVerifier {
    fn new(max_seq: i64) -> Self {
        Self {
            max_seq,
            prev: None,
            entries: 0,
            problem: None,
        }
    }

    fn push(&mut self, entry: &AuditEntry, readable: bool) {
        self.entries += 1;
        if self.problem.is_none()
            && let Err(problem) = self.check(entry, readable)
        {
            self.problem = Some(problem);
        }
        self.prev = Some((entry.seq, entry.hash.clone(), entry.label()));
    }

    fn check(&self, entry: &AuditEntry, readable: bool) -> Result<(), ChainBreak> {
        let label = entry.label();
        let changed = |seq, why: &str, label: &str| {
            ChainBreak::new(
                BreakKind::Changed,
                seq,
                format!("entry {label} was changed: {why}"),
            )
        };
        if !readable {
            return Err(changed(entry.seq, "its details are not valid JSON", &label));
        }
        if chain_hash(entry) != entry.hash {
            if let Some(original) = self.original_seq(entry) {
                let (a, b) = (entry.seq.min(original), entry.seq.max(original));
                return Err(ChainBreak::new(
                    BreakKind::OutOfOrder,
                    a,
                    format!("entries #{a} and #{b} are out of order"),
                ));
            }
            return Err(changed(
                entry.seq,
                "its hash does not match its content",
                &label,
            ));
        }
        let (expected_seq, expected_prev) = match &self.prev {
            Some((seq, hash, _)) => (seq + 1, hash.as_str()),
            None => (1, GENESIS_HASH),
        };
        if entry.seq > expected_seq {
            let why = match &self.prev {
                Some((seq, hash, _)) if entry.prev_hash != *hash => {
                    format!("#{}'s prev_hash does not match #{seq}'s hash", entry.seq)
                }
                Some((seq, _, _)) => format!("the numbering jumps from #{seq} to #{}", entry.seq),
                None => format!("the log starts at #{}", entry.seq),
            };
            return Err(missing(expected_seq, entry.seq - 1, &why));
        }
        if entry.seq < expected_seq {
            return Err(changed(entry.seq, "its number is out of sequence", &label));
        }
        if entry.prev_hash != expected_prev {
            return Err(match &self.prev {
                Some((seq, _, prev_label)) => changed(
                    *seq,
                    &format!("#{}'s prev_hash does not match its hash", entry.seq),
                    prev_label,
                ),
                None => changed(
                    entry.seq,
                    "its prev_hash is not the start of the chain",
                    &label,
                ),
            });
        }
        Ok(())
    }

    /// The other place in the log where `entry`'s hash does hold, if any: it was moved there.
    fn original_seq(&self, entry: &AuditEntry) -> Option<i64> {
        let mut moved = entry.clone();
        (1..=self.max_seq).filter(|&s| s != entry.seq).find(|&s| {
            moved.seq = s;
            chain_hash(&moved) == entry.hash
        })
    }

    fn finish(self, head: Option<&str>) -> ChainReport {
        let (last_seq, last_hash, last_label) =
            self.prev
                .unwrap_or((0, GENESIS_HASH.to_string(), String::new()));
        let problem = self.problem.or_else(|| {
            let recorded = match head {
                None if self.entries == 0 => return None,
                None => {
                    return Some(ChainBreak::new(
                        BreakKind::Unanchored,
                        last_seq,
                        "the audit log's head is not recorded in workspace_meta, so removal of \
                         its newest entries cannot be ruled out"
                            .into(),
                    ));
                }
                Some(text) => match serde_json::from_str::<ChainHead>(text) {
                    Ok(recorded) => recorded,
                    Err(_) => {
                        return Some(ChainBreak::new(
                            BreakKind::Unanchored,
                            last_seq,
                            "the audit log's recorded head in workspace_meta is unreadable".into(),
                        ));
                    }
                },
            };
            if recorded.count > last_seq {
                let why = if self.entries == 0 {
                    format!(
                        "the log is empty but its recorded head is #{}",
                        recorded.count
                    )
                } else {
                    format!(
                        "the log ends at #{last_seq} but its recorded head is #{}",
                        recorded.count
                    )
                };
                Some(missing(last_seq + 1, recorded.count, &why))
            } else if recorded.count < last_seq {
                let first = recorded.count + 1;
                Some(ChainBreak::new(
                    BreakKind::Added,
                    first,
                    format!(
                        "entry #{first} was added without galley: the recorded head is #{}",
                        recorded.count
                    ),
                ))
            } else if recorded.hash != last_hash {
                Some(ChainBreak::new(
                    BreakKind::Changed,
                    last_seq,
                    format!(
                        "entry {last_label} was changed: its hash does not match the recorded head"
                    ),
                ))
            } else {
                None
            }
        });
        ChainReport {
            entries: self.entries,
            head: last_hash,
            problem,
        }
    }
}

fn missing(first: i64, last: i64, why: &str) -> ChainBreak {
    let what = if first == last {
        format!("entry #{first} is missing")
    } else {
        format!("entries #{first} to #{last} are missing")
    };
    ChainBreak::new(BreakKind::Missing, first, format!("{what}: {why}"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::Store;

    fn entry(seq: i64, prev_hash: &str) -> AuditEntry {
        let mut e = AuditEntry {
            seq,
            id: format!("id-{seq}"),
            actor: "ada".into(),
            at: format!("2025-01-01T00:00:{:02}Z", seq % 60),
            action: "version.commit".into(),
            target: "support/triage".into(),
            details: json!({"version": seq, "message": "fix"}),
            prev_hash: prev_hash.into(),
            hash: String::new(),
        };
        e.hash = chain_hash(&e);
        e
    }

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for seq in 1..=n {
            let prev = out
                .last()
                .map_or(GENESIS_HASH.to_string(), |e| e.hash.clone());
            out.push(entry(seq, &prev));
        }
        out
    }

    fn head_of(entries: &[AuditEntry]) -> String {
        let last = entries.last().unwrap();
        serde_json::to_string(&ChainHead {
            count: last.seq,
            hash: last.hash.clone(),
        })
        .unwrap()
    }

    /// The first break `verify` finds in `entries` against `head`, as its message.
    fn verify(entries: &[AuditEntry], head: Option<&str>) -> Option<String> {
        let max = entries.iter().map(|e| e.seq).max().unwrap_or(0);
        let mut v = ChainVerifier::new(max);
        let mut sorted = entries.to_vec();
        sorted.sort_by_key(|e| e.seq);
        for e in &sorted {
            v.push(e, true);
        }
        let report = v.finish(head);
        assert_eq!(report.entries, entries.len() as u64);
        report.problem.map(|p| p.message)
    }

    #[test]
    fn the_hash_is_stable() {
        // Pins the serialisation: archives verified today must verify with any later galley.
        let e = entry(1, GENESIS_HASH);
        assert_eq!(
            serialise(&e),
            format!(
                r#"[1,"id-1","ada","2025-01-01T00:00:01Z","version.commit","support/triage",{{"message":"fix","version":1}},"{GENESIS_HASH}"]"#
            )
        );
        assert_eq!(
            e.hash,
            "f069cd176923fe596fee3ee96e9d7f04bad0f50ba8c1fced63d77af12f676611"
        );
        assert_eq!(chain_hash(&e), chain_hash(&e.clone()));
    }

    #[test]
    fn the_hash_covers_every_field() {
        let base = entry(3, GENESIS_HASH);
        let edits: Vec<fn(&mut AuditEntry)> = vec![
            |e| e.seq = 4,
            |e| e.id.push('x'),
            |e| e.actor = "bob".into(),
            |e| e.at = "2025-01-01T00:00:04Z".into(),
            |e| e.action = "version.commt".into(),
            |e| e.target = "support/triag".into(),
            |e| e.details["message"] = json!("fix "),
            |e| e.details["version"] = json!(3.0),
            |e| e.details = json!({"message": "fix", "version": 3, "x": null}),
            |e| e.prev_hash = "1".repeat(64),
            // Moving a character from one field to the next must not give the same bytes.
            |e| {
                e.actor = "ad".into();
                e.at = format!("a{}", e.at);
            },
        ];
        for (i, edit) in edits.into_iter().enumerate() {
            let mut changed = base.clone();
            edit(&mut changed);
            assert_ne!(chain_hash(&changed), base.hash, "edit {i} went unnoticed");
        }
        // The stored hash itself is not part of what is hashed.
        let mut other = base.clone();
        other.hash = "whatever".into();
        assert_eq!(chain_hash(&other), base.hash);
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let mut a = serde_json::Map::new();
        a.insert("z".into(), json!([{"b": 1, "a": "é\n"}]));
        a.insert("a".into(), json!(null));
        let value = Value::Object(a);
        assert_eq!(
            canonical_json(&value),
            r#"{"a":null,"z":[{"a":"é\n","b":1}]}"#
        );
        let reparsed: Value = serde_json::from_str(&canonical_json(&value)).unwrap();
        assert_eq!(canonical_json(&reparsed), canonical_json(&value));
        let mut e = entry(1, GENESIS_HASH);
        let before = e.hash.clone();
        e.details = json!({"message": "fix", "version": 1});
        assert_eq!(chain_hash(&e), before, "key order does not matter");
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify(&[], None), None);
        let log = chain(5);
        assert_eq!(verify(&log, Some(&head_of(&log))), None);
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let log = chain(6);
        let head = head_of(&log);

        let mut changed = log.clone();
        changed[2].details["message"] = json!("nothing to see");
        assert_eq!(
            verify(&changed, Some(&head)).unwrap(),
            "entry #3 (version.commit on support/triage by ada) was changed: its hash does not match its content"
        );

        let mut rehashed = log.clone();
        rehashed[2].actor = "mallory".into();
        rehashed[2].hash = chain_hash(&rehashed[2]);
        assert_eq!(
            verify(&rehashed, Some(&head)).unwrap(),
            "entry #3 (version.commit on support/triage by mallory) was changed: #4's prev_hash does not match its hash"
        );

        let mut removed = log.clone();
        removed.remove(2);
        assert_eq!(
            verify(&removed, Some(&head)).unwrap(),
            "entry #3 is missing: #4's prev_hash does not match #2's hash"
        );
        let mut two_removed = log.clone();
        two_removed.drain(1..3);
        assert_eq!(
            verify(&two_removed, Some(&head)).unwrap(),
            "entries #2 to #3 are missing: #4's prev_hash does not match #1's hash"
        );
        assert_eq!(
            verify(&log[1..], Some(&head)).unwrap(),
            "entry #1 is missing: the log starts at #2"
        );

        let mut swapped = log.clone();
        swapped[1].seq = 5;
        swapped[4].seq = 2;
        assert_eq!(
            verify(&swapped, Some(&head)).unwrap(),
            "entries #2 and #5 are out of order"
        );

        assert_eq!(
            verify(&log[..5], Some(&head)).unwrap(),
            "entry #6 is missing: the log ends at #5 but its recorded head is #6"
        );
        assert_eq!(
            verify(&[], Some(&head)).unwrap(),
            "entries #1 to #6 are missing: the log is empty but its recorded head is #6"
        );
        assert_eq!(
            verify(&log, Some(&head_of(&log[..4]))).unwrap(),
            "entry #5 was added without galley: the recorded head is #4"
        );
        let mut last_rehashed = log.clone();
        last_rehashed[5].details = json!({});
        last_rehashed[5].hash = chain_hash(&last_rehashed[5]);
        assert_eq!(
            verify(&last_rehashed, Some(&head)).unwrap(),
            "entry #6 (version.commit on support/triage by ada) was changed: its hash does not match the recorded head"
        );
        assert!(verify(&log, None).unwrap().contains("not recorded"));
        assert!(verify(&log, Some("{")).unwrap().contains("unreadable"));

        let mut first = log.clone();
        first[0].prev_hash = "1".repeat(64);
        first[0].hash = chain_hash(&first[0]);
        assert_eq!(
            verify(&first, Some(&head)).unwrap(),
            "entry #1 (version.commit on support/triage by ada) was changed: its prev_hash is not the start of the chain"
        );
    }

    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ws.db")).unwrap();
        (dir, store)
    }

    fn append(store: &mut Store, action: &str, details: Value) {
        store
            .write(|tx| tx.append_audit("ada", &crate::workspace::now(), action, "p", &details))
            .unwrap();
    }

    #[test]
    fn appends_are_chained_and_the_head_recorded() {
        let (_dir, mut store) = temp_store();
        let empty = store.read().verify_audit_chain().unwrap();
        assert_eq!((empty.entries, empty.head.as_str()), (0, GENESIS_HASH));
        assert_eq!(empty.problem, None);
        for i in 0..3 {
            append(
                &mut store,
                "x.y",
                json!({"i": i, "b": [1, {"z": 1, "a": 2}]}),
            );
        }
        let all = store.read().audit_entries(&AuditQuery::default()).unwrap();
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert_eq!(all[0].prev_hash, GENESIS_HASH);
        for pair in all.windows(2) {
            assert_eq!(pair[1].prev_hash, pair[0].hash);
        }
        for e in &all {
            assert_eq!(chain_hash(e), e.hash);
        }
        let report = store.read().verify_audit_chain().unwrap();
        assert_eq!(report.problem, None);
        assert_eq!(
            (report.entries, report.head.as_str()),
            (3, all[2].hash.as_str())
        );
        // Inside a write transaction too.
        let inside = store.write(|tx| tx.verify_audit_chain()).unwrap();
        assert_eq!(inside, report);
        // Details are stored in canonical form.
        let text: String = store
            .conn
            .query_row("SELECT details FROM audit_log WHERE seq = 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(text, r#"{"b":[1,{"a":2,"z":1}],"i":0}"#);
        let limited = store
            .read()
            .audit_entries(&AuditQuery {
                limit: Some(2),
                target: Some("p"),
                since: None,
            })
            .unwrap();
        assert_eq!(limited.iter().map(|e| e.seq).collect::<Vec<_>>(), [2, 3]);
    }

    #[test]
    fn migrating_an_older_file_hashes_its_entries_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let conn = Connection::open(&path).unwrap();
            for sql in &super::super::migrations::MIGRATIONS[..3] {
                conn.execute_batch(sql).unwrap();
            }
            for i in 1..=3 {
                conn.execute(
                    "INSERT INTO audit_log (id, actor, at, action, target, details)
                     VALUES (?1, 'ada', '2024-05-01T10:00:00Z', 'prompt.create', 'p', ?2)",
                    params![format!("id{i}"), json!({"n": i, "a": "x"}).to_string()],
                )
                .unwrap();
            }
            conn.pragma_update(None, "user_version", 3).unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        let all = store.read().audit_entries(&AuditQuery::default()).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].prev_hash, GENESIS_HASH);
        assert_eq!(all[1].prev_hash, all[0].hash);
        assert_eq!(all[2].prev_hash, all[1].hash);
        assert_eq!(all[1].hash, chain_hash(&all[1]));
        let report = store.read().verify_audit_chain().unwrap();
        assert_eq!(report.problem, None, "{report:?}");
        assert_eq!(report.entries, 3);
        // The log is append-only again, and new entries continue the chain.
        let err = store.read().tamper_with_audit().unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
        append(&mut store, "x.y", json!({}));
        let report = store.read().verify_audit_chain().unwrap();
        assert_eq!((report.entries, report.problem), (4, None));
    }

    #[test]
    fn filters_by_time() {
        let (_dir, mut store) = temp_store();
        for at in [
            "2024-01-01T00:00:00Z",
            "2024-01-02T00:00:00.5Z",
            "2024-01-03T00:00:00.123Z",
        ] {
            store
                .write(|tx| tx.append_audit("ada", at, "x.y", "p", &json!({})))
                .unwrap();
        }
        let since = |t: &str| {
            store
                .read()
                .audit_entries(&AuditQuery {
                    since: Some(t.parse().unwrap()),
                    ..AuditQuery::default()
                })
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect::<Vec<_>>()
        };
        assert_eq!(since("2023-12-31T00:00:00Z"), [1, 2, 3]);
        assert_eq!(since("2024-01-02T00:00:00.5Z"), [2, 3]);
        assert_eq!(since("2024-01-02T00:00:00.501Z"), [3]);
        assert_eq!(since("2024-01-03T00:00:00.123Z"), [3]);
        assert!(since("2024-01-03T00:00:00.124Z").is_empty());
    }
}
