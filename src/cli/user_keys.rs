//! `galley user key add|list|revoke`: people's SSH public keys, and where the CLI signs from.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::signer::KeySource;
use crate::workspace::{Config, UserKeyInfo};

use super::Ctx;
use super::output::{self, BAD, BOLD, DIM, GOOD, NAME, Table, paint};

#[derive(Subcommand, Debug)]
pub enum UserKeyCommand {
    /// Register an SSH public key as a user's (admins only; signed with your key, and the first
    /// key registered, your own, is the trust root)
    Add(AddKey),
    /// List registered keys, their standing and the trust root
    List {
        /// Only this user's keys
        name: Option<String>,
    },
    /// Revoke a user's key: nothing it signs counts any more (admins only)
    Revoke {
        name: String,
        /// The key's fingerprint, `SHA256:…` as `galley user key list` shows it
        fingerprint: String,
    },
}

#[derive(Args, Debug)]
pub struct AddKey {
    name: String,
    /// The public key file (`~/.ssh/id_ed25519.pub`): ed25519, ecdsa or rsa
    #[arg(long, value_name = "KEY.pub")]
    file: PathBuf,
}

/// Where this invocation signs from: `--signing-key`, `GALLEY_SIGNING_KEY`, the config's
/// `user.signing_key`, else the ssh-agent at `$SSH_AUTH_SOCK`; a key file's passphrase is asked
/// for on the terminal.
pub fn key_source(flag: Option<PathBuf>, config: &Config) -> KeySource {
    KeySource::from_environment(flag, config.user.signing_key.clone())
        .with_prompt(Box::new(ask_passphrase))
}

fn ask_passphrase(path: &Path) -> Option<String> {
    rpassword::prompt_password(format!("Passphrase for {}: ", path.display())).ok()
}

pub fn run(ctx: &mut Ctx, command: UserKeyCommand) -> anyhow::Result<()> {
    let ws = &mut ctx.workspace;
    match command {
        UserKeyCommand::Add(args) => {
            let text = std::fs::read_to_string(&args.file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
            let key = ws
                .add_user_key(&args.name, &text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
            if ctx.json {
                return output::print_json(&key);
            }
            let root = if key.root { " (the trust root)" } else { "" };
            output::print(&format!(
                "registered {} key {} for {}{root}",
                key.algorithm,
                key.fingerprint,
                paint(NAME, &key.user)
            ));
        }
        UserKeyCommand::List { name } => {
            let listing = ws.user_keys(name.as_deref())?;
            if ctx.json {
                return output::print_json(&listing);
            }
            if listing.keys.is_empty() {
                output::print(
                    "no keys registered: an admin registers their own first with `galley user \
                     key add NAME --file ~/.ssh/id_ed25519.pub`",
                );
                return Ok(());
            }
            let mut table = Table::default();
            table.row(
                ["USER", "FINGERPRINT", "TYPE", "STATUS", "ADDED BY"]
                    .map(|h| paint(BOLD, h))
                    .to_vec(),
            );
            for key in &listing.keys {
                table.row(vec![
                    paint(NAME, &key.user),
                    key.fingerprint.clone(),
                    key.algorithm.clone(),
                    status(key),
                    key.added_by.clone(),
                ]);
            }
            output::print(table.render().trim_end());
            if let Some(root) = &listing.root {
                output::print(&paint(
                    DIM,
                    format!("trust root: {root} (pin it: galley audit verify --root {root})"),
                ));
            }
        }
        UserKeyCommand::Revoke { name, fingerprint } => {
            let key = ws.revoke_user_key(&name, &fingerprint)?;
            if ctx.json {
                return output::print_json(&key);
            }
            output::print(&format!(
                "revoked {}'s key {}: nothing it signs counts any more",
                paint(NAME, &key.user),
                key.fingerprint
            ));
        }
    }
    Ok(())
}

fn status(key: &UserKeyInfo) -> String {
    let word = match key.status.as_str() {
        "valid" if key.root => paint(GOOD, "✓ valid (root)"),
        "valid" => paint(GOOD, "✓ valid"),
        other => paint(BAD, format!("✗ {other}")),
    };
    match &key.reason {
        Some(why) => format!("{word}: {why}"),
        None => word,
    }
}
