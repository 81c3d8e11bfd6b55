//! `init`, `new`, `templates`, `list`, `show`.

use clap::Args;
use serde_json::json;

use crate::domain::{PromptContent, PromptName, PromptType, VersionRef};
use crate::workspace::{Source, starters};

use super::output::{self, BOLD, DIM, NAME, Table, paint};
use super::{Ctx, VersionChoice, parse_name};

#[derive(Args, Debug)]
pub struct NewArgs {
    /// The new prompt's name, e.g. support/triage
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// Start from a template (see `galley templates`)
    #[arg(long, short = 't', value_name = "T")]
    template: Option<String>,
    /// text or chat (for a blank prompt)
    #[arg(long = "type", value_name = "TYPE", default_value = "text", value_parser = parse_type, conflicts_with = "template")]
    prompt_type: PromptType,
    /// A one-line description
    #[arg(long, short = 'd')]
    description: Option<String>,
    /// A tag (repeatable)
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
}

fn parse_type(s: &str) -> Result<PromptType, String> {
    s.parse()
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only prompts whose name starts with this (a folder: `support/`)
    prefix: Option<String>,
    /// Only prompts with this tag
    #[arg(long)]
    tag: Option<String>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    #[command(flatten)]
    which: VersionChoice,
}

pub fn init(ctx: &Ctx) -> anyhow::Result<()> {
    let path = ctx.workspace.path().display().to_string();
    let prompts = ctx.workspace.list(None)?.len();
    if ctx.json {
        return output::print_json(
            &json!({"db": path, "user": ctx.workspace.user(), "prompts": prompts}),
        );
    }
    output::print(&format!(
        "Workspace {} ready ({prompts} prompts), acting as {}.\nNext: `galley new NAME --template support-agent`, `galley demo`, or `galley import DIR`.",
        paint(BOLD, &path),
        paint(BOLD, ctx.workspace.user())
    ));
    Ok(())
}

pub fn new(ctx: &mut Ctx, args: NewArgs) -> anyhow::Result<()> {
    let version = match &args.template {
        Some(id) => ctx.workspace.create_from_starter(
            &args.name,
            id,
            &args.tags,
            args.description.as_deref(),
        )?,
        None => {
            let mut content = PromptContent::blank(args.prompt_type);
            content.description = args.description.clone().unwrap_or_default();
            ctx.workspace
                .create_prompt(&args.name, content, &args.tags, "Created")?
        }
    };
    if ctx.json {
        return output::print_json(
            &json!({"name": args.name, "version": version.number, "hash": version.content_hash}),
        );
    }
    output::print(&format!(
        "Created {} (version {}, {}).\nEdit it with `galley edit {}` or `galley set {} SECTION --text ...`.",
        paint(NAME, &args.name),
        version.number,
        version.content.prompt_type,
        args.name,
        args.name
    ));
    Ok(())
}

pub fn templates(json: bool) -> anyhow::Result<()> {
    let all = starters::starters();
    if json {
        return output::print_json(&all);
    }
    let mut table = Table::default();
    table.row(vec![
        paint(BOLD, "TEMPLATE"),
        paint(BOLD, "TYPE"),
        paint(BOLD, "DESCRIPTION"),
    ]);
    for s in &all {
        table.row(vec![
            paint(NAME, s.id),
            s.prompt_type.to_string(),
            output::one_line(&s.description, 70),
        ]);
    }
    output::print(&table.render());
    output::print(&paint(
        DIM,
        "Use one with `galley new NAME --template TEMPLATE`.",
    ));
    Ok(())
}

pub fn list(ctx: &Ctx, args: ListArgs) -> anyhow::Result<()> {
    if ctx.json && !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        // Scripts get the stored entries streamed straight out: fast on big workspaces.
        let mut out = output::PipeWriter::new(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stdout().lock(),
        ));
        ctx.workspace
            .write_list_json(args.prefix.as_deref(), args.tag.as_deref(), &mut out)?;
        return out.finish();
    }
    let mut prompts = ctx.workspace.list(args.prefix.as_deref())?;
    if let Some(tag) = &args.tag {
        prompts.retain(|p| p.tags.iter().any(|t| t == tag));
    }
    if ctx.json {
        return output::print_json(&prompts);
    }
    if prompts.is_empty() {
        let filtered = args.prefix.is_some() || args.tag.is_some();
        output::print(if filtered && !ctx.workspace.list(None)?.is_empty() {
            "No prompts match."
        } else {
            "No prompts yet. Create one with `galley new NAME --template support-agent`, or try `galley demo`."
        });
        return Ok(());
    }
    let mut table = Table::default();
    table.row(
        ["NAME", "TYPE", "VER", "UPDATED", "TAGS", "DESCRIPTION"]
            .map(|h| paint(BOLD, h))
            .to_vec(),
    );
    for p in &prompts {
        let version = match (p.latest_version, p.has_draft) {
            (Some(v), true) => format!("v{v}*"),
            (Some(v), false) => format!("v{v}"),
            (None, _) => "-".into(),
        };
        table.row(vec![
            paint(NAME, &p.name),
            p.prompt_type.to_string(),
            version,
            paint(DIM, output::relative_time(&p.updated_at)),
            p.tags.join(","),
            output::one_line(&p.description, 50),
        ]);
    }
    output::print(&table.render());
    if prompts.iter().any(|p| p.has_draft) {
        output::print(&paint(DIM, "* you have an uncommitted draft"));
    }
    Ok(())
}

