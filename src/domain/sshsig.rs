//! SSH public keys and signatures in the formats OpenSSH writes: `ssh-ed25519 AAAA… comment`
//! public keys and the armored `-----BEGIN SSH SIGNATURE-----` blocks of `ssh-keygen -Y sign`
//! (PROTOCOL.sshsig). Pure computation over text: reading key files and talking to an ssh-agent
//! is `crate::signer`'s.

use ssh_key::{Algorithm, HashAlg, LineEnding, PublicKey, SshSig};

use super::statement::NAMESPACE;

/// A public key galley accepts, with its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshPublicKey {
    key: PublicKey,
    /// `SHA256:` and the unpadded base64 of the key's sha256, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
}

impl SshPublicKey {
    /// Parses one OpenSSH public key line (`TYPE BASE64 [COMMENT]`). Ed25519, ECDSA (P-256,
    /// P-384, P-521) and RSA keys of at least 2048 bits are accepted; anything else is refused
    /// with the reason.
    pub fn parse(text: &str) -> Result<Self, String> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .ok_or("the key file is empty: expected one line like `ssh-ed25519 AAAA… you@host`")?;
        if line.contains("PRIVATE KEY") {
            return Err(
                "this is a private key: register the public key (the `.pub` file)".to_string(),
            );
        }
        let key = PublicKey::from_openssh(line).map_err(|e| {
            format!(
                "not an OpenSSH public key ({e}): expected a line like `ssh-ed25519 AAAA… you@host`"
            )
        })?;
        Self::from_key(key)
    }

    /// Accepts `key` if its algorithm is one galley verifies.
    pub fn from_key(key: PublicKey) -> Result<Self, String> {
        match key.algorithm() {
            Algorithm::Ed25519 | Algorithm::Ecdsa { .. } => {}
            Algorithm::Rsa { .. } => {
                let bits = key
                    .key_data()
                    .rsa()
                    .and_then(|rsa| rsa.n.as_positive_bytes())
                    .map_or(0, |n| n.len() * 8);
                if bits < 2048 {
                    return Err(format!(
                        "RSA keys need at least 2048 bits; this one has {bits}"
                    ));
                }
            }
            other => {
                return Err(format!(
                    "unsupported key type {other}: use an ed25519, ecdsa or rsa key"
                ));
            }
        }
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        Ok(Self { key, fingerprint })
    }

    /// `TYPE BASE64`, without the comment: the form kept in the workspace and signed.
    pub fn openssh(&self) -> String {
        let mut key = self.key.clone();
        key.set_comment("");
        key.to_openssh()
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    }

    /// The key type, as OpenSSH names it (`ssh-ed25519`).
    pub fn algorithm(&self) -> String {
        self.key.algorithm().to_string()
    }

    pub fn key(&self) -> &PublicKey {
        &self.key
    }
}

/// Why a signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadSignature {
    /// Not an armored SSH signature at all.
    Malformed(String),
    /// Made for another purpose than galley's.
    Namespace(String),
    /// Made with another key than the one expected.
    OtherKey(String),
    /// The signature does not match the statement.
    Invalid,
}

impl std::fmt::Display for BadSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadSignature::Malformed(why) => write!(f, "not an SSH signature ({why})"),
            BadSignature::Namespace(ns) => {
                write!(f, "signed for namespace `{ns}`, not `{NAMESPACE}`")
            }
            BadSignature::OtherKey(fp) => write!(f, "signed with another key ({fp})"),
            BadSignature::Invalid => f.write_str("the signature does not match what it signs"),
        }
    }
}

/// The fingerprint of the key that made `armored`, without checking the signature.
pub fn signer_fingerprint(armored: &str) -> Result<String, BadSignature> {
    let sig =
        SshSig::from_pem(armored.trim()).map_err(|e| BadSignature::Malformed(e.to_string()))?;
    Ok(PublicKey::from(sig.public_key().clone())
        .fingerprint(HashAlg::Sha256)
        .to_string())
}

/// Checks that `armored` is a galley-namespace signature of exactly `statement` by the key
/// with fingerprint `expected` (any key when `None`); returns the signing key's fingerprint.
pub fn verify(
    statement: &str,
    armored: &str,
    expected: Option<&str>,
) -> Result<String, BadSignature> {
    let sig =
        SshSig::from_pem(armored.trim()).map_err(|e| BadSignature::Malformed(e.to_string()))?;
    if sig.namespace() != NAMESPACE {
        return Err(BadSignature::Namespace(sig.namespace().to_string()));
    }
    let key = PublicKey::from(sig.public_key().clone());
    let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
    if let Some(expected) = expected
        && expected != fingerprint
    {
        return Err(BadSignature::OtherKey(fingerprint));
    }
    key.verify(NAMESPACE, statement.as_bytes(), &sig)
        .map_err(|_| BadSignature::Invalid)?;
    Ok(fingerprint)
}

/// `sig` armored the way `ssh-keygen -Y sign` writes it.
pub fn armor(sig: &SshSig) -> Result<String, String> {
    sig.to_pem(LineEnding::LF).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssh_key::PrivateKey;
    use ssh_key::rand_core::OsRng;

    #[test]
    fn a_signature_verifies_only_over_its_statement_and_key() {
        let key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        let other = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        let public = SshPublicKey::from_key(key.public_key().clone()).unwrap();
        let sig = armor(&key.sign(NAMESPACE, HashAlg::Sha512, b"hello\n").unwrap()).unwrap();
        assert_eq!(
            verify("hello\n", &sig, Some(&public.fingerprint)),
            Ok(public.fingerprint.clone())
        );
        assert_eq!(verify("hello", &sig, None), Err(BadSignature::Invalid));
        let theirs = SshPublicKey::from_key(other.public_key().clone()).unwrap();
        assert!(matches!(
            verify("hello\n", &sig, Some(&theirs.fingerprint)),
            Err(BadSignature::OtherKey(_))
        ));
        let git = armor(&key.sign("git", HashAlg::Sha512, b"hello\n").unwrap()).unwrap();
        assert_eq!(
            verify("hello\n", &git, None),
            Err(BadSignature::Namespace("git".into()))
        );
        assert!(matches!(
            verify("hello\n", "-----BEGIN SSH SIGNATURE-----\nAAAA\n", None),
            Err(BadSignature::Malformed(_))
        ));
    }

    #[test]
    fn public_keys_are_parsed_with_clear_refusals() {
        let key = PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap();
        let line = format!("{} me@host\n", key.public_key().to_openssh().unwrap());
        let parsed = SshPublicKey::parse(&line).unwrap();
        assert!(parsed.fingerprint.starts_with("SHA256:"));
        assert!(!parsed.openssh().contains("me@host"));
        assert!(SshPublicKey::parse("").unwrap_err().contains("empty"));
        assert!(
            SshPublicKey::parse("-----BEGIN OPENSSH PRIVATE KEY-----\nabc")
                .unwrap_err()
                .contains("private key")
        );
        assert!(
            SshPublicKey::parse("ssh-ed25519 !!!")
                .unwrap_err()
                .contains("not an OpenSSH public key")
        );
    }
}
