//! What the audit log says about the records it accounts for, gathered in the one pass over the
//! log that verifies the chain: which versions were committed, which decisions and deployments
//! were recorded, which checkpoints were taken, and the hashes at the sequence numbers a head
//! or checkpoint pins. Only these entries are remembered (as digests and labels), not the log.

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::AuditEntry;

/// The decisions a review can record, as their audit actions name them (`review.approve`, ...).
const DECISION_KINDS: [&str; 3] = ["approve", "reject", "request_changes"];

/// A digest of the fields a record and its audit entry share.
pub(super) type Key = [u8; 32];

/// The digest of `fields`, one reading per list (a JSON array).
pub(super) fn key(fields: &[Value]) -> Key {
    Sha256::digest(Value::Array(fields.to_vec()).to_string().as_bytes()).into()
}

/// An entry a record must match: its `seq` and label.
pub(super) type Mark = (i64, String);

/// Entries waiting for their record, by the digest of what they record.
#[derive(Default)]
pub(super) struct Expected {
    by_key: HashMap<Key, VecDeque<Mark>>,
    /// Loosely matched entries (by a record's identity, not its content), to name the entry a
    /// changed record no longer matches.
    by_identity: HashMap<Key, Mark>,
}

impl Expected {
    fn expect(&mut self, key: Key, identity: Option<Key>, mark: Mark) {
        if let Some(identity) = identity {
            self.by_identity
                .entry(identity)
                .or_insert_with(|| mark.clone());
        }
        self.by_key.entry(key).or_default().push_back(mark);
    }

    /// Takes the oldest entry recording `key`, if any.
    pub(super) fn take(&mut self, key: &Key) -> Option<Mark> {
        let marks = self.by_key.get_mut(key)?;
        let mark = marks.pop_front();
        if marks.is_empty() {
            self.by_key.remove(key);
        }
        mark
    }

    /// The entry recorded for a record with this identity, matched or not.
    pub(super) fn for_identity(&self, identity: &Key) -> Option<&Mark> {
        self.by_identity.get(identity)
    }

    /// The oldest entry no record matched.
    pub(super) fn first_left(&self) -> Option<&Mark> {
        self.by_key
            .values()
            .filter_map(VecDeque::front)
            .min_by_key(|m| m.0)
    }
}

/// A `audit.checkpoint` entry: which checkpoint it records, and what that pinned.
#[derive(Debug, Clone)]
pub(super) struct CheckpointEntry {
    pub mark: Mark,
    pub seq: i64,
    pub hash: String,
}

#[derive(Default)]
pub(super) struct Ledger {
    pub versions: Expected,
    pub decisions: Expected,
    pub deployments: Expected,
    /// Prompts that have the entry that created them (`prompt.create`, or a version received
    /// by sync, which creates its prompt).
    pub created: HashSet<String>,
    /// `audit.checkpoint` entries by checkpoint id.
    pub checkpoints: HashMap<i64, CheckpointEntry>,
    /// The hash found at each sequence number asked for in [`Ledger::new`].
    pub hashes: HashMap<i64, String>,
    wanted: HashSet<i64>,
}

/// The key of a version: its prompt and content hash (numbers can change when sync renumbers).
pub(super) fn version_key(prompt: &str, hash: &str) -> Key {
    key(&[prompt.into(), hash.into()])
}

pub(super) fn version_identity(prompt: &str, number: i64) -> Key {
    key(&["version".into(), prompt.into(), number.into()])
}

/// The key of a decision: review, reviewer, decision, content hash and comment.
pub(super) fn decision_key(
    review: i64,
    reviewer: &str,
    kind: &str,
    hash: &str,
    comment: &str,
) -> Key {
    key(&[
        review.into(),
        reviewer.into(),
        kind.into(),
        hash.into(),
        comment.into(),
    ])
}

pub(super) fn decision_identity(review: i64, reviewer: &str) -> Key {
    key(&["decision".into(), review.into(), reviewer.into()])
}

/// The key of a deployment: prompt, environment, content hash, deployer and kind.
pub(super) fn deployment_key(prompt: &str, env: &str, hash: &str, actor: &str, kind: &str) -> Key {
    key(&[
        prompt.into(),
        env.into(),
        hash.into(),
        actor.into(),
        kind.into(),
    ])
}

pub(super) fn deployment_identity(id: i64) -> Key {
    key(&["deployment".into(), id.into()])
}

fn text<'a>(details: &'a Value, field: &str) -> &'a str {
    details[field].as_str().unwrap_or_default()
}

impl Ledger {
    /// A ledger that also remembers the hashes at `seqs`.
    pub(super) fn new(seqs: impl IntoIterator<Item = i64>) -> Self {
        Self {
            wanted: seqs.into_iter().collect(),
            ..Self::default()
        }
    }

    pub(super) fn push(&mut self, e: &AuditEntry) {
        if self.wanted.contains(&e.seq) {
            self.hashes.insert(e.seq, e.hash.clone());
        }
        let d = &e.details;
        let mark = || (e.seq, e.label());
        match e.action.as_str() {
            "prompt.create" => {
                self.created.insert(e.target.clone());
            }
            "version.commit" => {
                if d["via"] == "sync" {
                    self.created.insert(e.target.clone());
                }
                let identity = d["version"]
                    .as_i64()
                    .map(|n| version_identity(&e.target, n));
                self.versions
                    .expect(version_key(&e.target, text(d, "hash")), identity, mark());
            }
            "audit.checkpoint" => {
                if let Some(id) = d["checkpoint"].as_i64() {
                    self.checkpoints.insert(
                        id,
                        CheckpointEntry {
                            mark: mark(),
                            seq: d["seq"].as_i64().unwrap_or_default(),
                            hash: text(d, "hash").to_string(),
                        },
                    );
                }
            }
            action => {
                if let Some(kind) = action.strip_prefix("review.")
                    && DECISION_KINDS.contains(&kind)
                {
                    let review = d["review"].as_i64().unwrap_or_default();
                    self.decisions.expect(
                        decision_key(review, &e.actor, kind, text(d, "hash"), text(d, "comment")),
                        Some(decision_identity(review, &e.actor)),
                        mark(),
                    );
                } else if let Some(kind) = action.strip_prefix("deployment.") {
                    let identity = d["deployment"].as_i64().map(deployment_identity);
                    self.deployments.expect(
                        deployment_key(&e.target, text(d, "env"), text(d, "hash"), &e.actor, kind),
                        identity,
                        mark(),
                    );
                }
            }
        }
    }
}
