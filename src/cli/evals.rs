//! `galley eval run|list|show|compare|grade`: run datasets against versions and providers, gate
//! CI on the pass rate, write JUnit XML.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde_json::json;

use crate::domain::eval::{CaseResult, RunStatus, RunSummary};
use crate::domain::{PromptName, VersionRef};
use crate::eval::compare::Comparison;
use crate::eval::pricing::PriceTable;
use crate::eval::runner::Cancel;
use crate::workspace::runs::short;
use crate::workspace::{Config, EvalOptions, Progress, RunReport};

use super::output::{self, BAD, BOLD, DIM, GOOD, NAME, Table, WARN, paint};
use super::{Ctx, parse_name, parse_version};

#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// Run a prompt's versions against a dataset
    Run(RunArgs),
    /// List runs (of one prompt)
    List {
        #[arg(value_parser = parse_name)]
        name: Option<PromptName>,
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
    },
    /// Show a run: summary and failures (all results with --all)
    Show {
        run: String,
        #[arg(long)]
        all: bool,
    },
    /// Compare two runs, or two versions within one run (`compare RUN --versions 2 3`)
    Compare {
        before: String,
        after: Option<String>,
        #[arg(long, num_args = 2, value_names = ["A", "B"])]
        versions: Option<Vec<u32>>,
    },
    /// Grade a result by hand (kept beside the automatic verdict)
    Grade {
        run: String,
        /// The case: its number or id
        case: String,
        #[arg(long)]
        version: u32,
        #[arg(long)]
        provider: String,
        #[arg(long, conflicts_with = "fail", required_unless_present = "fail")]
        pass: bool,
        #[arg(long)]
        fail: bool,
        #[arg(long, short = 'm', default_value = "")]
        note: String,
    },
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    #[arg(long)]
    dataset: String,
    /// A version to run (repeatable; a number, `latest` or `draft`) [default: latest]
    #[arg(long = "version", short = 'v', value_parser = parse_version)]
    versions: Vec<VersionRef>,
    /// A provider to run on (repeatable) [default: echo]
    #[arg(long = "provider", short = 'p')]
    providers: Vec<String>,
    /// Requests in flight at once [default: 8, or the config's eval.concurrency]
    #[arg(long)]
    concurrency: Option<usize>,
    /// Run every case N times, to measure stability
    #[arg(long, default_value_t = 1)]
    repeat: u32,
    /// Rerun only what failed in this run
    #[arg(long, value_name = "RUN")]
    only_failed: Option<String>,
    /// Exit 1 when the pass rate is under RATE (0.9 or 90%)
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    fail_under: Option<f64>,
    /// Write JUnit XML for CI
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// The provider that grades llm-rubric assertions
    #[arg(long)]
    grader: Option<String>,
    /// Reuse responses to identical requests (cached in the workspace)
    #[arg(long)]
    cache: bool,
    /// A request parameter over the prompt's and the provider's, KEY=VALUE
    #[arg(long = "set", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let value = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => t
            .parse::<f64>()
            .map(|v| if v > 1.0 { v / 100.0 } else { v }),
    }
    .map_err(|_| format!("`{s}` is not a rate: write 0.9 or 90%"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("`{s}` is not between 0 and 100%"))
    }
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

fn money(usd: f64) -> String {
    if usd == 0.0 {
        "$0".into()
    } else if usd < 0.01 {
        format!("${usd:.5}")
    } else {
        format!("${usd:.4}")
    }
}

