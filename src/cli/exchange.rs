//! `export`, `import`, `demo`.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use crate::domain::{PromptName, VersionRef};
use crate::workspace::ImportOutcome;

use super::output::{self, BAD, DIM, GOOD, NAME, WARN, paint};
use super::{Ctx, VersionChoice, parse_name};

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The prompt to export
    #[arg(value_parser = parse_name, required_unless_present = "all", conflicts_with = "all")]
    name: Option<PromptName>,
    #[command(flatten)]
    which: VersionChoice,
    /// Write to this file instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Export the latest version of every prompt into DIR, one file each, folders as directories
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    all: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Prompt files (.md) or folders of them
    #[arg(required = true)]
    paths: Vec<PathBuf>,
}

pub fn export(ctx: &Ctx, args: ExportArgs) -> anyhow::Result<()> {
    if let Some(dir) = &args.all {
        let files = ctx.workspace.export_all(dir)?;
        if ctx.json {
            return output::print_json(&json!({"dir": dir, "files": files}));
        }
        output::print(&format!(
            "Exported {} prompts to {}.",
            files.len(),
            dir.display()
        ));
        return Ok(());
    }
    let name = args.name.expect("clap requires a name without --all");
    let text = ctx
        .workspace
        .export(&name, args.which.or(VersionRef::Latest))?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if ctx.json {
                return output::print_json(&json!({"name": name, "file": path}));
            }
            output::print(&format!(
                "Exported {} to {}.",
                paint(NAME, &name),
                path.display()
            ));
        }
        None if ctx.json => output::print_json(&json!({"name": name, "text": text}))?,
        None => {
            // The file format itself: never styled.
            use std::io::Write;
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
    }
    Ok(())
}

pub fn import(ctx: &mut Ctx, args: ImportArgs) -> anyhow::Result<()> {
    let mut imported = Vec::new();
    let mut skipped = Vec::new();
    let mut ignored = Vec::new();
    for path in &args.paths {
        let report = ctx.workspace.import_path(path)?;
        imported.extend(report.imported);
        skipped.extend(report.skipped);
        ignored.extend(report.ignored);
    }
    if ctx.json {
        let imported: Vec<_> = imported
            .iter()
            .map(|(p, o)| json!({"file": p, "result": o}))
            .collect();
        let skipped: Vec<_> = skipped
            .iter()
            .map(|(p, why)| json!({"file": p, "reason": why}))
            .collect();
        output::print_json(&json!({"imported": imported, "skipped": skipped, "ignored": ignored}))?;
    } else {
        let mut out = String::new();
        for (path, outcome) in &imported {
            let line = match outcome {
                ImportOutcome::Created { name, version } => {
                    format!(
                        "{} {} (v{version})",
                        paint(GOOD, "created "),
                        paint(NAME, name)
                    )
                }
                ImportOutcome::DraftUpdated { name } => {
                    format!(
                        "{} {} (your draft)",
                        paint(WARN, "updated "),
                        paint(NAME, name)
                    )
                }
                ImportOutcome::Unchanged { name } => {
                    format!("{} {}", paint(DIM, "unchanged"), paint(NAME, name))
                }
            };
            out.push_str(&format!("{line}  {}\n", paint(DIM, path.display())));
        }
        for (path, why) in &skipped {
            out.push_str(&format!(
                "{} {}: {why}\n",
                paint(BAD, "skipped "),
                path.display()
            ));
        }
        for path in &ignored {
            out.push_str(&format!(
                "{} {}: not a .md prompt file\n",
                paint(DIM, "ignored "),
                path.display()
            ));
        }
        out.push_str(&format!(
            "{} imported, {} skipped",
            imported.len(),
            skipped.len()
        ));
        output::print(&out);
    }
    // Every file that could not be imported makes the command fail, so CI notices.
    anyhow::ensure!(
        skipped.is_empty(),
        "{} prompt file(s) could not be imported",
        skipped.len()
    );
    Ok(())
}

pub fn demo(ctx: &mut Ctx) -> anyhow::Result<()> {
    let report = ctx.workspace.load_demo()?;
    if ctx.json {
        return output::print_json(&report);
    }
    let versions: u32 = report.created.iter().map(|(_, n)| n).sum();
    let mut out = format!(
        "Demo ready in {}: {} prompts, {versions} versions.",
        ctx.workspace.path().display(),
        report.created.len()
    );
    if report.datasets > 0 {
        out.push_str(&format!(
            " {} datasets, {} finished eval runs.",
            report.datasets, report.runs
        ));
    }
    if !report.skipped.is_empty() {
        out.push_str(&format!(
            " {} already existed and were left alone.",
            report.skipped.len()
        ));
    }
    if report.users > 0 {
        out.push_str(&format!(
            "\nPeople and reviews: {} users, {} review requests, {} comments, {} deployments.",
            report.users, report.reviews, report.comments, report.deployments
        ));
    }
    if let Some(dir) = &report.keys_dir {
        out.push_str(&format!(
            "\nTheir signing keys are in {} (production requires signatures: sign as ada with \
             `--signing-key {}`).",
            dir.display(),
            dir.join("ada").display()
        ));
    }
    if report.identity_override {
        out.push_str(
            "\nIdentity override is on, so `--user NAME`/GALLEY_USER act as the demo's people \
             (turn it off with `galley user override off`).",
        );
    }
    out.push_str(
        "\nTry: `galley list`, `galley log support/agent`, `galley diff support/agent 1 5`, \
         `galley envs`, `galley review list`, `galley comment list support/triage`.",
    );
    output::print(&out);
    Ok(())
}
