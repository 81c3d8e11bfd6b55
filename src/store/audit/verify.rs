//! Verifying the chain: one pass over the log, oldest first, naming the first break.

use rusqlite::OptionalExtension;

use super::ledger::Ledger;
use super::{
    AuditEntry, BreakKind, COLUMNS, ChainBreak, ChainHead, ChainReport, CheckpointRow, DetailsForm,
    GENESIS_HASH, HEAD_KEY, chain_hash, entry_from_row,
};
use crate::store::{StoreError, Tx};

impl Tx<'_> {
    /// Recomputes the whole chain and compares it with the recorded head, with `external_head`
    /// (`(seq, hash)` kept outside the file) when given, and with every checkpoint; then checks
    /// that the log accounts for every record. All in one snapshot of the file (so a concurrent
    /// append cannot look like tampering). Reports the first problem.
    pub fn verify_audit_chain(
        &self,
        external_head: Option<(i64, &str)>,
    ) -> Result<ChainReport, StoreError> {
        // Outside a write, a read transaction pins the snapshot for the several queries below.
        let own = self.conn.is_autocommit();
        if own {
            self.conn.execute_batch("BEGIN DEFERRED")?;
        }
        let report = self.verify_in_snapshot(external_head);
        if own {
            // Nothing was written: ending the read transaction either way is the same.
            self.conn.execute_batch("ROLLBACK")?;
        }
        report
    }

    fn verify_in_snapshot(
        &self,
        external_head: Option<(i64, &str)>,
    ) -> Result<ChainReport, StoreError> {
        let max_seq: i64 =
            self.conn
                .query_row("SELECT COALESCE(MAX(seq), 0) FROM audit_log", [], |r| {
                    r.get(0)
                })?;
        let checkpoints = self.checkpoints()?;
        let mut ledger = Ledger::new(
            checkpoints
                .iter()
                .map(|c| c.seq)
                .chain(external_head.map(|(seq, _)| seq)),
        );
        let mut verifier = ChainVerifier::new(max_seq);
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (entry, form) = entry_from_row(row)?;
            verifier.push(&entry, form);
            ledger.push(&entry);
        }
        let head: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM workspace_meta WHERE key = ?1",
                [HEAD_KEY],
                |r| r.get(0),
            )
            .optional()?;
        let mut report = verifier.finish(head.as_deref());
        report.checkpoints = checkpoints.len() as u64;
        if report.problem.is_none() && report.entries == 0 {
            let (prompts, versions) = self.record_counts()?;
            if prompts + versions > 0 {
                report.problem = Some(ChainBreak::new(
                    BreakKind::Missing,
                    1,
                    format!(
                        "the audit log is empty but the workspace holds {prompts} prompts and \
                         {versions} versions: its entries were removed"
                    ),
                ));
            }
        }
        if report.problem.is_none() {
            report.problem = external_head
                .and_then(|(seq, hash)| extends_external_head(&ledger, &report, seq, hash))
                .or_else(|| extends_checkpoints(&ledger, &checkpoints));
        }
        if report.problem.is_none() {
            report.problem = self.check_records(&mut ledger, &checkpoints)?;
        }
        Ok(report)
    }
}

/// Whether the log still has entry `seq` with `hash`, kept outside the file.
fn extends_external_head(
    ledger: &Ledger,
    report: &ChainReport,
    seq: i64,
    hash: &str,
) -> Option<ChainBreak> {
    match ledger.hashes.get(&seq) {
        Some(found) if found == hash => None,
        Some(found) => Some(ChainBreak::new(
            BreakKind::Rewritten,
            seq,
            format!(
                "the chain does not extend the head {seq}:{hash}: entry #{seq}'s hash is now \
                 {found}, so the history up to #{seq} was rewritten"
            ),
        )),
        None => Some(ChainBreak::new(
            BreakKind::Rewritten,
            seq,
            format!(
                "the chain does not extend the head {seq}:{hash}: the log ends at #{} and has no \
                 entry #{seq}, so entries were removed",
                report.head_seq
            ),
        )),
    }
}

/// The first checkpoint whose pinned entry no longer has the pinned hash.
fn extends_checkpoints(ledger: &Ledger, checkpoints: &[CheckpointRow]) -> Option<ChainBreak> {
    checkpoints.iter().find_map(|c| {
        let why = match ledger.hashes.get(&c.seq) {
            Some(found) if *found == c.hash => return None,
            Some(found) => format!("entry #{}'s hash is now {found}, not {}", c.seq, c.hash),
            None => format!("entry #{} is gone", c.seq),
        };
        Some(ChainBreak::new(
            BreakKind::Rewritten,
            c.seq,
            format!(
                "history before checkpoint #{} (seq {}) was rewritten: {why}",
                c.id, c.seq
            ),
        ))
    })
}

/// Checks entries one at a time, oldest first, remembering only the previous one; keeps the
/// first break and counts the rest.
pub(super) struct ChainVerifier {
    /// The highest `seq` in the log: where to look for an entry's original place.
    max_seq: i64,
    /// The last entry checked: its `seq`, `hash` and label.
    prev: Option<(i64, String, String)>,
    entries: u64,
    problem: Option<ChainBreak>,
}

impl ChainVerifier {
    pub(super) fn new(max_seq: i64) -> Self {
        Self {
            max_seq,
            prev: None,
            entries: 0,
            problem: None,
        }
    }

    pub(super) fn push(&mut self, entry: &AuditEntry, form: DetailsForm) {
        self.entries += 1;
        if self.problem.is_none()
            && let Err(problem) = self.check(entry, form)
        {
            self.problem = Some(problem);
        }
        self.prev = Some((entry.seq, entry.hash.clone(), entry.label()));
    }

    fn check(&self, entry: &AuditEntry, form: DetailsForm) -> Result<(), ChainBreak> {
        let label = entry.label();
        let changed = |seq, why: &str, label: &str| {
            ChainBreak::new(
                BreakKind::Changed,
                seq,
                format!("entry {label} was changed: {why}"),
            )
        };
        if form == DetailsForm::Unreadable {
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
        if form == DetailsForm::NotCanonical {
            return Err(changed(
                entry.seq,
                "its stored details are not the canonical JSON that was hashed (duplicate keys, \
                 another key order or added spaces)",
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

    pub(super) fn finish(self, head: Option<&str>) -> ChainReport {
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
            head_seq: last_seq,
            checkpoints: 0,
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
