//! Import size limits against the real binary (issue 12): `galley import`, `galley dataset
//! import` and `galley observe import` refuse a 1 GB file of zeros before reading it, quickly
//! and in little memory; `observe import` refuses a line above `[import] max_line_bytes` as soon
//! as it passes it (a device without newlines, stdin), keeping the lines before it; and the
//! limits follow the `[import]` table of the user config.
//!
//! Time bounds are generous ("under 5 s" where the issue says a second): a slow shared machine
//! running debug builds; they catch a read of the whole file, not a benchmark. Memory is the
//! child's peak resident set (VmHWM), bound at the issue's 50 MB.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::Galley;
use common::measure::{Measured, measured, measured_command};

const QUICK: Duration = Duration::from_secs(5);
const MEMORY_LIMIT_KB: u64 = 50 * 1024;
const GIB: u64 = 1024 * 1024 * 1024;

/// A file of `len` zero bytes (sparse: made at once, read as zeros).
fn zeros(g: &Galley, rel: &str, len: u64) -> std::path::PathBuf {
    let path = g.path(rel);
    std::fs::File::create(&path)
        .and_then(|f| f.set_len(len))
        .expect("make the file of zeros");
    path
}

fn assert_refused_cheaply(what: &str, run: &Measured, words: &str) {
    assert_ne!(run.code, 0, "{what} was not refused: {}", run.stderr);
    assert!(run.stderr.contains(words), "{what}: {}", run.stderr);
    assert!(
        !run.stderr.contains("panicked"),
        "{what} panicked: {}",
        run.stderr
    );
    assert!(run.elapsed < QUICK, "{what} took {:?}", run.elapsed);
    assert!(
        run.peak_kb < MEMORY_LIMIT_KB,
        "{what} peaked at {} kB",
        run.peak_kb
    );
}

#[test]
fn a_gigabyte_of_zeros_is_refused_by_every_import_before_it_is_read() {
    let g = Galley::new();
    g.ok(&["init"]);
    let limit = "over the import limit of 67108864 bytes ([import] max_bytes)";
    let size = format!("is {GIB} bytes, {limit}");

    let md = zeros(&g, "zeros.md", GIB);
    let run = measured(&g, &["import", md.to_str().unwrap()]);
    assert_refused_cheaply("import", &run, "1 prompt file(s) could not be imported");
    let out = g.run(&["import", md.to_str().unwrap(), "--json"]);
    assert!(out.stdout.contains(&size), "{}", out.stdout);

    let jsonl = zeros(&g, "zeros.jsonl", GIB);
    let file = jsonl.to_str().unwrap();
    let run = measured(&g, &["dataset", "import", "cases", file]);
    assert_refused_cheaply("dataset import", &run, &size);
    let run = measured(&g, &["observe", "import", file]);
    assert_refused_cheaply("observe import", &run, &size);

    // Nothing of any of them was stored.
    assert_eq!(
        g.json(&["list", "--json"]).as_array().map(Vec::len),
        Some(0)
    );
    let datasets = g.run(&["dataset", "list", "--json"]);
    assert!(!datasets.stdout.contains("cases"), "{}", datasets.stdout);
}

#[test]
fn a_folder_import_skips_the_file_over_the_limit_and_imports_the_rest() {
    let g = Galley::new();
    g.ok(&["init"]);
    g.write(
        "prompts/small.md",
        "+++\nname = \"small\"\ntype = \"text\"\n+++\n\n## Instructions {kind=instructions}\n\nSay hi.\n",
    );
    zeros(&g, "prompts/huge.md", GIB);
    let out = g.run(&["import", g.path("prompts").to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect(&out.stderr);
    assert_eq!(
        report["imported"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );
    let reason = report["skipped"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("over the import limit"), "{report}");
}

#[test]
fn a_line_without_end_is_refused_once_it_passes_the_line_limit() {
    let g = Galley::new();
    g.ok(&["init"]);
    let words = "line 1 is over the import limit of 1048576 bytes ([import] max_line_bytes)";
    // A device that never ends: its size says nothing, the line limit stops the read.
    let run = measured(&g, &["observe", "import", "/dev/zero"]);
    assert_refused_cheaply("observe import /dev/zero", &run, words);
    // The same from stdin.
    let mut cmd = g.command();
    cmd.args(["observe", "import", "-"])
        .stdin(Stdio::from(std::fs::File::open("/dev/zero").unwrap()));
    let run = measured_command(cmd, &["observe", "import", "-"]);
    assert_refused_cheaply("observe import - < /dev/zero", &run, words);
}

#[test]
fn the_import_table_of_the_config_sets_the_limits() {
    let g = Galley::new();
    g.ok(&["init"]);
    let config = g.write(
        "config.toml",
        "[import]\nmax_bytes = 100\nmax_line_bytes = 10\n",
    );
    let cases = g.write("cases.jsonl", &format!("{}\n", "x".repeat(120)));
    let mut cmd = g.command();
    cmd.env("GALLEY_CONFIG", &config)
        .args(["dataset", "import", "cases", cases.to_str().unwrap()]);
    let out = g.run_cmd(cmd);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("is 121 bytes, over the import limit of 100 bytes ([import] max_bytes)"),
        "{}",
        out.stderr
    );
    // A line above the line limit is named by its number.
    let good = r#"{"id":"a1","prompt":"p","env":"production","timestamp":"2026-03-01T10:00:00Z"}"#;
    let calls = g.write(
        "calls.jsonl",
        &format!("{good}\n{}\n{good}\n", "y".repeat(150)),
    );
    let config = g.write(
        "config.toml",
        "[import]\nmax_bytes = 1000\nmax_line_bytes = 100\n",
    );
    let mut cmd = g.command();
    cmd.env("GALLEY_CONFIG", &config)
        .args(["observe", "import", calls.to_str().unwrap()]);
    let out = g.run_cmd(cmd);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("line 2 is over the import limit of 100 bytes ([import] max_line_bytes)"),
        "{}",
        out.stderr
    );
    // A bad value in the table is named.
    let config = g.write("config.toml", "[import]\nmax_bites = 1\n");
    let mut cmd = g.command();
    cmd.env("GALLEY_CONFIG", &config).args(["list"]);
    let out = g.run_cmd(cmd);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("max_bites"), "{}", out.stderr);
}

#[test]
fn a_file_of_bad_lines_lists_the_first_thousand_and_counts_the_rest() {
    let g = Galley::new();
    g.ok(&["init"]);
    let bad = g.write("bad.jsonl", &"x\n".repeat(5000));
    let out = g.run(&["observe", "import", bad.to_str().unwrap(), "--json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let answer: serde_json::Value = serde_json::from_str(&out.stdout).expect(&out.stderr);
    assert_eq!(answer["rejected"].as_array().map(Vec::len), Some(1000));
    assert_eq!(answer["rejected"][0]["index"], 0);
    assert_eq!(answer["rejected"][999]["index"], 999);
    assert_eq!(answer["rejected_unlisted"], 4000);
    assert!(out.stderr.contains("5000 line(s) of"), "{}", out.stderr);
}
