//! `galley user ...`, `galley env ...` and `galley policy ...`.

use clap::{ArgGroup, Args, Subcommand};
use serde_json::json;

use crate::domain::people::Role;
use crate::domain::policy::{EvalRequirement, Policy};
use crate::workspace::{Access, PolicyChange};

use super::Ctx;
use super::output::{self, BOLD, DIM, NAME, Table, paint};

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user (admins only; on a workspace with no users, you become its first admin)
    Add(AddUser),
    /// List users, their role and groups
    List,
    /// Give a user a role (replacing theirs) or add them to a group (admins only)
    Grant(AccessArgs),
    /// Take back a role (the user becomes an author) or a group (admins only)
    Revoke(AccessArgs),
    /// Allow or refuse --user/GALLEY_USER naming someone else than the OS account (admins only)
    Override {
        #[arg(value_parser = parse_on_off, value_name = "on|off", action = clap::ArgAction::Set)]
        state: bool,
    },
    /// People's SSH keys for signed decisions: add, list, revoke
    #[command(subcommand)]
    Key(super::user_keys::UserKeyCommand),
}

#[derive(Args, Debug)]
pub struct AddUser {
    name: String,
    /// author, reviewer or admin
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// A group, e.g. compliance (repeatable)
    #[arg(long = "group", value_name = "G")]
    groups: Vec<String>,
    /// The OS account this user acts from, when it is not their name (so a `user.name` in
    /// someone else's config cannot act as them)
    #[arg(long, value_name = "A")]
    account: Option<String>,
}

#[derive(Args, Debug)]
#[command(group(ArgGroup::new("access").required(true).args(["role", "group"])))]
pub struct AccessArgs {
    name: String,
    /// author, reviewer or admin
    #[arg(long, value_parser = parse_role)]
    role: Option<Role>,
    /// A group, e.g. compliance
    #[arg(long, value_name = "G")]
    group: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum EnvCommand {
    /// Add an environment (admins only); it is open until its policy is set
    Add { name: String },
    /// List environments and their policies
    List,
}

#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Change an environment's policy (admins only); options not given are kept
    Set(SetPolicy),
    /// Show an environment's policy in words
    Show { env: String },
}

#[derive(Args, Debug)]
pub struct SetPolicy {
    env: String,
    /// Approvals needed from different reviewers
    #[arg(long, value_name = "N")]
    min_approvals: Option<u32>,
    /// A group that must be among the approvers (repeatable; replaces the current list)
    #[arg(
        long = "require-group",
        value_name = "G",
        conflicts_with = "no_required_groups"
    )]
    require_groups: Vec<String>,
    /// Require no group
    #[arg(long)]
    no_required_groups: bool,
    /// Let the version's author approve it (`--allow-self-approval=false` to forbid)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    allow_self_approval: Option<bool>,
    /// A passing eval run needed: DATASET:MIN_PASS_RATE, e.g. qa:0.95 or qa:95%
    #[arg(long, value_name = "DATASET:RATE", value_parser = parse_eval, conflicts_with = "no_require_eval")]
    require_eval: Option<EvalRequirement>,
    /// Require no eval run
    #[arg(long)]
    no_require_eval: bool,
    /// Whether a rejection blocks until a new version
    #[arg(long, value_name = "true|false")]
    rejection_blocks: Option<bool>,
    /// Count only decisions signed with the reviewer's registered key, and sign deployments
    /// (`--require-signatures=false` to stop)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_name = "BOOL")]
    require_signatures: Option<bool>,
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

fn parse_eval(s: &str) -> Result<EvalRequirement, String> {
    s.parse()
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("`{s}`: write on or off")),
    }
}

pub fn user(ctx: &mut Ctx, command: UserCommand) -> anyhow::Result<()> {
    if let UserCommand::Key(command) = command {
        return super::user_keys::run(ctx, command);
    }
    let ws = &mut ctx.workspace;
    match command {
        UserCommand::Key(_) => unreachable!("handled above"),
        UserCommand::Add(args) => {
            let user = ws.add_user_with_account(
                &args.name,
                args.role,
                &args.groups,
                args.account.as_deref(),
            )?;
            if ctx.json {
                return output::print_json(&user);
            }
            output::print(&format!(
                "added {} as {}{}",
                paint(NAME, &user.name),
                user.role,
                groups_suffix(&user.groups)
            ));
        }
        UserCommand::List => {
            let users = ws.users()?;
            let allowed = ws.identity_override_allowed()?;
            if ctx.json {
                return output::print_json(
                    &json!({"users": users, "allow_identity_override": allowed}),
                );
            }
            if users.is_empty() {
                output::print(
                    "no users yet: anyone may manage this workspace; the first to run \
                     `galley user add` becomes its admin",
                );
                return Ok(());
            }
            let mut table = Table::default();
            table.row(
                ["USER", "ROLE", "GROUPS", "ADDED BY"]
                    .map(|h| paint(BOLD, h))
                    .to_vec(),
            );
            for u in &users {
                table.row(vec![
                    paint(NAME, &u.name),
                    u.role.to_string(),
                    if u.groups.is_empty() {
                        paint(DIM, "-")
                    } else {
                        u.groups.join(", ")
                    },
                    u.created_by.clone(),
                ]);
            }
            output::print(&table.render());
            output::print(&format!(
                "identity override (--user/GALLEY_USER): {}",
                if allowed { "on" } else { "off" }
            ));
        }
        UserCommand::Grant(args) => {
            let user = ws.grant(&args.name, &access(&args))?;
            print_user(ctx.json, "granted", &user)?;
        }
        UserCommand::Revoke(args) => {
            let user = ws.revoke(&args.name, &access(&args))?;
            print_user(ctx.json, "revoked", &user)?;
        }
        UserCommand::Override { state } => {
            ws.set_identity_override(state)?;
            if ctx.json {
                return output::print_json(&json!({"allow_identity_override": state}));
            }
            output::print(&format!(
                "identity override is {}: --user/GALLEY_USER {}",
                if state { "on" } else { "off" },
                if state {
                    "may name another user"
                } else {
                    "must match the OS account"
                }
            ));
        }
    }
    Ok(())
}

