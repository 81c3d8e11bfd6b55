//! `galley dataset new|import|export|list|show|add|rm`.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::{Map, Value as Json, json};

use crate::domain::eval::{AssertionSpec, TestCase};
use crate::eval::dataset_io::DatasetFormat;
use crate::workspace::ImportMode;

use super::Ctx;
use super::output::{self, BOLD, DIM, NAME, Table, paint};

#[derive(Subcommand, Debug)]
pub enum DatasetCommand {
    /// Create an empty dataset
    New {
        name: String,
        #[arg(long, short = 'd', default_value = "")]
        description: String,
    },
    /// Import cases from JSONL, CSV, YAML or a promptfoo config (a new version of the dataset)
    Import {
        name: String,
        file: PathBuf,
        /// jsonl, csv, yaml or promptfoo [default: from the file name]
        #[arg(long, value_parser = parse_format)]
        format: Option<DatasetFormat>,
        /// Add to the dataset's cases instead of replacing them
        #[arg(long)]
        append: bool,
        /// Import the good rows and report the bad ones (otherwise any problem imports nothing)
        #[arg(long)]
        partial: bool,
    },
    /// Write a dataset's cases as JSONL (default), CSV, YAML or promptfoo tests
    Export {
        name: String,
        #[arg(long)]
        version: Option<u32>,
        #[arg(long, value_parser = parse_format, default_value = "jsonl")]
        format: DatasetFormat,
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
    /// List datasets
    List,
    /// Show a dataset's cases
    Show {
        name: String,
        #[arg(long)]
        version: Option<u32>,
    },
    /// Add a case
    Add(AddCase),
    /// Remove a case (by number or id)
    Rm { name: String, case: String },
}

#[derive(Args, Debug)]
pub struct AddCase {
    name: String,
    /// A variable, NAME=VALUE (repeatable; VALUE may be JSON)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
    /// The expected output
    #[arg(long)]
    expected: Option<String>,
    /// An assertion, TYPE or TYPE:VALUE (repeatable), e.g. `contains:refund`, `not-icontains:sorry`
    #[arg(long = "assert", value_name = "TYPE[:VALUE]")]
    assertions: Vec<String>,
    #[arg(long, short = 'd', default_value = "")]
    description: String,
    #[arg(long = "tag")]
    tags: Vec<String>,
    /// The weighted score (0–1) the case needs
    #[arg(long)]
    threshold: Option<f64>,
}

fn parse_format(s: &str) -> Result<DatasetFormat, String> {
    DatasetFormat::parse_name(s)
}

/// `TYPE:VALUE` → an assertion; VALUE is JSON when it parses as JSON (lists, objects, numbers).
pub fn parse_assertion(text: &str) -> anyhow::Result<AssertionSpec> {
    let (kind, value) = match text.split_once(':') {
        Some((kind, value)) => (kind.trim(), Some(value.trim())),
        None => (text.trim(), None),
    };
    let value = value.filter(|v| !v.is_empty()).map(|v| {
        serde_json::from_str::<Json>(v)
            .ok()
            .filter(|j| j.is_array() || j.is_object() || j.is_number())
            .unwrap_or_else(|| Json::String(v.to_string()))
    });
    let spec = AssertionSpec::new(kind, value);
    crate::eval::assertions::validate(&spec)
        .map_err(|e| anyhow::anyhow!("--assert {text}: {e}"))?;
    Ok(spec)
}

pub fn run(ctx: &mut Ctx, command: DatasetCommand) -> anyhow::Result<()> {
    let ws = &mut ctx.workspace;
    match command {
        DatasetCommand::New { name, description } => {
            let version = ws.create_dataset(&name, &description)?;
            if ctx.json {
                return output::print_json(&json!({"name": name, "version": version}));
            }
            output::print(&format!(
                "Created dataset {}. Add cases with `galley dataset add {name} --var k=v --assert contains:...` or `galley dataset import {name} FILE`.",
                paint(NAME, &name)
            ));
        }
        DatasetCommand::Import {
            name,
            file,
            format,
            append,
            partial,
        } => {
            let format = match format.or_else(|| DatasetFormat::from_path(&file)) {
                Some(f) => f,
                None => anyhow::bail!(
                    "cannot tell the format of {}: pass --format jsonl|csv|yaml|promptfoo",
                    file.display()
                ),
            };
            let text = ws.read_import_file(&file)?;
            let mode = if append {
                ImportMode::Append
            } else {
                ImportMode::Replace
            };
            let report = ws.import_dataset(&name, &text, format, mode, partial)?;
            if ctx.json {
                return output::print_json(&report);
            }
            let mut out = match report.version {
                Some(v) => format!(
                    "Imported {} cases into {} (version {v}).",
                    report.imported,
                    paint(NAME, &name)
                ),
                None => format!("Nothing imported into {}.", paint(NAME, &name)),
            };
            for p in &report.skipped {
                let at = p
                    .line
                    .map(|l| format!("line {l}"))
                    .or(p.case.clone().map(|c| format!("case {c}")))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "\n{} {at}: {}",
                    paint(output::WARN, "skipped"),
                    p.message
                ));
            }
            output::print(&out);
        }
        DatasetCommand::Export {
            name,
            version,
            format,
            output: path,
        } => {
            let text = ws.export_dataset(&name, version, format)?;
            match path {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    output::print(&format!(
                        "Exported {} to {}.",
                        paint(NAME, &name),
                        path.display()
                    ));
                }
                None => {
                    use std::io::Write;
                    let _ = std::io::stdout().lock().write_all(text.as_bytes());
                }
            }
        }
        DatasetCommand::List => {
            let all = ws.datasets()?;
            if ctx.json {
                return output::print_json(&all);
            }
            if all.is_empty() {
                output::print(
                    "No datasets yet. Create one with `galley dataset new NAME` or `galley dataset import NAME FILE`.",
                );
                return Ok(());
            }
            let mut table = Table::default();
            table.row(
                ["DATASET", "VER", "CASES", "UPDATED", "DESCRIPTION"]
                    .map(|h| paint(BOLD, h))
                    .to_vec(),
            );
            for d in &all {
                table.row(vec![
                    paint(NAME, &d.name),
                    format!("v{}", d.version),
                    d.cases.to_string(),
                    paint(DIM, output::relative_time(&d.updated_at)),
                    output::one_line(&d.description, 50),
                ]);
            }
            output::print(&table.render());
        }
        DatasetCommand::Show { name, version } => {
            let dataset = ws.dataset(&name, version)?;
            if ctx.json {
                return output::print_json(&dataset);
            }
            let mut out = format!(
                "{} v{} · {} cases\n",
                paint(NAME, &dataset.name),
                dataset.version,
                dataset.cases.len()
            );
            if !dataset.description.is_empty() {
                out.push_str(&format!("{}\n", dataset.description));
            }
            for (i, case) in dataset.cases.iter().enumerate() {
                let title = if case.description.is_empty() {
                    String::new()
                } else {
                    format!(" {}", case.description)
                };
                out.push_str(&format!(
                    "\n{}{} {}\n",
                    paint(BOLD, format!("{}.", i + 1)),
                    title,
                    paint(DIM, &case.id[..case.id.len().min(13)])
                ));
                for (k, v) in &case.vars {
                    let shown = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                    out.push_str(&format!(
                        "   {} = {}\n",
                        paint(NAME, k),
                        output::one_line(&shown, 70)
                    ));
                }
                if let Some(e) = &case.expected {
                    out.push_str(&format!("   expected: {}\n", output::one_line(e, 70)));
                }
                for a in &case.assertions {
                    let value = a
                        .value
                        .as_ref()
                        .map(|v| {
                            format!(
                                " {}",
                                v.as_str().map_or_else(|| v.to_string(), str::to_string)
                            )
                        })
                        .unwrap_or_default();
                    out.push_str(&format!(
                        "   assert {}{}\n",
                        a.kind,
                        output::one_line(&value, 60)
                    ));
                }
            }
            output::print(&out);
        }
        DatasetCommand::Add(args) => {
            let mut vars = Map::new();
            for pair in &args.vars {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| anyhow::anyhow!("--var {pair}: write NAME=VALUE"))?;
                let value = serde_json::from_str::<Json>(v)
                    .ok()
                    .filter(|j| !j.is_string())
                    .unwrap_or_else(|| Json::String(v.to_string()));
                vars.insert(k.trim().to_string(), value);
            }
            let assertions = args
                .assertions
                .iter()
                .map(|a| parse_assertion(a))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let case = TestCase {
                id: String::new(),
                description: args.description,
                vars,
                expected: args.expected,
                assertions,
                tags: args.tags,
                threshold: args.threshold,
            };
            let version = ws.add_case(&args.name, case)?;
            if ctx.json {
                return output::print_json(&json!({"name": args.name, "version": version}));
            }
            output::print(&format!(
                "Added a case to {} (version {version}).",
                paint(NAME, &args.name)
            ));
        }
        DatasetCommand::Rm { name, case } => {
            let version = ws.remove_case(&name, &case)?;
            output::print(&format!(
                "Removed case {case} from {} (version {version}).",
                paint(NAME, &name)
            ));
        }
    }
    Ok(())
}
