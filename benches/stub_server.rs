//! The loopback stub model server of the tests (`tests/support/stub_model.rs`) as a process of its
//! own, for `benches/eval.sh`: OpenAI `/v1/chat/completions` and Anthropic `/v1/messages` on
//! `127.0.0.1`, TCP_NODELAY, answering `stub: {last user message}`.
//!
//! ```sh
//! cargo bench --bench stub_server -- --delay-ms 50 [--port 0] [--max-seconds 3600]
//! ```
//! Prints its base URL (`http://127.0.0.1:PORT/v1`) on the first line of stdout, then serves
//! until it is killed (or after `--max-seconds`, so a forgotten stub never outlives its run).
//! Without arguments of its own (a plain `cargo bench`) it exits at once.
//! The request count is printed to stderr every `--report-seconds` when set.

#[path = "../tests/support/stub_model.rs"]
mod stub_model;

use std::io::Write;
use std::time::{Duration, Instant};

use stub_model::{BlockingStubModel, StubConfig};

fn main() {
    let mut delay_ms = 0u64;
    let mut max_seconds = 3_600u64;
    let mut report_seconds = 0u64;
    // A plain `cargo bench` runs every bench target with only `--bench`: serving for an hour
    // there would hold it up, so the stub starts only when asked for with its own arguments.
    if std::env::args().skip(1).all(|a| a == "--bench") {
        eprintln!(
            "stub_server: nothing to measure on its own; benches/eval.sh starts it \
             (or: cargo bench --bench stub_server -- --delay-ms 0)"
        );
        return;
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| -> u64 {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} needs a number"))
        };
        match arg.as_str() {
            "--delay-ms" => delay_ms = value("--delay-ms"),
            "--max-seconds" => max_seconds = value("--max-seconds"),
            "--report-seconds" => report_seconds = value("--report-seconds"),
            // `cargo bench` passes `--bench`; anything else is a mistake worth seeing.
            "--bench" => {}
            other => panic!("unknown argument `{other}`"),
        }
    }
    let stub =
        BlockingStubModel::start(StubConfig::default().with_delay(Duration::from_millis(delay_ms)));
    println!("{}", stub.base_url());
    std::io::stdout().flush().expect("flush stdout");
    eprintln!(
        "stub model on {} (delay {delay_ms} ms, stops after {max_seconds} s)",
        stub.base_url()
    );

    let started = Instant::now();
    let limit = Duration::from_secs(max_seconds);
    let mut last_report = Instant::now();
    while started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(200));
        if report_seconds > 0 && last_report.elapsed() >= Duration::from_secs(report_seconds) {
            eprintln!("stub model: {} requests", stub.request_count());
            last_report = Instant::now();
        }
    }
    eprintln!(
        "stub model: {} s passed, stopping ({} requests served)",
        max_seconds,
        stub.request_count()
    );
}
