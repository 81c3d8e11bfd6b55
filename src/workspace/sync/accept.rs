//! The server's side: which pushed records it accepts (it is the authority on order, on the
//! approval policy and on who may decide), and the pages of its log clients pull.
//!
//! A push is read record by record: one the server cannot read (an id that is not a UUIDv7,
//! an unknown kind, missing fields) or a re-send that differs from what is stored is refused
//! alone. A forgery (see `forgery.rs`) refuses the whole batch before anything is written.

use serde_json::Value;

use crate::domain::people::Role;
use crate::domain::policy::{Decision, Policy, evaluate};
use crate::domain::{PromptContent, PromptName};
use crate::store::{LocalTable, ReviewRow, Tx};
use crate::sync::records::{DecisionRecord, DeploymentRecord, Record, VersionRecord};
use crate::sync::wire::{
    MAX_BATCH, PullReply, PulledRecord, PushReply, RecordResult, RecordStatus,
};

use super::super::deploy::rollback_target_of;
use super::super::reviews::refusals;
use super::super::signed_records::checked_decisions;
use super::super::{Result, Workspace};
use super::forgery::{PushError, refuse_forgeries};
use super::{accept_signed, apply};

/// Why a pushed record is not stored.
enum Refusal {
    /// Not yet: pull first, or push what it needs first.
    Conflict(String),
    /// Never, by the server's rules.
    Rejected(String),
}

type Check = std::result::Result<(), Refusal>;

fn result(
    id: String,
    status: RecordStatus,
    seq: Option<i64>,
    reason: Option<String>,
) -> RecordResult {
    RecordResult {
        id,
        status,
        seq,
        reason,
    }
}

impl Workspace {
    /// Applies a batch of pushed records as the server, acting as the key's principal (this
    /// workspace's user), pushed with the key whose public id is `pushed_with` (named in each
    /// audit entry): each is stored, recognised as already held, put off, or refused with its
    /// reason. One transaction for the batch; the answer lists every record in order. A forged
    /// record refuses the whole batch ([`PushError::Forged`]) before anything is written.
    pub fn accept_push(
        &mut self,
        records: Vec<Value>,
        pushed_with: &str,
    ) -> std::result::Result<PushReply, PushError> {
        let principal = self.user.clone();
        let batch: Vec<_> = records
            .into_iter()
            .take(MAX_BATCH)
            .map(Record::from_wire)
            .collect();
        self.store.write(|tx| {
            refuse_forgeries(tx, &batch, &principal)?;
            let mut results = Vec::with_capacity(batch.len());
            for item in &batch {
                let record = match item {
                    Ok(record) => record,
                    Err(unreadable) => {
                        results.push(result(
                            unreadable.id.clone(),
                            RecordStatus::Rejected,
                            None,
                            Some(unreadable.reason.clone()),
                        ));
                        continue;
                    }
                };
                let id = record.id().to_string();
                if let Some(seq) = tx.log_position(&id)? {
                    results.push(resent(tx, record, seq)?);
                    continue;
                }
                let (status, reason) = match check(tx, record, &principal)? {
                    Ok(()) => {
                        apply::store(tx, record, Some(pushed_with))?;
                        (RecordStatus::Accepted, None)
                    }
                    Err(Refusal::Conflict(why)) => (RecordStatus::Conflict, Some(why)),
                    Err(Refusal::Rejected(why)) => (RecordStatus::Rejected, Some(why)),
                };
                let seq = match status {
                    RecordStatus::Accepted => tx.log_position(&id)?,
                    _ => None,
                };
                results.push(result(id, status, seq, reason));
            }
            Ok(PushReply {
                results,
                head: tx.log_head()?,
            })
        })
    }

    /// Up to `limit` records of this workspace's log after position `after`, in order.
    pub fn pull_page(&self, after: i64, limit: usize) -> Result<PullReply> {
        let tx = self.store.read();
        let limit = limit.clamp(1, MAX_BATCH);
        let mut records = Vec::new();
        for entry in tx.log_after(after, limit)? {
            if let Some(record) = tx.load_record(&entry.kind, &entry.record_id)? {
                records.push(PulledRecord {
                    seq: entry.seq,
                    record,
                });
            }
        }
        Ok(PullReply {
            records,
            head: tx.log_head()?,
        })
    }
}

