//! `galley key create|list|revoke`: API keys of the delivery server, on the server's workspace
//! file (`galley --db server.db key create ...`).

use std::path::Path;

use clap::{Args, Subcommand};

use crate::domain::keys::{ApiKey, Scope};
use crate::workspace::Config;

use super::output::{self, BOLD, DIM, NAME, Table, WARN, paint};

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Create a key; its secret is printed once and stored only as a hash
    ///
    /// Here `--user U` names the workspace user the key acts as (its principal; by default
    /// whoever creates it); the creator is you, as without --user. Admins only.
    Create(CreateArgs),
    /// List keys (never their secrets)
    List,
    /// Revoke a key, by id or by name; it stops working on the next request
    Revoke(RevokeArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// A name saying who uses the key, e.g. checkout-service
    #[arg(long)]
    name: String,
    /// read:ENV (one environment), read:* (all), write, ingest or admin
    #[arg(long, value_parser = parse_scope)]
    scope: Scope,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// The key's id (pk-gal-...) or its name
    key: String,
}

fn parse_scope(s: &str) -> Result<Scope, String> {
    s.parse()
        .map_err(|e: crate::domain::keys::ScopeError| e.to_string())
}

/// Runs a key command. For `create`, `user_flag` (the global `--user`) names the key's
/// principal, and the creator is the identity galley finds without it.
pub fn run(
    config: &Config,
    path: &Path,
    user_flag: Option<&str>,
    json: bool,
    command: KeyCommand,
) -> anyhow::Result<()> {
    let (acting_flag, principal) = match &command {
        KeyCommand::Create(_) => (None, user_flag),
        _ => (user_flag, None),
    };
    let me = config.identity(acting_flag)?;
    let mut ws = super::open_as(path, &me)?;
    match command {
        KeyCommand::Create(args) => {
            let created = ws.create_key(&args.name, args.scope, principal)?;
            if json {
                return output::print_json(&created);
            }
            output::print(&format!(
                "created key {} ({}, scope {}, acts as {})\n\n  key id: {}\n  secret: {}\n\n{}",
                paint(NAME, &created.key.name),
                created.key.id,
                created.key.scope,
                created.key.principal,
                paint(BOLD, &created.key.id),
                paint(BOLD, &created.secret),
                paint(
                    WARN,
                    "The secret is shown only now: store it where the client reads it. Send it as \
                     `Authorization: Bearer <secret>`, or to a Langfuse SDK as public key = key id, \
                     secret key = secret."
                )
            ));
        }
        KeyCommand::List => {
            let keys = ws.keys()?;
            if json {
                return output::print_json(&keys);
            }
            if keys.is_empty() {
                output::print(
                    "no API keys yet: create one with `galley key create --name N --scope read:production`",
                );
                return Ok(());
            }
            output::print(&table(&keys).render());
        }
        KeyCommand::Revoke(args) => {
            let key = ws.revoke_key(&args.key)?;
            if json {
                return output::print_json(&key);
            }
            output::print(&format!(
                "revoked key {} ({}): it is refused from the next request on",
                paint(NAME, &key.name),
                key.id
            ));
        }
    }
    Ok(())
}

fn table(keys: &[ApiKey]) -> Table {
    let mut table = Table::default();
    table.row(
        ["ID", "NAME", "SCOPE", "ACTS AS", "CREATED", "STATUS"]
            .map(|h| paint(BOLD, h))
            .to_vec(),
    );
    for k in keys {
        table.row(vec![
            k.id.clone(),
            paint(NAME, &k.name),
            k.scope.to_string(),
            k.principal.clone(),
            format!("{} by {}", k.created_at, k.created_by),
            match &k.revoked_at {
                Some(at) => paint(DIM, format!("revoked {at}")),
                None => "active".to_string(),
            },
        ]);
    }
    table
}
