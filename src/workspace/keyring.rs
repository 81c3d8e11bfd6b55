//! Which registered SSH keys are trusted, and whether a signed record's signature holds.
//!
//! **Trust.** Key registrations and revocations are records signed by an admin. The trust root is
//! the first registration that an admin signed with the very key it registers (or, pinned by
//! `audit verify --root` or a server, the registration of that fingerprint). Every later
//! registration counts only when it is signed by a trusted key of the admin named as its
//! registrar; a revocation only when signed by a trusted admin key. A key slipped into the file
//! for someone else therefore does not verify, whatever its row says.
//!
//! **Revocation is total.** A revoked key's signatures never count again, whatever time they
//! claim (a signer writes its own time). The trust root cannot be revoked.
//!
//! **Checking a record.** The statement is rebuilt from the record's fields and compared with
//! the stored one, then the signature is verified over it and its key looked up here: a changed
//! record, a signature moved to another record, an unregistered or revoked key, each is named.

use std::collections::BTreeMap;

use crate::domain::people::Role;
use crate::domain::policy::SignatureCheck;
use crate::domain::sshsig::{self, SshPublicKey};
use crate::domain::statement::{KeyAction, KeyStatement};
use crate::store::{KeyRevocationRow, Tx, UserKeyRow};

use super::Result;

/// Where one registered key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStanding {
    /// Trusted: it signs.
    Valid,
    /// Revoked by `by` at `at`.
    Revoked { by: String, at: String },
    /// Its registration does not verify, and why.
    Untrusted(String),
}

impl KeyStanding {
    /// `valid`, `revoked` or `untrusted`.
    pub fn as_str(&self) -> &'static str {
        match self {
            KeyStanding::Valid => "valid",
            KeyStanding::Revoked { .. } => "revoked",
            KeyStanding::Untrusted(_) => "untrusted",
        }
    }
}

/// One registered key with its standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RingKey {
    pub row: UserKeyRow,
    pub standing: KeyStanding,
    /// Whether this is the trust root.
    pub root: bool,
}

/// Every registered key, with which ones are trusted.
#[derive(Debug, Clone, Default)]
pub struct KeyRing {
    pub keys: Vec<RingKey>,
    /// The revocations that did not verify, with why (they revoke nothing).
    pub bad_revocations: Vec<(KeyRevocationRow, String)>,
}

/// The statement a registration row must carry.
pub(super) fn registration_statement(row: &UserKeyRow, workspace: &str) -> String {
    KeyStatement {
        workspace,
        record: &row.record_id,
        action: KeyAction::Register,
        user: &row.user,
        fingerprint: &row.fingerprint,
        public_key: &row.public_key,
        by: &row.added_by,
        at: &row.at,
    }
    .text()
}

/// The statement a revocation row must carry.
pub(super) fn revocation_statement(row: &KeyRevocationRow, workspace: &str) -> String {
    KeyStatement {
        workspace,
        record: &row.record_id,
        action: KeyAction::Revoke,
        user: &row.user,
        fingerprint: &row.fingerprint,
        public_key: "",
        by: &row.revoked_by,
        at: &row.at,
    }
    .text()
}

/// The workspace a stored statement names (its `workspace:` line): where it was signed.
pub(in crate::workspace) fn statement_workspace(statement: &str) -> &str {
    statement
        .lines()
        .nth(1)
        .and_then(|l| l.strip_prefix("workspace: "))
        .unwrap_or("")
}

/// The names of the workspace's admins; `None` for a workspace without users, which anyone may
/// manage (a client that pulled a server's keys, say): there the signatures alone decide.
fn admins(tx: &Tx<'_>) -> Result<Option<Vec<String>>> {
    let users = tx.users()?;
    if users.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        users
            .into_iter()
            .filter(|u| u.role == Role::Admin)
            .map(|u| u.name)
            .collect(),
    ))
}

fn is_admin(admins: &Option<Vec<String>>, who: &str) -> bool {
    admins.as_ref().is_none_or(|a| a.iter().any(|n| n == who))
}

