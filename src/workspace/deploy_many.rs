//! Several environments moved to one version at once, all or nothing: every policy is checked
//! before anything moves, and the moves are written in one transaction. The Langfuse API's
//! `PATCH .../versions/{n}` with several labels uses it.

use crate::domain::PromptName;
use crate::store::DeploymentRow;

use super::deploy::{DeployKind, NewDeployment, env_policy, record, verdict};
use super::{Result, Workspace, WorkspaceError, version_of};

impl Workspace {
    /// Deploys version `number` of `name` to every environment of `envs` that does not serve it
    /// yet, if every one of their policies allows it; otherwise refuses naming each environment
    /// and what it is missing, and writes nothing. Returns the deployments made.
    pub fn deploy_many(
        &mut self,
        name: &PromptName,
        number: u32,
        envs: &[String],
    ) -> Result<Vec<DeploymentRow>> {
        let actor = self.user.clone();
        let mut required = false;
        for env in envs {
            required |= self.env_requires_signatures(env)?;
        }
        self.ready_to_sign(required)?;
        let signer = &self.signer;
        let done = self.store.write(|tx| {
            let row = tx
                .prompt(name)?
                .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
            let version = version_of(tx, &row, number)?;
            let hash = &version.info.content_hash;
            let mut moves = Vec::new();
            let mut refusals = Vec::new();
            for env in envs {
                if moves.iter().any(|(e, _)| e == env) {
                    continue;
                }
                let policy = env_policy(tx, env)?;
                let current = tx.current_deployment(name.as_str(), env)?;
                if current.as_ref().is_some_and(|c| c.version == number) {
                    continue;
                }
                let (verdict, _) = verdict(
                    tx,
                    name.as_str(),
                    &policy,
                    &version.info.author,
                    hash,
                    number,
                )?;
                if verdict.allowed {
                    moves.push((env.clone(), current.map(|c| c.version)));
                } else {
                    refusals.push(format!("{env}: {}", verdict.missing.join("; ")));
                }
            }
            if !refusals.is_empty() {
                return Err(WorkspaceError::Refused(format!(
                    "cannot deploy version {number} of {name} (nothing was moved): {}",
                    refusals.join(" | ")
                )));
            }
            moves
                .iter()
                .map(|(env, previous)| {
                    record(
                        tx,
                        signer,
                        NewDeployment {
                            name,
                            env,
                            number,
                            hash,
                            actor: &actor,
                            kind: DeployKind::Deploy,
                            previous: *previous,
                        },
                    )
                })
                .collect()
        })?;
        Ok(done)
    }
}
