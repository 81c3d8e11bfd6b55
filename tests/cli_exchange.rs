//! `export`, `import`, `demo` and `audit` on real workspace files.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Galley, TYPED_PROMPT, USER};
use serde_json::{Value, json};

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

/// name -> (latest hash, tags, latest version) for every prompt.
fn hashes(g: &Galley) -> BTreeMap<String, (Value, Value, Value)> {
    g.json(&["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                (
                    p["latest_hash"].clone(),
                    p["tags"].clone(),
                    p["latest_version"].clone(),
                ),
            )
        })
        .collect()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn export_prints_the_prompt_file_or_writes_it() {
    let g = Galley::new();
    g.ok(&["new", "p", "--tag", "t1", "-d", "A prompt"]);
    g.ok(&["set", "p", "role", "--text", "Version two."]);
    g.ok(&["commit", "p", "-m", "two"]);
    g.ok(&["set", "p", "role", "--text", "In the draft."]);

    let latest = g.ok(&["export", "p"]).stdout;
    assert!(
        latest.starts_with(
            "+++\nname = \"p\"\ntype = \"text\"\ndescription = \"A prompt\"\ntags = [\"t1\"]\n+++\n"
        ),
        "{latest}"
    );
    assert!(
        latest.contains("\n## Role {kind=role}\n\nVersion two.\n"),
        "{latest}"
    );
    assert!(
        latest.contains("\n## Output format {kind=output_format}\n"),
        "{latest}"
    );
    let v1 = g.ok(&["export", "p", "--version", "1"]).stdout;
    assert!(!v1.contains("Version two."), "{v1}");
    assert!(v1.contains("## Role {kind=role}\n\n## Context"), "{v1}");
    let draft = g.ok(&["export", "p", "--draft"]).stdout;
    assert!(draft.contains("In the draft."), "{draft}");

    let file = g.path("out/p.md");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let out = g.ok(&["export", "p", "-o", s(&file)]);
    assert_eq!(
        out.stdout.trim(),
        format!("Exported p to {}.", file.display())
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), latest);

    let json = g.json(&["export", "p"]);
    assert_eq!(json["name"], "p");
    assert_eq!(json["text"], latest.as_str());
    let other = g.path("out/other.md");
    let json = g.json(&["export", "p", "--version", "1", "--output", s(&other)]);
    assert_eq!(json, json!({"name": "p", "file": s(&other)}));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), v1);

    let out = g.fails(&["export", "nope"], 1);
    assert!(out.stderr.contains("no prompt `nope`"), "{}", out.stderr);
    g.fails(&["export"], 2);
    g.fails(&["export", "p", "--all", "dir"], 2);
}

#[test]
fn export_all_writes_one_file_per_prompt_with_folders_as_directories() {
    let g = Galley::new();
    for name in ["top", "support/triage", "support/deep/nested", "eng/review"] {
        g.ok(&["new", name]);
    }
    g.ok(&["set", "top", "role", "--text", "draft only"]);
    let dir = g.path("exported");
    let out = g.ok(&["export", "--all", s(&dir)]);
    assert_eq!(
        out.stdout.trim(),
        format!("Exported 4 prompts to {}.", dir.display())
    );
    for (name, rel) in [
        ("top", "top.md"),
        ("support/triage", "support/triage.md"),
        ("support/deep/nested", "support/deep/nested.md"),
        ("eng/review", "eng/review.md"),
    ] {
        let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(text, g.ok(&["export", name]).stdout, "{rel}");
    }
    assert!(dir.join("support/deep").is_dir());
    let top = std::fs::read_to_string(dir.join("top.md")).unwrap();
    assert!(
        !top.contains("draft only"),
        "--all exports the latest versions"
    );

    let dir2 = g.path("exported2");
    let json = g.json(&["export", "--all", s(&dir2)]);
    assert_eq!(json["dir"], s(&dir2));
    let mut files: Vec<String> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    files.sort();
    let expected: Vec<String> = [
        "eng/review.md",
        "support/deep/nested.md",
        "support/triage.md",
        "top.md",
    ]
    .iter()
    .map(|r| dir2.join(r).display().to_string())
    .collect();
    assert_eq!(files, expected);
}

