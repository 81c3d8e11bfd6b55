//! `galley provider add|list|show|rm|test`.

use clap::{Args, Subcommand};
use serde_json::{Map, Value as Json};

use crate::domain::eval::{ProviderConfig, ProviderKind};

use super::Ctx;
use super::output::{self, BOLD, DIM, GOOD, NAME, Table, paint};

#[derive(Subcommand, Debug)]
pub enum ProviderCommand {
    /// Add a provider
    Add(AddProvider),
    /// List providers
    List,
    /// Show a provider's config
    Show { name: String },
    /// Remove a provider
    Rm { name: String },
    /// Send one tiny request: prints the latency, or the exact error
    Test { name: String },
}

#[derive(Args, Debug)]
pub struct AddProvider {
    name: String,
    /// openai (any OpenAI-compatible endpoint), anthropic, command or echo
    #[arg(long = "type", value_parser = parse_kind)]
    kind: ProviderKind,
    /// The API's base URL, e.g. http://localhost:11434/v1 for Ollama
    #[arg(long)]
    base_url: Option<String>,
    #[arg(long)]
    model: Option<String>,
    /// The environment variable holding the API key (the key itself is never stored)
    #[arg(long)]
    api_key_env: Option<String>,
    /// For `command`: the program to run (through the shell); the prompt arrives on stdin
    #[arg(long)]
    command: Option<String>,
    /// For `command`: send {"messages", "params"} as JSON instead of plain text
    #[arg(long)]
    json_input: bool,
    /// Requests per minute
    #[arg(long)]
    rpm: Option<u32>,
    /// Seconds before a request is abandoned
    #[arg(long)]
    timeout: Option<u64>,
    /// Retries on 429, 5xx and connection errors
    #[arg(long)]
    max_retries: Option<u32>,
    /// A request default, KEY=VALUE (VALUE may be JSON), e.g. temperature=0
    #[arg(long = "set", value_name = "KEY=VALUE")]
    defaults: Vec<String>,
    /// Replace a provider of the same name
    #[arg(long)]
    replace: bool,
}

fn parse_kind(s: &str) -> Result<ProviderKind, String> {
    s.parse()
}

/// `KEY=VALUE` pairs as a JSON object (values parsed as JSON when they are).
pub fn key_values(pairs: &[String]) -> anyhow::Result<Json> {
    let mut map = Map::new();
    for pair in pairs {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("`{pair}`: write KEY=VALUE"))?;
        let value = serde_json::from_str::<Json>(v).unwrap_or_else(|_| Json::String(v.to_string()));
        map.insert(k.trim().to_string(), value);
    }
    Ok(Json::Object(map))
}

pub fn run(ctx: &mut Ctx, command: ProviderCommand) -> anyhow::Result<()> {
    let ws = &mut ctx.workspace;
    match command {
        ProviderCommand::Add(args) => {
            let mut config = ProviderConfig::new(&args.name, args.kind);
            config.base_url = args.base_url;
            config.model = args.model;
            config.api_key_env = args.api_key_env;
            config.command = args.command;
            config.json_input = args.json_input;
            config.rpm = args.rpm;
            config.timeout_secs = args.timeout;
            config.max_retries = args.max_retries;
            config.defaults = key_values(&args.defaults)?;
            ws.add_provider(config.clone(), args.replace)?;
            if ctx.json {
                return output::print_json(&config);
            }
            output::print(&format!(
                "Added provider {} ({}). Check it with `galley provider test {}`.",
                paint(NAME, &args.name),
                args.kind.as_str(),
                args.name
            ));
        }
        ProviderCommand::List => {
            let all = ws.providers()?;
            if ctx.json {
                return output::print_json(&all);
            }
            let mut table = Table::default();
            table.row(
                ["PROVIDER", "TYPE", "MODEL", "ENDPOINT", "KEY FROM"]
                    .map(|h| paint(BOLD, h))
                    .to_vec(),
            );
            for p in &all {
                table.row(vec![
                    paint(NAME, &p.name),
                    p.kind.as_str().to_string(),
                    p.model.clone().unwrap_or_default(),
                    p.base_url.clone().or(p.command.clone()).unwrap_or_default(),
                    p.api_key_env
                        .as_ref()
                        .map(|v| format!("${v}"))
                        .unwrap_or_default(),
                ]);
            }
            output::print(&table.render());
        }
        ProviderCommand::Show { name } => {
            let config = ws.provider_config(&name)?;
            if ctx.json {
                return output::print_json(&config);
            }
            let key = match &config.api_key_env {
                Some(var) if std::env::var(var).is_ok_and(|v| !v.is_empty()) => {
                    format!("from ${var} (set)")
                }
                Some(var) => format!("from ${var} (NOT set)"),
                None => "none".into(),
            };
            output::print(&format!(
                "{} ({})\n{}\napi key: {key}",
                paint(NAME, &config.name),
                config.kind.as_str(),
                toml::to_string(&config).unwrap_or_default().trim_end()
            ));
        }
        ProviderCommand::Rm { name } => {
            ws.remove_provider(&name)?;
            output::print(&format!("Removed provider {}.", paint(NAME, &name)));
        }
        ProviderCommand::Test { name } => {
            let check = ws.test_provider(&name)?;
            if ctx.json {
                return output::print_json(&check);
            }
            let model = check.model.map(|m| format!(" · {m}")).unwrap_or_default();
            output::print(&format!(
                "{} {} answered in {} ms{model}: {}",
                paint(GOOD, "ok"),
                paint(NAME, &check.provider),
                check.latency_ms,
                paint(DIM, output::one_line(&check.reply, 60))
            ));
        }
    }
    Ok(())
}
