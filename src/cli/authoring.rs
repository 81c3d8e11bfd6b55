//! `edit`, `set`, `commit`, `discard`: changing a prompt's draft and committing it.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::domain::{PromptName, VersionRef};
use crate::workspace::{DraftChange, Source, WorkspaceError, settings};

use super::output::{self, BOLD, DIM, GOOD, NAME, paint};
use super::{Ctx, NameArg, parse_name};

#[derive(Args, Debug)]
pub struct EditArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
}

#[derive(Args, Debug)]
pub struct SetArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// The section: its number (1 is the first), its title, or its kind
    section: String,
    /// The new body
    #[arg(long, conflicts_with = "file", required_unless_present = "file")]
    text: Option<String>,
    /// Read the new body from a file (`-` for standard input)
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CommitArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// What changed and why
    #[arg(long, short = 'm')]
    message: String,
    /// Commit even though someone committed a newer version since your draft started
    #[arg(long)]
    force: bool,
}

fn describe(change: DraftChange) -> &'static str {
    match change {
        DraftChange::Saved => "saved to your draft",
        DraftChange::Unchanged => "unchanged",
        DraftChange::MatchesLatest => "back to the latest version; draft dropped",
    }
}

pub fn set(ctx: &mut Ctx, args: SetArgs) -> anyhow::Result<()> {
    let body = match (&args.text, &args.file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) if path.as_os_str() == "-" => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading standard input")?;
            text
        }
        (None, Some(path)) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        (None, None) => unreachable!("clap requires --text or --file"),
    };
    let change = ctx
        .workspace
        .set_section_body(&args.name, &args.section, &body)?;
    if ctx.json {
        return output::print_json(
            &json!({"name": args.name, "section": args.section, "change": change}),
        );
    }
    output::print(&format!(
        "{} section `{}`: {}",
        paint(NAME, &args.name),
        args.section,
        describe(change)
    ));
    Ok(())
}

pub fn commit(ctx: &mut Ctx, args: CommitArgs) -> anyhow::Result<()> {
    let version = ctx
        .workspace
        .commit(&args.name, &args.message, args.force)?;
    let stats = match version.parent {
        Some(parent) => Some(
            ctx.workspace
                .diff(
                    &args.name,
                    VersionRef::Number(parent),
                    VersionRef::Number(version.number),
                )?
                .stats,
        ),
        None => None,
    };
    if ctx.json {
        return output::print_json(&json!({
            "name": args.name, "version": version.number, "hash": version.content_hash,
            "parent": version.parent, "stats": stats,
        }));
    }
    let mut line = format!(
        "Committed {} {} {}",
        paint(NAME, &args.name),
        paint(GOOD.bold(), format!("v{}", version.number)),
        paint(DIM, output::short_hash(&version.content_hash))
    );
    if let Some(s) = stats {
        line.push_str(&format!(
            " · {} sections changed, +{} −{} lines",
            s.sections_added + s.sections_removed + s.sections_modified,
            s.lines_added,
            s.lines_removed
        ));
    }
    output::print(&line);
    Ok(())
}

pub fn discard(ctx: &mut Ctx, args: NameArg) -> anyhow::Result<()> {
    let removed = ctx.workspace.discard_draft(&args.name)?;
    if ctx.json {
        return output::print_json(&json!({"name": args.name, "discarded": removed}));
    }
    output::print(&if removed {
        format!("Discarded your draft of {}.", paint(NAME, &args.name))
    } else {
        format!("You have no draft of {}.", paint(NAME, &args.name))
    });
    Ok(())
}

pub fn edit(ctx: &mut Ctx, args: EditArgs) -> anyhow::Result<()> {
    let ws = &mut ctx.workspace;
    let working = ws.working_copy(&args.name)?;
    // What the text is based on is fixed now, before the editor runs: a commit landing while the
    // user edits must make the draft stale, not be silently undone by it.
    let base = working.base();
    let which = match working.source {
        Source::Draft { .. } => VersionRef::Draft,
        Source::Version { number } => VersionRef::Number(number),
    };
    let original = ws.export(&args.name, which)?;
    let file = tempfile::Builder::new()
        .prefix(&format!("galley-{}-", args.name.leaf()))
        .suffix(".md")
        .tempfile()
        .context("cannot create a temporary file to edit")?;
    std::fs::write(file.path(), &original)
        .with_context(|| format!("cannot write {}", file.path().display()))?;
    run_editor(file.path())?;
    let edited = std::fs::read_to_string(file.path())
        .with_context(|| format!("cannot read back {}", file.path().display()))?;
    if edited == original {
        output::print(&format!("No changes to {}.", paint(NAME, &args.name)));
        return Ok(());
    }
    match ws.apply_edit(&args.name, &edited, base) {
        Ok(change) => {
            if ctx.json {
                return output::print_json(&json!({"name": args.name, "change": change}));
            }
            output::print(&format!(
                "{}: {}. Commit it with `galley commit {} -m MESSAGE`.",
                paint(NAME, &args.name),
                describe(change),
                args.name
            ));
            Ok(())
        }
        Err(err) => {
            let kept = keep_edited_text(&args.name, &edited)?;
            let hint = match err {
                WorkspaceError::Parse(_) => "fix it and run `galley import` on it",
                _ => "fix it and run `galley import` on it, or edit again",
            };
            anyhow::bail!(
                "{err}\nyour text is kept in {} ({hint})",
                paint(BOLD, kept.display())
            )
        }
    }
}

/// Runs `$VISUAL` or `$EDITOR` (through the shell, so `code --wait` works) on `path`.
fn run_editor(path: &std::path::Path) -> anyhow::Result<()> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|e| !e.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_string());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("galley-editor")
        .arg(path)
        .status()
        .with_context(|| format!("cannot start the editor `{editor}`"))?;
    anyhow::ensure!(
        status.success(),
        "the editor `{editor}` failed ({status}); nothing was saved"
    );
    Ok(())
}

/// Saves text that could not be stored where the user can find it again, in a file of its own:
/// a name already taken (two failed edits in one second) gets a numbered suffix, and the file is
/// created with `create_new`, so no earlier text is ever overwritten.
fn keep_edited_text(name: &PromptName, text: &str) -> anyhow::Result<PathBuf> {
    let dir = settings::state_dir().join("recovered");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let stamp = jiff::Timestamp::now().strftime("%Y%m%dT%H%M%S");
    let stem = format!("{}-{stamp}", name.as_str().replace('/', "_"));
    for n in 1u32.. {
        let file_name = match n {
            1 => format!("{stem}.md"),
            n => format!("{stem}-{n}.md"),
        };
        let path = dir.join(file_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path);
        match file {
            Ok(mut file) => {
                std::io::Write::write_all(&mut file, text.as_bytes())
                    .with_context(|| format!("cannot write {}", path.display()))?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| format!("cannot create {}", path.display()));
            }
        }
    }
    unreachable!("some numbered name is free")
}
