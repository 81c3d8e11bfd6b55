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
        let mut preview = self.move_verdict(name, what, env)?;
        if let Some(number) = preview.target {
            preview.diff = Some(self.served_diff(name, preview.current, number)?);
        }
        Ok(preview)
    }

    /// [`Workspace::preview_move`] without the diff.
    pub(super) fn move_verdict(
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
        Ok(DeployPreview {
            prompt: name.clone(),
            env: env.to_string(),
            what: what.clone(),
            current,
            target,
            verdict,
            missing,
            diff: None,
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

    /// Refuses a decision the workspace would not record (see [`ReviewInfo::refusal`]).
    pub fn check_decision(&self, id: i64, kind: DecisionKind) -> Result<()> {
        match self.review(id)?.refusal(kind) {
            Some(why) => Err(refused(why)),
            None => Ok(()),
        }
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

#[cfg(test)]
mod tests {
    use crate::domain::people::Role;
    use crate::domain::policy::DecisionKind;
    use crate::domain::{PromptName, VersionRef};
    use crate::workspace::{DeployMove, Workspace};

    /// alice (admin) writes v1 and v2 of `p`; bob is a reviewer.
    fn setup(dir: &tempfile::TempDir) -> (Workspace, Workspace, PromptName) {
        let path = dir.path().join("ws.db");
        let mut alice = Workspace::open(&path, "alice").unwrap();
        alice.add_user("alice", Role::Admin, &[]).unwrap();
        alice.add_user("bob", Role::Reviewer, &[]).unwrap();
        let name = PromptName::parse("p").unwrap();
        alice
            .create_from_starter(&name, "classifier", &[], None)
            .unwrap();
        let mut content = alice.resolve(&name, VersionRef::Latest).unwrap().content;
        content.sections[0].body.push_str(" Carefully.");
        alice.save_draft(&name, content).unwrap();
        alice.commit(&name, "careful", false).unwrap();
        (alice, Workspace::open(&path, "bob").unwrap(), name)
    }

    #[test]
    fn previews_say_what_a_deployment_would_do_and_why_not() {
        let dir = tempfile::tempdir().unwrap();
        let (mut alice, mut bob, name) = setup(&dir);
        let deploy = |v| DeployMove::Deploy { version: v };

        // Production needs an approval not by the author: blocked, with the reasons.
        let p = alice.preview_move(&name, &deploy(2), "production").unwrap();
        assert!(!p.allowed());
        assert_eq!((p.current, p.target), (None, Some(2)));
        assert!(p.diff.is_some(), "a first deployment diffs against nothing");
        assert!(
            p.missing.iter().any(|m| m.contains("1 more approval")),
            "{p:?}"
        );

        // Self-approval is refused up front; bob's approval lets it through.
        let review = alice
            .request_review(&name, 2, "production", &["bob".into()], "")
            .unwrap();
        let id = review.review.id;
        let err = alice.check_decision(id, DecisionKind::Approve).unwrap_err();
        assert!(
            err.to_string().contains("does not let its author approve"),
            "{err}"
        );
        assert!(alice.check_decision(id, DecisionKind::Reject).is_ok());
        bob.decide(id, DecisionKind::Approve, "ok").unwrap();
        let again = bob.check_decision(id, DecisionKind::Approve).unwrap_err();
        assert!(again.to_string().contains("already decided"), "{again}");
        assert!(bob.check_decision(id, DecisionKind::RequestChanges).is_ok());
        assert!(
            alice
                .preview_move(&name, &deploy(2), "production")
                .unwrap()
                .allowed()
        );

        // Staging: v1 then v2; deploying v2 again is refused, a rollback goes to v1.
        alice.apply_move(&name, &deploy(1), "staging").unwrap();
        alice.apply_move(&name, &deploy(2), "staging").unwrap();
        let again = alice.preview_move(&name, &deploy(2), "staging").unwrap();
        assert!(
            again.missing.iter().any(|m| m.contains("already serves")),
            "{again:?}"
        );
        let back = alice
            .preview_move(&name, &DeployMove::Rollback, "staging")
            .unwrap();
        assert_eq!(
            (back.current, back.target, back.allowed()),
            (Some(2), Some(1), true)
        );
        alice
            .apply_move(&name, &DeployMove::Rollback, "staging")
            .unwrap();
        let none = alice
            .preview_move(&name, &DeployMove::Rollback, "staging")
            .unwrap();
        assert!(!none.allowed() && none.target.is_none(), "{none:?}");

        // Promote takes what the source serves; from an empty environment there is nothing.
        let promote = |from: &str| DeployMove::Promote { from: from.into() };
        let p = alice
            .preview_move(&name, &promote("staging"), "production")
            .unwrap();
        assert_eq!(p.target, Some(1));
        let p = alice
            .preview_move(&name, &promote("development"), "production")
            .unwrap();
        assert!(
            p.missing.iter().any(|m| m.contains("nothing to promote")),
            "{p:?}"
        );
    }
}
