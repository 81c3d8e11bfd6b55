//! The demo's people: their accounts, and an ed25519 key each, made in memory for this run and
//! registered in the workspace (the first admin's own key first, the trust root, then every
//! other, each registration signed by that admin), so that every decision and deployment of the
//! demo is signed by the person who makes it. The private keys are written beside the workspace
//! file (`FILE.demo-keys/NAME`, readable by the owner only), so the demo's people can go on
//! signing (`--signing-key FILE.demo-keys/ada`).

use std::collections::BTreeMap;

use ssh_key::{Algorithm, PrivateKey};

use crate::signer::KeySource;

use super::demo_script::DemoUser;
use super::demo_story::Story;
use super::{DemoReport, Result, Workspace, WorkspaceError};

/// The private key of each of the demo's people, by name.
pub(super) struct DemoPeople {
    keys: BTreeMap<String, PrivateKey>,
}

impl DemoPeople {
    /// A fresh ed25519 key for each of `users`.
    fn generate(users: &[DemoUser]) -> Result<Self> {
        let mut keys = BTreeMap::new();
        for user in users {
            let key = PrivateKey::random(&mut ssh_key::rand_core::OsRng, Algorithm::Ed25519)
                .map_err(|e| {
                    WorkspaceError::Refused(format!(
                        "cannot make a signing key for the demo's {}: {e}",
                        user.name
                    ))
                })?;
            keys.insert(user.name.clone(), key);
        }
        Ok(Self { keys })
    }

    /// What `name` signs with: their key, held in memory (nothing for someone not in the script).
    pub(super) fn signer(&self, name: &str) -> KeySource {
        match self.keys.get(name) {
            Some(key) => KeySource::in_memory(key.clone()),
            None => KeySource::default(),
        }
    }

    /// Writes every private key to `dir/NAME` (OpenSSH format, mode 0600); returns `dir`.
    pub(super) fn save(&self, dir: &std::path::Path) -> Result<std::path::PathBuf> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let io = |path: &std::path::Path, cause: std::io::Error| WorkspaceError::Io {
            path: path.to_path_buf(),
            cause,
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        for (name, key) in &self.keys {
            let path = dir.join(name);
            let text = key
                .to_openssh(ssh_key::LineEnding::LF)
                .map_err(|e| WorkspaceError::Refused(format!("{name}'s demo key: {e}")))?;
            let _ = std::fs::remove_file(&path);
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| io(&path, e))?;
            file.write_all(text.as_bytes()).map_err(|e| io(&path, e))?;
        }
        Ok(dir.to_path_buf())
    }

    fn public_line(&self, name: &str) -> Result<String> {
        let key = self
            .keys
            .get(name)
            .ok_or_else(|| WorkspaceError::Refused(format!("the demo has no key for {name}")))?;
        key.public_key()
            .to_openssh()
            .map_err(|e| WorkspaceError::Refused(format!("{name}'s demo key: {e}")))
    }
}

impl Workspace {
    /// Adds the demo's people as the first of them (the admin), then registers a key for each:
    /// the admin's own first (the trust root), then the others, each signed by the admin.
    pub(super) fn add_demo_people(
        &mut self,
        users: &[DemoUser],
        story: &mut Story,
        report: &mut DemoReport,
    ) -> Result<DemoPeople> {
        let admin = users
            .first()
            .map(|u| u.name.clone())
            .ok_or_else(|| WorkspaceError::Refused("the demo script names no people".into()))?;
        let people = DemoPeople::generate(users)?;
        self.user = admin.clone();
        for u in users {
            let role = u.role.parse().map_err(WorkspaceError::Refused)?;
            self.add_user(&u.name, role, &u.groups)?;
            report.users += 1;
            story.tick()?;
        }
        self.set_signer(people.signer(&admin));
        for u in users {
            self.add_user_key(&u.name, &people.public_line(&u.name)?)?;
            report.keys += 1;
            story.tick()?;
        }
        let mut dir = self.path().as_os_str().to_owned();
        dir.push(".demo-keys");
        report.keys_dir = Some(people.save(std::path::Path::new(&dir))?);
        Ok(people)
    }
}
