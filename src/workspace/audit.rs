//! The audit trail: reading it, verifying its hash chain, exporting it for archives.
//!
//! Every use case appends its entry through [`crate::store::Tx::append_audit`] in the
//! transaction that makes the change; this module only reads. What the chain does and does not
//! prove is described in the store's `audit` module.

use serde_json::json;

use crate::domain::PromptName;
use crate::domain::checkpoint::{HeadRef, checkpoint_statement};
use crate::store::{AuditQuery, NewCheckpoint, StoreError};

use super::{Result, Workspace, WorkspaceError, now};

pub use crate::store::{AuditEntry, BreakKind, ChainBreak, ChainReport, CheckpointRow};

/// Which entries [`Workspace::audit_log`] returns.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only entries about this prompt (which must exist).
    pub prompt: Option<PromptName>,
    /// Only entries about this target: a prompt, dataset or provider name, unchecked.
    pub target: Option<String>,
    /// Only entries at or after this time.
    pub since: Option<jiff::Timestamp>,
    /// Only the newest this many; all when `None`.
    pub limit: Option<usize>,
}

/// A failure inside [`Workspace::export_audit`]: the store's, or the caller's own.
enum ExportFailure<E> {
    Store(StoreError),
    Caller(E),
}

impl<E> From<StoreError> for ExportFailure<E> {
    fn from(err: StoreError) -> Self {
        Self::Store(err)
    }
}

impl Workspace {
    /// The newest `limit` audit entries (about `target` when given), oldest first.
    pub fn audit(&self, target: Option<&str>, limit: usize) -> Result<Vec<AuditEntry>> {
        self.audit_log(&AuditFilter {
            target: target.map(str::to_string),
            limit: Some(limit),
            ..AuditFilter::default()
        })
    }

    /// The newest entries matching `filter`, oldest first.
    pub fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let tx = self.store.read();
        if let Some(name) = &filter.prompt {
            self.prompt_row(&tx, name)?;
        }
        let target = filter
            .prompt
            .as_ref()
            .map(PromptName::as_str)
            .or(filter.target.as_deref());
        Ok(tx.audit_entries(&AuditQuery {
            target,
            since: filter.since,
            limit: filter.limit,
        })?)
    }

    /// Recomputes the whole hash chain; the report names the first entry that was changed,
    /// removed or reordered, if any. A broken chain is a finding, not an error: `Err` means the
    /// file could not be read.
    pub fn verify_audit(&self) -> Result<ChainReport> {
        self.verify_audit_against(None)
    }

    /// [`Workspace::verify_audit`], also checking that the chain extends `head`, a head kept
    /// outside the file (the log must still have entry `head.seq` with `head.hash`), and that
    /// every checkpoint's signature holds.
    pub fn verify_audit_against(&self, head: Option<&HeadRef>) -> Result<ChainReport> {
        let tx = self.store.read();
        let mut report = tx.verify_audit_chain(head.map(|h| (h.seq, h.hash.as_str())))?;
        if report.problem.is_none() {
            let workspace_id = tx.workspace_id()?;
            report.problem = check_checkpoint_signatures(&workspace_id, &tx.checkpoints()?);
        }
        Ok(report)
    }

    /// The chain's current head, to keep outside the file for `audit verify --head`.
    pub fn audit_head(&self) -> Result<HeadRef> {
        let report = self.verify_audit()?;
        Ok(HeadRef {
            seq: report.head_seq,
            hash: report.head,
        })
    }

    /// Every checkpoint, oldest first.
    pub fn audit_checkpoints(&self) -> Result<Vec<CheckpointRow>> {
        Ok(self.store.read().checkpoints()?)
    }

    /// Records a checkpoint of the chain's current head (admins only), with its statement and
    /// its own audit entry. Refused, with nothing written, when the chain does not verify: a
    /// checkpoint must not pin a tampered history. Unsigned for now.
    pub fn checkpoint_audit(&mut self) -> Result<CheckpointRow> {
        let actor = self.user.clone();
        let account = self.account.clone();
        let id = self.store.write(|tx| {
            let at = now();
            super::people::require_admin(
                tx,
                &actor,
                account.as_deref(),
                &at,
                "take audit checkpoints",
            )?;
            let report = tx.verify_audit_chain(None)?;
            if let Some(problem) = report.problem {
                return Err(WorkspaceError::Refused(format!(
                    "refusing to checkpoint a chain that does not verify: {problem}"
                )));
            }
            if report.entries == 0 {
                return Err(WorkspaceError::Refused(
                    "the audit log is empty: there is no head to checkpoint".into(),
                ));
            }
            let statement =
                checkpoint_statement(&tx.workspace_id()?, report.head_seq, &report.head, &at);
            let id = tx.insert_checkpoint(&NewCheckpoint {
                seq: report.head_seq,
                hash: &report.head,
                actor: &actor,
                at: &at,
                statement: Some(&statement),
                signature: None,
                key: None,
            })?;
            tx.append_audit(
                &actor,
                &at,
                "audit.checkpoint",
                &format!("checkpoint/{id}"),
                &json!({"checkpoint": id, "seq": report.head_seq, "hash": report.head}),
            )?;
            Ok(id)
        })?;
        self.audit_checkpoints()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| StoreError::Corrupt(format!("checkpoint #{id} vanished")).into())
    }

    /// Calls `f` with every entry, oldest first, every field included (both hashes), without
    /// holding the log in memory; returns how many entries there were.
    pub fn export_audit<E: From<WorkspaceError>>(
        &self,
        mut f: impl FnMut(&AuditEntry) -> Result<(), E>,
    ) -> Result<u64, E> {
        self.store
            .read()
            .each_audit_entry(|entry| f(entry).map_err(ExportFailure::Caller))
            .map_err(|failure| match failure {
                ExportFailure::Store(err) => E::from(WorkspaceError::from(err)),
                ExportFailure::Caller(err) => err,
            })
    }
}

/// The hook where checkpoint signatures will be checked: each checkpoint's `signature` over its
/// `statement` (rebuilt with [`checkpoint_statement`] from `workspace_id` and the checkpoint's
/// fields), by a registered, unrevoked admin key. Signing does not exist yet, so every
/// checkpoint is unsigned and there is nothing to check: this names no problem.
pub fn check_checkpoint_signatures(
    workspace_id: &str,
    checkpoints: &[CheckpointRow],
) -> Option<ChainBreak> {
    let _ = (workspace_id, checkpoints);
    None
}
