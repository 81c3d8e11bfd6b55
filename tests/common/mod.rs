//! Drives the real `galley` binary on a workspace file in a temporary directory, with an
//! environment the test controls completely: no user config, a fixed user, no colour, no
//! editor unless a test installs one, and every per-user directory inside the temp dir.
//!
//! By default galley runs as the account running the tests and acts as [`USER`]; tests that
//! play several people run it as real OS accounts ([`run_as`], see `accounts`).

#![allow(dead_code)]

pub mod accounts;
pub mod measure;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The user every command acts as unless a test says otherwise: named with `GALLEY_USER` by the
/// account running the tests, which galley ties to that account when `tester` becomes the
/// workspace's first admin (seeds made in-process tie it with `add_user_with_account`).
pub const USER: &str = "tester";

/// No galley command in these tests should come anywhere near this.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// What one run of galley produced.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// Parses stdout as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// A temporary directory holding one workspace file (`ws.db`) and whatever a test writes.
pub struct Galley {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Galley {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("tmp")).expect("tmp dir");
        let db = dir.path().join("ws.db");
        Self { dir, db }
    }

    /// The temporary directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The workspace file every command uses.
    pub fn db(&self) -> &Path {
        &self.db
    }

    /// A path inside the temporary directory.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `text` to `rel` inside the temporary directory (creating folders) and returns it.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, text).expect("write file");
        path
    }

    /// Writes an executable shell script to `rel` and returns its path.
    pub fn script(&self, rel: &str, body: &str) -> PathBuf {
        let path = self.write(rel, &format!("#!/bin/sh\n{body}\n"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        path
    }

    /// `galley` with a clean environment, not yet given any argument (not even `--db`).
    pub fn bare_command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_galley"));
        clean_env(&mut cmd, self.dir.path());
        cmd.env("GALLEY_USER", USER);
        cmd
    }

    /// `galley --db WS` with a clean environment.
    pub fn command(&self) -> Command {
        let mut cmd = self.bare_command();
        cmd.arg("--db").arg(&self.db);
        cmd
    }

    /// Runs `galley --db WS ARGS...`.
    pub fn run(&self, args: &[&str]) -> Out {
        let mut cmd = self.command();
        cmd.args(args);
        run_command(cmd, None)
    }

    /// Runs `galley --db WS ARGS...` with `stdin` on standard input.
    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Out {
        let mut cmd = self.command();
        cmd.args(args);
        run_command(cmd, Some(stdin))
    }

    /// Runs a prepared command.
    pub fn run_cmd(&self, cmd: Command) -> Out {
        run_command(cmd, None)
    }

    /// Runs galley and asserts it succeeded with nothing on stderr.
    pub fn ok(&self, args: &[&str]) -> Out {
        let out = self.run(args);
        assert_eq!(out.code, 0, "galley {args:?} failed: {out:#?}");
        assert_eq!(out.stderr, "", "galley {args:?} wrote to stderr");
        out
    }

    /// Runs galley and asserts it exited with `code`.
    pub fn fails(&self, args: &[&str], code: i32) -> Out {
        let out = self.run(args);
        assert_eq!(
            out.code, code,
            "galley {args:?}: unexpected exit code: {out:#?}"
        );
        assert!(
            !out.stderr.trim().is_empty(),
            "galley {args:?} failed without saying why"
        );
        out
    }

    /// Runs `galley --db WS --json ARGS...`, asserts success and parses the JSON.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        self.ok(&all).json()
    }

    /// The latest version number of `name`, from `log --json`.
    pub fn latest(&self, name: &str) -> u64 {
        self.json(&["log", name])["versions"][0]["number"]
            .as_u64()
            .expect("a version number")
    }
}

/// Clears `cmd`'s environment down to what galley needs, every per-user directory under `home`,
/// which is also the working directory.
fn clean_env(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("xdg-config"))
        .env("XDG_DATA_HOME", home.join("xdg-data"))
        .env("XDG_STATE_HOME", home.join("xdg-state"))
        .env("XDG_CACHE_HOME", home.join("xdg-cache"))
        .env("TMPDIR", home.join("tmp"))
        .env("GALLEY_CONFIG", home.join("no-such-config.toml"))
        .env("NO_COLOR", "1")
        // An `edit` a test did not plan for fails at once instead of waiting for vi.
        .env("EDITOR", "false")
        .current_dir(home);
}

/// Runs `cmd` to completion (killing it after [`COMMAND_TIMEOUT`]) and captures its output.
pub fn run_command(mut cmd: Command, stdin: Option<&str>) -> Out {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("galley starts");
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(text.as_bytes()).expect("write stdin");
    }
    let mut stdout = child.stdout.take().expect("stdout pipe");
    let mut stderr = child.stderr.take().expect("stderr pipe");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).map(|_| buf)
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).map(|_| buf)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for galley") {
            break status;
        }
        if started.elapsed() > COMMAND_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("galley did not finish within {COMMAND_TIMEOUT:?}: {cmd:?}");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let stdout = out_reader.join().unwrap().expect("read stdout");
    let stderr = err_reader.join().unwrap().expect("read stderr");
    Out {
        code: status.code().expect("galley was not killed by a signal"),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// A small text prompt with typed variables, as a prompt file.
pub const TYPED_PROMPT: &str = r#"+++
name = "greet/typed"
type = "text"
description = "Greets someone a number of times"
tags = ["greeting", "test"]

[variables.who]
type = "string"
description = "Whom to greet"

[variables.count]
type = "number"

[variables.loud]
type = "boolean"
required = false
default = false
+++

## Instructions {kind=instructions}

Greet {{ who }} {{ count }} times.{% if loud %} LOUDLY{% endif %}

## Signature {kind=custom}

Signed: {{ signer }}
"#;

/// Runs `galley --db WS ARGS...` as the real OS account `user`, acting as itself (tests with
/// several people on one workspace).
pub fn run_as(g: &Galley, user: &str, args: &[&str]) -> Out {
    let mut cmd = g.command_as(user);
    cmd.args(args);
    g.run_cmd(cmd)
}

/// `run_as` that must succeed without writing to stderr.
pub fn ok_as(g: &Galley, user: &str, args: &[&str]) -> Out {
    let out = run_as(g, user, args);
    assert_eq!(out.code, 0, "{user}: galley {args:?} failed: {out:#?}");
    assert_eq!(out.stderr, "", "{user}: galley {args:?} wrote to stderr");
    out
}

/// `ok_as` with `--json`, parsed.
pub fn json_as(g: &Galley, user: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    ok_as(g, user, &all).json()
}

/// `run_as` that must be refused (exit 1); returns the error text.
pub fn refused_as(g: &Galley, user: &str, args: &[&str]) -> String {
    let out = run_as(g, user, args);
    assert_eq!(out.code, 1, "{user}: galley {args:?}: {out:#?}");
    out.stderr
}
