//! Exit codes, files galley must refuse, two processes writing at once, and plain output when
//! piped.

mod common;

use std::collections::BTreeSet;

use common::Galley;

#[test]
fn usage_errors_exit_2_before_touching_the_workspace() {
    let g = Galley::new();
    let long = "a".repeat(201);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["list", "--bogus"], "unexpected argument '--bogus'"),
        (vec!["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        (vec!["new", "Bad Name"], "prompt name `Bad Name` has `B`"),
        (vec!["new", "support//triage"], "empty folder"),
        (vec!["new", "/abs"], "starts or ends with `/`"),
        (vec!["new", "../escape"], "`.` or `..` folder"),
        (vec!["new", &long], "longer than 200 characters"),
        (
            vec!["new", "x", "--type", "robot"],
            "unknown prompt type `robot`",
        ),
        (
            vec!["new", "x", "--type", "chat", "--template", "classifier"],
            "cannot be used with",
        ),
        (vec!["show", "Bad Name"], "prompt name `Bad Name`"),
        (
            vec!["render", "ok", "--version", "zero"],
            "`zero` is not a version",
        ),
        (
            vec!["show", "ok", "--version", "1", "--draft"],
            "cannot be used with",
        ),
        (vec!["commit", "ok"], "--message"),
        (vec!["render"], "<NAME>"),
    ];
    for (args, expected) in cases {
        let out = g.fails(&args, 2);
        assert!(
            out.stderr.contains(expected),
            "galley {args:?}: expected {expected:?} in:\n{}",
            out.stderr
        );
        assert_eq!(out.stdout, "", "galley {args:?}");
    }
    assert!(
        !g.db().exists(),
        "a usage error must not create the workspace"
    );
}

#[test]
fn help_lists_every_command_and_version_works() {
    // With no arguments galley opens the workbench (a terminal UI), so the help is `--help`.
    let g = Galley::new();
    let out = g.ok(&["--help"]);
    assert!(
        out.stdout.contains("Usage: galley [OPTIONS] [COMMAND]"),
        "{}",
        out.stdout
    );
    for command in [
        "init",
        "new",
        "templates",
        "list",
        "show",
        "edit",
        "set",
        "commit",
        "discard",
        "log",
        "diff",
        "render",
        "export",
        "import",
        "demo",
        "audit",
    ] {
        assert!(
            out.stdout.contains(&format!("\n  {command} ")),
            "{command} missing from help:\n{}",
            out.stdout
        );
    }
    let out = g.ok(&["--version"]);
    assert_eq!(
        out.stdout.trim(),
        format!("galley {}", env!("CARGO_PKG_VERSION"))
    );
    let out = g.ok(&["render", "--help"]);
    assert!(out.stdout.contains("--vars <FILE.json>"), "{}", out.stdout);
}

