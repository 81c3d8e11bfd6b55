//! Review requests and decisions: asking for a review of a version for an environment, the
//! decisions (signed where the reviewer has a key), and where a review stands — its policy's
//! verdict and the decisions the acting user may not record.

use serde::Serialize;
use serde_json::json;

use crate::domain::PromptName;
use crate::domain::people::Role;
use crate::domain::policy::{Decision, DecisionKind, Policy, Verdict};
use crate::store::{DecisionRow, DecisionText, ReviewRow, Tx};

use super::deploy::{env_policy, verdict};
use super::signed_records::{DecisionFacts, sign_decision};
use super::{Result, Workspace, WorkspaceError, now, version_of};

fn refused(msg: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Refused(msg.into())
}

/// A review request with where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewInfo {
    #[serde(flatten)]
    pub review: ReviewRow,
    /// The version's author.
    pub author: String,
    /// `approved`, `rejected`, `changes_requested` or `pending`.
    pub status: String,
    pub policy: Policy,
    pub verdict: Verdict,
    /// Every decision on the version's content, oldest first.
    pub decisions: Vec<DecisionRow>,
    /// What the environment serves now.
    pub served: Option<u32>,
    /// The decisions the acting user may not record on this review, each with the reason, so
    /// that every front end refuses before anything is typed or written.
    #[serde(skip)]
    pub refusals: Vec<(DecisionKind, String)>,
}

impl ReviewInfo {
    /// Why the acting user may not record `kind` on this review, if they may not.
    pub fn refusal(&self, kind: DecisionKind) -> Option<&str> {
        self.refusals
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, why)| why.as_str())
    }
}

/// The decisions `actor` may not record on `review`: approving their own version where the
/// policy does not count it, and repeating their standing decision. `who` is how the reasons
/// name the actor: "you" for the acting user, their name for the server.
pub(crate) fn refusals(
    review: &ReviewRow,
    author: &str,
    policy: &Policy,
    decisions: &[DecisionRow],
    actor: &str,
    who: &str,
) -> Vec<(DecisionKind, String)> {
    let mut out = Vec::new();
    if author == actor && !policy.allow_self_approval {
        out.push((
            DecisionKind::Approve,
            format!(
                "{who} wrote version {} of {}: {}'s policy does not let its author approve it \
                 (ask another reviewer)",
                review.version, review.prompt, review.env
            ),
        ));
    }
    let standing = decisions
        .iter()
        .filter(|d| d.review_id == review.id && d.decision.reviewer == actor)
        .max_by(|a, b| a.decision.at.cmp(&b.decision.at));
    if let Some(d) = standing
        && !out.iter().any(|(k, _)| *k == d.decision.kind)
    {
        out.push((
            d.decision.kind,
            format!(
                "{who} already decided `{}` on review {} ({}): nothing to record (a different \
                 decision replaces it; `galley comment` adds a comment)",
                d.decision.kind, review.id, d.decision.at
            ),
        ));
    }
    out
}

impl Workspace {
    /// Asks for a review of version `number` of `name` for `env`.
    pub fn request_review(
        &mut self,
        name: &PromptName,
        number: u32,
        env: &str,
        reviewers: &[String],
        note: &str,
    ) -> Result<ReviewInfo> {
        let actor = self.user.clone();
        let id = self.store.write(|tx| {
            let row = tx
                .prompt(name)?
                .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
            let version = version_of(tx, &row, number)?;
            env_policy(tx, env)?;
            let mut reviewers: Vec<String> =
                reviewers.iter().map(|r| r.trim().to_string()).collect();
            reviewers.sort();
            reviewers.dedup();
            if tx.user_count()? > 0 {
                for r in &reviewers {
                    match tx.user(r)? {
                        Some(u) if u.role != Role::Author => {}
                        Some(_) => {
                            return Err(refused(format!("{r} is an author and cannot review")));
                        }
                        None => {
                            return Err(refused(format!(
                                "no user {r} in this workspace (see `galley user list`)"
                            )));
                        }
                    }
                }
            }
            let at = now();
            let review = ReviewRow {
                id: 0,
                prompt: name.to_string(),
                version: number,
                content_hash: version.info.content_hash.clone(),
                env: env.to_string(),
                requested_by: actor.clone(),
                reviewers,
                note: note.trim().to_string(),
                at: at.clone(),
            };
            let id = tx.insert_review(&review)?;
            tx.append_audit(
                &actor,
                &at,
                "review.request",
                name.as_str(),
                &json!({"review": id, "version": number, "hash": review.content_hash,
                        "env": env, "reviewers": review.reviewers, "note": review.note}),
            )?;
            Ok(id)
        })?;
        self.review(id)
    }

    /// One review request, with its policy's verdict and the decisions so far.
    pub fn review(&self, id: i64) -> Result<ReviewInfo> {
        let tx = self.store.read();
        let review = tx
            .review(id)?
            .ok_or_else(|| refused(format!("no review {id} (see `galley review list`)")))?;
        review_info(&tx, review, &self.user)
    }

