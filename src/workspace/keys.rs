//! API keys: created and revoked by admins, with audit entries; checked for every request the
//! delivery server answers.

use serde::Serialize;
use serde_json::json;

use crate::domain::keys::{
    ApiKey, AuthFailure, Credentials, Scope, check_credentials, key_id_from, secret_from,
    secret_hash,
};
use crate::store::StoreError;

use super::people::require_admin;
use super::{Result, Workspace, WorkspaceError, now};

/// A key just created, with its secret: the only time the secret is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKey,
    pub secret: String,
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| WorkspaceError::Refused(format!("cannot draw random bytes for a key: {e}")))?;
    Ok(bytes)
}

impl Workspace {
    /// Creates a key named `name` with `scope`, acting as `principal` (the acting user when
    /// `None`), which must be a user of the workspace. Admins only.
    pub fn create_key(
        &mut self,
        name: &str,
        scope: Scope,
        principal: Option<&str>,
    ) -> Result<CreatedKey> {
        let name = name.trim();
        if name.is_empty() {
            return Err(WorkspaceError::Refused(
                "a key needs a name (--name)".into(),
            ));
        }
        let actor = self.user.clone();
        let account = self.account.clone();
        let principal = principal.map(str::trim).unwrap_or(&actor).to_string();
        let id = key_id_from(&random()?);
        let secret = secret_from(&random()?);
        if let Scope::Read(env) = &scope
            && !self.store.read().environments()?.contains(env)
        {
            let have = self.store.read().environments()?.join(", ");
            return Err(WorkspaceError::Refused(format!(
                "no environment {env} (have: {have})"
            )));
        }
        self.store.write(|tx| {
            let at = now();
            require_admin(tx, &actor, account.as_deref(), &at, "create API keys")?;
            if tx.user(&principal)?.is_none() {
                return Err(WorkspaceError::Refused(format!(
                    "no user {principal} in this workspace: a key acts as a user (add one with \
                     `galley user add {principal}`)"
                )));
            }
            let key = ApiKey {
                id: id.clone(),
                name: name.to_string(),
                scope: scope.clone(),
                principal: principal.clone(),
                created_at: at.clone(),
                created_by: actor.clone(),
                revoked_at: None,
                revoked_by: None,
            };
            tx.insert_key(&key, &secret_hash(&secret))?;
            tx.append_audit(
                &actor,
                &at,
                "key.create",
                &id,
                &json!({"name": name, "scope": scope, "principal": principal}),
            )?;
            Ok(CreatedKey { key, secret })
        })
    }

    /// Every key, oldest first (never their secrets).
    pub fn keys(&self) -> Result<Vec<ApiKey>> {
        Ok(self.store.read().keys()?)
    }

    /// Revokes the key with public id `which`, or the one active key named `which`. Admins only.
    pub fn revoke_key(&mut self, which: &str) -> Result<ApiKey> {
        let which = which.trim();
        let actor = self.user.clone();
        let account = self.account.clone();
        self.store.write(|tx| {
            let at = now();
            require_admin(tx, &actor, account.as_deref(), &at, "revoke API keys")?;
            let id = match tx.key_by_id(which)? {
                Some(row) => row.key.id,
                None => {
                    let named: Vec<ApiKey> = tx
                        .keys()?
                        .into_iter()
                        .filter(|k| k.name == which && k.is_active())
                        .collect();
                    match named.as_slice() {
                        [one] => one.id.clone(),
                        [] => {
                            return Err(WorkspaceError::Refused(format!(
                                "no active key with id or name `{which}` (see `galley key list`)"
                            )));
                        }
                        many => {
                            let ids: Vec<&str> = many.iter().map(|k| k.id.as_str()).collect();
                            return Err(WorkspaceError::Refused(format!(
                                "{} active keys are named `{which}`: revoke one by id ({})",
                                many.len(),
                                ids.join(", ")
                            )));
                        }
                    }
                }
            };
            if !tx.revoke_key(&id, &at, &actor)? {
                return Err(WorkspaceError::Refused(format!(
                    "key {id} is already revoked"
                )));
            }
            tx.append_audit(&actor, &at, "key.revoke", &id, &json!({}))?;
            let row = tx
                .key_by_id(&id)?
                .ok_or_else(|| StoreError::Corrupt(format!("key {id} vanished")))?;
            Ok(row.key)
        })
    }

    /// The active key these credentials belong to, or why they are refused.
    pub fn authenticate(
        &self,
        credentials: Credentials<'_>,
    ) -> Result<std::result::Result<ApiKey, AuthFailure>> {
        let tx = self.store.read();
        let row = match credentials {
            Credentials::Bearer(secret) => tx.key_by_secret_hash(&secret_hash(secret))?,
            Credentials::Basic { id, .. } => tx.key_by_id(id)?,
        };
        Ok(check_credentials(
            credentials,
            row.as_ref().map(|r| (&r.key, r.secret_hash.as_str())),
        ))
    }

    /// A number that changes whenever another connection commits to the workspace file: what
    /// caches of this file check to know they are stale. Ask on a workspace that never writes.
    pub fn change_counter(&self) -> Result<i64> {
        Ok(self.store.read().data_version()?)
    }

    /// A number that changes whenever what delivery serves or what a key check reads may have
    /// changed (by any connection, this one included): what the server's delivery cache follows,
    /// so writes that do not touch delivery (observations, reviews, drafts…) keep it.
    pub fn delivery_change_counter(&self) -> Result<i64> {
        Ok(self.store.read().delivery_change_counter()?)
    }

    /// Acts as `user` from now on (the server's pooled workspaces act as each request's key).
    pub fn act_as(&mut self, user: &str) {
        if self.user != user {
            self.user = user.to_string();
        }
    }
}
