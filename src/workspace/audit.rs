//! The audit trail: reading it, verifying its hash chain, exporting it for archives.
//!
//! Every use case appends its entry through [`crate::store::Tx::append_audit`] in the
//! transaction that makes the change; this module only reads. What the chain does and does not
//! prove is described in the store's `audit` module.

use serde_json::json;

use crate::domain::PromptName;
use crate::domain::checkpoint::{HeadRef, checkpoint_statement};
use crate::domain::policy::SignatureCheck;
use crate::signer::KeySource;
use crate::store::{AuditQuery, NewCheckpoint, StoreError, Tx};

use super::keyring::{KeyRing, statement_workspace};
use super::user_keys::sign_as;
use super::{Result, SignatureReport, Workspace, WorkspaceError, now};

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
    /// outside the file (the log must still have entry `head.seq` with `head.hash`), and every
    /// signature in the trail (see [`Workspace::verify_audit_with`]).
    pub fn verify_audit_against(&self, head: Option<&HeadRef>) -> Result<ChainReport> {
        Ok(self.verify_audit_with(head, None)?.0)
    }

    /// The whole check: the chain (against `head` when given), every checkpoint's signature,
    /// and every signature of keys, decisions and deployments back to the trust root (`root`
    /// pins its fingerprint). The report's problem is the first that fails.
    pub fn verify_audit_with(
        &self,
        head: Option<&HeadRef>,
        root: Option<&str>,
    ) -> Result<(ChainReport, SignatureReport)> {
        let mut report = {
            let tx = self.store.read();
            let mut report = tx.verify_audit_chain(head.map(|h| (h.seq, h.hash.as_str())))?;
            if report.problem.is_none() {
                let ring = KeyRing::load(&tx, root)?;
                report.problem = check_checkpoint_signatures(&ring, &tx.checkpoints()?);
            }
            report
        };
        let signatures = self.verify_signatures(root)?;
        if report.problem.is_none()
            && let Some(first) = signatures.problems.first()
        {
            report.problem = Some(ChainBreak::new(
                BreakKind::Signature,
                first.seq.unwrap_or(0),
                first.to_string(),
            ));
        }
        Ok((report, signatures))
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

    /// Records a checkpoint of the chain's current head (admins only), signed with the acting
    /// admin's registered key, with its statement and its own audit entry. Refused, with
    /// nothing written, when the chain does not verify (a checkpoint must not pin a tampered
    /// history) or nothing can be signed.
    pub fn checkpoint_audit(&mut self) -> Result<CheckpointRow> {
        let actor = self.user.clone();
        let account = self.account.clone();
        self.signer.unlock()?;
        let signer = &self.signer;
        let id = self.store.write(|tx| {
            let at = now();
            super::people::require_admin(
                tx,
                &actor,
                account.as_deref(),
                &at,
                "take audit checkpoints",
            )?;
            record_checkpoint(tx, signer, &actor, &at, true)
        })?;
        self.checkpoint(id)
    }

    /// After a deployment to a protected environment (the workbench and the CLI call it): a
    /// checkpoint signed by the deployer, when they have a key at hand (otherwise nothing; a
    /// failure here never undoes the deployment).
    pub fn checkpoint_after_deployment(&mut self, env: &str) {
        let protected = self
            .store
            .read()
            .policy(env)
            .ok()
            .flatten()
            .is_some_and(|p| !p.is_open());
        if !protected || !self.signer.is_configured() {
            return;
        }
        let actor = self.user.clone();
        let signer = &self.signer;
        let _ = self
            .store
            .write(|tx| record_checkpoint(tx, signer, &actor, &now(), false));
    }

    fn checkpoint(&self, id: i64) -> Result<CheckpointRow> {
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

/// Records a checkpoint of the verified head, signed by `actor` (a refusal when `required` and
/// nothing can be signed; otherwise nothing is written without a signature).
fn record_checkpoint(
    tx: &Tx<'_>,
    signer: &KeySource,
    actor: &str,
    at: &str,
    required: bool,
) -> Result<i64> {
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
    let statement = checkpoint_statement(&tx.workspace_id()?, report.head_seq, &report.head, at);
    let required_by = required.then_some("an audit checkpoint");
    let Some(signed) = sign_as(tx, signer, actor, &statement, required_by)? else {
        return Err(WorkspaceError::Refused(format!(
            "{actor} has no key at hand to sign a checkpoint"
        )));
    };
    let id = tx.insert_checkpoint(&NewCheckpoint {
        seq: report.head_seq,
        hash: &report.head,
        actor,
        at,
        statement: Some(&statement),
        signature: Some(&signed.armored),
        key: Some(&signed.fingerprint),
    })?;
    tx.append_audit(
        actor,
        at,
        "audit.checkpoint",
        &format!("checkpoint/{id}"),
        &json!({"checkpoint": id, "seq": report.head_seq, "hash": report.head,
                "signed_with": signed.fingerprint}),
    )?;
    Ok(id)
}

/// Each signed checkpoint's `signature` must hold over its statement (rebuilt from the
/// workspace it names and the checkpoint's fields), by a trusted key of its actor. An unsigned
/// checkpoint (taken before signing existed) still pins its head.
pub fn check_checkpoint_signatures(
    ring: &KeyRing,
    checkpoints: &[CheckpointRow],
) -> Option<ChainBreak> {
    checkpoints.iter().find_map(|c| {
        let stored = c.statement.as_deref();
        let workspace = stored.map(statement_workspace).unwrap_or("");
        let expected = checkpoint_statement(workspace, c.seq, &c.hash, &c.at);
        match ring.check(&expected, stored, c.signature.as_deref(), &c.actor) {
            SignatureCheck::Bad(why) => Some(ChainBreak::new(
                BreakKind::Signature,
                c.seq,
                format!(
                    "checkpoint #{} (seq {}) by {}: bad signature: {why}",
                    c.id, c.seq, c.actor
                ),
            )),
            _ => None,
        }
    })
}
