//! Deployments: which version each environment serves, deploying, promoting and rolling back
//! through each environment's policy (reviews and decisions are `reviews`').

use serde::Serialize;
use serde_json::json;

use crate::domain::PromptName;
use crate::domain::deployment::{Step, rollback_target};
use crate::domain::policy::{Decision, Policy, Verdict, evaluate};
use crate::signer::KeySource;
use crate::store::{DecisionRow, DeploymentRow, Tx};

use super::signed_records::sign_deployment;

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
