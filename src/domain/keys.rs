//! API keys of the delivery server: what a key may do (its scope), and the shape of its public
//! id and secret. Pure rules; storage, hashing and checks against stored keys live elsewhere.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The prefix of a key's public id.
pub const KEY_ID_PREFIX: &str = "pk-gal-";
/// The prefix of a key's secret.
pub const SECRET_PREFIX: &str = "sk-gal-";

/// What a key may do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read what one environment serves (`read:production`).
    Read(String),
    /// Read every environment (`read:*`).
    ReadAll,
    /// Read everything, create versions, move environments (through their policies), sync.
    Write,
    /// Send monitoring data only.
    Ingest,
    /// Everything a write key may, plus administration.
    Admin,
}

/// Why a scope could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}` (expected read:ENV, read:*, write, ingest or admin)")]
pub struct ScopeError(pub String);

impl Scope {
    /// Whether the key may read what `env` serves.
    pub fn can_read(&self, env: &str) -> bool {
        match self {
            Scope::Read(e) => e == env,
            Scope::ReadAll | Scope::Write | Scope::Admin => true,
            Scope::Ingest => false,
        }
    }

    /// Whether the key may read every environment (lists across environments, sync pulls).
    pub fn can_read_all(&self) -> bool {
        matches!(self, Scope::ReadAll | Scope::Write | Scope::Admin)
    }

    /// Whether the key may change the workspace: versions, deployments, reviews, sync pushes.
    pub fn can_write(&self) -> bool {
        matches!(self, Scope::Write | Scope::Admin)
    }

    /// Whether the key may send monitoring data.
    pub fn can_ingest(&self) -> bool {
        matches!(self, Scope::Ingest | Scope::Write | Scope::Admin)
    }

    /// Whether the key may administer the server.
    pub fn is_admin(&self) -> bool {
        matches!(self, Scope::Admin)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Read(env) => write!(f, "read:{env}"),
            Scope::ReadAll => f.write_str("read:*"),
            Scope::Write => f.write_str("write"),
            Scope::Ingest => f.write_str("ingest"),
            Scope::Admin => f.write_str("admin"),
        }
    }
}

impl FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t {
            "read:*" => Ok(Scope::ReadAll),
            "write" => Ok(Scope::Write),
            "ingest" => Ok(Scope::Ingest),
            "admin" => Ok(Scope::Admin),
            _ => match t.strip_prefix("read:") {
                Some(env) if is_env_name(env) => Ok(Scope::Read(env.to_string())),
                _ => Err(ScopeError(s.to_string())),
            },
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// A key as the server knows it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// The public id (`pk-gal-…`): the user name of HTTP Basic auth.
    pub id: String,
    pub name: String,
    pub scope: Scope,
    /// The workspace user the key acts as.
    pub principal: String,
    pub created_at: String,
    pub created_by: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

impl ApiKey {
    /// Whether the key still works.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A public id from 8 random bytes.
pub fn key_id_from(random: &[u8; 8]) -> String {
    format!("{KEY_ID_PREFIX}{}", hex(random))
}

/// A secret from 32 random bytes (256 bits: a plain hash of it cannot be brute-forced).
pub fn secret_from(random: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", hex(random))
}

/// What is stored of a secret: its sha256, as 64 hex digits.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a request presented to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// `Authorization: Bearer <secret>` (the native API).
    Bearer(&'a str),
    /// HTTP Basic with the public id as user and the secret as password (the Langfuse API).
    Basic { id: &'a str, secret: &'a str },
}

impl Credentials<'_> {
    /// The secret presented.
    pub fn secret(&self) -> &str {
        match self {
            Credentials::Bearer(secret) | Credentials::Basic { secret, .. } => secret,
        }
    }
}

/// Why presented credentials were refused. None of them carries the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("no API key matches")]
    Unknown,
    #[error("API key {0} is revoked")]
    Revoked(String),
}

/// Whether `secret` hashes to `stored_hash`, compared in constant time.
pub fn secret_matches(stored_hash: &str, secret: &str) -> bool {
    use subtle::ConstantTimeEq;
    let presented = secret_hash(secret);
    presented.as_bytes().ct_eq(stored_hash.as_bytes()).into()
}

