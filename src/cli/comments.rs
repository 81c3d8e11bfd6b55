//! `galley comment add|list|resolve`.

use clap::{Args, Subcommand};

use crate::domain::PromptName;
use crate::store::CommentRow;
use crate::workspace::CommentTarget;

use super::output::{self, BOLD, DIM, GOOD, NAME, WARN, paint};
use super::{Ctx, parse_name};

#[derive(Subcommand, Debug)]
pub enum CommentCommand {
    /// Comment on a version (optionally on a section and a line), or reply to a comment
    Add(AddArgs),
    /// List the comment threads on a prompt, oldest first
    List(ListArgs),
    /// Resolve the thread a comment belongs to
    Resolve {
        /// A comment of the thread
        id: i64,
    },
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// The prompt, e.g. support/triage
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// The version commented on (optional with --reply-to)
    #[arg(long, short = 'v', value_name = "N")]
    version: Option<u32>,
    /// Anchor to a section: its title or number
    #[arg(long, value_name = "S")]
    section: Option<String>,
    /// Anchor to a line of that section's body (1-based)
    #[arg(long, value_name = "L", requires = "section")]
    line: Option<u32>,
    /// The comment
    #[arg(short = 'm', long = "message", value_name = "TEXT")]
    text: String,
    /// Reply to this comment's thread
    #[arg(long, value_name = "ID")]
    reply_to: Option<i64>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// Only threads on this version
    #[arg(long, short = 'v', value_name = "N")]
    version: Option<u32>,
    /// Only threads not resolved yet
    #[arg(long)]
    unresolved: bool,
}

pub fn run(ctx: &mut Ctx, command: CommentCommand) -> anyhow::Result<()> {
    match command {
        CommentCommand::Add(args) => {
            let target = CommentTarget {
                version: args.version,
                section: args.section,
                line: args.line,
                reply_to: args.reply_to,
            };
            let c = ctx.workspace.add_comment(&args.name, &target, &args.text)?;
            if ctx.json {
                return output::print_json(&c);
            }
            let what = match c.parent {
                Some(root) => format!("reply {} to comment {root}", c.id),
                None => format!("comment {}", c.id),
            };
            output::print(&format!(
                "{what} added on version {} of {}{}",
                c.version,
                paint(NAME, &c.prompt),
                anchor(&c)
            ));
            Ok(())
        }
        CommentCommand::List(args) => {
            let threads =
                ctx.workspace
                    .comment_threads(&args.name, args.version, args.unresolved)?;
            if ctx.json {
                return output::print_json(&threads);
            }
            if threads.is_empty() {
                output::print(&format!(
                    "no {}comments on {}",
                    if args.unresolved { "unresolved " } else { "" },
                    args.name
                ));
                return Ok(());
            }
            let mut out = Vec::new();
            for t in &threads {
                let status = match (&t.root.resolved_by, &t.root.resolved_at) {
                    (Some(by), Some(at)) => paint(GOOD, format!("resolved by {by} at {at}")),
                    _ => paint(WARN, "open"),
                };
                out.push(format!(
                    "{} version {}{} [{status}]",
                    paint(BOLD, format!("#{}", t.root.id)),
                    t.root.version,
                    anchor(&t.root)
                ));
                out.push(format!("  {}", line_of(&t.root)));
                for r in &t.replies {
                    out.push(format!(
                        "    {} {}",
                        paint(DIM, format!("#{}", r.id)),
                        line_of(r)
                    ));
                }
            }
            output::print(&out.join("\n"));
            Ok(())
        }
        CommentCommand::Resolve { id } => {
            let root = ctx.workspace.resolve_comment(id)?;
            if ctx.json {
                return output::print_json(&root);
            }
            output::print(&format!(
                "thread {} on version {} of {} resolved",
                root.id,
                root.version,
                paint(NAME, &root.prompt)
            ));
            Ok(())
        }
    }
}

fn anchor(c: &CommentRow) -> String {
    match (&c.section, c.section_number, c.line) {
        (Some(title), Some(n), Some(line)) => format!(", section {n} ({title}) line {line}"),
        (Some(title), Some(n), None) => format!(", section {n} ({title})"),
        _ => String::new(),
    }
}

fn line_of(c: &CommentRow) -> String {
    format!("{} {}: {}", paint(DIM, &c.at), c.author, c.body)
}