impl KeyRing {
    /// Whether a registration received from elsewhere would be trusted here, on top of this
    /// workspace's keys (`Err` with the reason when not).
    pub(super) fn judge_received_registration(
        tx: &Tx<'_>,
        row: &UserKeyRow,
    ) -> Result<std::result::Result<(), String>> {
        let ring = Self::load(tx, None)?;
        Ok(match ring.judge_registration(row, &admins(tx)?, None) {
            KeyStanding::Valid => Ok(()),
            KeyStanding::Untrusted(why) => Err(why),
            KeyStanding::Revoked { .. } => Err("it is revoked".to_string()),
        })
    }

    /// Whether a revocation received from elsewhere would be trusted here.
    pub(super) fn judge_received_revocation(
        tx: &Tx<'_>,
        rev: &KeyRevocationRow,
    ) -> Result<std::result::Result<(), String>> {
        let ring = Self::load(tx, None)?;
        Ok(ring.judge_revocation(rev, &admins(tx)?))
    }

    /// Loads and checks every registration and revocation. `pinned_root` names the trust
    /// root's fingerprint when it is kept outside the file.
    pub fn load(tx: &Tx<'_>, pinned_root: Option<&str>) -> Result<Self> {
        let registrations = tx.user_keys()?;
        if registrations.is_empty() {
            return Ok(Self::default());
        }
        let admins = admins(tx)?;
        let mut ring = KeyRing::default();
        for row in registrations {
            let standing = ring.judge_registration(&row, &admins, pinned_root);
            let root = standing == KeyStanding::Valid && !ring.keys.iter().any(|k| k.root);
            ring.keys.push(RingKey {
                row,
                standing,
                root,
            });
        }
        for rev in tx.key_revocations()? {
            match ring.judge_revocation(&rev, &admins) {
                Ok(()) => {
                    for key in ring.keys.iter_mut().filter(|k| {
                        k.row.fingerprint == rev.fingerprint && k.row.user == rev.user && !k.root
                    }) {
                        if key.standing == KeyStanding::Valid {
                            key.standing = KeyStanding::Revoked {
                                by: rev.revoked_by.clone(),
                                at: rev.at.clone(),
                            };
                        }
                    }
                }
                Err(why) => ring.bad_revocations.push((rev, why)),
            }
        }
        Ok(ring)
    }

