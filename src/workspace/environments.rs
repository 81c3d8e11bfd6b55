//! Environments and their approval policies.

use serde::Serialize;
use serde_json::json;

use crate::domain::people::check_label;
use crate::domain::policy::{EvalRequirement, Policy};
use crate::store::Tx;

use super::people::require_admin;
use super::{Result, Workspace, WorkspaceError, now};

/// An environment and its policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvironmentInfo {
    pub name: String,
    pub policy: Policy,
}

/// A change to a policy: each `Some` field replaces the current value, `None` keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyChange {
    pub min_approvals: Option<u32>,
    pub required_groups: Option<Vec<String>>,
    pub allow_self_approval: Option<bool>,
    pub require_eval: Option<Option<EvalRequirement>>,
    pub rejection_blocks: Option<bool>,
    pub require_signatures: Option<bool>,
}

impl PolicyChange {
    /// `policy` with this change applied.
    pub fn apply(&self, policy: &Policy) -> Policy {
        let mut out = policy.clone();
        if let Some(n) = self.min_approvals {
            out.min_approvals = n;
        }
        if let Some(groups) = &self.required_groups {
            out.required_groups = crate::domain::people::normalize_groups(groups);
        }
        if let Some(allow) = self.allow_self_approval {
            out.allow_self_approval = allow;
        }
        if let Some(eval) = &self.require_eval {
            out.require_eval = eval.clone();
        }
        if let Some(blocks) = self.rejection_blocks {
            out.rejection_blocks = blocks;
        }
        if let Some(signed) = self.require_signatures {
            out.require_signatures = signed;
        }
        out
    }
}

impl Workspace {
    /// Every environment with its policy, in order (the defaults first, then as added).
    pub fn environments(&self) -> Result<Vec<EnvironmentInfo>> {
        let tx = self.store.read();
        tx.environments()?
            .into_iter()
            .map(|name| {
                let policy = policy_of(&tx, &name)?;
                Ok(EnvironmentInfo { name, policy })
            })
            .collect()
    }

    /// Adds an environment, open until its policy is set (admins only).
    pub fn add_environment(&mut self, name: &str) -> Result<EnvironmentInfo> {
        let name = name.trim();
        check_label("environment", name).map_err(WorkspaceError::Refused)?;
        let actor = self.user.clone();
        let account = self.account.clone();
        self.store.write(|tx| {
            let at = now();
            require_admin(tx, &actor, account.as_deref(), &at, "add environments")?;
            if tx.environments()?.iter().any(|e| e == name) {
                return Err(WorkspaceError::Refused(format!(
                    "environment {name} already exists"
                )));
            }
            let policy = Policy::open();
            tx.insert_environment(name, &policy, &at, &actor)?;
            tx.append_audit(&actor, &at, "env.add", name, &json!({"policy": policy}))?;
            Ok(EnvironmentInfo {
                name: name.to_string(),
                policy,
            })
        })
    }

    /// An environment's policy.
    pub fn policy(&self, env: &str) -> Result<Policy> {
        policy_of(&self.store.read(), env)
    }

    /// Changes an environment's policy (admins only); returns the new policy.
    pub fn set_policy(&mut self, env: &str, change: &PolicyChange) -> Result<Policy> {
        if let Some(groups) = &change.required_groups {
            for g in groups {
                check_label("group", g.trim()).map_err(WorkspaceError::Refused)?;
            }
        }
        if let Some(Some(eval)) = &change.require_eval
            && !(0.0..=1.0).contains(&eval.min_pass_rate)
        {
            return Err(WorkspaceError::Refused(format!(
                "a pass rate is between 0 and 100%, not {}",
                eval.min_pass_rate
            )));
        }
        let actor = self.user.clone();
        let account = self.account.clone();
        self.store.write(|tx| {
            let at = now();
            let before = policy_of(tx, env)?;
            require_admin(tx, &actor, account.as_deref(), &at, "set policies")?;
            let after = change.apply(&before);
            if after == before {
                return Ok(after);
            }
            tx.put_policy(env, &after, &at, &actor)?;
            tx.append_audit(
                &actor,
                &at,
                "policy.set",
                env,
                &json!({"before": before, "after": after}),
            )?;
            Ok(after)
        })
    }
}

fn policy_of(tx: &Tx<'_>, env: &str) -> Result<Policy> {
    match tx.policy(env)? {
        Some(policy) => Ok(policy),
        None => Err(WorkspaceError::Refused(format!(
            "no environment {env} (have: {})",
            tx.environments()?.join(", ")
        ))),
    }
}
