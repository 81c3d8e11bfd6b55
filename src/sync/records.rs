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
    UserKey(UserKeyRecord),
    KeyRevocation(KeyRevocationRecord),
}

/// An admin's signed registration of a person's SSH public key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserKeyRecord {
    pub id: String,
    pub user: String,
    pub fingerprint: String,
    pub public_key: String,
    pub added_by: String,
    pub at: String,
    pub statement: String,
    pub signature: Option<String>,
}

/// An admin's signed revocation of a person's key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRevocationRecord {
    pub id: String,
    pub user: String,
    pub fingerprint: String,
    pub revoked_by: String,
    pub at: String,
    pub statement: String,
    pub signature: Option<String>,
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
    /// The exact text the reviewer signed and the armored signature (absent when unsigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
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
    /// The exact text the deployer signed and the armored signature (absent when unsigned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
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
            Record::UserKey(r) => &r.id,
            Record::KeyRevocation(r) => &r.id,
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
            Record::UserKey(_) => "user_key",
            Record::KeyRevocation(_) => "key_revocation",
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
            Record::UserKey(r) => format!("registration of {}'s key {}", r.user, r.fingerprint),
            Record::KeyRevocation(r) => {
                format!("revocation of {}'s key {}", r.user, r.fingerprint)
            }
        }
    }
}

/// The kinds of record, as the wire names them.
pub const KINDS: [&str; 10] = [
    "version",
    "review",
    "decision",
    "comment",
    "resolution",
    "deployment",
    "dataset_version",
    "eval_run",
    "user_key",
    "key_revocation",
];

/// A pushed item that is not a record galley can take: its id as sent (empty when it has none)
/// and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableRecord {
    pub id: String,
    pub reason: String,
}

impl Record {
    /// Reads one record as it arrived: its id must be a UUIDv7 (hyphenated, as galley writes
    /// it), its kind one of [`KINDS`], its fields those of that kind.
    pub fn from_wire(value: Value) -> Result<Record, UnreadableRecord> {
        let id = value
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let refuse = |reason: String| UnreadableRecord {
            id: id.clone(),
            reason,
        };
        if !is_uuid_v7(&id) {
            return Err(refuse(match value.get("id") {
                Some(Value::String(_)) => {
                    format!("its id `{id}` is not a UUIDv7 (record ids are hyphenated UUIDv7s)")
                }
                _ => "it has no string `id` (record ids are hyphenated UUIDv7s)".into(),
            }));
        }
        let kind = match value.get("kind") {
            Some(Value::String(kind)) if KINDS.contains(&kind.as_str()) => kind.clone(),
            Some(Value::String(kind)) => {
                return Err(refuse(format!(
                    "unknown kind `{kind}` (known: {})",
                    KINDS.join(", ")
                )));
            }
            _ => {
                return Err(refuse(format!(
                    "it has no string `kind` (known: {})",
                    KINDS.join(", ")
                )));
            }
        };
        serde_json::from_value(value).map_err(|e| refuse(format!("not a valid {kind} record: {e}")))
    }

    /// Who the record says acted: the version's or dataset version's author, the review's
    /// requester, the reviewer, the commenter, the resolver, the deployer, who ran the eval.
    pub fn actor(&self) -> &str {
        match self {
            Record::Version(r) => &r.author,
            Record::Review(r) => &r.requested_by,
            Record::Decision(r) => &r.reviewer,
            Record::Comment(r) => &r.author,
            Record::Resolution(r) => &r.resolved_by,
            Record::Deployment(r) => &r.actor,
            Record::DatasetVersion(r) => &r.author,
            Record::EvalRun(r) => &r.started_by,
            Record::UserKey(r) => &r.added_by,
            Record::KeyRevocation(r) => &r.revoked_by,
        }
    }

    /// The record named without who acted, for "… is by ada": `version 4 of support/triage`,
    /// `the approve decision on support/triage`.
    pub fn subject(&self) -> String {
        match self {
            Record::Decision(r) => format!("the {} decision on {}", r.decision, r.prompt),
            Record::Comment(r) => format!("the comment on version {} of {}", r.version, r.prompt),
            Record::Resolution(r) => format!("the resolution of comment {}", short(&r.comment)),
            Record::Review(r) => format!(
                "the review request of version {} of {} for {}",
                r.version, r.prompt, r.env
            ),
            _ => self.describe(),
        }
    }

    /// Whether `other` says the same as this record, aside from what changes after a record is
    /// made (the tags of a version's prompt travel with the version but are not part of it).
    pub fn same_content(&self, other: &Record) -> bool {
        match (self, other) {
            (Record::Version(a), Record::Version(b)) => {
                VersionRecord {
                    tags: Vec::new(),
                    ..a.clone()
                } == VersionRecord {
                    tags: Vec::new(),
                    ..b.clone()
                }
            }
            _ => self == other,
        }
    }
}

fn is_uuid_v7(id: &str) -> bool {
    uuid::Uuid::parse_str(id)
        .is_ok_and(|u| u.get_version() == Some(uuid::Version::SortRand) && u.to_string() == id)
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}
