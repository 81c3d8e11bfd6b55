//! The audit trail: reading it, verifying its hash chain, exporting it for archives.
//!
//! Every use case appends its entry through [`crate::store::Tx::append_audit`] in the
//! transaction that makes the change; this module only reads. What the chain does and does not
//! prove is described in the store's `audit` module.

use crate::domain::PromptName;
use crate::store::{AuditQuery, StoreError};

use super::{Result, Workspace, WorkspaceError};

pub use crate::store::{AuditEntry, BreakKind, ChainBreak, ChainReport};

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
        Ok(self.store.read().verify_audit_chain()?)
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
