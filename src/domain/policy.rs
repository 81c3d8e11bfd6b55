//! Approval policies: what an environment requires before a version may be deployed to it, and
//! the pure rule that decides whether a set of review decisions meets it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A required passing eval run: on this dataset, at least this pass rate (0.0 to 1.0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalRequirement {
    pub dataset: String,
    pub min_pass_rate: f64,
}

impl FromStr for EvalRequirement {
    type Err = String;

    /// `DATASET:RATE`, the rate as a fraction (`0.95`) or a percentage (`95%` or `95`). A bare
    /// number up to 1 is a fraction; above 1, a percentage.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = || format!("`{s}`: write DATASET:MIN_PASS_RATE, e.g. qa:0.95 or qa:95%");
        let (dataset, rate) = s.rsplit_once(':').ok_or_else(usage)?;
        let dataset = dataset.trim();
        if dataset.is_empty() {
            return Err(usage());
        }
        let rate = rate.trim();
        let (number, percent) = match rate.strip_suffix('%') {
            Some(n) => (n.trim(), true),
            None => (rate, false),
        };
        let value: f64 = number.parse().map_err(|_| usage())?;
        if !value.is_finite() || value < 0.0 {
            return Err(usage());
        }
        let fraction = if percent || value > 1.0 {
            value / 100.0
        } else {
            value
        };
        if fraction > 1.0 {
            return Err(format!("`{s}`: a pass rate is at most 100%"));
        }
        Ok(Self {
            dataset: dataset.to_string(),
            min_pass_rate: fraction,
        })
    }
}

/// What an environment requires before a version may be deployed to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    /// Approvals needed, from distinct reviewers, on the version's exact content.
    pub min_approvals: u32,
    /// Groups that must each be represented among the approvers.
    #[serde(default)]
    pub required_groups: Vec<String>,
    /// Whether the version's author may approve it.
    #[serde(default)]
    pub allow_self_approval: bool,
    /// A passing eval run the version needs.
    #[serde(default)]
    pub require_eval: Option<EvalRequirement>,
    /// Whether a standing rejection blocks the version until a new version is committed.
    #[serde(default = "yes")]
    pub rejection_blocks: bool,
    /// Whether only decisions signed with the reviewer's registered, unrevoked key count (and
    /// deployments must be signed by the deployer).
    #[serde(default)]
    pub require_signatures: bool,
}

fn yes() -> bool {
    true
}

impl Policy {
    /// No requirement at all: anything may be deployed.
    pub fn open() -> Self {
        Self {
            min_approvals: 0,
            required_groups: Vec::new(),
            allow_self_approval: true,
            require_eval: None,
            rejection_blocks: true,
            require_signatures: false,
        }
    }

    /// The default for a protected environment: one approval, not by the author.
    pub fn protected() -> Self {
        Self {
            min_approvals: 1,
            allow_self_approval: false,
            ..Self::open()
        }
    }

    /// Whether the policy requires nothing (no approval, no group, no eval).
    pub fn is_open(&self) -> bool {
        self.min_approvals == 0 && self.required_groups.is_empty() && self.require_eval.is_none()
    }

    /// The policy in words, one requirement per line.
    pub fn describe(&self) -> Vec<String> {
        if self.is_open() {
            return vec!["open: no approval or eval needed".to_string()];
        }
        let mut lines = Vec::new();
        lines.push(match self.min_approvals {
            0 => "no minimum number of approvals".to_string(),
            1 => "needs 1 approval".to_string(),
            n => format!("needs {n} approvals from different reviewers"),
        });
        for group in &self.required_groups {
            lines.push(format!("needs an approval from group {group}"));
        }
        lines.push(if self.allow_self_approval {
            "the author may approve their own version".to_string()
        } else {
            "the author cannot approve their own version".to_string()
        });
        if let Some(eval) = &self.require_eval {
            lines.push(format!(
                "needs a passing eval run on dataset {} (>= {})",
                eval.dataset,
                percent(eval.min_pass_rate)
            ));
        }
        lines.push(if self.rejection_blocks {
            "a rejection blocks until a new version".to_string()
        } else {
            "a rejection does not block".to_string()
        });
        if self.require_signatures {
            lines.push("decisions and deployments must be signed".to_string());
        }
        lines
    }
}

/// A pass rate as a percentage, without needless decimals: `95%`, `97.5%`.
pub fn percent(rate: f64) -> String {
    let p = (rate * 1000.0).round() / 10.0;
    if p.fract() == 0.0 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// What a reviewer decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    Approve,
    Reject,
    RequestChanges,
}

impl fmt::Display for DecisionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
            DecisionKind::RequestChanges => "request_changes",
        })
    }
}

/// One reviewer's decision on one exact content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub reviewer: String,
    /// The reviewer's groups when they decided.
    pub groups: Vec<String>,
    pub kind: DecisionKind,
    /// The content hash the reviewer saw; the decision counts only for that content.
    pub content_hash: String,
    /// RFC 3339 time; a reviewer's latest decision replaces their earlier ones.
    pub at: String,
    /// Whether the decision carries a signature that holds (checked by the workspace).
    #[serde(skip)]
    pub check: SignatureCheck,
}