/// A record sent again: a duplicate when it says what the stored one says, refused otherwise
/// (a record never changes once made).
fn resent(tx: &Tx<'_>, record: &Record, seq: i64) -> Result<RecordResult> {
    let id = record.id().to_string();
    let stored = tx.load_record(record.kind(), &id)?;
    Ok(match stored {
        Some(stored) if stored.same_content(record) => {
            result(id, RecordStatus::Duplicate, Some(seq), None)
        }
        _ => result(
            id,
            RecordStatus::Rejected,
            None,
            Some(format!(
                "{}: the server already holds a record with this id and other content \
                 (a record never changes once made)",
                record.describe()
            )),
        ),
    })
}

fn conflict(msg: String) -> Check {
    Err(Refusal::Conflict(msg))
}

fn rejected(msg: String) -> Check {
    Err(Refusal::Rejected(msg))
}

/// Whether `record` may be stored here, pushed by `principal`.
fn check(tx: &Tx<'_>, record: &Record, principal: &str) -> Result<Check> {
    Ok(match record {
        Record::Version(r) => check_version(tx, r)?,
        Record::Review(r) => match env_exists(tx, &r.env)? {
            Ok(()) => version_held(tx, &r.prompt, r.version, &r.content_hash)?,
            refusal => refusal,
        },
        Record::Decision(r) => {
            let review = match tx.local_id(LocalTable::Reviews, &r.review)? {
                Some(id) => tx.review(id)?,
                None => None,
            };
            let Some(review) = review else {
                return Ok(conflict(
                    "its review is not on the server yet: push it first".into(),
                ));
            };
            if review.content_hash != r.content_hash {
                return Ok(rejected(
                    "its content hash is not the reviewed version's".into(),
                ));
            }
            if let Some(why) = decision_refused(tx, &review, r)? {
                return Ok(rejected(why));
            }
            if let Err(why) = accept_signed::decision(tx, &review, r)? {
                return Ok(rejected(why));
            }
            check_reviewer(tx, principal, &r.groups)?
        }
        Record::Comment(r) => {
            if let Some(parent) = &r.parent
                && tx.local_id(LocalTable::Comments, parent)?.is_none()
            {
                return Ok(conflict(
                    "the comment it replies to is not on the server yet".into(),
                ));
            }
            version_held(tx, &r.prompt, r.version, &r.content_hash)?
        }
        Record::Resolution(r) => match tx.local_id(LocalTable::Comments, &r.comment)? {
            None => conflict("the resolved comment is not on the server yet".into()),
            Some(id) if tx.is_resolved(id)? => {
                rejected("the thread is already resolved on the server".into())
            }
            Some(_) => Ok(()),
        },
        Record::Deployment(r) => check_deployment(tx, r)?,
        Record::DatasetVersion(r) => match tx.dataset_version_holder(&r.dataset, r.version)? {
            Some(other) if other != r.id => conflict(format!(
                "the server already has another version {} of dataset {}: pull first",
                r.version, r.dataset
            )),
            _ => Ok(()),
        },
        Record::EvalRun(_) => Ok(()),
        Record::UserKey(r) => accept_signed::key_registration(tx, r)?.map_err(Refusal::Rejected),
        Record::KeyRevocation(r) => {
            accept_signed::key_revocation(tx, r)?.map_err(Refusal::Rejected)
        }
    })
}

fn check_version(tx: &Tx<'_>, r: &VersionRecord) -> Result<Check> {
    let name = match PromptName::parse(&r.prompt) {
        Ok(name) => name,
        Err(e) => return Ok(rejected(format!("invalid prompt name: {e}"))),
    };
    let mut content: PromptContent = r.content.clone();
    content.normalize();
    if let Err(message) = content.validate() {
        return Ok(rejected(format!("invalid prompt `{name}`: {message}")));
    }
    if content.content_hash() != r.content_hash || r.number == 0 {
        return Ok(rejected(format!(
            "version {} of {name}: its content hash does not match its content",
            r.number
        )));
    }
    Ok(match tx.number_holder(&r.prompt, r.number)? {
        Some(other) if other.id != r.id => conflict(format!(
            "the server already has another version {} (by {}): pull first \
             (`galley sync pull`), which renumbers yours",
            r.number, other.author
        )),
        _ => Ok(()),
    })
}

