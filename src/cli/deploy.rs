//! `galley deploy`, `promote`, `rollback`, `envs` and `review ...`.

use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

use crate::domain::policy::{DecisionKind, SignatureCheck};
use crate::domain::{PromptName, VersionRef};
use crate::store::DeploymentRow;
use crate::workspace::ReviewInfo;

use super::output::{self, BAD, BOLD, DIM, GOOD, NAME, Table, paint};
use super::{Ctx, diff_print, parse_name};

#[derive(Args, Debug)]
pub struct DeployArgs {
    /// The prompt, e.g. support/triage
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// The version to deploy
    #[arg(long, short = 'v', value_name = "N")]
    version: u32,
    /// The environment, e.g. production
    #[arg(long, value_name = "ENV")]
    env: String,
}

#[derive(Args, Debug)]
pub struct PromoteArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// The environment whose version is promoted
    #[arg(long, value_name = "ENV")]
    from: String,
    /// The environment it is deployed to (through its policy)
    #[arg(long, value_name = "ENV")]
    to: String,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// The environment to roll back to its previous deployment
    #[arg(long, value_name = "ENV")]
    env: String,
}

#[derive(Args, Debug)]
pub struct EnvsArgs {
    /// Only this prompt
    #[arg(value_parser = parse_name)]
    name: Option<PromptName>,
    /// The prompt's deployment history, oldest first
    #[arg(long, requires = "name")]
    history: bool,
}

#[derive(Subcommand, Debug)]
pub enum ReviewCommand {
    /// Ask for a review of a version for an environment
    Request(RequestArgs),
    /// List review requests, newest first
    List {
        /// Only those you asked for or were asked to do
        #[arg(long)]
        mine: bool,
    },
    /// Show a review: the version, the policy, what is missing, the diff against what is served
    Show { id: i64 },
    /// Approve the version under review
    Approve(DecideArgs),
    /// Reject the version under review
    Reject(DecideArgs),
    /// Ask for changes to the version under review
    RequestChanges(DecideArgs),
}

#[derive(Args, Debug)]
pub struct RequestArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    #[arg(long, short = 'v', value_name = "N")]
    version: u32,
    #[arg(long, value_name = "ENV")]
    env: String,
    /// Who should review (repeatable)
    #[arg(long = "reviewer", value_name = "U")]
    reviewers: Vec<String>,
    /// A note for the reviewers
    #[arg(short = 'm', long = "message", value_name = "NOTE", default_value = "")]
    note: String,
}

#[derive(Args, Debug)]
pub struct DecideArgs {
    id: i64,
    /// Why
    #[arg(short = 'm', long = "message", value_name = "COMMENT")]
    comment: String,
}

pub fn deploy(ctx: &mut Ctx, args: DeployArgs) -> anyhow::Result<()> {
    let d = ctx.workspace.deploy(&args.name, args.version, &args.env)?;
    ctx.workspace.checkpoint_after_deployment(&d.env);
    print_deployment(ctx.json, &d)
}

pub fn promote(ctx: &mut Ctx, args: PromoteArgs) -> anyhow::Result<()> {
    let d = ctx.workspace.promote(&args.name, &args.from, &args.to)?;
    ctx.workspace.checkpoint_after_deployment(&d.env);
    print_deployment(ctx.json, &d)
}

pub fn rollback(ctx: &mut Ctx, args: RollbackArgs) -> anyhow::Result<()> {
    let d = ctx.workspace.rollback(&args.name, &args.env)?;
    ctx.workspace.checkpoint_after_deployment(&d.env);
    print_deployment(ctx.json, &d)
}

fn print_deployment(json: bool, d: &DeploymentRow) -> anyhow::Result<()> {
    if json {
        return output::print_json(d);
    }
    let before = match d.previous_version {
        Some(v) => format!(" (was version {v})"),
        None => String::new(),
    };
    output::print(&format!(
        "{}: {} now serves version {} of {}{before}",
        d.kind,
        paint(BOLD, &d.env),
        d.version,
        paint(NAME, &d.prompt)
    ));
    Ok(())
}

