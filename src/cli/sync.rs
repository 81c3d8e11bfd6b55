//! `galley remote add|list` and `galley sync [push|pull|status]`.

use clap::{Args, Subcommand};

use crate::workspace::sync::{MonitorStatus, RemoteStatus, SyncDirection, SyncReport};

use super::Ctx;
use super::output::{self, BAD, BOLD, DIM, GOOD, NAME, WARN, paint};

#[derive(Subcommand, Debug)]
pub enum RemoteCommand {
    /// Add a remote: a galley server and the environment variable holding its key's secret
    Add {
        /// A short name, e.g. origin
        name: String,
        /// The server's base URL, e.g. http://127.0.0.1:8080
        url: String,
        /// The environment variable that holds the API key's secret (read at each sync, never
        /// stored)
        #[arg(long, value_name = "VAR")]
        key_env: String,
    },
    /// List the remotes
    List,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    #[command(subcommand)]
    what: Option<SyncCommand>,
    /// The remote to sync with (needed when there are several)
    #[arg(long, global = true, value_name = "NAME")]
    remote: Option<String>,
    /// How many of the worst production calls of each kind (errors, negative feedback,
    /// slowest) per prompt, environment and day to pull with the metrics (default 5; kept for
    /// later syncs with this remote)
    #[arg(long, global = true, value_name = "N")]
    samples: Option<usize>,
}

#[derive(Subcommand, Debug)]
enum SyncCommand {
    /// Send the records the remote lacks
    Push,
    /// Fetch the records this workspace lacks
    Pull,
    /// Ahead/behind, last sync and last error per remote (offline)
    Status,
}

pub fn remote(ctx: &mut Ctx, command: RemoteCommand) -> anyhow::Result<()> {
    match command {
        RemoteCommand::Add { name, url, key_env } => {
            let row = ctx.workspace.add_remote(&name, &url, &key_env)?;
            if ctx.json {
                return output::print_json(&row);
            }
            output::print(&format!(
                "remote {} added: {} (key secret from ${})",
                paint(NAME, &row.name),
                row.url,
                row.key_env
            ));
            Ok(())
        }
        RemoteCommand::List => {
            let rows = ctx.workspace.remotes()?;
            if ctx.json {
                return output::print_json(&rows);
            }
            if rows.is_empty() {
                output::print(
                    "no remotes (add one with `galley remote add NAME URL --key-env VAR`)",
                );
                return Ok(());
            }
            let lines: Vec<String> = rows
                .iter()
                .map(|r| format!("{}  {}  ${}", paint(NAME, &r.name), r.url, r.key_env))
                .collect();
            output::print(&lines.join("\n"));
            Ok(())
        }
    }
}

pub fn sync(ctx: &mut Ctx, args: SyncArgs) -> anyhow::Result<()> {
    let direction = match args.what {
        Some(SyncCommand::Status) => return status(ctx, args.remote.as_deref()),
        Some(SyncCommand::Push) => SyncDirection::Push,
        Some(SyncCommand::Pull) => SyncDirection::Pull,
        None => SyncDirection::Both,
    };
    if let Some(n) = args.samples {
        let remote = ctx.workspace.sync_remote(args.remote.as_deref())?;
        ctx.workspace.set_monitor_samples(&remote.name, n)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(ctx.workspace.sync(args.remote.as_deref(), direction))?;
    if ctx.json {
        output::print_json(&report)?;
    } else {
        print_report(&report);
    }
    let refused = report.refused.iter().filter(|r| !r.retry).count();
    let waiting = report.refused.len() - refused;
    match (refused, waiting) {
        (0, 0) => Ok(()),
        (0, n) => anyhow::bail!(
            "{n} record(s) not taken yet by {}: run `galley sync` again (it pulls first)",
            report.remote
        ),
        (n, _) => anyhow::bail!(
            "{n} record(s) refused by {} (kept here, not sent again; see `galley sync status`)",
            report.remote
        ),
    }
}

fn print_report(report: &SyncReport) {
    let mut lines = Vec::new();
    for note in &report.notes {
        lines.push(format!("{} {note}", paint(WARN, "renumbered:")));
    }
    for r in &report.refused {
        let label = if r.retry {
            paint(WARN, "not yet:")
        } else {
            paint(BAD, "rejected:")
        };
        lines.push(format!("{label} {}: {}", r.record, r.reason));
    }
    lines.push(format!(
        "{} {}: pulled {}, pushed {}{}; {}",
        paint(GOOD, "synced"),
        paint(NAME, &report.remote),
        report.pulled,
        report.pushed,
        if report.already_there > 0 {
            format!(" ({} already there)", report.already_there)
        } else {
            String::new()
        },
        position(report.ahead, report.behind)
    ));
    if report.rollups > 0 || report.samples > 0 {
        lines.push(format!(
            "  monitoring: {} bucket(s) of metrics, {} sample call(s)",
            report.rollups, report.samples
        ));
    }
    output::print(&lines.join("\n"));
}

fn position(ahead: i64, behind: i64) -> String {
    match (ahead, behind) {
        (0, 0) => "up to date".into(),
        (a, 0) => format!("{a} ahead"),
        (0, b) => format!("{b} behind"),
        (a, b) => format!("{a} ahead, {b} behind"),
    }
}

fn status(ctx: &Ctx, remote: Option<&str>) -> anyhow::Result<()> {
    let rows: Vec<RemoteStatus> = ctx
        .workspace
        .sync_status()?
        .into_iter()
        .filter(|s| remote.is_none_or(|r| r == s.name))
        .collect();
    if let Some(name) = remote
        && rows.is_empty()
    {
        anyhow::bail!("no remote `{name}` (see `galley remote list`)");
    }
    if ctx.json {
        return output::print_json(&rows);
    }
    if rows.is_empty() {
        output::print("no remotes (add one with `galley remote add NAME URL --key-env VAR`)");
        return Ok(());
    }
    let mut lines = Vec::new();
    for s in &rows {
        lines.push(format!(
            "{} {}  {}",
            paint(NAME, &s.name),
            paint(DIM, &s.url),
            paint(BOLD, position(s.ahead, s.behind))
        ));
        lines.push(format!(
            "  last sync: {}",
            s.last_sync.as_deref().unwrap_or("never")
        ));
        lines.push(format!("  monitoring: {}", monitoring(&s.monitor)));
        if let Some(err) = &s.last_error {
            lines.push(format!("  {} {err}", paint(BAD, "last error:")));
        }
        if s.rejected > 0 {
            lines.push(format!(
                "  {} {} record(s) refused by the remote:",
                paint(BAD, "rejected:"),
                s.rejected
            ));
            for r in ctx.workspace.sync_rejections(&s.name)? {
                lines.push(format!("    {} {}: {}", r.kind, r.record_id, r.reason));
            }
        }
    }
    output::print(&lines.join("\n"));
    Ok(())
}

fn monitoring(m: &MonitorStatus) -> String {
    match &m.through {
        None => format!(
            "nothing pulled yet ({} worst calls of each kind per day)",
            m.samples_per_day
        ),
        Some(through) => format!(
            "pulled through the bucket of {through} (change {} of {}; {} buckets, {} samples, {} \
             worst calls of each kind per day)",
            m.cursor, m.head, m.rollups, m.samples, m.samples_per_day
        ),
    }
}