pub fn run(ctx: &mut Ctx, config: &Config, command: EvalCommand) -> anyhow::Result<()> {
    match command {
        EvalCommand::Run(args) => run_eval(ctx, config, args),
        EvalCommand::List { name, limit } => {
            let runs = ctx
                .workspace
                .runs(name.as_ref().map(|n| n.as_str()), limit)?;
            if ctx.json {
                return output::print_json(&runs);
            }
            if runs.is_empty() {
                output::print("No runs yet. Start one with `galley eval run PROMPT --dataset D`.");
                return Ok(());
            }
            let mut table = Table::default();
            table.row(
                [
                    "RUN",
                    "PROMPT",
                    "DATASET",
                    "VERSIONS",
                    "PROVIDERS",
                    "PASS",
                    "STATUS",
                    "WHEN",
                ]
                .map(|h| paint(BOLD, h))
                .to_vec(),
            );
            for r in &runs {
                table.row(vec![
                    paint(DIM, short(&r.id)),
                    paint(NAME, &r.prompt),
                    format!("{} v{}", r.dataset, r.dataset_version),
                    r.versions
                        .iter()
                        .map(|v| {
                            if *v == 0 {
                                "draft".into()
                            } else {
                                format!("v{v}")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    r.providers.join(","),
                    format!(
                        "{} {}/{}",
                        percent(r.summary.pass_rate),
                        r.summary.passed,
                        r.summary.total
                    ),
                    status_word(r.status),
                    paint(DIM, output::relative_time(&r.started_at)),
                ]);
            }
            output::print(&table.render());
            Ok(())
        }
        EvalCommand::Show { run, all } => {
            let report = ctx.workspace.run_report(&run)?;
            if ctx.json {
                return output::print_json(&report);
            }
            output::print(&render_report(&report, all));
            Ok(())
        }
        EvalCommand::Compare {
            before,
            after,
            versions,
        } => {
            let cmp = match (after, versions) {
                (Some(after), None) => ctx.workspace.compare_runs(&before, &after)?,
                (None, Some(v)) => ctx.workspace.compare_versions(&before, v[0], v[1])?,
                _ => anyhow::bail!(
                    "compare two runs (`compare RUN RUN`) or two versions of one run (`compare RUN --versions A B`)"
                ),
            };
            if ctx.json {
                return output::print_json(&cmp);
            }
            output::print(&render_comparison(&cmp));
            Ok(())
        }
        EvalCommand::Grade {
            run,
            case,
            version,
            provider,
            pass,
            fail: _,
            note,
        } => {
            ctx.workspace
                .grade(&run, &case, version, &provider, pass, &note)?;
            output::print(&format!(
                "Graded case {case} as {}.",
                if pass { "pass" } else { "fail" }
            ));
            Ok(())
        }
    }
}

fn status_word(status: RunStatus) -> String {
    match status {
        RunStatus::Completed => paint(GOOD, "completed"),
        RunStatus::Cancelled => paint(WARN, "cancelled"),
        RunStatus::Running => paint(WARN, "running"),
        RunStatus::Failed => paint(BAD, "failed"),
    }
}

fn run_eval(ctx: &mut Ctx, config: &Config, args: RunArgs) -> anyhow::Result<()> {
    let options = EvalOptions {
        prompt: args.name.clone(),
        dataset: args.dataset.clone(),
        versions: args.versions.clone(),
        providers: args.providers.clone(),
        concurrency: args.concurrency.or(config.eval.concurrency).unwrap_or(8),
        repeat: args.repeat,
        only_failed: args.only_failed.clone(),
        grader: args.grader.clone().or(config.eval.grader.clone()),
        use_cache: args.cache,
        overrides: super::providers::key_values(&args.overrides)?,
        prices: PriceTable::load(&config.prices),
    };
    let cancel = Cancel::default();
    watch_interrupt(cancel.clone());
    let show_bar = std::io::stderr().is_terminal() && !ctx.json;
    let mut bar = ProgressBar::default();
    let run = ctx.workspace.run_eval(
        options,
        &mut |p, _r| {
            if show_bar {
                bar.draw(p)
            }
        },
        cancel,
    )?;
    if show_bar {
        bar.finish();
    }
    let report = ctx.workspace.run_report(&run.id)?;
    if let Some(path) = &args.junit {
        let xml = crate::eval::junit::to_junit(&report.run, &report.results, &report.dataset.cases);
        std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if ctx.json {
        output::print_json(&json!({"run": report.run, "results": report.results}))?;
    } else {
        output::print(&render_report(&report, false));
        if let Some(path) = &args.junit {
            output::print(&paint(
                DIM,
                format!("JUnit XML written to {}", path.display()),
            ));
        }
    }
    if run.status == RunStatus::Cancelled {
        anyhow::bail!(
            "the run was cancelled: {} of its results are kept (run {})",
            report.results.len(),
            short(&run.id)
        );
    }
    if let Some(rate) = args.fail_under
        && run.summary.pass_rate + 1e-9 < rate
    {
        anyhow::bail!(
            "pass rate {} is under {}",
            percent(run.summary.pass_rate),
            percent(rate)
        );
    }
    Ok(())
}

/// Ctrl-C cancels the run (finished results are kept); a second Ctrl-C quits at once.
fn watch_interrupt(cancel: Cancel) {
    use signal_hook::consts::SIGINT;
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT]) else {
        return;
    };
    std::thread::spawn(move || {
        let mut count = 0;
        for _ in signals.forever() {
            count += 1;
            if count == 1 {
                cancel.cancel();
                eprintln!("\ncancelling… finished results are kept (Ctrl-C again to quit now)");
            } else {
                std::process::exit(130);
            }
        }
    });
}

#[derive(Default)]
struct ProgressBar {
    drawn: bool,
}

impl ProgressBar {
    fn draw(&mut self, p: Progress) {
        let width = 30;
        let filled = (p.done * width).checked_div(p.total).unwrap_or(width);
        let line = format!(
            "\r  [{}{}] {}/{}  ✓ {}  ✗ {}  ! {} ",
            "=".repeat(filled),
            " ".repeat(width - filled),
            p.done,
            p.total,
            p.passed,
            p.failed,
            p.errors
        );
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
        self.drawn = true;
    }

    fn finish(&self) {
        if self.drawn {
            eprintln!();
        }
    }
}

fn case_name(report: &RunReport, id: &str) -> String {
    let cases = &report.dataset.cases;
    match cases.iter().position(|c| c.id == id) {
        Some(i) if !cases[i].description.is_empty() => {
            format!("{}. {}", i + 1, cases[i].description)
        }
        Some(i) => format!("case {}", i + 1),
        None => id.chars().take(13).collect(),
    }
}

/// The run's summary per version × provider, then its failures (or every result).
pub fn render_report(report: &RunReport, all: bool) -> String {
    let run = &report.run;
    let mut out = format!(
        "{} {} on {} v{} · {} · {}\n",
        paint(BOLD, format!("Run {}", short(&run.id))),
        paint(NAME, &run.prompt),
        run.dataset,
        run.dataset_version,
        status_word(run.status),
        paint(DIM, output::relative_time(&run.started_at))
    );
    let mut groups: BTreeMap<(u32, String), Vec<CaseResult>> = BTreeMap::new();
    for r in &report.results {
        groups
            .entry((r.version, r.provider.clone()))
            .or_default()
            .push(r.clone());
    }
    let mut table = Table::default();
    table.row(
        [
            "VERSION",
            "PROVIDER",
            "PASS RATE",
            "PASSED",
            "FAILED",
            "ERRORS",
            "SCORE",
            "COST",
            "LATENCY",
            "TOKENS in/out",
        ]
        .map(|h| paint(BOLD, h))
        .to_vec(),
    );
    for ((version, provider), rs) in &groups {
        let s = RunSummary::of(rs);
        let rate = if s.pass_rate >= 0.999 {
            paint(GOOD, percent(s.pass_rate))
        } else {
            paint(WARN, percent(s.pass_rate))
        };
        table.row(vec![
            if *version == 0 {
                "draft".into()
            } else {
                format!("v{version}")
            },
            provider.clone(),
            rate,
            s.passed.to_string(),
            s.failed.to_string(),
            s.errors.to_string(),
            format!("{:.2}", s.mean_score),
            money(s.cost_usd),
            format!("{:.0} ms", s.mean_latency_ms),
            format!("{}/{}", s.input_tokens, s.output_tokens),
        ]);
    }
    out.push_str(&table.render());
    let shown: Vec<&CaseResult> = report
        .results
        .iter()
        .filter(|r| all || !r.human.as_ref().map_or(r.pass, |h| h.pass))
        .collect();
    if !shown.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            paint(BOLD, if all { "Results" } else { "Failures" })
        ));
    }
    for r in shown.iter().take(if all { usize::MAX } else { 25 }) {
        let verdict = match (&r.error, r.pass) {
            (Some(_), _) => paint(BAD, "ERROR"),
            (None, true) => paint(GOOD, "PASS "),
            (None, false) => paint(BAD, "FAIL "),
        };
        let version = if r.version == 0 {
            "draft".to_string()
        } else {
            format!("v{}", r.version)
        };
        out.push_str(&format!(
            "{verdict} {} {}\n",
            case_name(report, &r.case_id),
            paint(DIM, format!("({version}, {})", r.provider))
        ));
        if let Some(e) = &r.error {
            out.push_str(&format!("      {}\n", output::one_line(e, 100)));
        }
        for a in r.assertions.iter().filter(|a| all || !a.pass) {
            let mark = if a.pass {
                paint(GOOD, "✓")
            } else {
                paint(BAD, "✗")
            };
            out.push_str(&format!(
                "      {mark} {}: {}\n",
                a.kind,
                output::one_line(&a.reason, 100)
            ));
        }
        if let Some(h) = &r.human {
            out.push_str(&format!(
                "      graded {} by {}: {}\n",
                if h.pass { "pass" } else { "fail" },
                h.by,
                h.note
            ));
        }
    }
    if !all && shown.len() > 25 {
        out.push_str(&paint(
            DIM,
            format!(
                "… and {} more (galley eval show {} --all)\n",
                shown.len() - 25,
                short(&run.id)
            ),
        ));
    }
    let s = &run.summary;
    out.push_str(&format!(
        "\n{} passed, {} failed, {} errors · pass rate {} · {} · {}\n",
        s.passed,
        s.failed,
        s.errors,
        percent(s.pass_rate),
        money(s.cost_usd),
        paint(DIM, format!("run {}", short(&run.id)))
    ));
    out
}