pub fn envs(ctx: &Ctx, args: EnvsArgs) -> anyhow::Result<()> {
    if args.history {
        let name = args.name.expect("clap requires a name with --history");
        let rows = ctx.workspace.deployments(&name)?;
        if ctx.json {
            return output::print_json(&rows);
        }
        if rows.is_empty() {
            output::print(&format!("{name} was never deployed"));
            return Ok(());
        }
        let mut table = Table::default();
        table.row(
            ["#", "WHEN", "ENV", "KIND", "VERSION", "WAS", "BY", "HASH"]
                .map(|h| paint(BOLD, h))
                .to_vec(),
        );
        for d in &rows {
            table.row(vec![
                d.id.to_string(),
                paint(DIM, output::relative_time(&d.at)),
                d.env.clone(),
                d.kind.clone(),
                d.version.to_string(),
                d.previous_version
                    .map_or_else(|| paint(DIM, "-"), |v| v.to_string()),
                d.actor.clone(),
                paint(DIM, output::short_hash(&d.content_hash)),
            ]);
        }
        output::print(&table.render());
        return Ok(());
    }
    let mut matrix = ctx.workspace.env_matrix()?;
    if let Some(name) = &args.name {
        matrix.prompts.retain(|p| p.prompt == name.as_str());
    }
    if ctx.json {
        let prompts: Vec<Value> = matrix
            .prompts
            .iter()
            .map(|p| {
                let served: Map<String, Value> = p
                    .served
                    .iter()
                    .map(|(env, v)| (env.clone(), json!(v)))
                    .collect();
                json!({"name": p.prompt, "served": served})
            })
            .collect();
        return output::print_json(
            &json!({"environments": matrix.environments, "prompts": prompts}),
        );
    }
    if matrix.prompts.is_empty() {
        output::print("nothing deployed yet (see `galley deploy`)");
        return Ok(());
    }
    let mut table = Table::default();
    let mut head = vec![paint(BOLD, "PROMPT")];
    head.extend(
        matrix
            .environments
            .iter()
            .map(|e| paint(BOLD, e.to_uppercase())),
    );
    table.row(head);
    for p in &matrix.prompts {
        let mut row = vec![paint(NAME, &p.prompt)];
        row.extend(
            p.served
                .iter()
                .map(|(_, v)| v.map_or_else(|| paint(DIM, "-"), |v| format!("v{v}"))),
        );
        table.row(row);
    }
    output::print(&table.render());
    Ok(())
}

pub fn review(ctx: &mut Ctx, command: ReviewCommand) -> anyhow::Result<()> {
    let (id, kind, comment) = match command {
        ReviewCommand::Request(args) => {
            let info = ctx.workspace.request_review(
                &args.name,
                args.version,
                &args.env,
                &args.reviewers,
                &args.note,
            )?;
            if ctx.json {
                return output::print_json(&info);
            }
            output::print(&format!(
                "review {} requested: version {} of {} for {}",
                info.review.id,
                info.review.version,
                paint(NAME, &info.review.prompt),
                info.review.env
            ));
            print_missing(&info);
            return Ok(());
        }
        ReviewCommand::List { mine } => {
            let reviews = ctx.workspace.reviews(mine)?;
            if ctx.json {
                return output::print_json(&reviews);
            }
            if reviews.is_empty() {
                output::print("no review requests");
                return Ok(());
            }
            let mut table = Table::default();
            table.row(
                [
                    "ID",
                    "PROMPT",
                    "VERSION",
                    "ENV",
                    "STATUS",
                    "BY",
                    "REVIEWERS",
                    "WHEN",
                ]
                .map(|h| paint(BOLD, h))
                .to_vec(),
            );
            for r in &reviews {
                table.row(vec![
                    r.review.id.to_string(),
                    paint(NAME, &r.review.prompt),
                    r.review.version.to_string(),
                    r.review.env.clone(),
                    r.status.replace('_', " "),
                    r.review.requested_by.clone(),
                    if r.review.reviewers.is_empty() {
                        paint(DIM, "-")
                    } else {
                        r.review.reviewers.join(", ")
                    },
                    paint(DIM, output::relative_time(&r.review.at)),
                ]);
            }
            output::print(&table.render());
            return Ok(());
        }
        ReviewCommand::Show { id } => return show(ctx, id),
        ReviewCommand::Approve(a) => (a.id, DecisionKind::Approve, a.comment),
        ReviewCommand::Reject(a) => (a.id, DecisionKind::Reject, a.comment),
        ReviewCommand::RequestChanges(a) => (a.id, DecisionKind::RequestChanges, a.comment),
    };
    let info = ctx.workspace.decide(id, kind, &comment)?;
    if ctx.json {
        return output::print_json(&info);
    }
    output::print(&format!(
        "{} recorded on review {} (version {} of {} for {}): now {}",
        kind.to_string().replace('_', " "),
        id,
        info.review.version,
        paint(NAME, &info.review.prompt),
        info.review.env,
        info.status.replace('_', " ")
    ));
    print_missing(&info);
    Ok(())
}

