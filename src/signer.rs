//! Where a person's signing key comes from: the private key file named by `--signing-key`,
//! `GALLEY_SIGNING_KEY` or the config's `user.signing_key`, or else the ssh-agent at
//! `$SSH_AUTH_SOCK`. Signatures are SSH signatures in the galley namespace, the same bytes
//! `ssh-keygen -Y sign -n galley` writes (`crate::domain::sshsig` checks them).
//!
//! Which key signs is decided by the workspace, not here: the caller passes the fingerprints of
//! the keys registered to the acting user, and only one of those is used.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ssh_key::{HashAlg, PrivateKey, PublicKey, SshSig};

use crate::domain::sshsig::armor;
use crate::domain::statement::NAMESPACE;

/// A statement signed: the armored signature and the fingerprint of the key that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub armored: String,
    pub fingerprint: String,
}

/// Why nothing could be signed. Each reads as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error(
        "no signing key: add your registered key to ssh-agent (`ssh-add`), or name its file with \
         --signing-key PATH, GALLEY_SIGNING_KEY or `user.signing_key` in the config"
    )]
    NoKey,
    #[error("the ssh-agent at {socket} {why}")]
    Agent { socket: String, why: String },
    #[error("the ssh-agent holds none of the keys registered to you ({wanted}): `ssh-add` one")]
    AgentLacksKey { wanted: String },
    #[error("cannot use the signing key {path}: {why}")]
    KeyFile { path: String, why: String },
    #[error(
        "the signing key {path} is protected by a passphrase and none was given: run galley on \
         a terminal to type it, or add the key to ssh-agent (`ssh-add`)"
    )]
    PassphraseNeeded { path: String },
    #[error("wrong passphrase for the signing key {path}")]
    WrongPassphrase { path: String },
    #[error("the signing key {path} ({fingerprint}) is not registered to you (yours: {wanted})")]
    NotRegistered {
        path: String,
        fingerprint: String,
        wanted: String,
    },
}

/// Asks for a key file's passphrase (on the terminal, or in the workbench).
pub type PassphrasePrompt = Box<dyn Fn(&Path) -> Option<String> + Send + Sync>;

/// The places a signing key may come from, tried in order: the key file, then the agent.
#[derive(Default)]
pub struct KeySource {
    key_file: Option<PathBuf>,
    agent_socket: Option<PathBuf>,
    passphrase: Mutex<Option<String>>,
    prompt: Option<PassphrasePrompt>,
    /// The key file's key once read (and decrypted), so a passphrase is asked for once.
    unlocked: Mutex<Option<PrivateKey>>,
}

impl std::fmt::Debug for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySource")
            .field("key_file", &self.key_file)
            .field("agent_socket", &self.agent_socket)
            .finish_non_exhaustive()
    }
}

impl KeySource {
    /// A key file (when named) and the agent at `agent_socket` (when set).
    pub fn new(key_file: Option<PathBuf>, agent_socket: Option<PathBuf>) -> Self {
        Self {
            key_file,
            agent_socket: agent_socket.filter(|p| !p.as_os_str().is_empty()),
            ..Self::default()
        }
    }

    /// The key file from the first of `flag`, `GALLEY_SIGNING_KEY` and `config`, and the agent at
    /// `$SSH_AUTH_SOCK`.
    pub fn from_environment(flag: Option<PathBuf>, config: Option<PathBuf>) -> Self {
        let env = std::env::var_os("GALLEY_SIGNING_KEY")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Self::new(
            flag.or(env).or(config),
            std::env::var_os("SSH_AUTH_SOCK").map(PathBuf::from),
        )
    }

    /// Signs with `key`, held in memory (the demo's people, who have no key files).
    pub fn in_memory(key: PrivateKey) -> Self {
        Self {
            key_file: Some(PathBuf::from("(in memory)")),
            unlocked: Mutex::new(Some(key)),
            ..Self::default()
        }
    }