#[test]
fn import_creates_prompts_from_files_and_folders() {
    let g = Galley::new();
    let single = g.write("single.md", TYPED_PROMPT);
    let out = g.ok(&["import", s(&single)]);
    assert!(
        out.stdout.contains("created  greet/typed (v1)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.trim_end().ends_with("1 imported, 0 skipped"),
        "{}",
        out.stdout
    );
    let show = g.json(&["show", "greet/typed"]);
    assert_eq!(show["tags"], json!(["greeting", "test"]));
    assert_eq!(show["content"]["variables"]["count"]["type"], "number");
    assert_eq!(show["version"]["message"], "Imported");

    // A folder: files without a `name` are named by their path inside the folder.
    let body = "## Instructions {kind=instructions}\n\nDo {{ thing }}.\n";
    g.write("dir/alpha.md", body);
    g.write(
        "dir/team/beta.md",
        &format!("+++\ntype = \"chat\"\n+++\n\n{body}"),
    );
    g.write("dir/team/notes.txt", "not a prompt");
    g.write("dir/.hidden.md", "garbage that would not parse +++");
    let json = g.json(&["import", s(&g.path("dir"))]);
    let imported: Vec<(String, String)> = json["imported"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["result"]["name"].as_str().unwrap().to_string(),
                i["result"]["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        imported,
        [
            ("alpha".to_string(), "created".to_string()),
            ("team/beta".to_string(), "created".to_string())
        ]
    );
    assert_eq!(json["imported"][0]["result"]["version"], 1);
    assert!(
        json["imported"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("dir/alpha.md"),
        "{json}"
    );
    assert_eq!(json["skipped"], json!([]));
    let ignored = json["ignored"].as_array().unwrap();
    assert_eq!(ignored.len(), 1, "{json}");
    assert!(ignored[0].as_str().unwrap().ends_with("notes.txt"));
    assert_eq!(g.json(&["show", "team/beta"])["content"]["type"], "chat");
    assert_eq!(
        names(&g.json(&["list"])),
        ["alpha", "greet/typed", "team/beta"]
    );
    let out = g.fails(&["import", "no/such/path.md"], 1);
    assert!(out.stderr.contains("no/such/path.md"), "{}", out.stderr);
    g.fails(&["import"], 2);
}

#[test]
fn import_of_an_unparseable_file_reports_its_line_and_writes_nothing_for_it() {
    let g = Galley::new();
    g.write("dir/good.md", TYPED_PROMPT);
    g.write(
        "dir/bad.md",
        "+++\nname = \"bad/one\"\ntype = \"text\"\ndescription = \n+++\n\n## Role {kind=role}\n\nx\n",
    );
    g.write(
        "dir/worse.md",
        "+++\nname = \"bad/two\"\n+++\n\n## Role {kind=role}\n\nx\n\n## Later {kind=sideways}\n",
    );
    let out = g.run(&["import", s(&g.path("dir"))]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stdout.contains("created  greet/typed (v1)"),
        "{}",
        out.stdout
    );
    let bad = out.stdout.lines().find(|l| l.contains("bad.md")).unwrap();
    assert!(
        bad.starts_with("skipped") && bad.contains(": line 4:"),
        "{bad}"
    );
    let worse = out.stdout.lines().find(|l| l.contains("worse.md")).unwrap();
    assert!(
        worse.contains(": line 9:") && worse.contains("sideways"),
        "{worse}"
    );
    assert!(
        out.stdout.contains("1 imported, 2 skipped"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("2 prompt file(s) could not be imported"),
        "{}",
        out.stderr
    );
    assert_eq!(names(&g.json(&["list"])), ["greet/typed"]);

    // A broken file for an existing prompt leaves its draft and tags alone.
    let broken = TYPED_PROMPT
        .replace("tags = [\"greeting\", \"test\"]", "tags = [\"changed\"]")
        .replace(
            "## Signature {kind=custom}",
            "## Signature {kind=custom colour=red}",
        );
    let file = g.write("broken.md", &broken);
    let json = {
        let out = g.run(&["--json", "import", s(&file)]);
        assert_eq!(out.code, 1, "{out:#?}");
        out.json()
    };
    assert_eq!(json["imported"], json!([]));
    let reason = json["skipped"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("line 24:") && reason.contains("colour=red"),
        "{reason}"
    );
    let log = g.json(&["log", "greet/typed"]);
    assert_eq!(log["has_draft"], false);
    assert_eq!(log["versions"].as_array().unwrap().len(), 1);
    assert_eq!(
        g.json(&["show", "greet/typed"])["tags"],
        json!(["greeting", "test"])
    );

    // A new prompt whose template does not compile is skipped too.
    let file = g.write(
        "syntax.md",
        "+++\nname = \"bad/syntax\"\n+++\n\n## Role {kind=role}\n\nok\nHello {{ name\n",
    );
    let out = g.run(&["import", s(&file)]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("template error in section `Role` (line 2"),
        "{}",
        out.stdout
    );
    assert_eq!(names(&g.json(&["list"])), ["greet/typed"]);
}

#[test]
fn reimporting_unchanged_files_changes_nothing_and_changed_files_become_drafts() {
    let g = Galley::new();
    g.write("dir/a.md", TYPED_PROMPT);
    g.write("dir/b.md", "## Role {kind=role}\n\nPlain.\n");
    g.ok(&["import", s(&g.path("dir"))]);
    let before = hashes(&g);
    let audit_before = g.json(&["audit", "-n", "1000"]).as_array().unwrap().len();

    let out = g.ok(&["import", s(&g.path("dir"))]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines[0].starts_with("unchanged greet/typed"),
        "{}",
        out.stdout
    );
    assert!(lines[1].starts_with("unchanged b"), "{}", out.stdout);
    assert_eq!(lines[2], "2 imported, 0 skipped");
    let json = g.json(&["import", s(&g.path("dir"))]);
    assert_eq!(
        json["imported"][0]["result"],
        json!({"outcome": "unchanged", "name": "greet/typed"})
    );
    assert_eq!(hashes(&g), before);
    assert_eq!(g.json(&["log", "b"])["has_draft"], false);
    assert_eq!(
        g.json(&["audit", "-n", "1000"]).as_array().unwrap().len(),
        audit_before,
        "an unchanged import writes no audit entry"
    );

    g.write("dir/b.md", "## Role {kind=role}\n\nPlain, but edited.\n");
    let out = g.ok(&["import", s(&g.path("dir/b.md"))]);
    assert!(
        out.stdout.contains("updated  b (your draft)"),
        "{}",
        out.stdout
    );
    assert_eq!(g.json(&["log", "b"])["has_draft"], true);
    assert_eq!(
        g.json(&["show", "b", "--draft"])["content"]["sections"][0]["body"],
        "Plain, but edited."
    );
    assert_eq!(hashes(&g), before, "an import never commits over a version");
    let out = g.ok(&["import", s(&g.path("dir/b.md"))]);
    assert!(out.stdout.contains("unchanged b"), "{}", out.stdout);
}

#[test]
fn export_then_import_into_a_fresh_workspace_keeps_every_hash() {
    let source = Galley::new();
    source.ok(&["demo"]);
    source.ok(&["new", "extra/chat", "--type", "chat", "--tag", "x"]);
    let dir = source.path("export");
    source.ok(&["export", "--all", s(&dir)]);

    let fresh = Galley::new();
    let out = fresh.ok(&["import", s(&dir)]);
    assert!(
        out.stdout.contains("13 imported, 0 skipped"),
        "{}",
        out.stdout
    );
    let want: BTreeMap<String, (Value, Value)> = hashes(&source)
        .into_iter()
        .map(|(n, (h, t, _))| (n, (h, t)))
        .collect();
    let got: BTreeMap<String, (Value, Value)> = hashes(&fresh)
        .into_iter()
        .map(|(n, (h, t, v))| {
            assert_eq!(v, 1, "{n} is imported as version 1");
            (n, (h, t))
        })
        .collect();
    assert_eq!(got.len(), 13);
    assert_eq!(got, want);

    // And exporting again gives the same bytes.
    let again = fresh.path("again");
    fresh.ok(&["export", "--all", s(&again)]);
    for name in want.keys() {
        let rel = format!("{name}.md");
        assert_eq!(
            std::fs::read_to_string(again.join(&rel)).unwrap(),
            std::fs::read_to_string(dir.join(&rel)).unwrap(),
            "{rel}"
        );
    }
}

#[test]
fn demo_builds_a_dozen_prompts_with_history() {
    let g = Galley::new();
    let report = g.json(&["demo"]);
    let created = report["created"].as_array().unwrap();
    assert_eq!(created.len(), 12, "{report}");
    assert_eq!(report["skipped"], json!([]));
    let counts: BTreeMap<String, u64> = created
        .iter()
        .map(|c| (c[0].as_str().unwrap().to_string(), c[1].as_u64().unwrap()))
        .collect();
    let rich = counts.values().filter(|&&n| (3..=6).contains(&n)).count();
    assert!(rich >= 5, "several prompts need 3-6 versions: {counts:?}");
    assert!(counts.values().all(|&n| (1..=6).contains(&n)), "{counts:?}");

    let list = g.json(&["list"]);
    assert_eq!(list.as_array().unwrap().len(), 12);
    for p in list.as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        assert_eq!(p["latest_version"].as_u64(), Some(counts[name]), "{name}");
        assert_eq!(p["has_draft"], false, "{name}");
    }
    let types: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"chat") && types.contains(&"text"),
        "{types:?}"
    );

    // A history by several authors, with real changes between versions.
    let log = g.json(&["log", "support/agent"]);
    let versions = log["versions"].as_array().unwrap();
    assert_eq!(versions.len() as u64, counts["support/agent"]);
    let mut authors: Vec<&str> = versions
        .iter()
        .map(|v| v["author"].as_str().unwrap())
        .collect();
    authors.sort();
    authors.dedup();
    assert!(authors.len() >= 2, "{authors:?}");
    assert!(!authors.contains(&USER), "demo authors are its characters");
    let hashes: std::collections::BTreeSet<&str> = versions
        .iter()
        .map(|v| v["content_hash"].as_str().unwrap())
        .collect();
    assert_eq!(hashes.len(), versions.len(), "every version differs");
    let last = counts["support/agent"].to_string();
    let diff = g.json(&["diff", "support/agent", "1", &last]);
    assert!(diff["diff"]["stats"]["lines_added"].as_u64().unwrap() > 0);

    // Demo prompts use snippets, and render from their examples.
    let show = g.json(&["show", "support/agent"]);
    let text = show["content"].to_string();
    assert!(text.contains("{% include \\\"snippets/"), "{text}");

    // I am still myself afterwards.
    g.ok(&["new", "mine"]);
    assert_eq!(g.json(&["log", "mine"])["versions"][0]["author"], USER);

    // A second demo leaves everything alone.
    let out = g.ok(&["demo"]);
    assert!(
        out.stdout.contains("0 prompts, 0 versions"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("12 already existed"), "{}", out.stdout);
    assert_eq!(
        g.json(&["log", "support/agent"])["versions"],
        log["versions"]
    );
}

#[test]
fn demo_reports_what_it_made() {
    let g = Galley::new();
    let out = g.ok(&["demo"]);
    assert!(out.stdout.contains("12 prompts"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&g.db().display().to_string()),
        "{}",
        out.stdout
    );
    let total: u64 = g
        .json(&["list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["latest_version"].as_u64().unwrap())
        .sum();
    assert!(
        out.stdout
            .contains(&format!("12 prompts, {total} versions")),
        "{}",
        out.stdout
    );
}

#[test]
fn audit_records_every_change_to_shared_state() {
    let g = Galley::new();
    g.ok(&["new", "p", "--tag", "a"]);
    g.ok(&["set", "p", "role", "--text", "draft"]);
    g.ok(&["commit", "p", "-m", "second"]);
    g.ok(&["set", "p", "role", "--text", "another draft"]);
    g.ok(&["discard", "p"]);
    common::ok_as(&g, "bob", &["new", "q"]);

    let all = g.json(&["audit"]);
    let entries = all.as_array().unwrap();
    let actions: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            (USER, "prompt.create", "p"),
            (USER, "version.commit", "p"),
            (USER, "version.commit", "p"),
            (USER, "draft.discard", "p"),
            ("bob", "prompt.create", "q"),
            ("bob", "version.commit", "q"),
        ],
        "setting a draft is not shared state, so it is not audited"
    );
    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    assert_eq!(entries[2]["details"]["version"], 2);
    assert_eq!(entries[2]["details"]["message"], "second");
    assert_eq!(
        entries[2]["details"]["hash"],
        g.json(&["log", "p"])["versions"][0]["content_hash"]
    );
    assert_eq!(entries[0]["details"]["tags"], json!(["a"]));
    for e in entries {
        assert!(e["id"].as_str().unwrap().len() >= 32, "{e}");
        assert!(e["at"].as_str().unwrap().ends_with('Z'), "{e}");
    }

    let about_p = g.json(&["audit", "p", "-n", "2"]);
    let actions: Vec<&str> = about_p
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["version.commit", "draft.discard"],
        "the newest two, oldest first"
    );

    let human = g.ok(&["audit", "--limit", "3"]).stdout;
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(lines.len(), 4, "{human}");
    for column in ["#", "WHEN", "ACTOR", "ACTION", "TARGET", "DETAILS"] {
        assert!(lines[0].contains(column), "{human}");
    }
    assert!(lines[1].contains("draft.discard"), "{human}");
    assert!(
        lines[3].contains("bob") && lines[3].contains("version.commit"),
        "{human}"
    );
}
