//! Ingestion over HTTP (issue 7): the real `galley serve` on loopback, fed 1,000,000 seeded
//! observations in batches of 500 through `POST /v1/observations` by a few concurrent
//! connections, while a thread samples the server's resident memory from /proc/PID/status.
//! Prints observations per second (overall and for the last 100,000), the server's peak RSS
//! (VmHWM) and the largest VmRSS sampled.
//!
//! `cargo bench --bench ingest -- [--count 1000000] [--connections 4] [--keep]`; the workspace is
//! `target/bench-data/ingest-1m.db` (removed afterwards unless `--keep`). Loopback only, bounded:
//! every request has a timeout and the run stops at the first failure.

#[path = "common/cli_args.rs"]
mod cli_args;
#[path = "common/monitored.rs"]
mod monitored;

use cli_args::arg;
use galley::workspace::SeededRng;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use std::fmt::Write as _;

const BATCH: usize = 500;
const DAY_MS: i64 = 86_400_000;

/// The JSON text of batch `b` (observations `b*BATCH..`), spread over 30 days before `now_ms`.
fn batch_body(b: usize, count: usize, now_ms: i64) -> String {
    let mut rng = SeededRng::new(0x9E37_79B9_7F4A_7C15 ^ (b as u64 + 1));
    let mut out = String::with_capacity(BATCH * 520);
    out.push_str("{\"observations\":[");
    for i in b * BATCH..((b + 1) * BATCH).min(count) {
        if i > b * BATCH {
            out.push(',');
        }
        let at = now_ms - 30 * DAY_MS + (i as i64 * 30 * DAY_MS) / count as i64;
        let t = jiff::Timestamp::from_millisecond(at).unwrap();
        let env = ["development", "staging", "production"][rng.below(3) as usize];
        let error = rng.below(100) < 2;
        let _ = write!(
            out,
            r#"{{"id":"obs-{i:08}","prompt":"{}","version":{},"env":"{env}","timestamp":"{t}","latency_ms":{}.{:03},"input_tokens":{},"output_tokens":{},"cost_usd":{},"status":"{}","#,
            monitored::prompt_name(rng.below(monitored::PROMPTS)),
            1 + rng.below(monitored::VERSIONS),
            200 + rng.below(3000),
            rng.below(1000),
            300 + rng.below(700),
            50 + rng.below(300),
            rng.below(5000) as f64 / 1e6,
            if error { "error" } else { "ok" },
        );
        if error {
            out.push_str(r#""error":{"type":"timeout","message":"upstream timed out"},"#);
        }
        if rng.below(10) == 0 {
            out.push_str(r#""feedback":{"score":1},"#);
        }
        let _ = write!(
            out,
            r#""variables":{{"ticket":"My invoice shows the same charge twice this month","tier":"pro"}},"output":"Route: billing. Summary: the customer was charged twice for one order.","trace_id":"{:016x}"}}"#,
            rng.below(u64::MAX)
        );
    }
    out.push_str("]}");
    out
}

/// (VmRSS, VmHWM) of `pid` in kB.
fn memory(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// The server process, killed however the run ends (a failed assertion included).
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn galley(db: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_galley"));
    cmd.arg("--db")
        .arg(db)
        .env("GALLEY_USER", "bench")
        .env("GALLEY_CONFIG", "/nonexistent/galley-bench.toml");
    cmd
}

fn main() {
    let count = arg("--count", 1_000_000);
    let connections = arg("--connections", 4).max(1);
    let keep = std::env::args().any(|a| a == "--keep");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("ingest-1m.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    // The prompts the traffic names, so the server holds every prompt, version and env sent.
    monitored::create_monitored_prompts(
        &mut galley::workspace::Workspace::open(&db, "bench").expect("bench workspace"),
    );
    let out = galley(&db)
        .args([
            "key", "create", "--name", "bench", "--scope", "ingest", "--json",
        ])
        .output()
        .expect("galley key create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let secret = key["secret"].as_str().unwrap().to_string();

    let server = galley(&db)
        .args(["serve", "--addr", "127.0.0.1:0", "--log-file"])
        .arg(dir.join("ingest-serve.log"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .expect("galley serve");
    let pid = server.id();
    let mut server = KillOnDrop(server);
    let server_stdout = server.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(server_stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();

    let done = Arc::new(AtomicBool::new(false));
    let max_rss = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (done, max_rss) = (done.clone(), max_rss.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                if let Some((rss, _)) = memory(pid) {
                    max_rss.fetch_max(rss, Ordering::AcqRel);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    let now_ms = jiff::Timestamp::now().as_millisecond();
    let batches = count.div_ceil(BATCH);
    let next = Arc::new(AtomicUsize::new(0));
    let sent = Arc::new(AtomicUsize::new(0));
    let tail_from = count.saturating_sub(100_000);
    let tail_start: Arc<std::sync::Mutex<Option<Instant>>> = Default::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let _ = rustls::crypto::ring::default_provider().install_default();
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let (client, next, sent) = (client.clone(), next.clone(), sent.clone());
            let (url, secret, tail_start) = (
                format!("{base}/v1/observations"),
                secret.clone(),
                tail_start.clone(),
            );
            tasks.push(tokio::spawn(async move {
                loop {
                    let b = next.fetch_add(1, Ordering::AcqRel);
                    if b >= batches {
                        return;
                    }
                    if b * BATCH >= tail_from {
                        tail_start.lock().unwrap().get_or_insert_with(Instant::now);
                    }
                    let body = batch_body(b, count, now_ms);
                    let resp = client
                        .post(&url)
                        .bearer_auth(&secret)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                        .expect("POST /v1/observations");
                    let status = resp.status();
                    let text = resp.text().await.unwrap_or_default();
                    assert!(status.is_success(), "batch {b}: {status} {text}");
                    assert!(text.contains("\"rejected\":[]"), "batch {b}: {text}");
                    sent.fetch_add(BATCH.min(count - b * BATCH), Ordering::AcqRel);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
    let elapsed = started.elapsed();
    let tail = tail_start.lock().unwrap().map(|t| t.elapsed());
    done.store(true, Ordering::Release);
    sampler.join().unwrap();
    let (_, hwm) = memory(pid).unwrap_or((0, 0));
    drop(server);
    let sent = sent.load(Ordering::Acquire);
    println!(
        "ingest over HTTP: {sent} observations in batches of {BATCH}, {connections} connections: {:.2} s, {:.0} observations/s",
        elapsed.as_secs_f64(),
        sent as f64 / elapsed.as_secs_f64()
    );
    if let Some(tail) = tail {
        println!(
            "  the last {} : {:.0} observations/s",
            count - tail_from,
            (count - tail_from) as f64 / tail.as_secs_f64()
        );
    }
    println!(
        "  server memory: peak VmHWM {:.1} MB, largest VmRSS sampled {:.1} MB",
        hwm as f64 / 1024.0,
        max_rss.load(Ordering::Acquire) as f64 / 1024.0
    );
    if !keep {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
}
