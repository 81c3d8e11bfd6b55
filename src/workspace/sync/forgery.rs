//! The refusals of a whole push: a record that names as its actor someone other than the key's
//! principal, or a self-approval the server's policy forbids. Either means the records are not
//! what the key can prove, so nothing of the batch is stored and the server answers 403. The
//! check runs over the whole batch before anything is written.

use crate::domain::policy::{DecisionKind, Policy};
use crate::store::{LocalTable, ReviewRow, StoreError, Tx};
use crate::sync::records::{DecisionRecord, Record, ReviewRecord, UnreadableRecord};

use super::super::WorkspaceError;
use super::super::reviews::refusals;

/// Why the server took no record of a push.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    /// A record the key's principal cannot have made (record `id`): the batch is refused.
    #[error("{reason}")]
    Forged { id: String, reason: String },
}

impl From<StoreError> for PushError {
    fn from(err: StoreError) -> Self {
        Self::Workspace(err.into())
    }
}

type Result<T> = std::result::Result<T, PushError>;

/// The first forged record of `batch` pushed with a key acting for `principal`, as an error.
/// Records already stored here are left to the per-record checks (an identical re-send is a
/// duplicate, a changed one is refused alone).
pub(super) fn refuse_forgeries(
    tx: &Tx<'_>,
    batch: &[std::result::Result<Record, UnreadableRecord>],
    principal: &str,
) -> Result<()> {
    let records: Vec<&Record> = batch.iter().filter_map(|r| r.as_ref().ok()).collect();
    for record in &records {
        if tx.log_position(record.id())?.is_some() {
            continue;
        }
        let forged = |reason: String| {
            Err(PushError::Forged {
                id: record.id().to_string(),
                reason,
            })
        };
        let actor = record.actor();
        if actor != principal {
            return forged(format!(
                "{} is by {actor}, and this key acts for {principal}: a key pushes only its \
                 principal's records",
                record.subject()
            ));
        }
        if let Record::Decision(d) = record
            && let Some(why) = forbidden_self_approval(tx, d, &records)?
        {
            return forged(why);
        }
    }
    Ok(())
}

/// The words refusing decision `d` when it approves its reviewer's own version where the
/// server's policy for the review's environment does not allow that. The review and the version
/// come from the server, or from the same batch when they arrive with the decision.
fn forbidden_self_approval(
    tx: &Tx<'_>,
    d: &DecisionRecord,
    batch: &[&Record],
) -> Result<Option<String>> {
    if d.decision != DecisionKind::Approve {
        return Ok(None);
    }
    let stored = match tx.local_id(LocalTable::Reviews, &d.review)? {
        Some(id) => tx.review(id)?,
        None => None,
    };
    let Some(review) = stored.or_else(|| {
        batch.iter().find_map(|r| match r {
            Record::Review(rv) if rv.id == d.review => Some(review_row(rv)),
            _ => None,
        })
    }) else {
        return Ok(None);
    };
    let Some(policy) = tx.policy(&review.env)? else {
        return Ok(None);
    };
    let Some(author) = version_author(tx, &review.prompt, review.version, batch)? else {
        return Ok(None);
    };
    Ok(self_approval_words(&review, &author, &policy, &d.reviewer))
}

/// The shared words of a forbidden self-approval (`ada wrote version 4 of support/triage: …`),
/// if `reviewer` approving is one.
fn self_approval_words(
    review: &ReviewRow,
    author: &str,
    policy: &Policy,
    reviewer: &str,
) -> Option<String> {
    // With no decisions given, the only refusal of an approval is the self-approval.
    refusals(review, author, policy, &[], reviewer, reviewer)
        .into_iter()
        .find(|(kind, _)| *kind == DecisionKind::Approve)
        .map(|(_, why)| why)
}

/// Who wrote version `number` of `prompt`: the server's version, or the batch's.
fn version_author(
    tx: &Tx<'_>,
    prompt: &str,
    number: u32,
    batch: &[&Record],
) -> Result<Option<String>> {
    if let Some(v) = tx.number_holder(prompt, number)? {
        return Ok(Some(v.author));
    }
    Ok(batch.iter().find_map(|r| match r {
        Record::Version(v) if v.prompt == prompt && v.number == number => Some(v.author.clone()),
        _ => None,
    }))
}

fn review_row(r: &ReviewRecord) -> ReviewRow {
    ReviewRow {
        id: 0,
        prompt: r.prompt.clone(),
        version: r.version,
        content_hash: r.content_hash.clone(),
        env: r.env.clone(),
        requested_by: r.requested_by.clone(),
        reviewers: r.reviewers.clone(),
        note: r.note.clone(),
        at: r.at.clone(),
    }
}
