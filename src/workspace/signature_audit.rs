//! `audit verify`'s signature half: every key registration and revocation back to the trust
//! root, every signed decision and deployment, and — wherever an environment's policy required
//! signatures when the audit trail recorded a decision or deployment — that it is signed and
//! holds. The hash chain itself is `store::audit`'s.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

use crate::domain::policy::SignatureCheck;
use crate::store::{AuditEntry, DecisionRow, DeploymentRow, StoreError, Tx};

use super::keyring::{KeyRing, KeyStanding};
use super::signed_records::{checked_decisions, deployment_check};
use super::{Result, Workspace};

/// One signature that does not hold, or a record that should be signed and is not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureProblem {
    /// What is concerned: `key SHA256:… of bob`, `entry #12 (review.approve on p by grace)`.
    pub what: String,
    pub why: String,
    /// The audit entry concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
}

impl std::fmt::Display for SignatureProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.why)
    }
}

/// What the signature check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// The trust root's fingerprint, if one verifies.
    pub root: Option<String>,
    pub keys: usize,
    /// Signed decisions and deployments checked.
    pub signed: usize,
    pub problems: Vec<SignatureProblem>,
}

fn problem(what: impl Into<String>, why: impl Into<String>) -> SignatureProblem {
    SignatureProblem {
        what: what.into(),
        why: why.into(),
        seq: None,
    }
}

fn entry_label(e: &AuditEntry) -> String {
    format!(
        "entry #{} ({} on {} by {})",
        e.seq, e.action, e.target, e.actor
    )
}

impl Workspace {
    /// Checks every signature in the workspace (see the module's documentation). `root` pins
    /// the trust root's fingerprint, kept outside the file.
    pub fn verify_signatures(&self, root: Option<&str>) -> Result<SignatureReport> {
        let tx = self.store.read();
        let ring = KeyRing::load(&tx, root)?;
        let mut problems = Vec::new();
        if let Some(pinned) = root
            && ring.root().is_none_or(|k| k.row.fingerprint != pinned)
        {
            problems.push(problem(
                "the trust root",
                format!("{pinned} is not the first key an admin registered and signed themselves"),
            ));
        }
        for key in &ring.keys {
            if let KeyStanding::Untrusted(why) = &key.standing {
                problems.push(problem(
                    format!("key {} of {}", key.row.fingerprint, key.row.user),
                    format!("its registration does not verify: {why}"),
                ));
            }
        }
        for (rev, why) in &ring.bad_revocations {
            problems.push(problem(
                format!("the revocation of key {} of {}", rev.fingerprint, rev.user),
                why.clone(),
            ));
        }
        let decisions = all_decisions(&tx)?;
        let deployments = tx.deployments(None)?;
        let mut signed = 0;
        for d in &decisions {
            if d.signature.is_some() {
                signed += 1;
            }
            if let SignatureCheck::Bad(why) = &d.decision.check {
                problems.push(problem(
                    format!(
                        "the {} by {} on review {}",
                        d.decision.kind, d.decision.reviewer, d.review_id
                    ),
                    format!("bad signature: {why}"),
                ));
            }
        }
        for d in &deployments {
            if d.signature.is_none() {
                continue;
            }
            signed += 1;
            if let SignatureCheck::Bad(why) = deployment_check(&ring, d) {
                problems.push(problem(
                    format!(
                        "deployment {} ({} of v{} to {})",
                        d.id, d.prompt, d.version, d.env
                    ),
                    format!("bad signature: {why}"),
                ));
            }
        }
        problems.extend(required_but_unsigned(&tx, &ring, &decisions, &deployments)?);
        Ok(SignatureReport {
            root: ring.root().map(|k| k.row.fingerprint.clone()),
            keys: ring.keys.len(),
            signed,
            problems,
        })
    }
}

/// Every decision of every review, with its signature checked.
fn all_decisions(tx: &Tx<'_>) -> Result<Vec<DecisionRow>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for review in tx.reviews()? {
        if seen.insert((review.prompt.clone(), review.content_hash.clone())) {
            out.extend(checked_decisions(tx, &review.prompt, &review.content_hash)?);
        }
    }
    Ok(out)
}

/// Whether an environment's policy, as the audit trail recorded it, required signatures.
fn requires_signatures(policy: &Value) -> bool {
    policy
        .get("require_signatures")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// The decisions and deployments the audit trail recorded while their environment required
/// signatures, that are not signed by a trusted key of their person (or are gone).
fn required_but_unsigned(
    tx: &Tx<'_>,
    ring: &KeyRing,
    decisions: &[DecisionRow],
    deployments: &[DeploymentRow],
) -> Result<Vec<SignatureProblem>> {
    let mut required: BTreeMap<String, bool> = BTreeMap::new();
    let mut problems = Vec::new();
    // A decision's environment is its review's, whatever its entry claims.
    let review_envs: BTreeMap<i64, String> =
        tx.reviews()?.into_iter().map(|r| (r.id, r.env)).collect();
    tx.each_audit_entry::<StoreError>(|e| {
        let env = e.details.get("env").and_then(Value::as_str);
        match e.action.as_str() {
            "env.add" => {
                let on = e.details.get("policy").is_some_and(requires_signatures);
                required.insert(e.target.clone(), on);
            }
            "policy.set" => {
                let on = e.details.get("after").is_some_and(requires_signatures);
                required.insert(e.target.clone(), on);
            }
            action if action.starts_with("review.") && action != "review.request" => {
                let review = e.details.get("review").and_then(Value::as_i64);
                let env = review
                    .and_then(|id| review_envs.get(&id))
                    .map(String::as_str)
                    .or(env);
                let Some(env) = env.filter(|env| required.get(*env) == Some(&true)) else {
                    return Ok(());
                };
                let row = decisions.iter().find(|d| {
                    Some(d.review_id) == review
                        && d.decision.reviewer == e.actor
                        && d.decision.at == e.at
                });
                let why = match row.map(|d| &d.decision.check) {
                    // A missing row is the chain check's to name (a file migrated from before
                    // the table existed holds entries alone).
                    None => None,
                    Some(SignatureCheck::Verified) => None,
                    Some(SignatureCheck::Unsigned) => Some(format!(
                        "{env} required signatures and the decision is unsigned"
                    )),
                    // Named above already, with its reason.
                    Some(SignatureCheck::Bad(_)) => None,
                };
                if let Some(why) = why {
                    problems.push(SignatureProblem {
                        seq: Some(e.seq),
                        ..problem(entry_label(e), why)
                    });
                }
            }
            action if action.starts_with("deployment.") => {
                let Some(env) = env.filter(|env| required.get(*env) == Some(&true)) else {
                    return Ok(());
                };
                let id = e.details.get("deployment").and_then(Value::as_i64);
                let why = match deployments.iter().find(|d| Some(d.id) == id) {
                    None => None,
                    Some(d) => match deployment_check(ring, d) {
                        SignatureCheck::Unsigned => Some(format!(
                            "{env} required signatures and the deployment is unsigned"
                        )),
                        _ => None,
                    },
                };
                if let Some(why) = why {
                    problems.push(SignatureProblem {
                        seq: Some(e.seq),
                        ..problem(entry_label(e), why)
                    });
                }
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(problems)
}
