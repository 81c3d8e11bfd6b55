//! People's SSH keys: registering (by an admin, signed back to the trust root), listing and
//! revoking them, and signing a statement as the acting user (see `keyring` for trust).

use serde::Serialize;
use serde_json::json;

use crate::domain::sshsig::SshPublicKey;
use crate::domain::statement::{KeyAction, KeyStatement};
use crate::signer::{KeySource, SignError, Signed};
use crate::store::{KeyRevocationRow, Tx, UserKeyRow};

use super::keyring::{KeyRing, KeyStanding};
use super::people::require_admin;
use super::{Result, Workspace, WorkspaceError, now};

/// One registered key, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserKeyInfo {
    pub user: String,
    pub fingerprint: String,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`, …
    pub algorithm: String,
    pub public_key: String,
    pub added_by: String,
    pub at: String,
    /// `valid`, `revoked` or `untrusted`.
    pub status: String,
    /// Why it is revoked or untrusted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether it is the trust root.
    pub root: bool,
}

/// The registered keys and the trust root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyListing {
    /// The trust root's fingerprint: pin it with `galley audit verify --root`.
    pub root: Option<String>,
    pub keys: Vec<UserKeyInfo>,
}

fn refused(msg: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Refused(msg.into())
}

fn info(key: &super::keyring::RingKey) -> UserKeyInfo {
    let (status, reason) = match &key.standing {
        KeyStanding::Valid => ("valid", None),
        KeyStanding::Revoked { by, at } => ("revoked", Some(format!("revoked by {by} at {at}"))),
        KeyStanding::Untrusted(why) => ("untrusted", Some(why.clone())),
    };
    UserKeyInfo {
        user: key.row.user.clone(),
        fingerprint: key.row.fingerprint.clone(),
        algorithm: key
            .row
            .public_key
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string(),
        public_key: key.row.public_key.clone(),
        added_by: key.row.added_by.clone(),
        at: key.row.at.clone(),
        status: status.to_string(),
        reason,
        root: key.root,
    }
}

/// `SHA256:abc` from `SHA256:abc` or `abc`.
fn full_fingerprint(fp: &str) -> String {
    let fp = fp.trim();
    if fp.starts_with("SHA256:") {
        fp.to_string()
    } else {
        format!("SHA256:{fp}")
    }
}

impl Workspace {
    /// Where this workspace's user signs from (a key file, an agent, or nowhere).
    pub fn set_signer(&mut self, signer: KeySource) {
        self.signer = std::sync::Arc::new(signer);
    }

    /// The signing key source, to share with another connection to the same file (the
    /// workbench's long requests: a key unlocked once signs there too).
    pub fn shared_signer(&self) -> std::sync::Arc<KeySource> {
        self.signer.clone()
    }

    /// Signs with `signer`, shared with another workspace (see [`Self::shared_signer`]).
    pub fn share_signer(&mut self, signer: std::sync::Arc<KeySource>) {
        self.signer = signer;
    }

    pub fn signer(&self) -> &KeySource {
        &self.signer
    }

    /// Registers `public_key` (one OpenSSH public key line) as `name`'s (admins only), signed
    /// with the acting admin's registered key. The first key of a workspace is the trust root:
    /// it must be the acting admin's own, signed by itself.
    pub fn add_user_key(&mut self, name: &str, public_key: &str) -> Result<UserKeyInfo> {
        let name = name.trim();
        let key =
            SshPublicKey::parse(public_key).map_err(|e| refused(format!("invalid key: {e}")))?;
        let actor = self.user.clone();
        let account = self.account.clone();
        self.signer.unlock()?;
        let signer = &self.signer;
        let fingerprint = self.store.write(|tx| {
            let at = now();
            require_admin(tx, &actor, account.as_deref(), &at, "register keys")?;
            if tx.user(name)?.is_none() {
                return Err(refused(format!(
                    "no user {name} in this workspace (add them with `galley user add {name}`)"
                )));
            }
            if let Some(other) = tx
                .user_keys()?
                .into_iter()
                .find(|k| k.fingerprint == key.fingerprint)
            {
                return Err(refused(format!(
                    "key {} is already registered to {} (since {})",
                    key.fingerprint, other.user, other.at
                )));
            }
            let ring = KeyRing::load(tx, None)?;
            let wanted = if ring.root().is_none() {
                if name != actor {
                    return Err(refused(format!(
                        "the first key registered is the trust root and must be your own: \
                         register yours first (`galley user key add {actor} --file KEY.pub`)"
                    )));
                }
                vec![key.fingerprint.clone()]
            } else {
                let mine = ring.valid_fingerprints(&actor);
                if mine.is_empty() {
                    return Err(refused(format!(
                        "{actor} has no trusted key to sign the registration with: an admin \
                         with a registered key must register it"
                    )));
                }
                mine
            };
            let mut row = UserKeyRow {
                id: 0,
                record_id: uuid::Uuid::now_v7().to_string(),
                user: name.to_string(),
                fingerprint: key.fingerprint.clone(),
                public_key: key.openssh(),
                added_by: actor.clone(),
                at: at.clone(),
                statement: String::new(),
                signature: None,
            };
            let workspace = tx.workspace_id()?;
            row.statement = super::keyring::registration_statement(&row, &workspace);
            let signed = signer.sign(&row.statement, &wanted)?;
            row.signature = Some(signed.armored);
            tx.insert_user_key(&row)?;
            tx.append_audit(
                &actor,
                &at,
                "user.key.add",
                name,
                &json!({"fingerprint": row.fingerprint, "key": row.public_key,
                        "record": row.record_id, "signed_with": signed.fingerprint}),
            )?;
            Ok(row.fingerprint)
        })?;
        self.user_key(&fingerprint)
    }

    /// Revokes `name`'s key `fingerprint` (admins only, signed with their key): from now on it
    /// signs nothing that counts. The trust root cannot be revoked.
    pub fn revoke_user_key(&mut self, name: &str, fingerprint: &str) -> Result<UserKeyInfo> {
        let name = name.trim();
        let fingerprint = full_fingerprint(fingerprint);
        let actor = self.user.clone();
        let account = self.account.clone();
        self.signer.unlock()?;
        let signer = &self.signer;
        self.store.write(|tx| {
            let at = now();
            require_admin(tx, &actor, account.as_deref(), &at, "revoke keys")?;
            let ring = KeyRing::load(tx, None)?;
            let key = ring
                .keys_of(name)
                .find(|k| k.row.fingerprint == fingerprint)
                .ok_or_else(|| {
                    refused(format!(
                        "{name} has no key {fingerprint} (see `galley user key list {name}`)"
                    ))
                })?;
            if key.root {
                return Err(refused(format!(
                    "{fingerprint} is the trust root and cannot be revoked"
                )));
            }
            if let KeyStanding::Revoked { by, at } = &key.standing {
                return Err(refused(format!(
                    "{fingerprint} was already revoked by {by} at {at}"
                )));
            }
            let mine = ring.valid_fingerprints(&actor);
            if mine.is_empty() {
                return Err(refused(format!(
                    "{actor} has no trusted key to sign the revocation with"
                )));
            }
            let workspace = tx.workspace_id()?;
            let record_id = uuid::Uuid::now_v7().to_string();
            let statement = KeyStatement {
                workspace: &workspace,
                record: &record_id,
                action: KeyAction::Revoke,
                user: name,
                fingerprint: &fingerprint,
                public_key: "",
                by: &actor,
                at: &at,
            }
            .text();
            let signed = signer.sign(&statement, &mine)?;
            tx.insert_key_revocation(&KeyRevocationRow {
                id: 0,
                record_id: record_id.clone(),
                user: name.to_string(),
                fingerprint: fingerprint.clone(),
                revoked_by: actor.clone(),
                at: at.clone(),
                statement,
                signature: Some(signed.armored),
            })?;
            tx.append_audit(
                &actor,
                &at,
                "user.key.revoke",
                name,
                &json!({"fingerprint": fingerprint, "record": record_id,
                        "signed_with": signed.fingerprint}),
            )?;
            Ok(())
        })?;
        self.user_key(&fingerprint)
    }

    /// The registered keys (of `name`, when given) with their standing, and the trust root.
    pub fn user_keys(&self, name: Option<&str>) -> Result<KeyListing> {
        let tx = self.store.read();
        if let Some(name) = name
            && tx.user(name)?.is_none()
        {
            return Err(refused(format!("no user {name} in this workspace")));
        }
        let ring = KeyRing::load(&tx, None)?;
        Ok(KeyListing {
            root: ring.root().map(|k| k.row.fingerprint.clone()),
            keys: ring
                .keys
                .iter()
                .filter(|k| name.is_none_or(|n| k.row.user == n))
                .map(info)
                .collect(),
        })
    }

    fn user_key(&self, fingerprint: &str) -> Result<UserKeyInfo> {
        self.user_keys(None)?
            .keys
            .into_iter()
            .find(|k| k.fingerprint == fingerprint)
            .ok_or_else(|| refused(format!("no key {fingerprint}")))
    }

    /// Gets the signer ready (asks for a key file's passphrase now) when the acting user has a
    /// registered key or `required`, so that nothing waits on a person inside a write.
    pub(super) fn ready_to_sign(&self, required: bool) -> Result<()> {
        let has_key = {
            let tx = self.store.read();
            !KeyRing::load(&tx, None)?
                .valid_fingerprints(&self.user)
                .is_empty()
        };
        if has_key || required {
            self.signer.unlock()?;
        }
        Ok(())
    }
}

/// Signs `statement` as `user` with one of their trusted keys. When `required_by` names an
/// environment whose policy requires signatures, failing to sign refuses the operation;
/// otherwise a user without a registered key or without a key at hand signs nothing (a key
/// file they named that cannot be used is still an error).
pub(super) fn sign_as(
    tx: &Tx<'_>,
    signer: &KeySource,
    user: &str,
    statement: &str,
    required_by: Option<&str>,
) -> Result<Option<Signed>> {
    let ring = KeyRing::load(tx, None)?;
    let wanted = ring.valid_fingerprints(user);
    if wanted.is_empty() {
        return match required_by {
            Some(env) => Err(refused(format!(
                "{env} requires signatures and {user} has no registered key: an admin registers \
                 one with `galley user key add {user} --file KEY.pub`"
            ))),
            None => Ok(None),
        };
    }
    match signer.sign(statement, &wanted) {
        Ok(signed) => Ok(Some(signed)),
        Err(err) if required_by.is_some() || signer.uses_key_file() => Err(err.into()),
        Err(SignError::NoKey | SignError::Agent { .. } | SignError::AgentLacksKey { .. }) => {
            Ok(None)
        }
        Err(err) => Err(err.into()),
    }
}
