//! `log`, `diff`, `audit`: what changed, when, by whom, and whether the record of it still holds.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use crate::domain::checkpoint::HeadRef;
use crate::domain::{PromptName, VersionRef};
use crate::workspace::AuditFilter;

use super::output::{self, BOLD, DIM, GOOD, NAME, Table, paint};
use super::{Ctx, NameArg, diff_print, parse_name, parse_version};

#[derive(Args, Debug)]
pub struct DiffArgs {
    #[arg(value_parser = parse_name)]
    name: PromptName,
    /// The old side: a version number or `draft`
    #[arg(value_parser = parse_version)]
    from: VersionRef,
    /// The new side: a version number or `draft`
    #[arg(value_parser = parse_version)]
    to: VersionRef,
    /// Lines of context around each change
    #[arg(long, short = 'U', default_value_t = 3)]
    context: usize,
}

/// `galley audit [log|verify|export]`; with no subcommand it is `galley audit log`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: Option<AuditCommand>,
    #[command(flatten)]
    log: AuditLogArgs,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Show audit entries, oldest first (what `galley audit` alone does)
    Log(AuditLogArgs),
    /// Recompute the hash chain, re-hash every version, cross-check records and checkpoints;
    /// name the first entry changed, removed or reordered (exit 1)
    Verify(AuditVerifyArgs),
    /// Print the chain's head as SEQ:HASH, to keep outside the file for `verify --head`
    Head,
    /// Record a checkpoint of the chain's head, signed with your key (admins)
    Checkpoint,
    /// Write every entry, with both hashes, for a compliance archive
    Export(AuditExportArgs),
}

#[derive(Args, Debug)]
struct AuditLogArgs {
    /// Only entries about this target: a prompt, dataset or provider
    #[arg(value_name = "TARGET")]
    target: Option<String>,
    /// Only entries about this prompt
    #[arg(long, value_name = "NAME", value_parser = parse_name, conflicts_with = "target")]
    prompt: Option<PromptName>,
    /// Only entries at or after T: RFC 3339 (2025-03-01T09:00:00Z), a date (2025-03-01, from
    /// local midnight) or an age (30m, 24h, 7d, 2w)
    #[arg(long, value_name = "T", value_parser = parse_since)]
    since: Option<jiff::Timestamp>,
    /// How many of the newest entries to show (0: all)
    #[arg(long, short = 'n', default_value_t = 50)]
    limit: usize,
}

#[derive(Args, Debug)]
struct AuditVerifyArgs {
    /// Also check the chain extends this head kept outside the file (SEQ:HASH, as `galley
    /// audit head` prints it)
    #[arg(long, value_name = "SEQ:HASH", value_parser = parse_head)]
    head: Option<HeadRef>,
    /// The trust root's key fingerprint, kept outside the file (`SHA256:…`, as `galley user key
    /// list` prints it): every key must be vouched for back to it
    #[arg(long, value_name = "FINGERPRINT")]
    root: Option<String>,
}

fn parse_head(text: &str) -> Result<HeadRef, String> {
    text.parse()
}

#[derive(Args, Debug)]
struct AuditExportArgs {
    /// The archive's format: one JSON object per line, oldest first
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    format: ExportFormat,
    /// Write to FILE (replaced only once the export is complete) instead of standard output
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    Jsonl,
}
pub fn log(ctx: &Ctx, args: NameArg) -> anyhow::Result<()> {
    let versions = ctx.workspace.log(&args.name)?;
    let draft = ctx.workspace.summary(&args.name)?.has_draft;
    if ctx.json {
        return output::print_json(
            &json!({"name": args.name, "has_draft": draft, "versions": versions}),
        );
    }
    let mut table = Table::default();
    table.row(
        ["VER", "HASH", "AUTHOR", "WHEN", "MESSAGE"]
            .map(|h| paint(BOLD, h))
            .to_vec(),
    );
    if draft {
        table.row(vec![
            paint(output::WARN, "draft"),
            String::new(),
            ctx.workspace.user().into(),
            String::new(),
            paint(DIM, "(uncommitted)"),
        ]);
    }
    for v in &versions {
        table.row(vec![
            paint(BOLD, format!("v{}", v.number)),
            paint(DIM, output::short_hash(&v.content_hash)),
            v.author.clone(),
            paint(DIM, output::relative_time(&v.created_at)),
            output::one_line(&v.message, 72),
        ]);
    }
    output::print(&format!("{}\n{}", paint(NAME, &args.name), table.render()));
    Ok(())
}