    /// Asks `prompt` for a passphrase when the key file needs one.
    pub fn with_prompt(mut self, prompt: PassphrasePrompt) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// The passphrase to decrypt the key file with (from the workbench's prompt).
    pub fn set_passphrase(&self, passphrase: String) {
        *self.passphrase.lock().unwrap_or_else(|e| e.into_inner()) = Some(passphrase);
        *self.unlocked.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether any place to look for a key is configured.
    pub fn is_configured(&self) -> bool {
        self.key_file.is_some() || self.agent_socket.is_some()
    }

    /// Signs `statement` with one of the keys whose fingerprints are `wanted`.
    pub fn sign(&self, statement: &str, wanted: &[String]) -> Result<Signed, SignError> {
        if let Some(path) = &self.key_file {
            return self.sign_with_file(path, statement, wanted);
        }
        if let Some(socket) = &self.agent_socket {
            return sign_with_agent(socket, statement, wanted);
        }
        Err(SignError::NoKey)
    }

    /// Reads (and decrypts, asking for the passphrase) the key file now, so that signing later
    /// does not wait on a person; nothing to do without a key file.
    pub fn unlock(&self) -> Result<(), SignError> {
        match &self.key_file {
            Some(path) => self.file_key(path).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Whether signing will read a key file (rather than ask an agent).
    pub fn uses_key_file(&self) -> bool {
        self.key_file.is_some()
    }

    fn file_key(&self, path: &Path) -> Result<PrivateKey, SignError> {
        if let Some(key) = self
            .unlocked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Ok(key);
        }
        let shown = path.display().to_string();
        let file_error = |why: String| SignError::KeyFile {
            path: shown.clone(),
            why,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        let key = PrivateKey::from_openssh(text.trim())
            .map_err(|e| file_error(format!("not an OpenSSH private key ({e})")))?;
        let key = if key.is_encrypted() {
            let held = self
                .passphrase
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let passphrase = match held.or_else(|| self.prompt.as_ref().and_then(|ask| ask(path))) {
                Some(p) => p,
                None => return Err(SignError::PassphraseNeeded { path: shown }),
            };
            key.decrypt(passphrase.as_bytes())
                .map_err(|_| SignError::WrongPassphrase {
                    path: shown.clone(),
                })?
        } else {
            key
        };
        *self.unlocked.lock().unwrap_or_else(|e| e.into_inner()) = Some(key.clone());
        Ok(key)
    }

    fn sign_with_file(
        &self,
        path: &Path,
        statement: &str,
        wanted: &[String],
    ) -> Result<Signed, SignError> {
        let shown = path.display().to_string();
        let key = self.file_key(path)?;
        let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        if !wanted.contains(&fingerprint) {
            return Err(SignError::NotRegistered {
                path: shown,
                fingerprint,
                wanted: if wanted.is_empty() {
                    "none registered".to_string()
                } else {
                    wanted.join(", ")
                },
            });
        }
        let file_error = |why: String| SignError::KeyFile {
            path: shown.clone(),
            why,
        };
        let sig = sign_with_private_key(&key, statement)
            .map_err(|e| file_error(format!("signing failed ({e})")))?;
        Ok(Signed {
            armored: armor(&sig).map_err(file_error)?,
            fingerprint,
        })
    }
}

/// The sshsig of `statement` by `key`. ssh-key 0.6.7 rebuilds an RSA private key from the
/// primes `[p, p]` instead of `[p, q]` (RustCrypto/SSH#387, fixed only in 0.7), so every RSA
/// signature it makes fails; an RSA key signs the same sshsig blob here with the rsa crate
/// (PKCS#1 v1.5, SHA-512: OpenSSH's `rsa-sha2-512`).
fn sign_with_private_key(key: &PrivateKey, statement: &str) -> Result<SshSig, String> {
    let Some(pair) = key.key_data().rsa() else {
        return key
            .sign(NAMESPACE, HashAlg::Sha512, statement.as_bytes())
            .map_err(|e| e.to_string());
    };
    let big = |m: &ssh_key::Mpint| rsa::BigUint::try_from(m).map_err(|e| e.to_string());
    let private = rsa::RsaPrivateKey::from_components(
        big(&pair.public.n)?,
        big(&pair.public.e)?,
        big(&pair.private.d)?,
        vec![big(&pair.private.p)?, big(&pair.private.q)?],
    )
    .map_err(|e| e.to_string())?;
    let data = SshSig::signed_data(NAMESPACE, HashAlg::Sha512, statement.as_bytes())
        .map_err(|e| e.to_string())?;
    let signing = rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(private);
    let signed = rsa::signature::Signer::try_sign(&signing, &data).map_err(|e| e.to_string())?;
    let signature = ssh_key::Signature::new(
        ssh_key::Algorithm::Rsa {
            hash: Some(HashAlg::Sha512),
        },
        rsa::signature::SignatureEncoding::to_vec(&signed),
    )
    .map_err(|e| e.to_string())?;
    SshSig::new(
        key.public_key().key_data().clone(),
        NAMESPACE,
        HashAlg::Sha512,
        signature,
    )
    .map_err(|e| e.to_string())
}

fn sign_with_agent(socket: &Path, statement: &str, wanted: &[String]) -> Result<Signed, SignError> {
    let agent_error = |why: String| SignError::Agent {
        socket: socket.display().to_string(),
        why,
    };
    let mut client = ssh_agent_client_rs::Client::connect(socket)
        .map_err(|e| agent_error(format!("cannot be reached ({e})")))?;
    let identities = client
        .list_all_identities()
        .map_err(|e| agent_error(format!("did not list its keys ({e})")))?;
    let key: PublicKey = identities
        .into_iter()
        .filter_map(|id| match id {
            ssh_agent_client_rs::Identity::PublicKey(key) => Some(key.into_owned()),
            ssh_agent_client_rs::Identity::Certificate(_) => None,
        })
        .find(|key| wanted.contains(&key.fingerprint(HashAlg::Sha256).to_string()))
        .ok_or_else(|| SignError::AgentLacksKey {
            wanted: if wanted.is_empty() {
                "none registered".to_string()
            } else {
                wanted.join(", ")
            },
        })?;
    let data = SshSig::signed_data(NAMESPACE, HashAlg::Sha512, statement.as_bytes())
        .map_err(|e| agent_error(format!("could not be asked to sign ({e})")))?;
    let signature = client
        .sign(&key, &data)
        .map_err(|e| agent_error(format!("refused to sign ({e})")))?;
    let sig = SshSig::new(
        key.key_data().clone(),
        NAMESPACE,
        HashAlg::Sha512,
        signature,
    )
    .map_err(|e| agent_error(format!("gave an unusable signature ({e})")))?;
    Ok(Signed {
        armored: armor(&sig).map_err(agent_error)?,
        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
    })
}
