//! The records workspaces exchange, as they travel: every one carries its globally unique id
//! (UUIDv7) and refers to other records by their ids, never by a store's local row numbers.
//! Pure data: no I/O.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::PromptContent;
use crate::domain::policy::DecisionKind;

/// One immutable record of shared state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Version(VersionRecord),
    Review(ReviewRecord),
    Decision(DecisionRecord),
    Comment(CommentRecord),
    Resolution(ResolutionRecord),
    Deployment(DeploymentRecord),
    DatasetVersion(DatasetVersionRecord),
    EvalRun(EvalRunRecord),
}

/// A committed version, with what a workspace needs to create its prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub id: String,
    pub prompt: String,
    /// The prompt's tags, used when the receiving side creates the prompt.
    #[serde(default)]
    pub tags: Vec<String>,
    pub number: u32,
    pub content_hash: String,
    pub content: PromptContent,
    pub author: String,
    pub created_at: String,
    pub message: String,
    pub parent: Option<u32>,
}

/// A request to review one version for one environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRecord {
    pub id: String,
    pub prompt: String,
    pub version: u32,
    pub content_hash: String,
    pub env: String,
    pub requested_by: String,
    pub reviewers: Vec<String>,
    pub note: String,
    pub at: String,
}

/// A reviewer's decision on a review (by the review's record id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub id: String,
    pub review: String,
    pub prompt: String,
    pub content_hash: String,
    pub reviewer: String,
    pub groups: Vec<String>,
    pub decision: DecisionKind,
    pub comment: String,
    pub at: String,
}

/// A comment on a version; a reply names its thread's root by record id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentRecord {
    pub id: String,
    pub prompt: String,
    pub version: u32,
    pub content_hash: String,
    pub section: Option<String>,
    pub section_number: Option<u32>,
    pub line: Option<u32>,
    pub parent: Option<String>,
    pub author: String,
    pub body: String,
    pub at: String,
}

/// The resolution of a comment thread (by its root's record id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolutionRecord {
    pub id: String,
    pub comment: String,
    pub resolved_by: String,
    pub at: String,
}

/// A deployment of a version to an environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentRecord {
    pub id: String,
    pub prompt: String,
    pub env: String,
    pub version: u32,
    pub content_hash: String,
    pub actor: String,
    pub at: String,
    /// `deploy`, `promote` or `rollback`.
    pub deploy_kind: String,
    pub previous_version: Option<u32>,
}

/// One version of a dataset, its cases as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatasetVersionRecord {
    pub id: String,
    pub dataset: String,
    pub description: String,
    pub version: u32,
    pub cases: Value,
    pub case_count: u32,
    pub author: String,
    pub created_at: String,
    pub message: String,
}

/// A finished eval run's summary (its per-case results stay in the workspace that ran it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalRunRecord {
    pub id: String,
    pub prompt: String,
    pub dataset: String,
    pub dataset_version: u32,
    pub spec: Value,
    pub status: String,
    pub started_at: String,
    pub finished_at: String,
    pub started_by: String,
    pub summary: Value,
}

impl Record {
    /// The record's globally unique id.
    pub fn id(&self) -> &str {
        match self {
            Record::Version(r) => &r.id,
            Record::Review(r) => &r.id,
            Record::Decision(r) => &r.id,
            Record::Comment(r) => &r.id,
            Record::Resolution(r) => &r.id,
            Record::Deployment(r) => &r.id,
            Record::DatasetVersion(r) => &r.id,
            Record::EvalRun(r) => &r.id,
        }
    }

    /// The kind, as the log and the wire name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Record::Version(_) => "version",
            Record::Review(_) => "review",
            Record::Decision(_) => "decision",
            Record::Comment(_) => "comment",
            Record::Resolution(_) => "resolution",
            Record::Deployment(_) => "deployment",
            Record::DatasetVersion(_) => "dataset_version",
            Record::EvalRun(_) => "eval_run",
        }
    }

    /// One short phrase naming the record for people: `version 4 of support/triage`.
    pub fn describe(&self) -> String {
        match self {
            Record::Version(r) => format!("version {} of {}", r.number, r.prompt),
            Record::Review(r) => format!(
                "review of version {} of {} for {}",
                r.version, r.prompt, r.env
            ),
            Record::Decision(r) => format!("{} by {} on {}", r.decision, r.reviewer, r.prompt),
            Record::Comment(r) => format!(
                "comment by {} on version {} of {}",
                r.author, r.version, r.prompt
            ),
            Record::Resolution(r) => format!("resolution by {}", r.resolved_by),
            Record::Deployment(r) => format!(
                "{} of version {} of {} to {}",
                r.deploy_kind, r.version, r.prompt, r.env
            ),
            Record::DatasetVersion(r) => format!("version {} of dataset {}", r.version, r.dataset),
            Record::EvalRun(r) => format!("eval run {} of {}", short(&r.id), r.prompt),
        }
    }
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}
