//! Read models for the workbench's Review and Deploy views: the review queue as the acting user
//! sees it, one review with everything a reviewer reads, the prompts × environments board, and
//! the versions each environment serves (the badges). Reads only; every rule stays here.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::diff::{PromptDiff, diff_prompts};
use crate::domain::eval::RunInfo;
use crate::domain::policy::DecisionKind;
use crate::domain::{PromptContent, PromptName, VersionRef};

use super::{CommentThread, DeployMove, Result, ReviewInfo, Workspace};

/// How many of a version's latest eval runs a review shows when no run is required.
const EVIDENCE_RUNS: usize = 3;
/// How many of a prompt's runs are searched for those of the version under review.
const RUNS_SEARCHED: usize = 200;

/// The review requests as the acting user sees them, newest first in each group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReviewQueue {
    /// Pending, not decided by me, and asked of me: by name, or of anyone (no reviewer named),
    /// or of my group (the policy requires a group of mine that no approval covers yet).
    pub awaiting_me: Vec<ReviewInfo>,
    /// Pending requests I made.
    pub mine: Vec<ReviewInfo>,
    /// Everything else: decided requests and other people's.
    pub others: Vec<ReviewInfo>,
}

impl ReviewQueue {
    /// Every review, in the order the groups list them.
    pub fn all(&self) -> impl Iterator<Item = &ReviewInfo> {
        self.awaiting_me
            .iter()
            .chain(&self.mine)
            .chain(&self.others)
    }
}

/// The eval evidence for a version under review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// The run the environment's policy requires: dataset, minimum pass rate, and the best pass
    /// rate of a completed run of this version on it (if any).
    pub required: Option<(String, f64, Option<f64>)>,
    /// The latest runs that include this version, newest first.
    pub runs: Vec<RunInfo>,
}

/// Where a version stands in one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvStatus {
    pub env: String,
    /// What the environment serves now.
    pub served: Option<u32>,
    /// Whether the environment's policy would let this version through now.
    pub allowed: bool,
    /// The status of the latest review of this version for the environment, if any.
    pub review: Option<String>,
}

/// One review with everything a reviewer reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewDetail {
    pub info: ReviewInfo,
    /// What the environment serves now → the version under review (from an empty prompt when
    /// nothing is served yet).
    pub diff: PromptDiff,
    /// The comment threads on the version, oldest first.
    pub threads: Vec<CommentThread>,
    pub evidence: Evidence,
    /// The version in every environment.
    pub envs: Vec<EnvStatus>,
}

/// One cell of the deploy board.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BoardCell {
    pub served: Option<u32>,
    /// A version newer than the one served exists.
    pub newer: bool,
    /// The version awaiting a pending review for this environment, if any (the newest).
    pub pending: Option<u32>,
}

/// One prompt's row of the deploy board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BoardRow {
    pub prompt: PromptName,
    pub latest: Option<u32>,
    /// One cell per environment, in environment order.
    pub cells: Vec<BoardCell>,
}

/// Every prompt × every environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeployBoard {
    pub environments: Vec<String>,
    pub rows: Vec<BoardRow>,
}

/// The environments, and what each serves by prompt.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ServedVersions {
    pub environments: Vec<String>,
    /// Prompt name → (environment, version), in environment order; only deployed prompts.
    pub by_prompt: BTreeMap<String, Vec<(String, u32)>>,
}

/// An empty prompt of `content`'s type: the "before" of a first deployment's diff.
pub(super) fn empty_like(content: &PromptContent) -> PromptContent {
    PromptContent {
        prompt_type: content.prompt_type,
        description: String::new(),
        headings: content.headings,
        sections: Vec::new(),
        variables: Default::default(),
        config: content.config.clone(),
    }
}

impl Workspace {
    /// The review requests, grouped for the acting user.
    pub fn review_queue(&self) -> Result<ReviewQueue> {
        let mut queue = ReviewQueue::default();
        let me = self.user.as_str();
        let my_groups = self
            .users()?
            .into_iter()
            .find(|u| u.name == me)
            .map(|u| u.groups)
            .unwrap_or_default();
        for info in self.reviews(false)? {
            let pending = info.status == "pending";
            // A group of mine the policy requires and no approval on this content covers yet.
            let my_group_missing = info.policy.required_groups.iter().any(|g| {
                my_groups.contains(g)
                    && !info.decisions.iter().any(|d| {
                        d.decision.kind == DecisionKind::Approve && d.decision.groups.contains(g)
                    })
            });
            let asked = info.review.reviewers.iter().any(|r| r == me)
                || ((info.review.reviewers.is_empty() || my_group_missing) && info.author != me);
            let decided = info.decisions.iter().any(|d| d.decision.reviewer == me);
            if pending && info.review.requested_by != me && asked && !decided {
                queue.awaiting_me.push(info);
            } else if pending && info.review.requested_by == me {
                queue.mine.push(info);
            } else {
                queue.others.push(info);
            }
        }
        Ok(queue)
    }