fn access(args: &AccessArgs) -> Access {
    match (&args.role, &args.group) {
        (Some(role), _) => Access::Role(*role),
        (None, Some(group)) => Access::Group(group.trim().to_string()),
        (None, None) => unreachable!("clap requires --role or --group"),
    }
}

fn print_user(json: bool, verb: &str, user: &crate::domain::people::User) -> anyhow::Result<()> {
    if json {
        return output::print_json(user);
    }
    output::print(&format!(
        "{verb}: {} is now {}{}",
        paint(NAME, &user.name),
        user.role,
        groups_suffix(&user.groups)
    ));
    Ok(())
}

fn groups_suffix(groups: &[String]) -> String {
    if groups.is_empty() {
        String::new()
    } else {
        format!(" in {}", groups.join(", "))
    }
}

pub fn env(ctx: &mut Ctx, command: EnvCommand) -> anyhow::Result<()> {
    let ws = &mut ctx.workspace;
    match command {
        EnvCommand::Add { name } => {
            let env = ws.add_environment(&name)?;
            if ctx.json {
                return output::print_json(&env);
            }
            output::print(&format!(
                "added environment {} (open: set its policy with `galley policy set {}`)",
                paint(NAME, &env.name),
                env.name
            ));
        }
        EnvCommand::List => {
            let envs = ws.environments()?;
            if ctx.json {
                return output::print_json(&envs);
            }
            let mut table = Table::default();
            table.row(["ENVIRONMENT", "POLICY"].map(|h| paint(BOLD, h)).to_vec());
            for env in &envs {
                table.row(vec![paint(NAME, &env.name), summary(&env.policy)]);
            }
            output::print(&table.render());
        }
    }
    Ok(())
}

/// A policy on one line, for tables.
fn summary(policy: &Policy) -> String {
    if policy.is_open() {
        return "open".to_string();
    }
    let mut parts = vec![match policy.min_approvals {
        1 => "1 approval".to_string(),
        n => format!("{n} approvals"),
    }];
    if !policy.required_groups.is_empty() {
        parts.push(format!("from {}", policy.required_groups.join(" and ")));
    }
    if !policy.allow_self_approval {
        parts.push("not by the author".to_string());
    }
    if let Some(eval) = &policy.require_eval {
        parts.push(format!(
            "eval {} >= {}",
            eval.dataset,
            crate::domain::policy::percent(eval.min_pass_rate)
        ));
    }
    parts.join(", ")
}

pub fn policy(ctx: &mut Ctx, command: PolicyCommand) -> anyhow::Result<()> {
    let ws = &mut ctx.workspace;
    let (env, policy) = match command {
        PolicyCommand::Show { env } => {
            let policy = ws.policy(&env)?;
            (env, policy)
        }
        PolicyCommand::Set(args) => {
            let change = PolicyChange {
                min_approvals: args.min_approvals,
                required_groups: if args.no_required_groups {
                    Some(Vec::new())
                } else if args.require_groups.is_empty() {
                    None
                } else {
                    Some(args.require_groups.clone())
                },
                allow_self_approval: args.allow_self_approval,
                require_eval: if args.no_require_eval {
                    Some(None)
                } else {
                    args.require_eval.clone().map(Some)
                },
                rejection_blocks: args.rejection_blocks,
                require_signatures: args.require_signatures,
            };
            if change == PolicyChange::default() {
                anyhow::bail!(
                    "nothing to change: give --min-approvals, --require-group, \
                     --allow-self-approval, --require-eval, --rejection-blocks or --require-signatures"
                );
            }
            let policy = ws.set_policy(&args.env, &change)?;
            (args.env, policy)
        }
    };
    if ctx.json {
        return output::print_json(
            &json!({"env": env, "policy": policy, "description": policy.describe()}),
        );
    }
    let mut text = format!("{}\n", paint(NAME, &env));
    for line in policy.describe() {
        text.push_str(&format!("  {line}\n"));
    }
    output::print(&text);
    Ok(())
}