pub fn show(ctx: &Ctx, args: ShowArgs) -> anyhow::Result<()> {
    let ws = &ctx.workspace;
    let resolved = match args.which.or(VersionRef::Latest) {
        // Without a choice, show what the user is working on.
        VersionRef::Latest if args.which.version.is_none() => ws.working_copy(&args.name)?,
        which => ws.resolve(&args.name, which)?,
    };
    let summary = ws.summary(&args.name)?;
    let variables = ws.variables(&args.name, &resolved.content)?;
    let content = &resolved.content;
    if ctx.json {
        return output::print_json(&json!({
            "name": args.name,
            "source": resolved.source,
            "version": resolved.version,
            "hash": content.content_hash(),
            "tags": summary.tags,
            "content": content,
            "variables_used": variables,
        }));
    }
    let source = match resolved.source {
        Source::Draft { base: Some(b) } => format!("your draft (from v{b})"),
        Source::Draft { base: None } => "your draft".into(),
        Source::Version { number } => {
            let v = resolved.version.as_ref().expect("a version has its record");
            format!(
                "v{number} by {} {}: {}",
                v.author,
                output::relative_time(&v.created_at),
                v.message
            )
        }
    };
    let mut out = format!(
        "{} {}\n",
        paint(NAME, &args.name),
        paint(DIM, format!("({})", content.prompt_type))
    );
    out.push_str(&format!("{}  {}\n", paint(BOLD, "source"), source));
    out.push_str(&format!(
        "{}    {}\n",
        paint(BOLD, "hash"),
        content.content_hash()
    ));
    if !summary.tags.is_empty() {
        out.push_str(&format!(
            "{}    {}\n",
            paint(BOLD, "tags"),
            summary.tags.join(", ")
        ));
    }
    if !content.description.is_empty() {
        out.push_str(&format!("\n{}\n", content.description));
    }
    if content.config.as_object().is_some_and(|o| !o.is_empty()) {
        out.push_str(&format!(
            "\n{}\n{}\n",
            paint(BOLD, "Model config"),
            serde_json::to_string_pretty(&content.config)?
        ));
    }
    if !variables.is_empty() {
        out.push_str(&format!("\n{}\n", paint(BOLD, "Variables")));
        let mut table = Table::default();
        for v in &variables {
            let need = if v.spec.must_be_given() {
                "required"
            } else {
                "optional"
            };
            let mut notes = Vec::new();
            if !v.declared {
                notes.push(paint(output::WARN, "undeclared"));
            }
            if !v.used {
                notes.push(paint(output::WARN, "unused"));
            }
            if let Some(d) = &v.spec.default {
                notes.push(format!("default {d}"));
            }
            if !v.spec.description.is_empty() {
                notes.push(output::one_line(&v.spec.description, 50));
            }
            table.row(vec![
                format!("  {}", paint(NAME, &v.name)),
                v.spec.var_type.to_string(),
                need.into(),
                notes.join(" · "),
            ]);
        }
        out.push_str(&table.render());
    }
    for (i, section) in content.sections.iter().enumerate() {
        let role = section.role.map(|r| format!(" · {r}")).unwrap_or_default();
        out.push_str(&format!(
            "\n{} {} {}\n",
            paint(BOLD, format!("{}.", i + 1)),
            paint(BOLD, &section.title),
            paint(DIM, format!("[{}{role}]", section.kind))
        ));
        if section.body.is_empty() {
            out.push_str(&paint(DIM, "   (empty)\n"));
        } else {
            for line in section.body.lines() {
                out.push_str(&format!("   {line}\n"));
            }
        }
    }
    output::print(&out);
    Ok(())
}