    /// Review `id` with its diff against what the environment serves, the comment threads on
    /// the version, the eval evidence and the version's standing in every environment.
    pub fn review_detail(&self, id: i64) -> Result<ReviewDetail> {
        let info = self.review(id)?;
        let name = PromptName::parse(&info.review.prompt)?;
        let number = info.review.version;
        let diff = self.served_diff(&name, info.served, number)?;
        let threads = self.comment_threads(&name, Some(number), false)?;
        let required = match &info.policy.require_eval {
            Some(req) => {
                let best = self
                    .store
                    .read()
                    .best_pass_rate(name.as_str(), number, &req.dataset)?;
                Some((req.dataset.clone(), req.min_pass_rate, best))
            }
            None => None,
        };
        let runs = self
            .runs(Some(name.as_str()), RUNS_SEARCHED)?
            .into_iter()
            .filter(|r| r.versions.contains(&number))
            .take(EVIDENCE_RUNS)
            .collect();
        let reviews = self.reviews(false)?;
        let mut envs = Vec::new();
        for env in self.environments()? {
            let latest = reviews.iter().find(|r| {
                r.review.env == env.name
                    && r.review.prompt == info.review.prompt
                    && r.review.content_hash == info.review.content_hash
            });
            let deploy = DeployMove::Deploy { version: number };
            let allowed = self
                .move_verdict(&name, &deploy, &env.name)?
                .verdict
                .allowed;
            envs.push(EnvStatus {
                served: self.served(&name, &env.name)?,
                allowed,
                review: latest.map(|r| r.status.clone()),
                env: env.name,
            });
        }
        Ok(ReviewDetail {
            info,
            diff,
            threads,
            evidence: Evidence { required, runs },
            envs,
        })
    }

    /// The diff from what is `served` (nothing: an empty prompt) to version `number`.
    pub(super) fn served_diff(
        &self,
        name: &PromptName,
        served: Option<u32>,
        number: u32,
    ) -> Result<PromptDiff> {
        match served {
            Some(from) => self.diff_with(
                name,
                VersionRef::Number(from),
                VersionRef::Number(number),
                false,
            ),
            None => {
                let content = self.resolve(name, VersionRef::Number(number))?.content;
                Ok(diff_prompts(&empty_like(&content), &content))
            }
        }
    }

    /// The environments, and what each serves by prompt (only prompts deployed somewhere), in
    /// environment order: the workbench's badges.
    pub fn served_versions(&self) -> Result<ServedVersions> {
        let matrix = self.env_matrix()?;
        let by_prompt = matrix
            .prompts
            .into_iter()
            .map(|row| {
                let served = row
                    .served
                    .into_iter()
                    .filter_map(|(env, v)| v.map(|v| (env, v)))
                    .collect();
                (row.prompt, served)
            })
            .collect();
        Ok(ServedVersions {
            environments: matrix.environments,
            by_prompt,
        })
    }

    /// Every prompt × every environment: what is served, whether a newer version exists, and
    /// which version awaits a pending review there.
    pub fn deploy_board(&self) -> Result<DeployBoard> {
        let matrix = self.env_matrix()?;
        let served: BTreeMap<&str, &Vec<(String, Option<u32>)>> = matrix
            .prompts
            .iter()
            .map(|r| (r.prompt.as_str(), &r.served))
            .collect();
        // The newest pending review of each prompt in each environment (reviews come newest
        // first), looked up per cell.
        let mut pending: BTreeMap<(String, String), u32> = BTreeMap::new();
        for r in self.reviews(false)? {
            if r.status == "pending" {
                pending
                    .entry((r.review.prompt, r.review.env))
                    .or_insert(r.review.version);
            }
        }
        let mut rows = Vec::new();
        for summary in self.list(None)? {
            let name = summary.name.as_str();
            let cells = matrix
                .environments
                .iter()
                .enumerate()
                .map(|(i, env)| {
                    let served = served.get(name).and_then(|s| s.get(i)).and_then(|s| s.1);
                    let pending = pending.get(&(name.to_string(), env.clone())).copied();
                    BoardCell {
                        served,
                        newer: matches!((served, summary.latest_version), (Some(s), Some(l)) if l > s),
                        pending,
                    }
                })
                .collect();
            rows.push(BoardRow {
                latest: summary.latest_version,
                prompt: summary.name,
                cells,
            });
        }
        Ok(DeployBoard {
            environments: matrix.environments,
            rows,
        })
    }
}
