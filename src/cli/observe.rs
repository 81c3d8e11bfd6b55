//! `galley observe import|list|show|to-case`: production observations, offline.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use crate::domain::PromptName;
use crate::domain::observation::{BatchAnswer, CallStatus, FeedbackScale, Observation, WorstKind};
use crate::domain::thresholds::{format_ms, format_usd};
use crate::workspace::Config;

use super::Ctx;
use super::output::{self, BAD, BOLD, DIM, NAME, Table, one_line, paint};

#[derive(Subcommand, Debug)]
pub enum ObserveCommand {
    /// Import observations from JSON Lines (one observation a line; `-` reads stdin)
    ///
    /// Each line is validated on its own: the good ones are stored, every bad one is reported
    /// with its line number and reasons. A re-sent id is accepted and changes nothing. Exits
    /// with 1 when any line was rejected.
    Import {
        /// The file, or `-` for standard input
        file: PathBuf,
    },
    /// List a prompt's observations, newest first or the worst first
    List {
        /// The prompt, e.g. support/triage
        #[arg(value_parser = super::parse_name)]
        name: PromptName,
        /// Only this environment
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// The worst first: errors (newest first), feedback (lowest first) or slow
        #[arg(long, value_name = "KIND", value_parser = parse_worst)]
        worst: Option<WorstKind>,
        /// From when: an age (24h, 7d), a date or an RFC 3339 time [default: all]
        #[arg(long, value_name = "T", value_parser = super::history::parse_since)]
        since: Option<jiff::Timestamp>,
        /// How many to show
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
    },
    /// Show one observation: timing, cost, error, feedback, variables and output
    Show { id: String },
    /// Record a user's feedback on an observation (replacing any earlier feedback)
    Feedback {
        id: String,
        /// −1 or +1 (thumbs), or 1–5 (rating)
        #[arg(long, allow_negative_numbers = true)]
        score: i64,
        /// thumbs or rating [default: thumbs for −1/+1, rating for 2–5]
        #[arg(long)]
        scale: Option<String>,
        #[arg(long)]
        comment: Option<String>,
    },
    /// Turn an observation into a test case of a dataset (a new dataset version)
    ///
    /// The case keeps the call's variables and holds its output as a negative example (a
    /// `not-equals` assertion); it is tagged `needs-rubric` until you add an `llm-rubric`
    /// saying what a good answer does.
    ToCase {
        id: String,
        /// The dataset (created when missing)
        #[arg(long, short = 'd')]
        dataset: String,
    },
}

fn parse_worst(s: &str) -> Result<WorstKind, String> {
    s.parse()
}

pub fn run(ctx: &mut Ctx, config: &Config, command: ObserveCommand) -> anyhow::Result<()> {
    match command {
        ObserveCommand::Import { file } => import(ctx, config, &file),
        ObserveCommand::List {
            name,
            env,
            worst,
            since,
            limit,
        } => {
            let kind = worst.unwrap_or(WorstKind::Recent);
            let rows = ctx
                .workspace
                .worst(&name, env.as_deref(), kind, since, limit)?;
            if ctx.json {
                return output::print_json(&rows);
            }
            output::print(&list_text(&name, &rows));
            Ok(())
        }
        ObserveCommand::Show { id } => {
            let obs = ctx.workspace.observation(&id)?;
            if ctx.json {
                return output::print_json(&obs);
            }
            output::print(&show_text(&obs));
            Ok(())
        }
        ObserveCommand::Feedback {
            id,
            score,
            scale,
            comment,
        } => {
            let feedback = json!({"score": score, "scale": scale, "comment": comment});
            let obs = ctx.workspace.add_feedback(&id, &feedback)?;
            if ctx.json {
                return output::print_json(&obs);
            }
            output::print(&format!(
                "Recorded feedback on {id}: {}.",
                feedback_word(&obs)
            ));
            Ok(())
        }
        ObserveCommand::ToCase { id, dataset } => {
            let made = ctx.workspace.observation_to_case(&id, &dataset)?;
            if ctx.json {
                return output::print_json(&made);
            }
            let obs = ctx.workspace.observation(&id)?;
            output::print(&format!(
                "Added a case from observation {id} to dataset {} (version {}): its variables, \
                 and its output as a negative example (not-equals).\n{}",
                paint(NAME, &dataset),
                made.version,
                paint(
                    DIM,
                    format!(
                        "Next: describe a good answer with an llm-rubric assertion (the case is \
                         tagged needs-rubric), then run it: galley eval run {} --dataset {dataset}",
                        obs.prompt
                    )
                )
            ));
            Ok(())
        }
    }
}

fn import(ctx: &mut Ctx, config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let limits = config.monitor.keep_limits();
    let answer = if file.as_os_str() == "-" {
        ctx.workspace
            .import_observations(std::io::stdin().lock(), &limits)?
    } else {
        ctx.workspace.import_observations_file(file, &limits)?
    };
    if ctx.json {
        output::print_json(&answer)?;
    } else {
        output::print(&import_text(&answer));
    }
    if answer.rejected_count() > 0 {
        anyhow::bail!(
            "{} line(s) of {} rejected (the others were stored)",
            answer.rejected_count(),
            file.display()
        );
    }
    Ok(())
}

