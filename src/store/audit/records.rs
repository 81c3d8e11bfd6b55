//! Cross-checking the records against the log: every version's text still hashes to its
//! content hash and has its `version.commit` entry; every prompt its creating entry; every
//! decision and deployment row matches its entry (a changed or inserted row has none); every
//! checkpoint its `audit.checkpoint` entry; and no version or checkpoint entry is left without
//! its record.

use rusqlite::params;

use super::ledger::{
    Ledger, decision_identity, decision_key, deployment_identity, deployment_key, version_identity,
    version_key,
};
use super::{BreakKind, ChainBreak, CheckpointRow};
use crate::domain::PromptContent;
use crate::store::{StoreError, Tx};

type Found = Result<Option<ChainBreak>, StoreError>;

fn brk(kind: BreakKind, seq: i64, message: String) -> Option<ChainBreak> {
    Some(ChainBreak::new(kind, seq, message))
}

impl Tx<'_> {
    /// The first record the log does not account for, in this order: versions, prompts,
    /// decisions, deployments, checkpoints, then entries whose record is gone.
    pub(super) fn check_records(
        &self,
        ledger: &mut Ledger,
        checkpoints: &[CheckpointRow],
    ) -> Found {
        for check in [
            Self::check_versions,
            Self::check_prompts,
            Self::check_decisions,
            Self::check_deployments,
        ] {
            if let Some(problem) = check(self, ledger)? {
                return Ok(Some(problem));
            }
        }
        for c in checkpoints {
            match ledger.checkpoints.remove(&c.id) {
                Some(e) if e.seq == c.seq && e.hash == c.hash => {}
                Some(e) => {
                    return Ok(brk(
                        BreakKind::RecordChanged,
                        e.mark.0,
                        format!(
                            "checkpoint #{} (seq {}) does not match its entry {}: it was changed",
                            c.id, c.seq, e.mark.1
                        ),
                    ));
                }
                None => {
                    return Ok(brk(
                        BreakKind::Unrecorded,
                        0,
                        format!(
                            "checkpoint #{} (seq {}) has no audit.checkpoint entry: it was \
                             added without galley",
                            c.id, c.seq
                        ),
                    ));
                }
            }
        }
        if let Some(e) = ledger.checkpoints.values().min_by_key(|e| e.mark.0) {
            return Ok(brk(
                BreakKind::RecordMissing,
                e.mark.0,
                format!("entry {} records a checkpoint that is gone", e.mark.1),
            ));
        }
        // Versions only: the versions table has been there since the first schema, while files
        // migrated from before decisions and deployments existed may hold their entries alone.
        if let Some((seq, label)) = ledger.versions.first_left() {
            return Ok(brk(
                BreakKind::RecordMissing,
                *seq,
                format!("entry {label} records a version the workspace no longer holds"),
            ));
        }
        Ok(None)
    }

    fn check_versions(&self, ledger: &mut Ledger) -> Found {
        let mut stmt = self.conn.prepare(
            "SELECT p.name, v.number, v.content, v.content_hash
             FROM versions v JOIN prompts p ON p.id = v.prompt_id ORDER BY p.name, v.number",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (name, number, text, hash): (String, i64, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let what = format!("version {number} of {name}");
            let entry = ledger.versions.take(&version_key(&name, &hash));
            let named = entry.clone().or_else(|| {
                ledger
                    .versions
                    .for_identity(&version_identity(&name, number))
                    .cloned()
            });
            let rehashed = serde_json::from_str::<PromptContent>(&text).map(|c| c.content_hash());
            if rehashed.as_deref().ok() != Some(hash.as_str()) {
                let (seq, label) = named.unwrap_or((0, "(none)".into()));
                return Ok(brk(
                    BreakKind::RecordChanged,
                    seq,
                    format!(
                        "{what} was changed: its text no longer hashes to its content hash \
                         {hash} (entry {label})"
                    ),
                ));
            }
            if entry.is_none() {
                let why = match named {
                    Some((seq, label)) => {
                        return Ok(brk(
                            BreakKind::RecordChanged,
                            seq,
                            format!(
                                "{what} does not match its entry {label}: its content hash was \
                                 changed"
                            ),
                        ));
                    }
                    None => "it was added without galley, or the log was truncated",
                };
                return Ok(brk(
                    BreakKind::Unrecorded,
                    0,
                    format!("{what} has no version.commit entry in the audit log: {why}"),
                ));
            }
        }
        Ok(None)
    }

    fn check_prompts(&self, ledger: &mut Ledger) -> Found {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM prompts ORDER BY name")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let name: String = r.get(0)?;
            if !ledger.created.contains(&name) {
                return Ok(brk(
                    BreakKind::Unrecorded,
                    0,
                    format!(
                        "prompt {name} has no prompt.create entry in the audit log: it was added \
                         without galley, or the log was truncated"
                    ),
                ));
            }
        }
        Ok(None)
    }

    fn check_decisions(&self, ledger: &mut Ledger) -> Found {
        let mut stmt = self.conn.prepare(
            "SELECT id, review_id, reviewer, kind, content_hash, comment
             FROM review_decisions ORDER BY id",
        )?;
        let mut rows = stmt.query(params![])?;
        while let Some(r) = rows.next()? {
            let (id, review, reviewer, kind, hash, comment): (
                i64,
                i64,
                String,
                String,
                String,
                String,
            ) = (
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            );
            if ledger
                .decisions
                .take(&decision_key(review, &reviewer, &kind, &hash, &comment))
                .is_some()
            {
                continue;
            }
            let what = format!("decision #{id} on review {review} ({kind} by {reviewer})");
            return Ok(
                match ledger
                    .decisions
                    .for_identity(&decision_identity(review, &reviewer))
                {
                    Some((seq, label)) => brk(
                        BreakKind::RecordChanged,
                        *seq,
                        format!("{what} does not match its entry {label}: the row was changed"),
                    ),
                    None => brk(
                        BreakKind::Unrecorded,
                        0,
                        format!(
                            "{what} has no review.{kind} entry in the audit log: it was added without galley"
                        ),
                    ),
                },
            );
        }
        Ok(None)
    }

    fn check_deployments(&self, ledger: &mut Ledger) -> Found {
        let mut stmt = self.conn.prepare(
            "SELECT id, prompt, env, version, content_hash, actor, kind FROM deployments ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (id, prompt, env, version, hash, actor, kind): (
                i64,
                String,
                String,
                i64,
                String,
                String,
                String,
            ) = (
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            );
            if ledger
                .deployments
                .take(&deployment_key(&prompt, &env, &hash, &actor, &kind))
                .is_some()
            {
                continue;
            }
            let what = format!("deployment #{id} ({prompt} v{version} to {env} by {actor})");
            return Ok(
                match ledger.deployments.for_identity(&deployment_identity(id)) {
                    Some((seq, label)) => brk(
                        BreakKind::RecordChanged,
                        *seq,
                        format!("{what} does not match its entry {label}: the row was changed"),
                    ),
                    None => brk(
                        BreakKind::Unrecorded,
                        0,
                        format!(
                            "{what} has no deployment.{kind} entry in the audit log: it was added without galley"
                        ),
                    ),
                },
            );
        }
        Ok(None)
    }

    /// How many prompts and versions the workspace holds.
    pub(super) fn record_counts(&self) -> Result<(i64, i64), StoreError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT COUNT(*) FROM prompts), (SELECT COUNT(*) FROM versions)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }
}
