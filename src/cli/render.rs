//! `render`: a prompt with its variables filled in.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use serde_json::Value as Json;

use crate::domain::{PromptName, VersionRef};
use crate::template::{Rendered, check_types};

use super::output::{self, BOLD, DIM, paint};
use super::{Ctx, VersionChoice, parse_name};

#[derive(Args, Debug)]
pub struct RenderArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    #[command(flatten)]
    which: VersionChoice,
    /// A variable, NAME=VALUE (repeatable); typed by its declaration, a JSON list for a message
    /// placeholder
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// Variables from a JSON object file (`-` for standard input); --var wins over it
    #[arg(long = "vars", value_name = "FILE.json")]
    vars_file: Option<PathBuf>,
}

pub fn render(ctx: &Ctx, args: RenderArgs) -> anyhow::Result<()> {
    let ws = &ctx.workspace;
    let resolved = ws.resolve(&args.name, args.which.or(VersionRef::Latest))?;
    let mut inputs = match &args.vars_file {
        Some(path) => read_vars_file(path)?,
        None => Default::default(),
    };
    check_types(&resolved.content.variables, &inputs)?;
    inputs.extend(ws.parse_inputs(&resolved.name, &resolved.content, &args.vars)?);
    let out = ws.render_resolved(&resolved, &inputs)?;
    if ctx.json {
        return output::print_json(&out);
    }
    match &out.rendered {
        Rendered::Text(text) => output::print(text),
        Rendered::Messages(messages) => {
            // Chat prompts print as JSON messages, ready for an API call.
            output::print(&serde_json::to_string_pretty(messages)?)
        }
    }
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let version = out.version.map_or("draft".to_string(), |v| format!("v{v}"));
        let note = format!(
            "{} {version} {}",
            paint(BOLD, &out.name),
            output::short_hash(&out.hash)
        );
        anstream::eprintln!("{}", paint(DIM, note));
    }
    Ok(())
}

fn read_vars_file(path: &PathBuf) -> anyhow::Result<serde_json::Map<String, Json>> {
    let text = if path.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?
    };
    match serde_json::from_str::<Json>(&text) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => anyhow::bail!("{}: variables must be a JSON object", path.display()),
        Err(e) => anyhow::bail!("{}: not valid JSON: {e}", path.display()),
    }
}