    /// The trust root, if one verifies.
    pub fn root(&self) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.root)
    }

    /// The trusted keys of `user`'s, by fingerprint.
    pub fn valid_fingerprints(&self, user: &str) -> Vec<String> {
        self.keys
            .iter()
            .filter(|k| k.row.user == user && k.standing == KeyStanding::Valid)
            .map(|k| k.row.fingerprint.clone())
            .collect()
    }

    /// Every key registered to `user` (whatever its standing).
    pub fn keys_of<'a>(&'a self, user: &'a str) -> impl Iterator<Item = &'a RingKey> + 'a {
        self.keys.iter().filter(move |k| k.row.user == user)
    }

    fn valid_key_of(&self, fingerprint: &str, owner: &str) -> bool {
        self.keys.iter().any(|k| {
            k.row.fingerprint == fingerprint
                && k.row.user == owner
                && k.standing == KeyStanding::Valid
        })
    }

    fn judge_registration(
        &self,
        row: &UserKeyRow,
        admins: &Option<Vec<String>>,
        pinned_root: Option<&str>,
    ) -> KeyStanding {
        let untrusted = |why: String| KeyStanding::Untrusted(why);
        match SshPublicKey::parse(&row.public_key) {
            Ok(key) if key.fingerprint == row.fingerprint => {}
            Ok(key) => {
                return untrusted(format!(
                    "its fingerprint {} is not its key's ({})",
                    row.fingerprint, key.fingerprint
                ));
            }
            Err(why) => return untrusted(format!("its key does not parse: {why}")),
        }
        let expected = registration_statement(row, statement_workspace(&row.statement));
        if row.statement != expected {
            return untrusted("its statement does not match the registration".to_string());
        }
        let Some(signature) = &row.signature else {
            return untrusted("it is not signed".to_string());
        };
        let signer = match sshsig::verify(&row.statement, signature, None) {
            Ok(fp) => fp,
            Err(why) => return untrusted(format!("its signature does not hold: {why}")),
        };
        if !is_admin(admins, &row.added_by) {
            return untrusted(format!("{} is not an admin", row.added_by));
        }
        let have_root = self.root().is_some();
        if !have_root {
            // The trust root: an admin's own key, signed by itself (and the pinned one, if any).
            let self_signed = signer == row.fingerprint && row.user == row.added_by;
            let pinned_ok = pinned_root.is_none_or(|p| p == row.fingerprint);
            if self_signed && pinned_ok {
                return KeyStanding::Valid;
            }
            return untrusted(match pinned_root {
                Some(p) if self_signed => format!("the trust root is {p}, not this key"),
                _ => "it is not signed by a trusted key (no trust root before it)".to_string(),
            });
        }
        if self.valid_key_of(&signer, &row.added_by) {
            KeyStanding::Valid
        } else {
            untrusted(format!(
                "it is signed by {signer}, which is not a trusted key of {}",
                row.added_by
            ))
        }
    }

    fn judge_revocation(
        &self,
        rev: &KeyRevocationRow,
        admins: &Option<Vec<String>>,
    ) -> std::result::Result<(), String> {
        let expected = revocation_statement(rev, statement_workspace(&rev.statement));
        if rev.statement != expected {
            return Err("its statement does not match the revocation".to_string());
        }
        let signature = rev.signature.as_deref().ok_or("it is not signed")?;
        let signer = sshsig::verify(&rev.statement, signature, None)
            .map_err(|why| format!("its signature does not hold: {why}"))?;
        if !is_admin(admins, &rev.revoked_by) || !self.valid_key_of(&signer, &rev.revoked_by) {
            return Err(format!(
                "it is not signed by a trusted key of an admin ({} signed with {signer})",
                rev.revoked_by
            ));
        }
        Ok(())
    }

    /// Whether `signature` over `expected` (the statement rebuilt from the record) holds, made
    /// by a trusted key of `who`. `stored` is the statement kept with the record.
    pub fn check(
        &self,
        expected: &str,
        stored: Option<&str>,
        signature: Option<&str>,
        who: &str,
    ) -> SignatureCheck {
        let Some(signature) = signature else {
            return SignatureCheck::Unsigned;
        };
        if stored != Some(expected) {
            return SignatureCheck::Bad(
                "the signed statement does not match the record (it was changed after signing)"
                    .to_string(),
            );
        }
        let fingerprint = match sshsig::verify(expected, signature, None) {
            Ok(fp) => fp,
            Err(why) => return SignatureCheck::Bad(why.to_string()),
        };
        let mine: Vec<&RingKey> = self
            .keys
            .iter()
            .filter(|k| k.row.fingerprint == fingerprint && k.row.user == who)
            .collect();
        if mine.iter().any(|k| k.standing == KeyStanding::Valid) {
            return SignatureCheck::Verified;
        }
        SignatureCheck::Bad(match mine.first().map(|k| &k.standing) {
            Some(KeyStanding::Revoked { by, at }) => {
                format!("signed by a revoked key ({fingerprint}, revoked by {by} at {at})")
            }
            Some(KeyStanding::Untrusted(why)) => {
                format!("signed by {fingerprint}, whose registration does not verify: {why}")
            }
            _ => format!("signed by a key not registered to {who} ({fingerprint})"),
        })
    }

    /// Each user's keys, by user: for listings.
    pub fn by_user(&self) -> BTreeMap<&str, Vec<&RingKey>> {
        let mut out: BTreeMap<&str, Vec<&RingKey>> = BTreeMap::new();
        for key in &self.keys {
            out.entry(key.row.user.as_str()).or_default().push(key);
        }
        out
    }
}