pub fn diff(ctx: &Ctx, args: DiffArgs) -> anyhow::Result<()> {
    let diff = ctx.workspace.diff(&args.name, args.from, args.to)?;
    if ctx.json {
        return output::print_json(
            &json!({"name": args.name, "from": args.from, "to": args.to, "diff": diff}),
        );
    }
    let title = format!("{} {} → {}", paint(NAME, &args.name), args.from, args.to);
    output::print(&diff_print::render(&title, &diff, args.context));
    Ok(())
}

pub fn audit(ctx: &mut Ctx, args: AuditArgs) -> anyhow::Result<()> {
    match args.command {
        None => audit_log(ctx, args.log),
        Some(AuditCommand::Log(log)) => audit_log(ctx, log),
        Some(AuditCommand::Verify(verify)) => audit_verify(ctx, verify),
        Some(AuditCommand::Head) => audit_head(ctx),
        Some(AuditCommand::Checkpoint) => audit_checkpoint(ctx),
        Some(AuditCommand::Export(export)) => audit_export(ctx, export),
    }
}

fn audit_log(ctx: &Ctx, args: AuditLogArgs) -> anyhow::Result<()> {
    let entries = ctx.workspace.audit_log(&AuditFilter {
        prompt: args.prompt,
        target: args.target,
        since: args.since,
        limit: (args.limit > 0).then_some(args.limit),
    })?;
    if ctx.json {
        return output::print_json(&entries);
    }
    let mut table = Table::default();
    table.row(
        ["#", "HASH", "WHEN", "ACTOR", "ACTION", "TARGET", "DETAILS"]
            .map(|h| paint(BOLD, h))
            .to_vec(),
    );
    for e in &entries {
        table.row(vec![
            e.seq.to_string(),
            paint(DIM, output::short_hash(&e.hash)),
            paint(DIM, &e.at),
            e.actor.clone(),
            e.action.clone(),
            paint(NAME, &e.target),
            output::one_line(&e.details.to_string(), 60),
        ]);
    }
    output::print(&table.render());
    Ok(())
}

fn audit_verify(ctx: &Ctx, args: AuditVerifyArgs) -> anyhow::Result<()> {
    let (report, signatures) = ctx
        .workspace
        .verify_audit_with(args.head.as_ref(), args.root.as_deref())?;
    if ctx.json {
        output::print_json(&json!({
            "ok": report.problem.is_none(),
            "entries": report.entries,
            "head": report.head,
            "problem": report.problem,
            "head_seq": report.head_seq,
            "head_ref": format!("{}:{}", report.head_seq, report.head),
            "checkpoints": report.checkpoints,
            "external_head": args.head.as_ref().map(HeadRef::to_string),
            "signatures": signatures,
        }))?;
    } else if report.problem.is_none() {
        let noun = if report.entries == 1 {
            "entry"
        } else {
            "entries"
        };
        output::print(&format!(
            "{}: {} {noun}, head {}",
            paint(GOOD, "audit log intact"),
            report.entries,
            report.head
        ));
        if signatures.keys > 0 || signatures.signed > 0 {
            output::print(&format!(
                "{}: {} keys back to the trust root {}, {} signed records",
                paint(GOOD, "signatures hold"),
                signatures.keys,
                signatures.root.as_deref().unwrap_or("-"),
                signatures.signed
            ));
        }
    }
    match report.problem {
        Some(problem) => anyhow::bail!("{problem}"),
        None => Ok(()),
    }
}

fn audit_head(ctx: &Ctx) -> anyhow::Result<()> {
    let report = ctx.workspace.verify_audit()?;
    if let Some(problem) = report.problem {
        anyhow::bail!("the chain does not verify, so its head is not worth keeping: {problem}");
    }
    let head = HeadRef {
        seq: report.head_seq,
        hash: report.head,
    };
    if ctx.json {
        return output::print_json(
            &json!({"seq": head.seq, "hash": head.hash, "head": head.to_string()}),
        );
    }
    output::print(&head.to_string());
    Ok(())
}

fn audit_checkpoint(ctx: &mut Ctx) -> anyhow::Result<()> {
    let c = ctx.workspace.checkpoint_audit()?;
    if ctx.json {
        return output::print_json(&c);
    }
    output::print(&format!(
        "checkpoint #{} pins {}:{} {}",
        c.id,
        c.seq,
        c.hash,
        paint(DIM, "(unsigned)")
    ));
    Ok(())
}