/// Checks credentials against the stored key they point at (`None`: no such key): the key must
/// exist, be active, match the public id when one is given, and its hash match the secret.
pub fn check_credentials(
    credentials: Credentials<'_>,
    stored: Option<(&ApiKey, &str)>,
) -> Result<ApiKey, AuthFailure> {
    let Some((key, hash)) = stored else {
        return Err(AuthFailure::Unknown);
    };
    let id_ok = match credentials {
        Credentials::Bearer(_) => true,
        Credentials::Basic { id, .. } => id == key.id,
    };
    // The hash is compared even when the id differs, so both paths take the same time.
    let secret_ok = secret_matches(hash, credentials.secret());
    if !(id_ok && secret_ok) {
        return Err(AuthFailure::Unknown);
    }
    if !key.is_active() {
        return Err(AuthFailure::Revoked(key.id.clone()));
    }
    Ok(key.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print_back() {
        for text in [
            "read:production",
            "read:staging",
            "read:*",
            "write",
            "ingest",
            "admin",
        ] {
            let scope: Scope = text.parse().unwrap();
            assert_eq!(scope.to_string(), text);
        }
        for bad in ["read:", "read", "READ:x", "writer", "read:a b", ""] {
            assert!(bad.parse::<Scope>().is_err(), "{bad}");
        }
    }

    #[test]
    fn an_environment_key_reads_only_its_environment() {
        let staging: Scope = "read:staging".parse().unwrap();
        assert!(staging.can_read("staging"));
        assert!(!staging.can_read("production"));
        assert!(!staging.can_read_all());
        assert!(!staging.can_write());
        let all = Scope::ReadAll;
        assert!(all.can_read("production") && !all.can_write());
    }

    #[test]
    fn only_write_and_admin_keys_write() {
        assert!(Scope::Write.can_write() && Scope::Admin.can_write());
        assert!(!Scope::Ingest.can_write() && !Scope::Ingest.can_read("production"));
        assert!(Scope::Ingest.can_ingest());
        assert!(Scope::Admin.is_admin() && !Scope::Write.is_admin());
    }

    #[test]
    fn ids_and_secrets_have_their_prefixes() {
        let id = key_id_from(&[0xab; 8]);
        assert_eq!(id, "pk-gal-abababababababab");
        let secret = secret_from(&[1; 32]);
        assert!(secret.starts_with(SECRET_PREFIX));
        assert_eq!(secret.len(), SECRET_PREFIX.len() + 64);
        assert_eq!(secret_hash(&secret).len(), 64);
        assert_ne!(secret_hash(&secret), secret_hash(&secret_from(&[2; 32])));
    }

    fn key(revoked: bool) -> ApiKey {
        ApiKey {
            id: "pk-gal-1".into(),
            name: "ci".into(),
            scope: Scope::Write,
            principal: "ada".into(),
            created_at: "t".into(),
            created_by: "ada".into(),
            revoked_at: revoked.then(|| "t2".into()),
            revoked_by: revoked.then(|| "ada".into()),
        }
    }

    #[test]
    fn credentials_must_match_id_secret_and_be_active() {
        let secret = secret_from(&[7; 32]);
        let hash = secret_hash(&secret);
        let active = key(false);
        let stored = Some((&active, hash.as_str()));
        assert!(check_credentials(Credentials::Bearer(&secret), stored).is_ok());
        let basic = Credentials::Basic {
            id: "pk-gal-1",
            secret: &secret,
        };
        assert!(check_credentials(basic, stored).is_ok());
        let wrong_id = Credentials::Basic {
            id: "pk-gal-2",
            secret: &secret,
        };
        assert_eq!(
            check_credentials(wrong_id, stored),
            Err(AuthFailure::Unknown)
        );
        let wrong = Credentials::Bearer("sk-gal-nope");
        assert_eq!(check_credentials(wrong, stored), Err(AuthFailure::Unknown));
        assert_eq!(
            check_credentials(Credentials::Bearer(&secret), None),
            Err(AuthFailure::Unknown)
        );
        let revoked = key(true);
        assert_eq!(
            check_credentials(Credentials::Bearer(&secret), Some((&revoked, &hash))),
            Err(AuthFailure::Revoked("pk-gal-1".into()))
        );
    }
}