fn env_exists(tx: &Tx<'_>, env: &str) -> Result<Check> {
    Ok(match tx.policy(env)? {
        Some(_) => Ok(()),
        None => rejected(format!(
            "the server has no environment {env} (it has: {})",
            tx.environments()?.join(", ")
        )),
    })
}

/// The version exists here with the same content.
fn version_held(tx: &Tx<'_>, prompt: &str, number: u32, hash: &str) -> Result<Check> {
    Ok(match tx.number_holder(prompt, number)? {
        None => conflict(format!(
            "version {number} of {prompt} is not on the server yet: push it first"
        )),
        Some(v) if v.content_hash != hash => conflict(format!(
            "version {number} of {prompt} on the server has other content: pull first"
        )),
        Some(_) => Ok(()),
    })
}

/// Why the server's record does not let decision `r` be recorded on `review` (a repeat of the
/// reviewer's standing decision), in the words every front end uses.
fn decision_refused(tx: &Tx<'_>, review: &ReviewRow, r: &DecisionRecord) -> Result<Option<String>> {
    let author = tx
        .number_holder(&review.prompt, review.version)?
        .map(|v| v.author)
        .unwrap_or_default();
    let policy = tx.policy(&review.env)?.unwrap_or_else(Policy::open);
    let decisions = tx.decisions(&review.prompt, &review.content_hash)?;
    Ok(refusals(
        review,
        &author,
        &policy,
        &decisions,
        &r.reviewer,
        &r.reviewer,
    )
    .into_iter()
    .find(|(kind, _)| *kind == r.decision)
    .map(|(_, why)| why))
}

/// When the server has users, a decision's author must be a reviewer or admin here, and may
/// claim only the groups the server gives them.
fn check_reviewer(tx: &Tx<'_>, principal: &str, groups: &[String]) -> Result<Check> {
    if tx.user_count()? == 0 {
        return Ok(Ok(()));
    }
    Ok(match tx.user(principal)? {
        None => rejected(format!(
            "{principal} is not a user of the server's workspace"
        )),
        Some(u) if u.role == Role::Author => rejected(format!(
            "{principal} is an author on the server: only reviewers and admins decide"
        )),
        Some(u) => match groups.iter().find(|g| !u.groups.contains(g)) {
            Some(g) => rejected(format!(
                "{principal} claims group {g}, which the server does not give them"
            )),
            None => Ok(()),
        },
    })
}

/// A deployment to a protected environment must pass the server's policy with the server's
/// decisions; a rollback passes without it only when it goes where the server's own deployment
/// stack says (the rule of `galley rollback`): any other "rollback" is a deployment.
fn check_deployment(tx: &Tx<'_>, r: &DeploymentRecord) -> Result<Check> {
    if let Err(refusal) = env_exists(tx, &r.env)? {
        return Ok(Err(refusal));
    }
    if let Err(refusal) = version_held(tx, &r.prompt, r.version, &r.content_hash)? {
        return Ok(Err(refusal));
    }
    if !matches!(r.deploy_kind.as_str(), "deploy" | "promote" | "rollback") {
        return Ok(rejected(format!(
            "unknown deployment kind {}",
            r.deploy_kind
        )));
    }
    if let Err(why) = accept_signed::deployment(tx, r)? {
        return Ok(rejected(why));
    }
    let policy = tx.policy(&r.env)?.unwrap_or_else(Policy::open);
    if policy.is_open()
        || (r.deploy_kind == "rollback"
            && rollback_target_of(tx, &r.prompt, &r.env)? == Some(r.version))
    {
        return Ok(Ok(()));
    }
    let author = tx
        .number_holder(&r.prompt, r.version)?
        .map(|v| v.author)
        .unwrap_or_default();
    let decisions: Vec<Decision> = checked_decisions(tx, &r.prompt, &r.content_hash)?
        .into_iter()
        .map(|d| d.decision)
        .collect();
    let evidence = match &policy.require_eval {
        Some(req) => tx.best_pass_rate(&r.prompt, r.version, &req.dataset)?,
        None => None,
    };
    let verdict = evaluate(&policy, &author, &r.content_hash, &decisions, evidence);
    Ok(if verdict.allowed {
        Ok(())
    } else {
        rejected(format!(
            "refused by the server's {} policy: {}",
            r.env,
            verdict.missing.join("; ")
        ))
    })
}