fn audit_export(ctx: &Ctx, args: AuditExportArgs) -> anyhow::Result<()> {
    let ExportFormat::Jsonl = args.format;
    let Some(path) = &args.output else {
        let mut out = BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        let written = write_jsonl(ctx, &mut out).and_then(|_| Ok(out.flush()?));
        // A closed pipe (`galley audit export | head`) is the reader's choice, not a failure.
        return match written {
            Err(err) if is_broken_pipe(&err) => Ok(()),
            other => other,
        };
    };
    let cannot = || format!("cannot write {}", path.display());
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        anyhow::bail!("{}: there is no folder {}", cannot(), dir.display());
    }
    // Written beside the target and renamed over it: an archive is whole or absent.
    let mut file = tempfile::NamedTempFile::new_in(dir).with_context(cannot)?;
    let mut out = BufWriter::with_capacity(64 * 1024, file.as_file_mut());
    let count = write_jsonl(ctx, &mut out)?;
    out.flush().with_context(cannot)?;
    drop(out);
    file.as_file().sync_all().with_context(cannot)?;
    file.persist(path).with_context(cannot)?;
    if ctx.json {
        return output::print_json(&json!({"path": path, "entries": count}));
    }
    let noun = if count == 1 { "entry" } else { "entries" };
    output::print(&format!("exported {count} {noun} to {}", path.display()));
    Ok(())
}

/// Writes every entry as one line of JSON; returns how many.
fn write_jsonl(ctx: &Ctx, out: &mut impl Write) -> anyhow::Result<u64> {
    ctx.workspace.export_audit(|entry| -> anyhow::Result<()> {
        serde_json::to_writer(&mut *out, entry)?;
        out.write_all(b"\n")?;
        Ok(())
    })
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    let kind = err
        .downcast_ref::<std::io::Error>()
        .map(std::io::Error::kind)
        .or_else(|| {
            err.downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
        });
    kind == Some(std::io::ErrorKind::BrokenPipe)
}

/// `--since`: an RFC 3339 time, a date (from midnight in `tz`) or an age before `now`.
fn since(
    text: &str,
    now: jiff::Timestamp,
    tz: &jiff::tz::TimeZone,
) -> Result<jiff::Timestamp, String> {
    let text = text.trim();
    let wrong = || {
        format!(
            "`{text}` is not a time: write RFC 3339 (2025-03-01T09:00:00Z), a date (2025-03-01) \
             or an age (30m, 24h, 7d, 2w)"
        )
    };
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t);
    }
    if text.len() == 10
        && let Ok(date) = text.parse::<jiff::civil::Date>()
    {
        return tz
            .to_timestamp(date.at(0, 0, 0, 0))
            .map_err(|e| format!("`{text}`: {e}"));
    }
    let digits = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(wrong)?;
    let (number, unit) = text.split_at(digits);
    let unit_secs: i64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(wrong()),
    };
    number
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_secs))
        .and_then(|secs| now.checked_sub(jiff::SignedDuration::from_secs(secs)).ok())
        .ok_or_else(wrong)
}

pub(super) fn parse_since(text: &str) -> Result<jiff::Timestamp, String> {
    since(text, jiff::Timestamp::now(), &jiff::tz::TimeZone::system())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_times_dates_and_ages() {
        let now: jiff::Timestamp = "2025-03-10T12:00:00Z".parse().unwrap();
        let utc = jiff::tz::TimeZone::UTC;
        let at = |s: &str| since(s, now, &utc).map(|t| t.to_string());
        assert_eq!(at("2025-03-01T09:00:00Z").unwrap(), "2025-03-01T09:00:00Z");
        assert_eq!(
            at("2025-03-01T09:00:00+01:00").unwrap(),
            "2025-03-01T08:00:00Z"
        );
        assert_eq!(at("2025-03-01").unwrap(), "2025-03-01T00:00:00Z");
        let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        assert_eq!(
            since("2025-03-01", now, &paris).unwrap().to_string(),
            "2025-02-28T23:00:00Z"
        );
        assert_eq!(at("7d").unwrap(), "2025-03-03T12:00:00Z");
        assert_eq!(at("24h").unwrap(), "2025-03-09T12:00:00Z");
        assert_eq!(at("30m").unwrap(), "2025-03-10T11:30:00Z");
        assert_eq!(at("2w").unwrap(), "2025-02-24T12:00:00Z");
        assert_eq!(at("0s").unwrap(), "2025-03-10T12:00:00Z");
        for bad in [
            "yesterday",
            "7",
            "d",
            "7y",
            "-7d",
            "2025-03-01T09:00",
            "99999999999999999w",
            "",
        ] {
            let err = at(bad).unwrap_err();
            assert!(err.contains("is not a time"), "{bad}: {err}");
        }
    }
}