    /// Every review request (only those I asked for or was asked to do, when `mine`), newest
    /// first.
    pub fn reviews(&self, mine: bool) -> Result<Vec<ReviewInfo>> {
        let tx = self.store.read();
        let mut out = Vec::new();
        for review in tx.reviews()?.into_iter().rev() {
            if mine && review.requested_by != self.user && !review.reviewers.contains(&self.user) {
                continue;
            }
            out.push(review_info(&tx, review, &self.user)?);
        }
        Ok(out)
    }

    /// Records the acting user's decision on review `id`, bound to the version's content hash.
    pub fn decide(&mut self, id: i64, kind: DecisionKind, comment: &str) -> Result<ReviewInfo> {
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(refused("a decision needs a comment (-m)"));
        }
        let actor = self.user.clone();
        let required = {
            let tx = self.store.read();
            match tx.review(id)? {
                Some(r) => env_policy(&tx, &r.env)?.require_signatures,
                None => false,
            }
        };
        self.ready_to_sign(required)?;
        let signer = &self.signer;
        self.store.write(|tx| {
            let review = tx
                .review(id)?
                .ok_or_else(|| refused(format!("no review {id} (see `galley review list`)")))?;
            let info = review_info(tx, review.clone(), &actor)?;
            if let Some(why) = info.refusal(kind) {
                return Err(refused(why));
            }
            let groups = if tx.user_count()? > 0 {
                match tx.user(&actor)? {
                    Some(u) if u.role != Role::Author => u.groups,
                    Some(_) => {
                        return Err(refused(format!(
                            "{actor} is an author: only reviewers and admins decide on reviews"
                        )));
                    }
                    None => {
                        return Err(refused(format!(
                            "{actor} is not a user of this workspace: only reviewers and admins \
                             decide on reviews"
                        )));
                    }
                }
            } else {
                Vec::new()
            };
            let at = now();
            let decision = Decision {
                reviewer: actor.clone(),
                groups,
                kind,
                content_hash: review.content_hash.clone(),
                at: at.clone(),
                check: Default::default(),
            };
            let review_record = tx.review_record_id(id)?.unwrap_or_default();
            let facts = DecisionFacts {
                review_record: &review_record,
                reviewer: &actor,
                prompt: &review.prompt,
                version: review.version,
                content_hash: &review.content_hash,
                env: &review.env,
                kind,
                comment,
                at: &at,
            };
            let required = info
                .policy
                .require_signatures
                .then_some(review.env.as_str());
            let signed = sign_decision(tx, signer, &facts, required)?;
            let text = DecisionText {
                comment,
                statement: signed.as_ref().map(|(statement, _)| statement.as_str()),
                signature: signed.as_ref().map(|(_, s)| s.armored.as_str()),
            };
            tx.insert_decision(id, &review.prompt, &decision, text)?;
            let mut details = json!({"review": id, "version": review.version,
                "hash": review.content_hash, "env": review.env, "groups": decision.groups,
                "comment": comment});
            if let Some((_, s)) = &signed {
                details["signed_with"] = json!(s.fingerprint);
            }
            tx.append_audit(
                &actor,
                &at,
                &format!("review.{kind}"),
                &review.prompt,
                &details,
            )?;
            Ok(())
        })?;
        self.review(id)
    }
}

fn review_info(tx: &Tx<'_>, review: ReviewRow, actor: &str) -> Result<ReviewInfo> {
    let name = PromptName::parse(&review.prompt)?;
    let row = tx
        .prompt(&name)?
        .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
    let version = version_of(tx, &row, review.version)?;
    let policy = env_policy(tx, &review.env)?;
    let (verdict, decisions) = verdict(
        tx,
        &review.prompt,
        &policy,
        &version.info.author,
        &review.content_hash,
        review.version,
    )?;
    let latest = |kind: DecisionKind| {
        let mut by: std::collections::BTreeMap<&str, DecisionKind> = Default::default();
        for d in &decisions {
            by.insert(&d.decision.reviewer, d.decision.kind);
        }
        by.values().any(|k| *k == kind)
    };
    let status = if latest(DecisionKind::Reject) {
        "rejected"
    } else if latest(DecisionKind::RequestChanges) {
        "changes_requested"
    } else if verdict.allowed {
        "approved"
    } else {
        "pending"
    };
    let served = tx
        .current_deployment(&review.prompt, &review.env)?
        .map(|d| d.version);
    let refusals = refusals(
        &review,
        &version.info.author,
        &policy,
        &decisions,
        actor,
        "you",
    );
    Ok(ReviewInfo {
        refusals,
        author: version.info.author,
        status: status.to_string(),
        policy,
        verdict,
        decisions,
        served,
        review,
    })
}
