//! `log`, `diff`, `audit`: what changed, when, by whom.

use clap::Args;
use serde_json::json;

use crate::domain::{PromptName, VersionRef};

use super::output::{self, BOLD, DIM, NAME, Table, paint};
use super::{Ctx, NameArg, diff_print, parse_name, parse_version};

#[derive(Args, Debug)]
pub struct DiffArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// The old side: a version number or `draft`
    #[arg(value_parser = parse_version)]
    from: VersionRef,
    /// The new side: a version number or `draft`
    #[arg(value_parser = parse_version)]
    to: VersionRef,
    /// Lines of context around each change
    #[arg(long, short = 'U', default_value_t = 3)]
    context: usize,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Only entries about this prompt (or other target)
    target: Option<String>,
    /// How many of the newest entries to show
    #[arg(long, short = 'n', default_value_t = 50)]
    limit: usize,
}

pub fn log(ctx: &Ctx, args: NameArg) -> anyhow::Result<()> {
    let versions = ctx.workspace.log(&args.name)?;
    let draft = ctx.workspace.summary(&args.name)?.has_draft;
    if ctx.json {
        return output::print_json(
            &json!({"name": args.name, "has_draft": draft, "versions": versions}),
        );
    }
    let mut table = Table::default();
    table.row(
        ["VER", "HASH", "AUTHOR", "WHEN", "MESSAGE"]
            .map(|h| paint(BOLD, h))
            .to_vec(),
    );
    if draft {
        table.row(vec![
            paint(output::WARN, "draft"),
            String::new(),
            ctx.workspace.user().into(),
            String::new(),
            paint(DIM, "(uncommitted)"),
        ]);
    }
    for v in &versions {
        table.row(vec![
            paint(BOLD, format!("v{}", v.number)),
            paint(DIM, output::short_hash(&v.content_hash)),
            v.author.clone(),
            paint(DIM, output::relative_time(&v.created_at)),
            output::one_line(&v.message, 72),
        ]);
    }
    output::print(&format!("{}\n{}", paint(NAME, &args.name), table.render()));
    Ok(())
}

pub fn diff(ctx: &Ctx, args: DiffArgs) -> anyhow::Result<()> {
    let diff = ctx.workspace.diff(&args.name, args.from, args.to)?;
    if ctx.json {
        return output::print_json(
            &json!({"name": args.name, "from": args.from, "to": args.to, "diff": diff}),
        );
    }
    let title = format!("{} {} → {}", paint(NAME, &args.name), args.from, args.to);
    output::print(&diff_print::render(&title, &diff, args.context));
    Ok(())
}

pub fn audit(ctx: &Ctx, args: AuditArgs) -> anyhow::Result<()> {
    let entries = ctx.workspace.audit(args.target.as_deref(), args.limit)?;
    if ctx.json {
        return output::print_json(&entries);
    }
    let mut table = Table::default();
    table.row(
        ["#", "WHEN", "ACTOR", "ACTION", "TARGET", "DETAILS"]
            .map(|h| paint(BOLD, h))
            .to_vec(),
    );
    for e in &entries {
        table.row(vec![
            e.seq.to_string(),
            paint(DIM, &e.at),
            e.actor.clone(),
            e.action.clone(),
            paint(NAME, &e.target),
            output::one_line(&e.details.to_string(), 60),
        ]);
    }
    output::print(&table.render());
    Ok(())
}
