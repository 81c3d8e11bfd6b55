//! `galley monitor NAME`: a prompt's production metrics per version or day, with the
//! thresholds they breach written out in words.

use clap::{Args, ValueEnum};

use crate::domain::PromptName;
use crate::domain::metrics::Metrics;
use crate::domain::thresholds::{format_ms, format_share, format_usd};
use crate::workspace::{Config, GroupBy, MetricsQuery, MetricsReport};

use super::Ctx;
use super::output::{self, BAD, BOLD, DIM, GOOD, NAME, Table, paint};

#[derive(Args, Debug)]
pub struct MonitorArgs {
    /// The prompt, e.g. support/triage
    #[arg(value_parser = super::parse_name)]
    name: PromptName,
    /// Only this environment [default: every environment]
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// From when: an age (24h, 7d, 2w), a date (2026-03-01) or an RFC 3339 time
    #[arg(long, value_name = "T", default_value = "7d", value_parser = super::history::parse_since)]
    since: jiff::Timestamp,
    /// One row per version × environment, or per day × environment
    #[arg(long, value_enum, default_value = "version")]
    by: By,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum By {
    Version,
    Day,
}

pub fn monitor(ctx: &Ctx, config: &Config, args: MonitorArgs) -> anyhow::Result<()> {
    let query = MetricsQuery {
        prompt: args.name,
        env: args.env,
        since: args.since,
        by: match args.by {
            By::Version => GroupBy::Version,
            By::Day => GroupBy::Day,
        },
    };
    let report = ctx.workspace.metrics(&query, &config.monitor.thresholds)?;
    if ctx.json {
        return output::print_json(&report);
    }
    output::print(&render(&report));
    Ok(())
}

fn render(report: &MetricsReport) -> String {
    let scope = report
        .env
        .as_deref()
        .map_or(String::new(), |e| format!(" in {e}"));
    let mut out = format!(
        "{}{scope} since {}, by {}\n",
        paint(NAME, &report.prompt),
        report.since.replace('T', " ").replace(":00:00Z", ":00 UTC"),
        match report.by {
            GroupBy::Version => "version",
            GroupBy::Day => "day",
        }
    );
    if report.rows.is_empty() {
        out.push_str(&format!(
            "{}\n",
            paint(
                DIM,
                "No observations in this range. Send some with `galley observe import FILE.jsonl` \
                 (or the server's POST /v1/observations), or widen --since."
            )
        ));
        return out;
    }
    let first = match report.by {
        GroupBy::Version => "VERSION",
        GroupBy::Day => "DAY",
    };
    let mut table = Table::default();
    table.row(
        [
            first,
            "ENV",
            "CALLS",
            "ERRORS",
            "P50",
            "P95",
            "P99",
            "COST/CALL",
            "TOKENS",
            "FEEDBACK",
            "ALERTS",
        ]
        .iter()
        .map(|h| paint(BOLD, h))
        .collect(),
    );
    for row in &report.rows {
        let label = match (row.version, &row.day) {
            (_, Some(day)) => day.clone(),
            (Some(0), None) => "unknown".into(),
            (Some(v), None) => format!("v{v}"),
            (None, None) => String::new(),
        };
        let alerts = if row.breaches.is_empty() {
            paint(GOOD, "ok")
        } else {
            let words: Vec<String> = row.breaches.iter().map(ToString::to_string).collect();
            paint(BAD, words.join(", "))
        };
        let mut cells = vec![label, row.env.clone()];
        cells.extend(cells_of(&row.metrics));
        cells.push(alerts);
        table.row(cells);
    }
    out.push_str(&table.render());
    out
}

/// CALLS … FEEDBACK for one row.
fn cells_of(m: &Metrics) -> Vec<String> {
    let ms = |v: Option<f64>| v.map_or("-".into(), format_ms);
    let feedback = match (m.mean_feedback, m.negative_feedback_share) {
        (Some(mean), Some(neg)) => format!("{mean:+.2} ({} neg)", format_share(neg)),
        _ => "-".into(),
    };
    vec![
        m.count.to_string(),
        format!("{} ({})", m.errors, format_share(m.error_rate)),
        ms(m.latency_p50_ms),
        ms(m.latency_p95_ms),
        ms(m.latency_p99_ms),
        m.cost_per_call_usd.map_or("-".into(), format_usd),
        format!("{}/{}", compact(m.input_tokens), compact(m.output_tokens)),
        feedback,
    ]
}

/// A count people read at a glance: `950`, `12.3k`, `644k`, `1.2M`.
fn compact(n: u64) -> String {
    match n {
        0..10_000 => n.to_string(),
        10_000..100_000 => format!("{:.1}k", n as f64 / 1e3),
        100_000..1_000_000 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_compact() {
        let shown: Vec<String> = [950, 12_345, 643_997, 1_234_567].map(super::compact).into();
        assert_eq!(shown, ["950", "12.3k", "643k", "1.2M"]);
    }
}