fn signed(v: f64, unit: &str) -> String {
    if v >= 0.0 {
        format!("+{v:.2}{unit}")
    } else {
        format!("{v:.2}{unit}")
    }
}

/// A comparison as text: the two sides, the deltas, the flipped cases (regressions first).
pub fn render_comparison(cmp: &Comparison) -> String {
    let mut out = String::new();
    let mut table = Table::default();
    table.row(
        ["", "PASS RATE", "SCORE", "COST", "LATENCY"]
            .map(|h| paint(BOLD, h))
            .to_vec(),
    );
    for side in [&cmp.before, &cmp.after] {
        table.row(vec![
            side.label.clone(),
            percent(side.summary.pass_rate),
            format!("{:.2}", side.summary.mean_score),
            money(side.summary.cost_usd),
            format!("{:.0} ms", side.summary.mean_latency_ms),
        ]);
    }
    let delta_rate = signed(cmp.pass_rate_delta * 100.0, " pts");
    table.row(vec![
        paint(BOLD, "change"),
        if cmp.pass_rate_delta < 0.0 {
            paint(BAD, &delta_rate)
        } else {
            paint(GOOD, &delta_rate)
        },
        signed(cmp.score_delta, ""),
        signed(cmp.cost_delta_usd, " $"),
        signed(cmp.latency_delta_ms, " ms"),
    ]);
    out.push_str(&table.render());
    if cmp.flips.is_empty() {
        out.push_str(&format!(
            "\nNo case changed verdict ({} compared).\n",
            cmp.matched
        ));
    } else {
        out.push_str(&format!(
            "\n{} of {} cases changed verdict:\n",
            cmp.flips.len(),
            cmp.matched
        ));
        for f in &cmp.flips {
            let (mark, word) = if f.is_regression() {
                (paint(BAD, "▼"), "regressed")
            } else {
                (paint(GOOD, "▲"), "fixed")
            };
            out.push_str(&format!(
                "{mark} {word:<9} {} {}\n",
                f.description,
                paint(DIM, format!("({})", f.provider))
            ));
            if !f.reason.is_empty() {
                out.push_str(&format!(
                    "            {}\n",
                    output::one_line(&f.reason, 90)
                ));
            }
        }
    }
    out
}
