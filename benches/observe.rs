//! The monitoring targets of issue 7, in-process through the public `Workspace` API:
//!
//! 1. Ingest 1,000,000 observations (20 prompts × 3 versions × 3 environments over 30 days,
//!    seeded so every run writes the same rows) in batches of 500, each batch parsed from its
//!    JSON text as the server will receive it, into a fresh workspace file: observations per
//!    second, overall and for the last 100,000 (the file is big by then).
//! 2. Re-send the last 10,000 (idempotent: nothing changes): observations per second.
//! 3. Read 30 days of metrics for one prompt, by version and by day, and its 20 worst
//!    observations (errors, negative feedback, slowest): median and p95 of `--reads` reads.
//!
//! `cargo bench --bench observe -- [--count 1000000] [--reads 50] [--keep]`; the workspace is
//! `target/bench-data/observe-1m.db` (removed afterwards unless `--keep`).

#[path = "common/cli_args.rs"]
mod cli_args;
#[path = "common/monitored.rs"]
mod monitored;

use cli_args::arg;
use std::time::Instant;

use galley::domain::PromptName;
use galley::domain::observation::{KeepLimits, WorstKind};
use galley::domain::thresholds::ThresholdConfig;
use galley::workspace::{GroupBy, MetricsQuery, SeededRng, Workspace};
use serde_json::{Value as Json, json};

const BATCH: usize = 500;
const DAY_MS: i64 = 86_400_000;

fn observation(i: usize, count: usize, rng: &mut SeededRng, start_ms: i64, span_ms: i64) -> Json {
    let at = start_ms + (i as i64 * span_ms) / (count as i64).max(1);
    let t = jiff::Timestamp::from_millisecond(at).unwrap();
    let error = rng.below(100) < 2;
    let env = ["development", "staging", "production"][rng.below(3) as usize];
    let mut o = json!({
        "id": format!("obs-{i:08}"),
        "prompt": monitored::prompt_name(rng.below(monitored::PROMPTS)),
        "version": 1 + rng.below(monitored::VERSIONS),
        "env": env,
        "timestamp": t.to_string(),
        "latency_ms": 200.0 + rng.below(3_000) as f64 + rng.below(1000) as f64 / 1000.0,
        "input_tokens": 300 + rng.below(700),
        "output_tokens": 50 + rng.below(300),
        "cost_usd": rng.below(5_000) as f64 / 1e6,
        "status": if error { "error" } else { "ok" },
        "variables": {"ticket": "My invoice shows the same charge twice this month", "tier": "pro"},
        "output": "Route: billing. Summary: the customer was charged twice for one order.",
        "trace_id": format!("{:016x}", rng.next_u64()),
    });
    if error {
        o["error"] = json!({"type": "timeout", "message": "upstream timed out"});
    }
    if rng.below(10) == 0 {
        o["feedback"] = json!({"score": if rng.below(4) == 0 { -1 } else { 1 }});
    }
    o
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn main() {
    let count = arg("--count", 1_000_000);
    let reads = arg("--reads", 50);
    let keep = std::env::args().any(|a| a == "--keep");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("observe-1m.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut ws = Workspace::open(&path, "bench").unwrap();
    monitored::create_monitored_prompts(&mut ws);
    let limits = KeepLimits::default();
    let now = jiff::Timestamp::now().as_millisecond();
    let start_ms = now - 30 * DAY_MS;
    let mut rng = SeededRng::new(0x9e37_79b9_7f4a_7c15);
    let texts: Vec<String> = (0..count)
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(|chunk| {
            let items: Vec<Json> = chunk
                .iter()
                .map(|&i| observation(i, count, &mut rng, start_ms, 30 * DAY_MS))
                .collect();
            json!({ "observations": items }).to_string()
        })
        .collect();
    println!(
        "{count} observations in {} batches of {BATCH} ({:.0} MB of JSON)",
        texts.len(),
        texts.iter().map(String::len).sum::<usize>() as f64 / 1e6
    );
    let started = Instant::now();
    let tail_from = texts.len().saturating_sub(100_000 / BATCH);
    let mut tail_started = started;
    for (i, text) in texts.iter().enumerate() {
        if i == tail_from {
            tail_started = Instant::now();
        }
        let batch: Json = serde_json::from_str(text).unwrap();
        let answer = ws.ingest_batch(&batch, &limits).unwrap();
        assert!(answer.rejected.is_empty(), "{:?}", answer.rejected.first());
    }
    let total = started.elapsed().as_secs_f64();
    let tail = tail_started.elapsed().as_secs_f64();
    println!(
        "ingest: {:.0} obs/s overall ({total:.1} s), {:.0} obs/s for the last {}",
        count as f64 / total,
        ((texts.len() - tail_from) * BATCH) as f64 / tail,
        (texts.len() - tail_from) * BATCH
    );
    let resend = &texts[texts.len().saturating_sub(10_000 / BATCH)..];
    let started = Instant::now();
    for text in resend {
        let batch: Json = serde_json::from_str(text).unwrap();
        let answer = ws.ingest_batch(&batch, &limits).unwrap();
        assert_eq!(answer.duplicates, answer.accepted);
    }
    println!(
        "re-send: {:.0} obs/s",
        (resend.len() * BATCH) as f64 / started.elapsed().as_secs_f64()
    );
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!("file: {:.0} MB", size as f64 / 1e6);
    let since = jiff::Timestamp::from_millisecond(now - 30 * DAY_MS).unwrap();
    for by in [GroupBy::Version, GroupBy::Day] {
        let query = MetricsQuery {
            prompt: PromptName::parse("bench/prompt-07").unwrap(),
            env: None,
            since,
            by,
        };
        let mut times = Vec::with_capacity(reads);
        let mut calls = 0;
        for _ in 0..reads.max(1) {
            let t = Instant::now();
            let report = ws.metrics(&query, &ThresholdConfig::default()).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            calls = report.rows.iter().map(|r| r.metrics.count).sum::<u64>();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "metrics 30 days by {by:?} ({calls} calls): median {:.2} ms, p95 {:.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }
    let prompt = PromptName::parse("bench/prompt-07").unwrap();
    for kind in [WorstKind::Errors, WorstKind::Feedback, WorstKind::Slow] {
        let mut times = Vec::with_capacity(reads);
        for _ in 0..reads.max(1) {
            let t = Instant::now();
            let rows = ws.worst(&prompt, None, kind, Some(since), 20).unwrap();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(rows.len(), 20);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "worst 20 {kind:?} over 30 days: median {:.2} ms, p95 {:.2} ms",
            percentile(&times, 0.5),
            percentile(&times, 0.95)
        );
    }
    drop(ws);
    if !keep {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