#[test]
fn operation_failures_exit_1_with_one_clear_line() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    for (args, expected) in [
        (
            vec!["show", "missing"],
            "error: no prompt `missing` in this workspace",
        ),
        (
            vec!["commit", "p", "-m", "x"],
            "error: you have no draft of `p`",
        ),
        (vec!["new", "p"], "error: prompt `p` already exists"),
    ] {
        let out = g.fails(&args, 1);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.starts_with(expected), "{}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

#[test]
fn a_workspace_from_a_newer_galley_is_refused_and_left_untouched() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    let mut bytes = std::fs::read(g.db()).unwrap();
    assert_eq!(&bytes[..16], b"SQLite format 3\0");
    let current = u32::from_be_bytes(bytes[60..64].try_into().unwrap());
    assert!(current >= 1, "the schema version lives at offset 60");
    bytes[60..64].copy_from_slice(&999u32.to_be_bytes());
    std::fs::write(g.db(), &bytes).unwrap();

    for args in [vec!["list"], vec!["new", "q"], vec!["init"], vec!["demo"]] {
        let out = g.fails(&args, 1);
        assert!(
            out.stderr.contains("newer galley"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("schema 999"), "{}", out.stderr);
        assert!(
            out.stderr.contains(&g.db().display().to_string()),
            "{}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(
            std::fs::read(g.db()).unwrap() == bytes,
            "galley {args:?} changed the file"
        );
    }
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let g = Galley::new();
    let text = "These are my notes, not a database.\n".repeat(20);
    std::fs::write(g.db(), &text).unwrap();
    for args in [vec!["list"], vec!["new", "p"], vec!["init"]] {
        let out = g.fails(&args, 1);
        assert!(
            out.stderr
                .contains("is not a galley workspace (it is not an SQLite database)"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&g.db().display().to_string()),
            "{}",
            out.stderr
        );
        assert_eq!(std::fs::read_to_string(g.db()).unwrap(), text);
    }

    // A folder where the file should be: its cause is said once, on one line.
    let mut cmd = g.bare_command();
    cmd.arg("--db").arg(g.dir()).arg("list");
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(out.stderr.contains("cannot open"), "{}", out.stderr);
    assert_eq!(
        out.stderr.matches("unable to open database file").count(),
        1,
        "the cause is repeated: {}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn another_applications_sqlite_database_is_refused_and_left_untouched() {
    let g = Galley::new();
    let other = g.path("other.sqlite");
    {
        let conn = rusqlite::Connection::open(&other).unwrap();
        conn.execute_batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
             INSERT INTO notes (body) VALUES ('keep me');",
        )
        .unwrap();
    }
    let before = std::fs::read(&other).unwrap();
    for args in [vec!["list"], vec!["new", "p"], vec!["init"], vec!["demo"]] {
        let mut cmd = g.bare_command();
        cmd.arg("--db").arg(&other).args(&args);
        let out = g.run_cmd(cmd);
        assert_eq!(out.code, 1, "{args:?}: {out:#?}");
        assert!(
            out.stderr.starts_with(&format!(
                "error: {} is an SQLite database but not a galley workspace",
                other.display()
            )),
            "{}",
            out.stderr
        );
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
        assert!(
            std::fs::read(&other).unwrap() == before,
            "galley {args:?} changed the file"
        );
        assert!(!g.path("other.sqlite-wal").exists(), "{args:?}");
    }

    // An empty file, or a path that does not exist yet, becomes a workspace.
    std::fs::write(g.path("empty.db"), "").unwrap();
    for rel in ["empty.db", "new/dir/fresh.db"] {
        let mut cmd = g.bare_command();
        cmd.arg("--db").arg(g.path(rel)).args(["new", "p"]);
        let out = g.run_cmd(cmd);
        assert_eq!(out.code, 0, "{rel}: {out:#?}");
    }
}

#[test]
fn two_processes_writing_at_once_both_succeed() {
    const ROUNDS: usize = 15;
    let g = Galley::new();
    g.ok(&["new", "shared"]);
    let g = &g;
    std::thread::scope(|scope| {
        let writers: Vec<_> = ["writer-a", "writer-b"]
            .into_iter()
            .map(|user| {
                scope.spawn(move || {
                    for i in 0..ROUNDS {
                        let text = format!("{user} round {i}");
                        for args in [
                            vec!["set", "shared", "role", "--text", &text],
                            vec!["commit", "shared", "-m", &text, "--force"],
                        ] {
                            let out = common::run_as(g, user, &args);
                            assert!(!out.stderr.contains("locked"), "{args:?}: {}", out.stderr);
                            assert_eq!(out.code, 0, "{args:?} failed: {out:#?}");
                        }
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("writer thread");
        }
    });

    let log = g.json(&["log", "shared"]);
    let versions = log["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 1 + 2 * ROUNDS);
    let numbers: Vec<u64> = versions
        .iter()
        .map(|v| v["number"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (1..=(1 + 2 * ROUNDS as u64)).rev().collect();
    assert_eq!(numbers, expected, "version numbers are dense and unique");
    for user in ["writer-a", "writer-b"] {
        let mine: Vec<&str> = versions
            .iter()
            .filter(|v| v["author"] == user)
            .map(|v| v["message"].as_str().unwrap())
            .collect();
        let want: Vec<String> = (0..ROUNDS)
            .rev()
            .map(|i| format!("{user} round {i}"))
            .collect();
        assert_eq!(mine, want, "{user}'s commits, newest first");
    }
    let hashes: BTreeSet<&str> = versions
        .iter()
        .map(|v| v["content_hash"].as_str().unwrap())
        .collect();
    assert_eq!(hashes.len(), versions.len());
    let commits = g
        .json(&["audit", "shared", "-n", "1000"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "version.commit")
        .count();
    assert_eq!(commits, 1 + 2 * ROUNDS, "one audit entry per version");
}

fn has_escape(s: &str) -> bool {
    s.contains('\u{1b}')
}

#[test]
fn output_is_plain_when_piped_even_without_no_color() {
    let g = Galley::new();
    g.ok(&["demo"]);
    g.ok(&[
        "set",
        "support/triage",
        "role",
        "--text",
        "You route tickets quickly.",
    ]);
    let run = |args: &[&str]| {
        let mut cmd = g.command();
        cmd.env_remove("NO_COLOR")
            .env("TERM", "xterm-256color")
            .env("COLORTERM", "truecolor")
            .args(args);
        g.run_cmd(cmd)
    };
    for args in [
        vec!["list"],
        vec!["templates"],
        vec!["show", "support/agent"],
        vec!["log", "support/agent"],
        vec!["audit", "-n", "5"],
        vec!["render", "support/triage", "--var", "ticket=hi"],
        vec!["commit", "support/triage", "-m", "quick"],
        vec!["init"],
    ] {
        let out = run(&args);
        assert_eq!(out.code, 0, "{args:?}: {out:#?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
        assert!(
            !has_escape(&out.stdout),
            "{args:?} coloured a pipe: {:?}",
            out.stdout
        );
        assert!(!has_escape(&out.stderr), "{args:?}: {:?}", out.stderr);
    }
    // The diff marks changed words with brackets when it cannot colour them.
    let out = run(&["diff", "support/agent", "1", "latest"]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(!has_escape(&out.stdout), "{:?}", out.stdout);
    assert!(
        out.stdout.contains("[-3-]") && out.stdout.contains("{+2+}"),
        "{}",
        out.stdout
    );
    let out = run(&["show", "no/such"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.starts_with("error: "), "{:?}", out.stderr);
    assert!(!has_escape(&out.stderr), "{:?}", out.stderr);
    let out = run(&["show", "Bad Name"]);
    assert_eq!(out.code, 2);
    assert!(!has_escape(&out.stderr), "{:?}", out.stderr);
}
