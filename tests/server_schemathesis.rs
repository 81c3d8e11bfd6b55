//! The served OpenAPI document is the truth: schemathesis (from PyPI, in the venv `.ci/run`
//! installs) runs every check against the real `galley serve` on the demo workspace, bounded in
//! examples and wall-clock time, and finds no mismatch. What it is told to leave out, and why, is
//! in `tests/fixtures/schemathesis/schemathesis.toml`.

mod server_support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use server_support::*;

/// The most the run may take (it takes about 30 s here); killed and failed past it.
const WALL_CLOCK: Duration = Duration::from_secs(240);

fn schemathesis() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/langfuse-venv/bin/st")
}

/// Whether the venv has a working schemathesis; without one the test is skipped with the
/// reason printed, unless CI is set (then it is a failure).
fn available(st: &PathBuf) -> bool {
    let works = Command::new(st)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but {} does not run: .ci/run installs schemathesis in the venv",
            st.display()
        );
        println!(
            "skipped: {} does not run (install it: target/langfuse-venv/bin/pip install \
             schemathesis==4.32.5, as .ci/run does)",
            st.display()
        );
    }
    works
}

#[test]
fn schemathesis_finds_no_mismatch_between_the_document_and_the_server() {
    let st = schemathesis();
    if !available(&st) {
        return;
    }
    let g = Galley::new();
    let demo = g.run(&["demo"]);
    assert_eq!(demo.code, 0, "{demo:#?}");
    // The demo turns the identity override on; its admin is ada.
    let mut create = g.command();
    create.env("GALLEY_USER", "ada").args([
        "key", "create", "--name", "st", "--scope", "admin", "--json",
    ]);
    let key = g.run_cmd(create);
    assert_eq!(key.code, 0, "{key:#?}");
    let key = key.json();
    let server = Server::start(&g, &[]);
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/schemathesis/schemathesis.toml");
    let report = g.path("schemathesis.out");
    let mut child = Command::new(&st)
        .arg("--no-color")
        .arg("--config-file")
        .arg(&config)
        .args(["run", &server.url("/openapi.json")])
        .args(["--checks", "all", "--max-examples", "20", "--workers", "1"])
        .args(["--seed", "1"])
        .env("GALLEY_ST_KEY_ID", key["id"].as_str().expect("id"))
        .env("GALLEY_ST_SECRET", key["secret"].as_str().expect("secret"))
        // Its example database and caches go to the temp dir, not the checkout.
        .env("HOME", g.dir())
        .current_dir(g.dir())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&report).expect("report file"))
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start schemathesis");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for schemathesis") {
            break Some(status);
        }
        if started.elapsed() > WALL_CLOCK {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let output = std::fs::read_to_string(&report).unwrap_or_default();
    let status = status.unwrap_or_else(|| {
        panic!("schemathesis ran past {WALL_CLOCK:?} and was stopped:\n{output}")
    });
    assert!(
        status.success(),
        "schemathesis found mismatches ({status}):\n{output}\nserver log:\n{}",
        server.log()
    );
    assert!(
        output.contains("Operations:") && output.contains("18 selected"),
        "every documented operation was tested:\n{output}"
    );
}
