//! The demo's review workflow: its people (with keys), policies, reviews, decisions,
//! deployments and comments, each step run as its person and signed with that person's key.

use crate::domain::PromptName;
use crate::domain::policy::DecisionKind;

use super::demo_script::{DemoUser, Step};
use super::demo_story::Story;
use super::{DemoReport, Result, Workspace, WorkspaceError};

/// The n-th (from 1) of the demo's own reviews or comments.
fn nth(ids: &[i64], n: usize, what: &str) -> Result<i64> {
    n.checked_sub(1)
        .and_then(|i| ids.get(i).copied())
        .ok_or_else(|| WorkspaceError::Refused(format!("the demo script has no {what} {n} yet")))
}

/// The reviews and comments the workflow made so far, in order.
#[derive(Default)]
struct Made {
    reviews: Vec<i64>,
    comments: Vec<i64>,
}

impl Workspace {
    /// Users, keys, policies, reviews, deployments and comments: only on a workspace with no
    /// users, reviews or deployments yet, whose demo prompts this run created (so running the
    /// demo twice leaves things alone). Ends by turning the identity override on.
    pub(super) fn replay_workflow(
        &mut self,
        users: Vec<DemoUser>,
        steps: Vec<Step>,
        story: &mut Story,
        report: &mut DemoReport,
    ) -> Result<()> {
        let Some(admin) = users.first().map(|u| u.name.clone()) else {
            return Ok(());
        };
        {
            let tx = self.store.read();
            if tx.user_count()? > 0
                || !tx.reviews()?.is_empty()
                || !tx.deployments(None)?.is_empty()
            {
                return Ok(());
            }
        }
        let fresh = |p: &str| report.created.iter().any(|(n, _)| n.as_str() == p);
        if !steps.iter().filter_map(Step::prompt).all(fresh) {
            return Ok(());
        }
        let people = self.add_demo_people(&users, story, report)?;
        let mut made = Made::default();
        for step in steps {
            if let Some(actor) = step.actor() {
                self.user = actor.to_string();
                self.set_signer(people.signer(actor));
            }
            if !self.replay_step(step, story, report, &mut made)? {
                story.tick()?;
            }
        }
        self.user = admin;
        self.set_identity_override(true)?;
        report.identity_override = true;
        Ok(())
    }

    /// Runs one step as the acting user; true when the clock stays where the step left it (an
    /// `at` step, or a deployment dated exactly at its traffic phase's start, where another may
    /// start too).
    fn replay_step(
        &mut self,
        step: Step,
        story: &mut Story,
        report: &mut DemoReport,
        made: &mut Made,
    ) -> Result<bool> {
        match step {
            Step::At { days_ago } => {
                story.days_ago(days_ago)?;
                return Ok(true);
            }
            Step::Policy {
                env,
                require_groups,
                require_signatures,
                ..
            } => {
                let change = super::PolicyChange {
                    required_groups: Some(require_groups),
                    require_signatures: require_signatures.then_some(true),
                    ..Default::default()
                };
                self.set_policy(&env, &change)?;
            }
            Step::Review {
                prompt,
                version,
                env,
                reviewers,
                note,
                ..
            } => {
                let name = PromptName::parse(&prompt)?;
                let info = self.request_review(&name, version, &env, &reviewers, &note)?;
                made.reviews.push(info.review.id);
                report.reviews += 1;
            }
            Step::Approve {
                review, comment, ..
            } => {
                let id = nth(&made.reviews, review, "review")?;
                self.decide(id, DecisionKind::Approve, &comment)?;
            }
            Step::Reject {
                review, comment, ..
            } => {
                let id = nth(&made.reviews, review, "review")?;
                self.decide(id, DecisionKind::Reject, &comment)?;
            }
            Step::Deploy {
                prompt,
                version,
                env,
                ..
            } => {
                let phase = story.deployment(&prompt, &env, Some(version))?;
                self.deploy(&PromptName::parse(&prompt)?, version, &env)?;
                report.deployments += 1;
                return Ok(phase.is_some());
            }
            Step::Rollback { prompt, env, .. } => {
                let phase = story.deployment(&prompt, &env, None)?;
                let row = self.rollback(&PromptName::parse(&prompt)?, &env)?;
                if let Some(v) = phase.filter(|v| *v != row.version) {
                    return Err(WorkspaceError::Refused(format!(
                        "the demo rolled {env} back to v{}, its traffic says v{v}",
                        row.version
                    )));
                }
                report.deployments += 1;
                return Ok(phase.is_some());
            }
            Step::Comment {
                prompt,
                version,
                section,
                line,
                reply_to,
                text,
                ..
            } => {
                let target = super::CommentTarget {
                    version,
                    section,
                    line,
                    reply_to: reply_to
                        .map(|n| nth(&made.comments, n, "comment"))
                        .transpose()?,
                };
                let c = self.add_comment(&PromptName::parse(&prompt)?, &target, &text)?;
                made.comments.push(c.id);
                report.comments += 1;
            }
            Step::Resolve { comment, .. } => {
                self.resolve_comment(nth(&made.comments, comment, "comment")?)?;
            }
        }
        Ok(false)
    }
}
