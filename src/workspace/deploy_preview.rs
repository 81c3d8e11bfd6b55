//! What a deployment would do, before doing it: what the environment serves now, what it would
//! serve, the diff between the two, and whether the environment's policy lets it through (and
//! exactly what is missing when it does not). Also the decisions the workbench refuses up
//! front, such as an author approving their own version.

use serde::Serialize;

use crate::diff::PromptDiff;
use crate::domain::deployment::{Step, rollback_target};
use crate::domain::policy::{DecisionKind, Verdict};
use crate::domain::{PromptName, VersionRef};
use crate::store::DeploymentRow;

use super::deploy::{env_policy, verdict};
use super::{Result, Workspace, WorkspaceError, version_of};

/// A deployment about to be asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum DeployMove {
    /// Deploy this version.
    Deploy { version: u32 },
    /// Deploy what environment `from` serves.
    Promote { from: String },
    /// Go back to what was served before the latest deployment still in effect.
    Rollback,
}

/// What a deployment to one environment would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeployPreview {
    pub prompt: PromptName,
    pub env: String,
    pub what: DeployMove,
    /// What the environment serves now.
    pub current: Option<u32>,
    /// What it would serve (none when there is nothing to deploy).
    pub target: Option<u32>,
    /// The policy's verdict on the target (a rollback needs no approval: always allowed).
    pub verdict: Verdict,
    /// Every reason the deployment cannot go ahead (the verdict's, and others such as "already
    /// serves it"); empty when it can.
    pub missing: Vec<String>,
    /// What is served now → the target (from an empty prompt when nothing is served).
    pub diff: Option<PromptDiff>,
}

impl DeployPreview {
    /// Whether the deployment can go ahead.
    pub fn allowed(&self) -> bool {
        self.missing.is_empty()
    }
}

fn refused(msg: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Refused(msg.into())
}

impl Workspace {
    /// What deploying version `number` of `name` to `env` would do; writes nothing.
    pub fn deploy_preview(
        &self,
        name: &PromptName,
        number: u32,
        env: &str,
    ) -> Result<DeployPreview> {
        self.preview_move(name, &DeployMove::Deploy { version: number }, env)
    }

    /// What a deploy, promote or rollback of `name` to `env` would do; writes nothing.
    pub fn preview_move(
        &self,
        name: &PromptName,
        what: &DeployMove,
        env: &str,
    ) -> Result<DeployPreview> {
        let (current, target, verdict, mut missing) = {
            let tx = self.store.read();
            let row = self.prompt_row(&tx, name)?;
            let policy = env_policy(&tx, env)?;
            let current = tx
                .current_deployment(name.as_str(), env)?
                .map(|d| d.version);
            let (target, mut missing) = match what {
                DeployMove::Deploy { version } => (Some(*version), Vec::new()),
                DeployMove::Promote { from } => {
                    env_policy(&tx, from)?;
                    match tx.current_deployment(name.as_str(), from)? {
                        Some(d) => (Some(d.version), Vec::new()),
                        None => (
                            None,
                            vec![format!(
                                "{from} serves no version of {name}: nothing to promote"
                            )],
                        ),
                    }
                }
                DeployMove::Rollback => {
                    let steps: Vec<Step> = tx
                        .deployments(Some(name.as_str()))?
                        .into_iter()
                        .filter(|d| d.env == env)
                        .map(|d| {
                            if d.kind == "rollback" {
                                Step::Back
                            } else {
                                Step::Forward(d.version)
                            }
                        })
                        .collect();
                    match (current, rollback_target(steps)) {
                        (None, _) => (None, vec![format!("{env} serves no version of {name}")]),
                        (Some(_), None) => (
                            None,
                            vec![format!(
                                "{env} served nothing before: nothing to roll back to"
                            )],
                        ),
                        (Some(_), target) => (target, Vec::new()),
                    }
                }
            };
            let verdict = match (target, what) {
                (Some(number), DeployMove::Deploy { .. } | DeployMove::Promote { .. }) => {
                    let version = version_of(&tx, &row, number)?;
                    let hash = &version.info.content_hash;
                    verdict(
                        &tx,
                        name.as_str(),
                        &policy,
                        &version.info.author,
                        hash,
                        number,
                    )?
                    .0
                }
                _ => Verdict {
                    allowed: true,
                    missing: Vec::new(),
                },
            };
            if target.is_some() && target == current && *what != DeployMove::Rollback {
                missing.push(format!(
                    "{env} already serves version {} of {name}",
                    current.unwrap_or_default()
                ));
            }
            missing.extend(verdict.missing.iter().cloned());
            (current, target, verdict, missing)
        };
        missing.dedup();
        let diff = match target {
            Some(number) => Some(self.served_diff(name, current, number)?),
            None => None,
        };
        Ok(DeployPreview {
            prompt: name.clone(),
            env: env.to_string(),
            what: what.clone(),
            current,
            target,
            verdict,
            missing,
            diff,
        })
    }

    /// Carries out a deploy, promote or rollback (each checks the policy again).
    pub fn apply_move(
        &mut self,
        name: &PromptName,
        what: &DeployMove,
        env: &str,
    ) -> Result<DeploymentRow> {
        match what {
            DeployMove::Deploy { version } => self.deploy(name, *version, env),
            DeployMove::Promote { from } => self.promote(name, from, env),
            DeployMove::Rollback => self.rollback(name, env),
        }
    }

    /// Refuses a decision the workbench does not record: an approval by the version's author
    /// when the environment's policy does not count it (it would change nothing).
    pub fn check_decision(&self, id: i64, kind: DecisionKind) -> Result<()> {
        let info = self.review(id)?;
        if kind == DecisionKind::Approve
            && info.author == self.user
            && !info.policy.allow_self_approval
        {
            return Err(refused(format!(
                "you wrote version {} of {}: {}'s policy does not let its author approve it \
                 (ask another reviewer)",
                info.review.version, info.review.prompt, info.review.env
            )));
        }
        Ok(())
    }

    /// `name`'s version `number` diffed against what `env` serves, with what `env` serves.
    pub fn diff_against_env(
        &self,
        name: &PromptName,
        number: u32,
        env: &str,
    ) -> Result<(Option<u32>, PromptDiff)> {
        let served = {
            let tx = self.store.read();
            env_policy(&tx, env)?;
            tx.current_deployment(name.as_str(), env)?
                .map(|d| d.version)
        };
        self.resolve(name, VersionRef::Number(number))?;
        Ok((served, self.served_diff(name, served, number)?))
    }
}