fn print_missing(info: &ReviewInfo) {
    if info.verdict.allowed {
        output::print(&format!("{} allows it", info.review.env));
    } else {
        output::print(&format!("still missing for {}:", info.review.env));
        for m in &info.verdict.missing {
            output::print(&format!("  - {m}"));
        }
    }
}

fn show(ctx: &Ctx, id: i64) -> anyhow::Result<()> {
    let info = ctx.workspace.review(id)?;
    let name = PromptName::parse(&info.review.prompt)?;
    let diff = match info.served {
        Some(served) if served != info.review.version => Some(ctx.workspace.diff(
            &name,
            VersionRef::Number(served),
            VersionRef::Number(info.review.version),
        )?),
        _ => None,
    };
    if ctx.json {
        return output::print_json(&json!({"review": info, "diff": diff}));
    }
    let r = &info.review;
    output::print(&format!(
        "review {}: version {} of {} for {} ({})",
        r.id,
        r.version,
        paint(NAME, &r.prompt),
        r.env,
        info.status.replace('_', " ")
    ));
    output::print(&format!(
        "author {}, requested by {} at {}, hash {}",
        info.author,
        r.requested_by,
        r.at,
        output::short_hash(&r.content_hash)
    ));
    if !r.reviewers.is_empty() {
        output::print(&format!("reviewers: {}", r.reviewers.join(", ")));
    }
    if !r.note.is_empty() {
        output::print(&format!("note: {}", r.note));
    }
    output::print(&format!("policy of {}:", r.env));
    for line in info.policy.describe() {
        output::print(&format!("  - {line}"));
    }
    print_missing(&info);
    if !info.decisions.is_empty() {
        output::print("decisions:");
        for d in &info.decisions {
            let check = &d.decision.check;
            let badge = match check {
                SignatureCheck::Verified => paint(GOOD, check.badge()),
                _ => paint(BAD, check.badge()),
            };
            let why = match check {
                SignatureCheck::Bad(why) => format!(" ({why})"),
                _ => String::new(),
            };
            output::print(&format!(
                "  {} {} {} {badge}{why}: {}",
                paint(DIM, output::relative_time(&d.decision.at)),
                d.decision.reviewer,
                d.decision.kind.to_string().replace('_', " "),
                d.comment
            ));
        }
    }
    match (info.served, diff) {
        (Some(served), Some(diff)) => {
            let title = format!("{} {served} → {}", paint(NAME, &r.prompt), r.version);
            output::print(&diff_print::render(&title, &diff, 3));
        }
        (Some(_), None) => output::print(&format!("{} already serves this version", r.env)),
        (None, _) => output::print(&format!("{} serves no version yet", r.env)),
    }
    Ok(())
}
