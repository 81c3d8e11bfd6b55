//! Delivery follows only what verifies: where an environment's policy requires signatures,
//! the deployment a client is served must carry a signature that holds against the key ring.
//! Deployments recorded before the policy was last set (when it may not have required them)
//! are served unsigned, so turning the requirement on does not stop what is already served;
//! a deployment carrying a bad signature is never served.

use crate::domain::name::PromptName;
use crate::domain::policy::SignatureCheck;
use crate::store::{DeploymentRow, Tx};

use super::delivery::DeliveryError;
use super::deploy::env_policy;
use super::keyring::KeyRing;
use super::signed_records::deployment_check;
use super::{Workspace, WorkspaceError};

type Result<T> = std::result::Result<T, DeliveryError>;

/// What an environment's deployments must prove before clients are served them.
pub(super) enum DeliveryTrust {
    /// The policy does not require signatures: the current deployment is served.
    Open,
    /// Signatures required since `since` (the policy's last change), checked against `ring`.
    Signed { since: String, ring: Box<KeyRing> },
}

impl DeliveryTrust {
    /// What `env`'s policy asks of the deployments it serves.
    pub(super) fn load(tx: &Tx<'_>, env: &str) -> Result<Self> {
        if !env_policy(tx, env)?.require_signatures {
            return Ok(Self::Open);
        }
        let since = tx
            .policy_updated_at(env)
            .map_err(WorkspaceError::from)?
            .unwrap_or_default();
        let ring = Box::new(KeyRing::load(tx, None)?);
        Ok(Self::Signed { since, ring })
    }

    /// The version `current` (the environment's current deployment of `name`) lets clients be
    /// served, or why none is.
    pub(super) fn served(&self, name: &PromptName, current: &DeploymentRow) -> Result<u32> {
        let Self::Signed { since, ring } = self else {
            return Ok(current.version);
        };
        let refused = |reason: String| DeliveryError::UnverifiedDeployment {
            name: name.clone(),
            env: current.env.clone(),
            version: current.version,
            reason,
        };
        match deployment_check(ring, current) {
            SignatureCheck::Verified => Ok(current.version),
            // Timestamps are RFC 3339 UTC with milliseconds, so they order as text.
            SignatureCheck::Unsigned if current.at.as_str() <= since.as_str() => {
                Ok(current.version)
            }
            SignatureCheck::Unsigned => Err(refused(format!(
                "its deployment by {} at {} is not signed and the policy requires signatures",
                current.actor, current.at
            ))),
            SignatureCheck::Bad(why) => Err(refused(format!(
                "its deployment by {} at {} has a bad signature ({why})",
                current.actor, current.at
            ))),
        }
    }
}

impl Workspace {
    /// The version `env` serves of `name` to clients, once its deployment's signature is
    /// checked where the environment's policy requires one; `None` when nothing is deployed.
    pub(super) fn served_to_clients(&self, name: &PromptName, env: &str) -> Result<Option<u32>> {
        let tx = self.store.read();
        let current = tx
            .current_deployment(name.as_str(), env)
            .map_err(WorkspaceError::from)?;
        match current {
            None => Ok(None),
            Some(current) => DeliveryTrust::load(&tx, env)?
                .served(name, &current)
                .map(Some),
        }
    }
}
