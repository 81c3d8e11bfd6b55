//! The server's signature checks on pushed records: a signed decision or deployment must hold
//! against the server's own key ring (its trust root, its registrations and revocations); where
//! the environment's policy requires signatures, an unsigned one is refused; a pushed key
//! registration or revocation must be vouched for by a key the server trusts.

use crate::domain::policy::SignatureCheck;
use crate::store::{DeploymentRow, ReviewRow, Tx};
use crate::sync::records::{DecisionRecord, DeploymentRecord, KeyRevocationRecord, UserKeyRecord};

use super::super::Result;
use super::super::keyring::{KeyRing, statement_workspace};
use super::super::signed_records::{DecisionFacts, deployment_check};
use super::apply::{key_revocation_row, user_key_row};

/// `Err(reason)` when the record's signature refuses it.
type Verdict = std::result::Result<(), String>;

fn judged(check: SignatureCheck, required_by: Option<&str>, what: &str) -> Verdict {
    match check {
        SignatureCheck::Verified => Ok(()),
        SignatureCheck::Bad(why) => Err(format!("its signature does not hold: {why}")),
        SignatureCheck::Unsigned => match required_by {
            Some(env) => Err(format!(
                "the server's {env} policy requires signatures and the {what} is not signed"
            )),
            None => Ok(()),
        },
    }
}

fn requires_signatures(tx: &Tx<'_>, env: &str) -> Result<bool> {
    Ok(tx.policy(env)?.is_some_and(|p| p.require_signatures))
}

/// A pushed decision on `review`.
pub(super) fn decision(tx: &Tx<'_>, review: &ReviewRow, r: &DecisionRecord) -> Result<Verdict> {
    let ring = KeyRing::load(tx, None)?;
    let facts = DecisionFacts {
        review_record: &r.review,
        reviewer: &r.reviewer,
        prompt: &r.prompt,
        version: review.version,
        content_hash: &r.content_hash,
        env: &review.env,
        kind: r.decision,
        comment: &r.comment,
        at: &r.at,
    };
    let stored = r.statement.as_deref();
    let expected = facts.statement(stored.map(statement_workspace).unwrap_or(""));
    let check = ring.check(&expected, stored, r.signature.as_deref(), &r.reviewer);
    let required = requires_signatures(tx, &review.env)?.then_some(review.env.as_str());
    Ok(judged(check, required, "decision"))
}

/// A pushed deployment.
pub(super) fn deployment(tx: &Tx<'_>, r: &DeploymentRecord) -> Result<Verdict> {
    let ring = KeyRing::load(tx, None)?;
    let row = DeploymentRow {
        id: 0,
        prompt: r.prompt.clone(),
        env: r.env.clone(),
        version: r.version,
        content_hash: r.content_hash.clone(),
        actor: r.actor.clone(),
        at: r.at.clone(),
        kind: r.deploy_kind.clone(),
        previous_version: r.previous_version,
        record_id: r.id.clone(),
        statement: r.statement.clone(),
        signature: r.signature.clone(),
    };
    let required = requires_signatures(tx, &r.env)?.then_some(r.env.as_str());
    Ok(judged(
        deployment_check(&ring, &row),
        required,
        "deployment",
    ))
}

/// A pushed key registration: new here, for a user of the server, vouched for by a trusted
/// admin key of the server's (or, on a server without keys, the trust root itself).
pub(super) fn key_registration(tx: &Tx<'_>, r: &UserKeyRecord) -> Result<Verdict> {
    if tx.user_count()? > 0 && tx.user(&r.user)?.is_none() {
        return Ok(Err(format!(
            "{} is not a user of the server's workspace",
            r.user
        )));
    }
    if let Some(other) = tx
        .user_keys()?
        .into_iter()
        .find(|k| k.fingerprint == r.fingerprint)
    {
        return Ok(Err(format!(
            "key {} is already registered to {} on the server",
            r.fingerprint, other.user
        )));
    }
    Ok(KeyRing::judge_received_registration(tx, &user_key_row(r))?
        .map_err(|why| format!("the registration does not verify on the server: {why}")))
}

/// A pushed key revocation, signed by a trusted admin key of the server's.
pub(super) fn key_revocation(tx: &Tx<'_>, r: &KeyRevocationRecord) -> Result<Verdict> {
    Ok(
        KeyRing::judge_received_revocation(tx, &key_revocation_row(r))?
            .map_err(|why| format!("the revocation does not verify on the server: {why}")),
    )
}
