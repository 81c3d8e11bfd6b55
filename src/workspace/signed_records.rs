//! Signing decisions and deployments as they are recorded, and checking the signatures of
//! those stored, so that a policy that requires signatures counts only what verifies.

use crate::domain::policy::{DecisionKind, SignatureCheck};
use crate::domain::statement::{DecisionStatement, DeploymentStatement};
use crate::signer::{KeySource, Signed};
use crate::store::{DecisionRow, DeploymentRow, Tx};

use super::Result;
use super::keyring::{KeyRing, statement_workspace};
use super::user_keys::sign_as;

/// What is decided, as the signed statement names it.
pub(in crate::workspace) struct DecisionFacts<'a> {
    pub review_record: &'a str,
    pub reviewer: &'a str,
    pub prompt: &'a str,
    pub version: u32,
    pub content_hash: &'a str,
    pub env: &'a str,
    pub kind: DecisionKind,
    pub comment: &'a str,
    pub at: &'a str,
}

impl DecisionFacts<'_> {
    pub fn statement(&self, workspace: &str) -> String {
        DecisionStatement {
            workspace,
            review: self.review_record,
            reviewer: self.reviewer,
            prompt: self.prompt,
            version: self.version,
            content_hash: self.content_hash,
            env: self.env,
            decision: &self.kind.to_string(),
            comment: self.comment,
            at: self.at,
        }
        .text()
    }
}

/// The statement of `d` for a deployment record, in `workspace`.
pub(super) fn deployment_statement(d: &DeploymentRow, workspace: &str) -> String {
    DeploymentStatement {
        workspace,
        deployment: &d.record_id,
        actor: &d.actor,
        prompt: &d.prompt,
        version: d.version,
        content_hash: &d.content_hash,
        env: &d.env,
        kind: &d.kind,
        previous_version: d.previous_version,
        at: &d.at,
    }
    .text()
}

/// Signs a new decision as its reviewer (required when `required_by` names an environment whose
/// policy requires signatures); returns the statement and the signature, if signed.
pub(super) fn sign_decision(
    tx: &Tx<'_>,
    signer: &KeySource,
    facts: &DecisionFacts<'_>,
    required_by: Option<&str>,
) -> Result<Option<(String, Signed)>> {
    let statement = facts.statement(&tx.workspace_id()?);
    Ok(sign_as(tx, signer, facts.reviewer, &statement, required_by)?.map(|s| (statement, s)))
}

/// Signs a new deployment row as its actor, filling its statement and signature.
pub(super) fn sign_deployment(
    tx: &Tx<'_>,
    signer: &KeySource,
    d: &mut DeploymentRow,
    required_by: Option<&str>,
) -> Result<()> {
    let statement = deployment_statement(d, &tx.workspace_id()?);
    if let Some(signed) = sign_as(tx, signer, &d.actor, &statement, required_by)? {
        d.statement = Some(statement);
        d.signature = Some(signed.armored);
    }
    Ok(())
}

/// Every decision on `prompt` with content `hash`, oldest first, each with its signature
/// checked against the key ring.
pub(in crate::workspace) fn checked_decisions(
    tx: &Tx<'_>,
    prompt: &str,
    hash: &str,
) -> Result<Vec<DecisionRow>> {
    let mut rows = tx.decisions(prompt, hash)?;
    if rows.iter().all(|r| r.signature.is_none()) {
        return Ok(rows);
    }
    let ring = KeyRing::load(tx, None)?;
    for row in &mut rows {
        let Some(review) = tx.review(row.review_id)? else {
            continue;
        };
        let stored = row.statement.as_deref();
        let facts = DecisionFacts {
            review_record: &row.review_record,
            reviewer: &row.decision.reviewer,
            prompt,
            version: review.version,
            content_hash: &row.decision.content_hash,
            env: &review.env,
            kind: row.decision.kind,
            comment: &row.comment,
            at: &row.decision.at,
        };
        let expected = facts.statement(stored.map(statement_workspace).unwrap_or(""));
        let check = ring.check(
            &expected,
            stored,
            row.signature.as_deref(),
            &row.decision.reviewer,
        );
        row.key = row
            .signature
            .as_deref()
            .and_then(|s| crate::domain::sshsig::signer_fingerprint(s).ok());
        row.verified = check.is_verified();
        row.decision.check = check;
    }
    Ok(rows)
}

/// Whether a stored deployment's signature holds.
pub(in crate::workspace) fn deployment_check(ring: &KeyRing, d: &DeploymentRow) -> SignatureCheck {
    let stored = d.statement.as_deref();
    let expected = deployment_statement(d, stored.map(statement_workspace).unwrap_or(""));
    ring.check(&expected, stored, d.signature.as_deref(), &d.actor)
}