/// What checking a signed record's signature found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status", content = "reason")]
pub enum SignatureCheck {
    /// Signed by a key registered to the person, not revoked, over exactly this record.
    Verified,
    /// No signature.
    #[default]
    Unsigned,
    /// A signature that does not hold, and why (another key, a revoked key, a changed record…).
    Bad(String),
}

impl SignatureCheck {
    pub fn is_verified(&self) -> bool {
        matches!(self, SignatureCheck::Verified)
    }

    /// `✓ signed`, `✗ unsigned` or `✗ bad signature`.
    pub fn badge(&self) -> &'static str {
        match self {
            SignatureCheck::Verified => "✓ signed",
            SignatureCheck::Unsigned => "✗ unsigned",
            SignatureCheck::Bad(_) => "✗ bad signature",
        }
    }
}

/// A decision in words: `approval`, `rejection`, `request for changes`.
fn noun(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::Approve => "approval",
        DecisionKind::Reject => "rejection",
        DecisionKind::RequestChanges => "request for changes",
    }
}

/// Whether a policy allows a version, and if not, exactly why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub allowed: bool,
    /// One human reason per unmet requirement.
    pub missing: Vec<String>,
}

/// Checks `decisions` (and the best pass rate on the required dataset, if any run exists)
/// against `policy` for the version written by `version_author` with content `version_hash`.
///
/// Only decisions on `version_hash` count. Each reviewer's latest decision (by `at`) is their
/// decision: an approval after a rejection lifts it, a request for changes withdraws an
/// approval.
pub fn evaluate(
    policy: &Policy,
    version_author: &str,
    version_hash: &str,
    decisions: &[Decision],
    eval_evidence: Option<f64>,
) -> Verdict {
    let mut on_this: Vec<&Decision> = decisions
        .iter()
        .filter(|d| d.content_hash == version_hash)
        .collect();
    on_this.sort_by(|a, b| a.at.cmp(&b.at));
    let latest: BTreeMap<&str, &Decision> = on_this
        .into_iter()
        .map(|d| (d.reviewer.as_str(), d))
        .collect();

    let mut missing = Vec::new();
    // With signatures required, a decision whose signature does not hold is no decision; the
    // verdict says whose and why.
    let latest: BTreeMap<&str, &Decision> = if policy.require_signatures {
        for d in latest.values() {
            match &d.check {
                SignatureCheck::Verified => {}
                SignatureCheck::Unsigned => {
                    missing.push(format!("{}'s {} is not signed", d.reviewer, noun(d.kind)))
                }
                SignatureCheck::Bad(why) => missing.push(format!(
                    "{}'s {} has a bad signature: {why}",
                    d.reviewer,
                    noun(d.kind)
                )),
            }
        }
        latest
            .into_iter()
            .filter(|(_, d)| d.check.is_verified())
            .collect()
    } else {
        latest
    };
    if policy.rejection_blocks {
        for d in latest.values().filter(|d| d.kind == DecisionKind::Reject) {
            missing.push(format!(
                "rejected by {}: a rejection blocks until a new version",
                d.reviewer
            ));
        }
    }
    let approvals: Vec<&Decision> = latest
        .values()
        .copied()
        .filter(|d| d.kind == DecisionKind::Approve)
        .collect();
    let self_approved = approvals.iter().any(|d| d.reviewer == version_author);
    let counted: Vec<&Decision> = approvals
        .into_iter()
        .filter(|d| policy.allow_self_approval || d.reviewer != version_author)
        .collect();
    let short = policy.min_approvals.saturating_sub(counted.len() as u32);
    let groups_missing: Vec<&String> = policy
        .required_groups
        .iter()
        .filter(|g| !counted.iter().any(|d| d.groups.contains(g)))
        .collect();
    // The author's own approval is named only when it is why something is still missing.
    if self_approved && !policy.allow_self_approval && (short > 0 || !groups_missing.is_empty()) {
        missing.push("the author cannot approve their own version".to_string());
    }
    match short {
        0 => {}
        1 => missing.push("needs 1 more approval".to_string()),
        n => missing.push(format!("needs {n} more approvals")),
    }
    for group in groups_missing {
        missing.push(format!("needs an approval from group {group}"));
    }
    if let Some(req) = &policy.require_eval {
        let head = format!(
            "needs a passing eval run on dataset {} (>= {})",
            req.dataset,
            percent(req.min_pass_rate)
        );
        match eval_evidence {
            None => missing.push(format!("{head}, none yet")),
            // A tiny tolerance so that 19/20 meets 95% despite floating point.
            Some(best) if best + 1e-9 < req.min_pass_rate => {
                missing.push(format!("{head}, best is {}", percent(best)))
            }
            Some(_) => {}
        }
    }
    Verdict {
        allowed: missing.is_empty(),
        missing,
    }
}

#[cfg(test)]
mod tests;
