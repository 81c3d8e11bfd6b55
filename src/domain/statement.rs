//! The statements people sign: a canonical text of exactly what is decided, deployed or vouched
//! for. The text is what `ssh-keygen -Y sign -n galley` signs and `ssh-keygen -Y verify -n
//! galley` checks, byte for byte, so a statement is one `field: value` per line after a first
//! line naming what it is, ending with a newline. Values never hold a newline: names, hashes,
//! numbers and times cannot, and free text (a comment) enters as its sha256.
//!
//! A statement is never parsed to learn what it says: whoever checks a signature rebuilds the
//! statement from the record it is attached to and compares the two texts, so a changed record,
//! or a signature moved from one record to another, no longer matches.

use sha2::{Digest, Sha256};

/// The SSH signature namespace of every galley signature.
pub const NAMESPACE: &str = "galley";

/// The sha256 of `text`, as `sha256:` and 64 hex digits.
pub fn text_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Builds `head\nfield: value\n...`; a value is flattened to one line should one ever hold a
/// line break (none of the callers' values can).
fn statement(head: &str, fields: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(64 * (fields.len() + 1));
    out.push_str(head);
    out.push('\n');
    for (name, value) in fields {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(&value.replace(['\n', '\r'], " "));
        out.push('\n');
    }
    out
}

/// A reviewer's decision on one review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionStatement<'a> {
    /// The id of the workspace the decision was signed in.
    pub workspace: &'a str,
    /// The review's record id (a UUIDv7: unique across workspaces).
    pub review: &'a str,
    pub reviewer: &'a str,
    pub prompt: &'a str,
    pub version: u32,
    pub content_hash: &'a str,
    pub env: &'a str,
    /// `approve`, `reject` or `request_changes`.
    pub decision: &'a str,
    pub comment: &'a str,
    pub at: &'a str,
}

impl DecisionStatement<'_> {
    pub fn text(&self) -> String {
        statement(
            "galley review decision v1",
            &[
                ("workspace", self.workspace.to_string()),
                ("review", self.review.to_string()),
                ("reviewer", self.reviewer.to_string()),
                ("prompt", self.prompt.to_string()),
                ("version", self.version.to_string()),
                ("content", self.content_hash.to_string()),
                ("environment", self.env.to_string()),
                ("decision", self.decision.to_string()),
                ("comment", text_hash(self.comment)),
                ("at", self.at.to_string()),
            ],
        )
    }
}

/// A deployment of one version to one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentStatement<'a> {
    pub workspace: &'a str,
    /// The deployment's record id.
    pub deployment: &'a str,
    pub actor: &'a str,
    pub prompt: &'a str,
    pub version: u32,
    pub content_hash: &'a str,
    pub env: &'a str,
    /// `deploy`, `promote` or `rollback`.
    pub kind: &'a str,
    pub previous_version: Option<u32>,
    pub at: &'a str,
}

impl DeploymentStatement<'_> {
    pub fn text(&self) -> String {
        statement(
            "galley deployment v1",
            &[
                ("workspace", self.workspace.to_string()),
                ("deployment", self.deployment.to_string()),
                ("actor", self.actor.to_string()),
                ("prompt", self.prompt.to_string()),
                ("version", self.version.to_string()),
                ("content", self.content_hash.to_string()),
                ("environment", self.env.to_string()),
                ("kind", self.kind.to_string()),
                (
                    "previous",
                    self.previous_version
                        .map_or_else(|| "none".to_string(), |v| v.to_string()),
                ),
                ("at", self.at.to_string()),
            ],
        )
    }
}

/// Whether a key statement registers a key or revokes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    Register,
    Revoke,
}

/// An admin vouching that a public key is a user's (or that it no longer is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStatement<'a> {
    pub workspace: &'a str,
    /// The registration's or revocation's record id.
    pub record: &'a str,
    pub action: KeyAction,
    /// The key's owner.
    pub user: &'a str,
    /// `SHA256:...` of the key.
    pub fingerprint: &'a str,
    /// The key in OpenSSH form without its comment (registrations only; empty for revocations).
    pub public_key: &'a str,
    /// The admin who signs the statement.
    pub by: &'a str,
    pub at: &'a str,
}

impl KeyStatement<'_> {
    pub fn text(&self) -> String {
        let (head, mut fields) = match self.action {
            KeyAction::Register => (
                "galley key registration v1",
                vec![("key", self.public_key.to_string())],
            ),
            KeyAction::Revoke => ("galley key revocation v1", Vec::new()),
        };
        let mut all = vec![
            ("workspace", self.workspace.to_string()),
            ("record", self.record.to_string()),
            ("user", self.user.to_string()),
            ("fingerprint", self.fingerprint.to_string()),
        ];
        all.append(&mut fields);
        all.push(("by", self.by.to_string()));
        all.push(("at", self.at.to_string()));
        statement(head, &all)
    }
}

/// A signed head of the audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointStatement<'a> {
    pub workspace: &'a str,
    pub seq: i64,
    pub hash: &'a str,
    pub at: &'a str,
}

impl CheckpointStatement<'_> {
    pub fn text(&self) -> String {
        statement(
            "galley audit checkpoint v1",
            &[
                ("workspace", self.workspace.to_string()),
                ("seq", self.seq.to_string()),
                ("hash", self.hash.to_string()),
                ("at", self.at.to_string()),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_statement_is_one_field_per_line_with_the_comment_hashed() {
        let s = DecisionStatement {
            workspace: "w1",
            review: "r1",
            reviewer: "grace",
            prompt: "support/triage",
            version: 4,
            content_hash: "abc",
            env: "production",
            decision: "approve",
            comment: "looks good\nship it",
            at: "2026-12-04T10:00:00Z",
        };
        let text = s.text();
        assert!(text.starts_with("galley review decision v1\nworkspace: w1\nreview: r1\n"));
        assert!(text.ends_with("at: 2026-12-04T10:00:00Z\n"));
        assert!(text.contains(&format!("comment: {}\n", text_hash("looks good\nship it"))));
        assert_eq!(text.lines().count(), 11);
        let other = DecisionStatement {
            decision: "reject",
            ..s.clone()
        };
        assert_ne!(other.text(), text);
    }

    #[test]
    fn a_line_break_in_a_value_cannot_forge_another_field() {
        let s = KeyStatement {
            workspace: "w",
            record: "r",
            action: KeyAction::Revoke,
            user: "bob\nby: alice",
            fingerprint: "SHA256:x",
            public_key: "",
            by: "mallory",
            at: "t",
        };
        let text = s.text();
        assert!(!text.contains("\nby: alice"), "{text}");
        assert!(text.contains("user: bob by: alice\n"));
    }
}
