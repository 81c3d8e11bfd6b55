//! Sync speed, whole processes: the real `galley serve` and `galley sync` (release build).
//!
//! `cargo bench --bench sync [-- --prompts 1000 --versions 10 --runs 20]`
//!
//! 1. push: a workspace of 1,000 prompts × 10 versions (10,000 versions) into an empty server;
//! 2. pull: those 10,000 versions into an empty workspace;
//! 3. monitoring: a month of production calls of `--monitor-prompts` (100) prompts, one an hour
//!    in one environment, ingested on the server; `galley sync pull` brings their rollups (hour
//!    and day buckets) and the samples of worst calls into the workspace of step 2;
//! 4. nothing new: `galley sync` (pull then push) on an up-to-date workspace, median of `--runs`;
//!    and the same sync in-process (`Workspace::sync`, no process start), median of `--runs`.
//!
//! Prints one table row per figure (the table of `benches/README.md`).

#[path = "common/cli_args.rs"]
mod cli_args;
#[path = "common/monitored.rs"]
#[allow(dead_code)]
mod monitored;

use cli_args::arg;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use galley::domain::keys::Scope;
use galley::domain::people::Role;
use galley::workspace::Workspace;
use galley::workspace::sync::SyncDirection;

const KEY_ENV: &str = "GALLEY_BENCH_KEY";

fn galley(db: &Path, user: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_galley"));
    cmd.arg("--db")
        .arg(db)
        .env("GALLEY_USER", user)
        .env("USER", user)
        .env("GALLEY_CONFIG", db.with_extension("no-config.toml"))
        .stdin(Stdio::null());
    cmd
}

/// Runs `galley ARGS` to completion and returns its wall time; panics on failure.
fn timed(db: &Path, user: &str, secret: &str, args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = galley(db, user)
        .env(KEY_ENV, secret)
        .args(args)
        .output()
        .expect("galley runs");
    let took = started.elapsed();
    assert!(out.status.success(), "galley {args:?}: {out:?}");
    took
}

fn serve(db: &Path) -> (Child, String) {
    let mut child = galley(db, "root")
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("galley serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the address");
    let url = line.trim().trim_start_matches("listening on ").to_string();
    (child, url)
}

fn build_client(db: &Path, prompts: usize, versions: usize) {
    let mut ws = Workspace::open(db, "ada").expect("client workspace");
    let names = (0..prompts).map(|i| format!("bench/p{i:05}"));
    monitored::create_prompts(&mut ws, names, versions as u64);
}

/// A month (30 days from 2026-03-01) of one call an hour of each of `prompts` prompts, every
/// 9th failed and every 11th with negative feedback.
fn ingest_month(db: &Path, prompts: usize) -> usize {
    let mut ws = Workspace::open(db, "root").expect("server workspace");
    let limits = galley::domain::observation::KeepLimits::default();
    // The month is March 2026: ingested with the clock at its end, so it is in the window.
    let now: jiff::Timestamp = "2026-03-31T00:00:00Z".parse().unwrap();
    let mut total = 0;
    for p in 0..prompts {
        let mut items = Vec::with_capacity(720);
        for hour in 0..720usize {
            let mut o = serde_json::json!({
                "id": format!("p{p}-h{hour}"),
                "prompt": format!("bench/p{p:05}"),
                "version": 1 + hour % 3,
                "env": "production",
                "timestamp": format!("2026-03-{:02}T{:02}:17:00Z", 1 + hour / 24, hour % 24),
                "latency_ms": 80 + (hour * 7919 + p * 31) % 2_000,
                "input_tokens": 300,
                "output_tokens": 60,
                "cost_usd": 0.0005,
                "status": "ok",
                "output": "an answer",
            });
            if hour.is_multiple_of(9) {
                o["status"] = serde_json::json!("error");
                o["error"] = serde_json::json!({"type": "timeout", "message": "upstream"});
            }
            if hour.is_multiple_of(11) {
                o["feedback"] = serde_json::json!({"score": -1});
            }
            items.push(o);
        }
        total += ws
            .ingest_at(&items, &limits, now.as_millisecond())
            .expect("ingest")
            .accepted;
    }
    total
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn row(what: &str, took: Duration, target: &str) {
    println!(
        "| {what} | {:.1} ms | {target} |",
        took.as_secs_f64() * 1000.0
    );
}

fn main() {
    let prompts = arg("--prompts", 1_000);
    let versions = arg("--versions", 10);
    let runs = arg("--runs", 20).max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    let (server_db, a_db, b_db, c_db) = (
        dir.path().join("server.db"),
        dir.path().join("a.db"),
        dir.path().join("b.db"),
        dir.path().join("c.db"),
    );
    let secret = {
        let mut ws = Workspace::open(&server_db, "root").unwrap();
        ws.add_user("root", Role::Admin, &[]).unwrap();
        ws.add_user("ada", Role::Author, &[]).unwrap();
        ws.create_key("bench", Scope::Write, Some("ada"))
            .unwrap()
            .secret
    };
    eprintln!("building {prompts} prompts × {versions} versions...");
    build_client(&a_db, prompts, versions);
    let (mut server, url) = serve(&server_db);
    for db in [&a_db, &b_db, &c_db] {
        let out = galley(db, "ada")
            .args(["remote", "add", "origin", &url, "--key-env", KEY_ENV])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
    let total = prompts * versions;
    println!("| what | time | target |");
    println!("|---|---|---|");
    row(
        &format!("`galley sync push`: {total} versions into an empty server"),
        timed(&a_db, "ada", &secret, &["sync", "push"]),
        "< 5 s",
    );
    row(
        &format!("`galley sync pull`: {total} versions into an empty workspace"),
        timed(&b_db, "ada", &secret, &["sync", "pull"]),
        "< 5 s",
    );
    // c holds the versions too, so that its timed pull below brings monitoring data only.
    timed(&c_db, "ada", &secret, &["sync", "pull"]);
    let monitored = arg("--monitor-prompts", 100).min(prompts);
    let calls = ingest_month(&server_db, monitored);
    row(
        &format!(
            "`galley sync pull`: a month of rollups of {monitored} prompts ({calls} calls, 3 \
             versions, hour and day buckets) with samples"
        ),
        timed(&b_db, "ada", &secret, &["sync", "pull"]),
        "well under 1 s",
    );
    row(
        "the same without samples (`galley sync pull --samples 0`)",
        timed(&c_db, "ada", &secret, &["sync", "pull", "--samples", "0"]),
        "well under 1 s",
    );
    let idle: Vec<Duration> = (0..runs)
        .map(|_| timed(&b_db, "ada", &secret, &["sync"]))
        .collect();
    row(
        "`galley sync` with nothing new (whole process, median)",
        median(idle),
        "< 50 ms",
    );
    // SAFETY of set_var: single-threaded here, before the runtime starts.
    unsafe { std::env::set_var(KEY_ENV, &secret) };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut ws = Workspace::open(&b_db, "ada").unwrap();
    let idle: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            let report = runtime
                .block_on(ws.sync(None, SyncDirection::Both))
                .expect("sync");
            assert_eq!((report.pulled, report.pushed, report.rollups), (0, 0, 0));
            started.elapsed()
        })
        .collect();
    row(
        "`Workspace::sync` with nothing new (in-process, median)",
        median(idle),
        "< 50 ms",
    );
    let _ = server.kill();
    let _ = server.wait();
}
