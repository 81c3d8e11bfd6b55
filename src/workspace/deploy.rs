//! Deployments and reviews: which version each environment serves, the requests to review a
//! version for an environment, and the decisions that let a deployment through its policy.

use serde::Serialize;
use serde_json::json;

use crate::domain::PromptName;
use crate::domain::deployment::{Step, rollback_target};
use crate::domain::people::Role;
use crate::domain::policy::{Decision, DecisionKind, Policy, Verdict, evaluate};
use crate::signer::KeySource;
use crate::store::{DecisionRow, DecisionText, DeploymentRow, ReviewRow, Tx};

use super::signed_records::{DecisionFacts, sign_decision, sign_deployment};

use super::{Result, Workspace, WorkspaceError, now, version_of};

/// How a deployment came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeployKind {
    Deploy,
    Promote,
    Rollback,
}

impl DeployKind {
    fn as_str(self) -> &'static str {
        match self {
            DeployKind::Deploy => "deploy",
            DeployKind::Promote => "promote",
            DeployKind::Rollback => "rollback",
        }
    }
}

/// One prompt's row of the environment matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServedRow {
    pub prompt: String,
    /// Per environment, in environment order: the version it serves, if any.
    pub served: Vec<(String, Option<u32>)>,
}

/// The prompts × environments matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvMatrix {
    pub environments: Vec<String>,
    pub prompts: Vec<ServedRow>,
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

/// Where a rollback of `env` goes for `prompt`, by this workspace's deployment stack (see
/// [`rollback_target`]): the rule `galley rollback` follows and the server checks.
pub(crate) fn rollback_target_of(tx: &Tx<'_>, prompt: &str, env: &str) -> Result<Option<u32>> {
    let history = tx.deployments(Some(prompt))?;
    let steps = history.iter().filter(|d| d.env == env).map(|d| {
        if d.kind == DeployKind::Rollback.as_str() {
            Step::Back
        } else {
            Step::Forward(d.version)
        }
    });
    Ok(rollback_target(steps))
}

fn refused(msg: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Refused(msg.into())
}

/// The policy of `env`, or an error naming the environments.
pub(super) fn env_policy(tx: &Tx<'_>, env: &str) -> Result<Policy> {
    tx.policy(env)?.ok_or_else(|| {
        let have = tx.environments().unwrap_or_default().join(", ");
        refused(format!("no environment {env} (have: {have})"))
    })
}

/// The verdict of `env`'s policy on version `number` of `name`.
pub(super) fn verdict(
    tx: &Tx<'_>,
    name: &str,
    policy: &Policy,
    author: &str,
    hash: &str,
    number: u32,
) -> Result<(Verdict, Vec<DecisionRow>)> {
    let rows = super::signed_records::checked_decisions(tx, name, hash)?;
    let decisions: Vec<Decision> = rows.iter().map(|d| d.decision.clone()).collect();
    let evidence = match &policy.require_eval {
        Some(req) => tx.best_pass_rate(name, number, &req.dataset)?,
        None => None,
    };
    Ok((evaluate(policy, author, hash, &decisions, evidence), rows))
}

impl Workspace {
    /// Deploys version `number` of `name` to `env`, if `env`'s policy allows it; otherwise
    /// refuses with every unmet requirement and writes nothing.
    pub fn deploy(&mut self, name: &PromptName, number: u32, env: &str) -> Result<DeploymentRow> {
        self.deploy_as(name, number, env, DeployKind::Deploy)
    }

    /// Deploys what `from` serves to `to`, through `to`'s policy.
    pub fn promote(&mut self, name: &PromptName, from: &str, to: &str) -> Result<DeploymentRow> {
        let number = {
            let tx = self.store.read();
            self.prompt_row(&tx, name)?;
            env_policy(&tx, from)?;
            tx.current_deployment(name.as_str(), from)?
                .ok_or_else(|| {
                    refused(format!(
                        "{from} serves no version of {name}: nothing to promote"
                    ))
                })?
                .version
        };
        self.deploy_as(name, number, to, DeployKind::Promote)
    }

    fn deploy_as(
        &mut self,
        name: &PromptName,
        number: u32,
        env: &str,
        kind: DeployKind,
    ) -> Result<DeploymentRow> {
        let actor = self.user.clone();
        self.ready_to_sign(self.env_requires_signatures(env)?)?;
        let signer = &self.signer;
        let done = self.store.write(|tx| {
            let row = tx
                .prompt(name)?
                .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
            let version = version_of(tx, &row, number)?;
            let policy = env_policy(tx, env)?;
            let current = tx.current_deployment(name.as_str(), env)?;
            if current.as_ref().is_some_and(|c| c.version == number) {
                return Err(refused(format!(
                    "{env} already serves version {number} of {name}"
                )));
            }
            let hash = &version.info.content_hash;
            let (verdict, _) = verdict(
                tx,
                name.as_str(),
                &policy,
                &version.info.author,
                hash,
                number,
            )?;
            if !verdict.allowed {
                return Err(refused(format!(
                    "cannot {} version {number} of {name} to {env}: {}",
                    kind.as_str(),
                    verdict.missing.join("; ")
                )));
            }
            record(
                tx,
                signer,
                NewDeployment {
                    name,
                    env,
                    number,
                    hash,
                    actor: &actor,
                    kind,
                    previous: current.map(|c| c.version),
                },
            )
        })?;
        Ok(done)
    }