fn import_text(answer: &BatchAnswer) -> String {
    let mut out = format!("Accepted {} observation(s)", answer.accepted);
    if answer.duplicates > 0 {
        out.push_str(&format!(
            " ({} already stored, unchanged)",
            answer.duplicates
        ));
    }
    out.push_str(&format!(", rejected {}.", answer.rejected_count()));
    for r in &answer.rejected {
        let id =
            r.id.as_deref()
                .map_or(String::new(), |id| format!(" ({id})"));
        out.push_str(&format!(
            "\n  {}{id}: {}",
            paint(BAD, format!("line {}", r.index + 1)),
            r.reason
        ));
    }
    if answer.rejected_unlisted > 0 {
        out.push_str(&format!(
            "\n  … and {} more rejected line(s), not listed",
            answer.rejected_unlisted
        ));
    }
    out
}

fn status_word(obs: &Observation) -> String {
    match (&obs.status, &obs.error) {
        (CallStatus::Error, Some(e)) => paint(BAD, format!("error {}", e.kind)),
        (CallStatus::Error, None) => paint(BAD, "error"),
        (CallStatus::Ok, _) => "ok".into(),
    }
}

fn feedback_word(obs: &Observation) -> String {
    match &obs.feedback {
        None => "-".into(),
        Some(f) => {
            let word = match f.scale {
                FeedbackScale::Thumbs if f.score > 0 => "thumbs up".to_string(),
                FeedbackScale::Thumbs => "thumbs down".to_string(),
                FeedbackScale::Rating => format!("{}/5", f.score),
            };
            if f.is_negative() {
                paint(BAD, word)
            } else {
                word
            }
        }
    }
}

fn version_word(obs: &Observation) -> String {
    match (obs.version, &obs.hash) {
        (Some(v), _) => format!("v{v}"),
        (None, Some(h)) => output::short_hash(h).to_string(),
        (None, None) => "-".into(),
    }
}

fn list_text(name: &PromptName, rows: &[Observation]) -> String {
    if rows.is_empty() {
        return format!("No observations of {} match.", paint(NAME, name));
    }
    let mut table = Table::default();
    table.row(
        [
            "ID", "TIME", "VERSION", "ENV", "STATUS", "LATENCY", "FEEDBACK", "OUTPUT",
        ]
        .iter()
        .map(|h| paint(BOLD, h))
        .collect(),
    );
    for obs in rows {
        table.row(vec![
            obs.id.clone(),
            obs.timestamp.replace('T', " ").replace(".000Z", "Z"),
            version_word(obs),
            obs.env.clone(),
            status_word(obs),
            obs.latency_ms.map_or("-".into(), format_ms),
            feedback_word(obs),
            paint(DIM, one_line(obs.output.as_deref().unwrap_or(""), 40)),
        ]);
    }
    table.render()
}

fn show_text(obs: &Observation) -> String {
    let mut t = Table::default();
    let mut field = |k: &str, v: String| t.row(vec![paint(BOLD, k), v]);
    field("id", obs.id.clone());
    field("prompt", format!("{} {}", obs.prompt, version_word(obs)));
    field("env", obs.env.clone());
    field("time", obs.timestamp.clone());
    field("status", status_word(obs));
    if let Some(e) = &obs.error {
        field("error", format!("{}: {}", e.kind, e.message));
    }
    field("latency", obs.latency_ms.map_or("-".into(), format_ms));
    let tokens = |t: Option<u64>| t.map_or("-".into(), |t| t.to_string());
    field(
        "tokens",
        format!(
            "{} in, {} out",
            tokens(obs.input_tokens),
            tokens(obs.output_tokens)
        ),
    );
    field("cost", obs.cost_usd.map_or("-".into(), format_usd));
    let comment = obs
        .feedback
        .as_ref()
        .and_then(|f| f.comment.as_deref())
        .map_or(String::new(), |c| format!(" \"{c}\""));
    field("feedback", format!("{}{comment}", feedback_word(obs)));
    if let Some(trace) = &obs.trace_id {
        field("trace", trace.clone());
    }
    let mut out = t.render();
    if !obs.variables.is_empty() {
        out.push_str(&format!("\n{}\n", paint(BOLD, "Variables")));
        for (name, value) in &obs.variables {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            out.push_str(&format!("  {name}: {text}\n"));
        }
    }
    if let Some(output) = &obs.output {
        out.push_str(&format!("\n{}\n{output}\n", paint(BOLD, "Output")));
    }
    out.push_str(&format!(
        "\n{}",
        paint(
            DIM,
            format!(
                "Make it a test case: galley observe to-case {} --dataset DATASET",
                obs.id
            )
        )
    ));
    out
}