    /// Rolls `env` back to what it served before the latest deployment still in effect.
    /// Rollbacks undo like a stack (v1, v2, v3 → v2 → v1), never swap back and forth. A rollback
    /// returns to a version the environment already served, so it needs no fresh approval: it
    /// is the way out of an incident, and the audit trail records who took it.
    pub fn rollback(&mut self, name: &PromptName, env: &str) -> Result<DeploymentRow> {
        let actor = self.user.clone();
        self.ready_to_sign(self.env_requires_signatures(env)?)?;
        let signer = &self.signer;
        let done = self.store.write(|tx| {
            let row = tx
                .prompt(name)?
                .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
            env_policy(tx, env)?;
            let current = tx
                .current_deployment(name.as_str(), env)?
                .ok_or_else(|| refused(format!("{env} serves no version of {name}")))?;
            let Some(previous) = rollback_target_of(tx, name.as_str(), env)? else {
                return Err(refused(format!(
                    "{env} served nothing before version {} of {name}: nothing to roll back to",
                    current.version
                )));
            };
            let version = version_of(tx, &row, previous)?;
            record(
                tx,
                signer,
                NewDeployment {
                    name,
                    env,
                    number: previous,
                    hash: &version.info.content_hash,
                    actor: &actor,
                    kind: DeployKind::Rollback,
                    previous: Some(current.version),
                },
            )
        })?;
        Ok(done)
    }

    /// Whether `env`'s policy requires signatures (false for an unknown environment: the
    /// operation itself then names it).
    pub(super) fn env_requires_signatures(&self, env: &str) -> Result<bool> {
        Ok(self
            .store
            .read()
            .policy(env)?
            .is_some_and(|p| p.require_signatures))
    }

    /// Which version every environment serves, for every prompt deployed anywhere.
    pub fn env_matrix(&self) -> Result<EnvMatrix> {
        let tx = self.store.read();
        let environments = tx.environments()?;
        let mut names: Vec<String> = tx
            .deployments(None)?
            .into_iter()
            .map(|d| d.prompt)
            .collect();
        names.sort();
        names.dedup();
        let mut prompts = Vec::new();
        for prompt in names {
            let mut served = Vec::new();
            for env in &environments {
                let v = tx.current_deployment(&prompt, env)?.map(|d| d.version);
                served.push((env.clone(), v));
            }
            prompts.push(ServedRow { prompt, served });
        }
        Ok(EnvMatrix {
            environments,
            prompts,
        })
    }

    /// Every deployment of `name`, oldest first.
    pub fn deployments(&self, name: &PromptName) -> Result<Vec<DeploymentRow>> {
        let tx = self.store.read();
        self.prompt_row(&tx, name)?;
        Ok(tx.deployments(Some(name.as_str()))?)
    }

    /// What `env` serves of `name`, if anything.
    pub fn served(&self, name: &PromptName, env: &str) -> Result<Option<u32>> {
        let tx = self.store.read();
        Ok(tx
            .current_deployment(name.as_str(), env)?
            .map(|d| d.version))
    }

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

/// A deployment about to be recorded.
pub(super) struct NewDeployment<'a> {
    pub name: &'a PromptName,
    pub env: &'a str,
    pub number: u32,
    pub hash: &'a str,
    pub actor: &'a str,
    pub kind: DeployKind,
    pub previous: Option<u32>,
}

/// Records a deployment (signed by its actor when they have a key at hand, and refused unsigned
/// where the environment's policy requires signatures) with its audit entry.
pub(super) fn record(
    tx: &Tx<'_>,
    signer: &KeySource,
    new: NewDeployment<'_>,
) -> Result<DeploymentRow> {
    let at = now();
    let mut d = DeploymentRow {
        id: 0,
        prompt: new.name.to_string(),
        env: new.env.to_string(),
        version: new.number,
        content_hash: new.hash.to_string(),
        actor: new.actor.to_string(),
        at: at.clone(),
        kind: new.kind.as_str().to_string(),
        previous_version: new.previous,
        record_id: uuid::Uuid::now_v7().to_string(),
        statement: None,
        signature: None,
    };
    let required = env_policy(tx, new.env)?
        .require_signatures
        .then_some(new.env);
    sign_deployment(tx, signer, &mut d, required)?;
    d.id = tx.insert_deployment(&d)?;
    let mut details = json!({"deployment": d.id, "env": new.env, "version": new.number,
        "hash": new.hash, "previous_version": new.previous});
    if d.signature.is_some() {
        details["signed"] = json!(true);
    }
    tx.append_audit(
        new.actor,
        &at,
        &format!("deployment.{}", new.kind.as_str()),
        new.name.as_str(),
        &details,
    )?;
    Ok(d)
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
