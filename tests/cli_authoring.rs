//! The authoring commands on a real workspace file: init, new, templates, list, show, set,
//! commit, discard, log, edit, and who the acting user is.

mod common;

use common::{Galley, USER, json_as, ok_as, run_as};
use serde_json::Value;

/// (kind, title, body) of every section `show --json ARGS` reports.
fn sections(g: &Galley, args: &[&str]) -> Vec<(String, String, String)> {
    let mut all = vec!["show"];
    all.extend_from_slice(args);
    g.json(&all)["content"]["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap().to_string(),
                s["title"].as_str().unwrap().to_string(),
                s["body"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn body(g: &Galley, args: &[&str], index: usize) -> String {
    sections(g, args)[index].2.clone()
}

fn has_draft(g: &Galley, name: &str) -> bool {
    g.json(&["log", name])["has_draft"].as_bool().unwrap()
}

fn version_count(g: &Galley, name: &str) -> usize {
    g.json(&["log", name])["versions"].as_array().unwrap().len()
}

#[test]
fn init_creates_the_workspace_and_reports_it() {
    let g = Galley::new();
    assert!(!g.db().exists());
    let out = g.ok(&["init"]);
    assert!(g.db().is_file(), "init did not create {}", g.db().display());
    assert!(
        out.stdout.contains(&g.db().display().to_string()),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("(0 prompts)"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&format!("acting as {USER}")),
        "{}",
        out.stdout
    );

    g.ok(&["new", "one"]);
    let json = g.json(&["init"]);
    assert_eq!(json["db"], g.db().display().to_string());
    assert_eq!(json["user"], USER);
    assert_eq!(
        json["prompts"], 1,
        "init must not reset an existing workspace"
    );
}

#[test]
fn new_blank_text_prompt_has_the_five_standard_sections_empty() {
    let g = Galley::new();
    let out = g.ok(&["new", "support/triage"]);
    assert!(
        out.stdout
            .contains("Created support/triage (version 1, text)"),
        "{}",
        out.stdout
    );
    let show = g.json(&["show", "support/triage"]);
    assert_eq!(show["content"]["type"], "text");
    assert_eq!(show["version"]["number"], 1);
    assert_eq!(show["version"]["author"], USER);
    let kinds: Vec<&str> = show["content"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert_eq!(s["body"], "", "a blank prompt's sections are empty");
            assert!(
                s.get("role").is_none(),
                "text sections have no message role"
            );
            s["kind"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "role",
            "context",
            "instructions",
            "guardrails",
            "output_format"
        ]
    );
    let hash = show["hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash.chars().all(|c| c.is_ascii_hexdigit()));
}

#[test]
fn new_blank_chat_prompt_with_description_and_tags() {
    let g = Galley::new();
    let created = g.json(&[
        "new",
        "bots/helper",
        "--type",
        "chat",
        "-d",
        "Helps people",
        "--tag",
        "zeta",
        "--tag",
        "alpha",
    ]);
    assert_eq!(created["name"], "bots/helper");
    assert_eq!(created["version"], 1);
    let show = g.json(&["show", "bots/helper"]);
    assert_eq!(show["content"]["type"], "chat");
    assert_eq!(show["content"]["description"], "Helps people");
    assert_eq!(show["hash"], created["hash"]);
    let roles: Vec<&str> = show["content"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "system", "user", "system", "system"]);
    assert_eq!(show["tags"], serde_json::json!(["alpha", "zeta"]));
}

#[test]
fn new_from_a_template_and_an_unknown_template() {
    let g = Galley::new();
    let a = g.json(&["new", "support/bot", "--template", "support-agent"]);
    let b = g.json(&["new", "other/bot", "-t", "support-agent"]);
    // Content-addressed: the same template gives the same hash under any name.
    assert_eq!(a["hash"], b["hash"]);
    let show = g.json(&["show", "support/bot"]);
    assert_eq!(show["content"]["type"], "chat");
    assert!(
        show["tags"].as_array().unwrap().contains(&"support".into()),
        "{}",
        show["tags"]
    );
    assert_eq!(
        show["version"]["message"],
        "Created from the support-agent template"
    );
    let used: Vec<&str> = show["variables_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(used.contains(&"company"), "{used:?}");
    let kinds: Vec<&str> = show["content"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    for standard in [
        "role",
        "context",
        "instructions",
        "guardrails",
        "output_format",
    ] {
        assert!(kinds.contains(&standard), "{kinds:?}");
    }

    let out = g.fails(&["new", "x/y", "--template", "no-such-template"], 1);
    assert!(
        out.stderr.contains("no template `no-such-template`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("support-agent"),
        "lists the templates: {}",
        out.stderr
    );
    let names: Vec<Value> = g.json(&["list"]).as_array().unwrap().clone();
    assert_eq!(names.len(), 2, "a failed `new` creates nothing");

    let out = g.fails(&["new", "support/bot"], 1);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(version_count(&g, "support/bot"), 1);
}

#[test]
fn new_from_a_template_with_a_description_overrides_the_templates() {
    let g = Galley::new();
    let plain = g.json(&["new", "t/plain", "--template", "classifier"]);
    let created = g.json(&["new", "t/c", "--template", "classifier", "-d", "Mine"]);
    assert_eq!(created["version"], 1);
    assert_ne!(created["hash"], plain["hash"], "the description is content");
    let show = g.json(&["show", "t/c"]);
    assert_eq!(show["content"]["description"], "Mine");
    assert_eq!(show["hash"], created["hash"]);
    assert!(!has_draft(&g, "t/c"));
    let templated = g.json(&["show", "t/plain"]);
    assert!(
        templated["content"]["description"]
            .as_str()
            .unwrap()
            .contains("label"),
        "{}",
        templated["content"]["description"]
    );
}

#[test]
fn templates_are_listed_without_touching_a_workspace() {
    let g = Galley::new();
    let out = g.ok(&["templates"]);
    let ids = [
        "support-agent",
        "classifier",
        "json-extractor",
        "rag-answerer",
        "summarizer",
        "code-reviewer",
    ];
    for id in ids {
        assert!(
            out.stdout.contains(id),
            "{id} missing from:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.starts_with("TEMPLATE"), "{}", out.stdout);
    let json = g.json(&["templates"]);
    let all = json.as_array().unwrap();
    assert!(all.len() >= 6, "{json}");
    for t in all {
        assert!(t["id"].is_string() && t["description"].as_str().unwrap().len() > 10);
        assert!(t["type"] == "text" || t["type"] == "chat", "{t}");
        assert!(t["tags"].is_array());
    }
    let agent = all.iter().find(|t| t["id"] == "support-agent").unwrap();
    assert_eq!(agent["type"], "chat");
    let classifier = all.iter().find(|t| t["id"] == "classifier").unwrap();
    assert_eq!(classifier["type"], "text");
    assert!(!g.db().exists(), "`templates` must not create a workspace");
}

#[test]
fn list_filters_by_prefix_and_tag_and_reports_drafts() {
    let g = Galley::new();
    g.ok(&["new", "support/b", "--tag", "x"]);
    g.ok(&["new", "support/a"]);
    g.ok(&[
        "new",
        "eng/c",
        "--tag",
        "x",
        "--type",
        "chat",
        "-d",
        "Engineering",
    ]);
    g.ok(&["new", "supportive"]);

    let all = g.json(&["list"]);
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["eng/c", "support/a", "support/b", "supportive"]);
    let c = &all[0];
    let mut keys: Vec<&str> = c.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "description",
            "has_draft",
            "latest_hash",
            "latest_version",
            "name",
            "tags",
            "type",
            "updated_at"
        ]
    );
    assert_eq!(c["type"], "chat");
    assert_eq!(c["description"], "Engineering");
    assert_eq!(c["latest_version"], 1);
    assert_eq!(c["has_draft"], false);
    assert_eq!(c["latest_hash"].as_str().unwrap().len(), 64);

    let folder = g.json(&["list", "support/"]);
    let names: Vec<&str> = folder
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["support/a", "support/b"]);

    let tagged = g.json(&["list", "--tag", "x"]);
    let names: Vec<&str> = tagged
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["eng/c", "support/b"]);

    g.ok(&["set", "support/a", "role", "--text", "You are new."]);
    g.ok(&["set", "support/b", "role", "--text", "You are B."]);
    g.ok(&["commit", "support/b", "-m", "second"]);
    let folder = g.json(&["list", "support/"]);
    assert_eq!(folder[0]["has_draft"], true);
    assert_eq!(folder[0]["latest_version"], 1);
    assert_eq!(folder[1]["has_draft"], false);
    assert_eq!(folder[1]["latest_version"], 2);

    let human = g.ok(&["list"]).stdout;
    let header = human.lines().next().unwrap();
    for column in ["NAME", "TYPE", "VER", "UPDATED", "TAGS", "DESCRIPTION"] {
        assert!(header.contains(column), "{header}");
    }
    let line_a = human.lines().find(|l| l.starts_with("support/a ")).unwrap();
    assert!(line_a.contains("v1*"), "{line_a}");
    let line_b = human.lines().find(|l| l.starts_with("support/b ")).unwrap();
    assert!(line_b.contains("v2") && !line_b.contains("v2*"), "{line_b}");
    assert!(human.contains("uncommitted draft"), "{human}");
    // Columns are aligned: every row's TYPE starts where the header's does.
    let type_col = header.find("TYPE").unwrap();
    for line in human.lines().skip(1).take(4) {
        let t = &line[type_col..type_col + 4];
        assert!(t == "text" || t == "chat", "misaligned row: {line:?}");
    }

    // Nothing matches: empty JSON array, exit 0.
    assert_eq!(g.json(&["list", "nothing/"]), serde_json::json!([]));
}

#[test]
fn list_says_when_nothing_matches_its_filters() {
    let g = Galley::new();
    // With no prompts at all, a filter still gets the "how to start" hint.
    let out = g.ok(&["list", "zzz/"]);
    assert!(out.stdout.contains("No prompts yet"), "{}", out.stdout);
    g.ok(&["new", "support/a", "--tag", "x"]);
    for args in [
        vec!["list", "zzz/"],
        vec!["list", "--tag", "nope"],
        vec!["list", "support/", "--tag", "nope"],
    ] {
        let out = g.ok(&args);
        assert_eq!(out.stdout.trim(), "No prompts match.", "{args:?}");
    }
    assert_eq!(g.json(&["list", "--tag", "nope"]), serde_json::json!([]));
    let out = g.ok(&["list", "--tag", "x"]);
    assert!(out.stdout.contains("support/a"), "{}", out.stdout);
}

#[test]
fn list_on_an_empty_workspace_says_how_to_start() {
    let g = Galley::new();
    let out = g.ok(&["list"]);
    assert!(out.stdout.contains("No prompts yet"), "{}", out.stdout);
    assert_eq!(g.json(&["list"]), serde_json::json!([]));
}

#[test]
fn show_picks_the_draft_a_version_or_the_latest() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "second role"]);
    g.ok(&["commit", "p", "-m", "two"]);
    g.ok(&["set", "p", "role", "--text", "draft role"]);

    assert_eq!(
        body(&g, &["p"], 0),
        "draft role",
        "show defaults to the draft"
    );
    assert_eq!(body(&g, &["p", "--draft"], 0), "draft role");
    assert_eq!(body(&g, &["p", "--version", "1"], 0), "");
    assert_eq!(body(&g, &["p", "-v", "2"], 0), "second role");
    assert_eq!(body(&g, &["p", "--version", "latest"], 0), "second role");

    let draft = g.json(&["show", "p", "--draft"]);
    assert_eq!(draft["source"], serde_json::json!({"draft": {"base": 2}}));
    assert!(draft["version"].is_null());
    let v1 = g.json(&["show", "p", "--version", "1"]);
    assert_eq!(v1["source"], serde_json::json!({"version": {"number": 1}}));
    assert_ne!(v1["hash"], draft["hash"]);

    let human = g.ok(&["show", "p"]).stdout;
    assert!(human.contains("your draft (from v2)"), "{human}");
    assert!(human.contains("1. Role [role]"), "{human}");
    assert!(human.contains("   draft role"), "{human}");
    assert!(human.contains("(empty)"), "{human}");
    let human = g.ok(&["show", "p", "--version", "2"]).stdout;
    assert!(human.contains(&format!("v2 by {USER}")), "{human}");
    assert!(human.contains(": two"), "{human}");

    let out = g.fails(&["show", "p", "--version", "9"], 1);
    assert!(
        out.stderr.contains("has no version 9 (latest is 2)"),
        "{}",
        out.stderr
    );
    g.ok(&["discard", "p"]);
    let out = g.fails(&["show", "p", "--draft"], 1);
    assert!(out.stderr.contains("no draft of `p`"), "{}", out.stderr);
    let out = g.fails(&["show", "nope"], 1);
    assert!(out.stderr.contains("no prompt `nope`"), "{}", out.stderr);
}

#[test]
fn show_lists_variables_with_their_declarations() {
    let g = Galley::new();
    let file = g.write("typed.md", common::TYPED_PROMPT);
    g.ok(&["import", file.to_str().unwrap()]);
    let show = g.json(&["show", "greet/typed"]);
    let vars = show["variables_used"].as_array().unwrap();
    let find = |n: &str| vars.iter().find(|v| v["name"] == n).unwrap().clone();
    assert_eq!(find("count")["declared"], true);
    assert_eq!(find("count")["spec"]["type"], "number");
    assert_eq!(find("signer")["declared"], false, "found in the text only");
    assert_eq!(find("signer")["spec"]["type"], "string");
    let human = g.ok(&["show", "greet/typed"]).stdout;
    let signer = human.lines().find(|l| l.contains("signer")).unwrap();
    assert!(
        signer.contains("required") && signer.contains("undeclared"),
        "{signer}"
    );
    let loud = human
        .lines()
        .find(|l| l.trim_start().starts_with("loud"))
        .unwrap();
    assert!(
        loud.contains("boolean") && loud.contains("optional"),
        "{loud}"
    );
    assert!(loud.contains("default false"), "{loud}");
}

#[test]
fn set_selects_sections_by_number_title_and_kind() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    let out = g.ok(&["set", "p", "2", "--text", "By number"]);
    assert!(out.stdout.contains("saved to your draft"), "{}", out.stdout);
    g.ok(&["set", "p", "output format", "--text", "By title"]);
    g.ok(&["set", "p", "guardrails", "--text", "By kind"]);
    let file = g.write("body.txt", "From a file\nsecond line\n");
    g.ok(&["set", "p", "Role", "--file", file.to_str().unwrap()]);
    let out = g.run_stdin(&["set", "p", "instructions", "--file", "-"], "From stdin\n");
    assert_eq!(out.code, 0, "{out:#?}");

    let got = sections(&g, &["p", "--draft"]);
    let bodies: Vec<&str> = got.iter().map(|s| s.2.as_str()).collect();
    assert_eq!(
        bodies,
        [
            "From a file\nsecond line",
            "By number",
            "From stdin",
            "By kind",
            "By title"
        ]
    );
    // The latest version is untouched until a commit.
    assert_eq!(body(&g, &["p", "--version", "1"], 1), "");

    let json = g.json(&["set", "p", "2", "--text", "By number"]);
    assert_eq!(json["change"], "unchanged");
    let json = g.json(&["set", "p", "2", "--text", "Changed"]);
    assert_eq!(json["change"], "saved");
    assert_eq!(json["section"], "2");
}

#[test]
fn set_refuses_an_unknown_section_and_lists_the_sections() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    let out = g.fails(&["set", "p", "epilogue", "--text", "x"], 1);
    assert!(
        out.stderr.contains("no section `epilogue`"),
        "{}",
        out.stderr
    );
    for listed in [
        "1 `Role`",
        "2 `Context`",
        "3 `Instructions`",
        "4 `Guardrails`",
        "5 `Output format`",
    ] {
        assert!(
            out.stderr.contains(listed),
            "{listed} missing: {}",
            out.stderr
        );
    }
    let out = g.fails(&["set", "p", "7", "--text", "x"], 1);
    assert!(out.stderr.contains("no section 7"), "{}", out.stderr);
    assert!(!has_draft(&g, "p"), "a refused set writes nothing");

    let out = g.fails(&["set", "p", "role", "--file", "missing.txt"], 1);
    assert!(out.stderr.contains("missing.txt"), "{}", out.stderr);
    let out = g.fails(&["set", "nope", "role", "--text", "x"], 1);
    assert!(out.stderr.contains("no prompt `nope`"), "{}", out.stderr);
    // Neither --text nor --file, or both: usage errors.
    g.fails(&["set", "p", "role"], 2);
    g.fails(&["set", "p", "role", "--text", "a", "--file", "b"], 2);
    assert!(!has_draft(&g, "p"));
}

#[test]
fn commit_turns_the_draft_into_the_next_version() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "You are terse."]);
    g.ok(&["set", "p", "context", "--text", "Line one\nLine two"]);
    let out = g.ok(&["commit", "p", "-m", "Say who we are"]);
    assert!(out.stdout.starts_with("Committed p v2 "), "{}", out.stdout);
    assert!(
        out.stdout.contains("2 sections changed, +3 −0 lines"),
        "{}",
        out.stdout
    );
    assert!(!has_draft(&g, "p"), "committing consumes the draft");

    g.ok(&["set", "p", "role", "--text", "You are verbose."]);
    let json = g.json(&["commit", "p", "--message", "Be verbose"]);
    assert_eq!(json["version"], 3);
    assert_eq!(json["parent"], 2);
    assert_eq!(json["stats"]["sections_modified"], 1);
    assert_eq!(json["stats"]["lines_added"], 1);
    assert_eq!(json["stats"]["lines_removed"], 1);
    assert_eq!(json["hash"], g.json(&["show", "p"])["hash"]);

    let log = g.json(&["log", "p"]);
    assert_eq!(log["versions"][0]["message"], "Be verbose");
    assert_eq!(log["versions"][1]["message"], "Say who we are");
    assert_eq!(body(&g, &["p", "--version", "2"], 0), "You are terse.");
    assert_eq!(body(&g, &["p", "--version", "3"], 0), "You are verbose.");

    let out = g.fails(&["commit", "p", "-m", "again"], 1);
    assert!(out.stderr.contains("no draft of `p`"), "{}", out.stderr);
    // -m is required.
    g.ok(&["set", "p", "role", "--text", "x"]);
    g.fails(&["commit", "p"], 2);
    assert_eq!(version_count(&g, "p"), 3);
}

#[test]
fn commit_refuses_a_blank_message() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "You are terse."]);
    for message in ["", "   ", "\n\t"] {
        let out = g.fails(&["commit", "p", "-m", message], 1);
        assert_eq!(
            out.stderr.trim(),
            "error: a commit needs a message: say what changed and why",
            "{message:?}"
        );
    }
    assert_eq!(version_count(&g, "p"), 1);
    assert!(has_draft(&g, "p"), "a refused commit keeps the draft");
    g.ok(&["commit", "p", "-m", " Be terse "]);
    assert_eq!(g.json(&["log", "p"])["versions"][0]["message"], "Be terse");
}

#[test]
fn commit_refuses_a_template_that_does_not_compile() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "instructions", "--text", "ok\nHello {{ name"]);
    let out = g.fails(&["commit", "p", "-m", "broken"], 1);
    assert!(
        out.stderr.contains("section `Instructions`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("line 2"), "{}", out.stderr);
    assert_eq!(version_count(&g, "p"), 1);
    assert!(has_draft(&g, "p"), "the draft is kept to be fixed");
}

#[test]
fn commit_refuses_a_draft_identical_to_the_latest_version() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    // My draft starts from v1 ...
    g.ok(&["set", "p", "role", "--text", "mine"]);
    // ... someone else commits v2 ...
    ok_as(&g, "bob", &["set", "p", "role", "--text", "theirs"]);
    ok_as(&g, "bob", &["commit", "p", "-m", "bob's"]);
    // ... and I happen to end up with exactly their text.
    g.ok(&["set", "p", "role", "--text", "theirs"]);
    assert!(has_draft(&g, "p"));
    let out = g.fails(&["commit", "p", "-m", "same"], 1);
    assert!(
        out.stderr
            .contains("nothing to commit: your draft of `p` is identical to version 2"),
        "{}",
        out.stderr
    );
    let out = g.fails(&["commit", "p", "-m", "same", "--force"], 1);
    assert!(out.stderr.contains("nothing to commit"), "{}", out.stderr);
    assert_eq!(version_count(&g, "p"), 2);

    // Setting a body back to the latest version drops the draft: nothing to commit either.
    g.ok(&["discard", "p"]);
    g.ok(&["set", "p", "role", "--text", "changed"]);
    let json = g.json(&["set", "p", "role", "--text", "theirs"]);
    assert_eq!(json["change"], "matches_latest");
    assert!(!has_draft(&g, "p"));
}

#[test]
fn a_stale_draft_is_refused_until_forced() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "alice's role"]);
    ok_as(&g, "bob", &["set", "p", "role", "--text", "bob's role"]);
    ok_as(&g, "bob", &["commit", "p", "-m", "bob was first"]);

    let out = g.fails(&["commit", "p", "-m", "alice"], 1);
    for part in [
        "started from version 1",
        "bob has since committed version 2",
        "galley diff p 2 draft",
        "--force",
    ] {
        assert!(out.stderr.contains(part), "{part} missing: {}", out.stderr);
    }
    assert_eq!(version_count(&g, "p"), 2);
    assert!(has_draft(&g, "p"), "a refused commit keeps the draft");

    let json = g.json(&["commit", "p", "-m", "alice wins", "--force"]);
    assert_eq!(json["version"], 3);
    let log = g.json(&["log", "p"]);
    assert_eq!(log["versions"][0]["author"], USER);
    assert_eq!(log["versions"][1]["author"], "bob");
    assert_eq!(body(&g, &["p"], 0), "alice's role");
}

#[test]
fn discard_throws_the_draft_away() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "temporary"]);
    let out = g.ok(&["discard", "p"]);
    assert_eq!(out.stdout.trim(), "Discarded your draft of p.");
    assert!(!has_draft(&g, "p"));
    assert_eq!(body(&g, &["p"], 0), "");
    let out = g.ok(&["discard", "p"]);
    assert_eq!(out.stdout.trim(), "You have no draft of p.");
    assert_eq!(
        g.json(&["discard", "p"]),
        serde_json::json!({"name": "p", "discarded": false})
    );
    g.ok(&["set", "p", "role", "--text", "again"]);
    assert_eq!(
        g.json(&["discard", "p"]),
        serde_json::json!({"name": "p", "discarded": true})
    );
    // Another user's draft is theirs: discarding mine leaves it.
    ok_as(&g, "bob", &["set", "p", "role", "--text", "bob's"]);
    g.ok(&["discard", "p"]);
    assert_eq!(
        json_as(&g, "bob", &["show", "p"])["content"]["sections"][0]["body"],
        "bob's"
    );
    let out = g.fails(&["discard", "nope"], 1);
    assert!(out.stderr.contains("no prompt `nope`"), "{}", out.stderr);
}

#[test]
fn log_lists_versions_newest_first() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    // Drafts are per user: my draft is not bob's to commit.
    g.ok(&["set", "p", "role", "--text", "mine"]);
    let out = run_as(&g, "bob", &["commit", "p", "-m", "Second"]);
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(
        out.stderr.contains("you have no draft of `p`"),
        "{}",
        out.stderr
    );
    g.ok(&["discard", "p"]);
    ok_as(&g, "bob", &["set", "p", "role", "--text", "two"]);
    ok_as(&g, "bob", &["commit", "p", "-m", "Second"]);
    g.ok(&["set", "p", "role", "--text", "three"]);
    g.ok(&["commit", "p", "-m", "Third"]);

    let log = g.json(&["log", "p"]);
    assert_eq!(log["name"], "p");
    assert_eq!(log["has_draft"], false);
    let versions = log["versions"].as_array().unwrap();
    let numbers: Vec<u64> = versions
        .iter()
        .map(|v| v["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1]);
    assert_eq!(versions[0]["parent"], 2);
    assert_eq!(versions[2]["parent"], Value::Null);
    assert_eq!(versions[2]["message"], "Created");
    for v in versions {
        assert_eq!(v["content_hash"].as_str().unwrap().len(), 64);
        assert!(v["created_at"].as_str().unwrap().contains('T'));
    }
    assert_eq!(versions[1]["author"], "bob");
    assert_eq!(versions[0]["author"], USER);

    g.ok(&["set", "p", "role", "--text", "four"]);
    let human = g.ok(&["log", "p"]).stdout;
    let lines: Vec<&str> = human.lines().collect();
    assert_eq!(lines[0], "p");
    assert!(
        lines[1].starts_with("VER") && lines[1].contains("MESSAGE"),
        "{human}"
    );
    assert!(
        lines[2].starts_with("draft") && lines[2].contains("(uncommitted)"),
        "{human}"
    );
    assert!(
        lines[3].starts_with("v3") && lines[3].ends_with("Third"),
        "{human}"
    );
    assert!(
        lines[5].starts_with("v1") && lines[5].ends_with("Created"),
        "{human}"
    );
    let short = &versions[0]["content_hash"].as_str().unwrap()[..10];
    assert!(lines[3].contains(short), "{human}");
    let out = g.fails(&["log", "nope"], 1);
    assert!(out.stderr.contains("no prompt `nope`"), "{}", out.stderr);
}

#[test]
fn identity_and_workspace_come_from_flags_env_and_config() {
    let g = Galley::new();
    g.ok(&["--user", "carol", "new", "a"]);
    assert_eq!(g.json(&["log", "a"])["versions"][0]["author"], "carol");

    // With neither --user nor GALLEY_USER, the config's user.name, and its workspace.db.
    let other_db = g.path("from-config.db");
    let config = g.write(
        "config.toml",
        &format!(
            "[user]\nname = \"dora\"\n\n[workspace]\ndb = \"{}\"\n",
            other_db.display()
        ),
    );
    let mut cmd = g.bare_command();
    cmd.env_remove("GALLEY_USER")
        .env("GALLEY_CONFIG", &config)
        .args(["--json", "new", "b"]);
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(other_db.is_file(), "the config's workspace.db is used");
    let mut cmd = g.bare_command();
    cmd.env("GALLEY_DB", &other_db).args(["--json", "log", "b"]);
    let log = g.run_cmd(cmd).json();
    assert_eq!(log["versions"][0]["author"], "dora");

    // GALLEY_DB beats the config; --db beats GALLEY_DB.
    let mut cmd = g.bare_command();
    cmd.env("GALLEY_CONFIG", &config)
        .env("GALLEY_DB", g.db())
        .args(["--json", "list"]);
    let names = g.run_cmd(cmd).json();
    assert_eq!(names[0]["name"], "a");
    let mut cmd = g.bare_command();
    cmd.env("GALLEY_DB", g.db())
        .arg("--db")
        .arg(&other_db)
        .args(["--json", "list"]);
    let names = g.run_cmd(cmd).json();
    assert_eq!(names[0]["name"], "b");

    // A broken config is reported, naming the file.
    let broken = g.write("broken.toml", "[user\nname = 1\n");
    let mut cmd = g.command();
    cmd.env("GALLEY_CONFIG", &broken).arg("list");
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("broken.toml"), "{}", out.stderr);
}

// ---- edit -------------------------------------------------------------------------------------

fn edit_with(g: &Galley, editor: &std::path::Path, name: &str) -> common::Out {
    let mut cmd = g.command();
    cmd.env("EDITOR", editor).args(["edit", name]);
    g.run_cmd(cmd)
}

#[test]
fn edit_runs_the_editor_on_the_draft_and_stores_it() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "You are old."]);
    g.ok(&["commit", "p", "-m", "v2"]);
    let editor = g.script(
        "editor.sh",
        "sed -i 's/You are old./You are new./; s/^## Context {kind=context}$/## Background {kind=context}/' \"$1\"",
    );
    let out = edit_with(&g, &editor, "p");
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("saved to your draft"), "{}", out.stdout);
    assert!(out.stdout.contains("galley commit p -m"), "{}", out.stdout);
    let got = sections(&g, &["p", "--draft"]);
    assert_eq!(got[0].2, "You are new.");
    assert_eq!(got[1].1, "Background");
    assert_eq!(body(&g, &["p", "--version", "2"], 0), "You are old.");

    // An editor that changes nothing changes nothing.
    let noop = g.script("noop.sh", "true");
    let before = g.json(&["show", "p", "--draft"])["hash"].clone();
    let out = edit_with(&g, &noop, "p");
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("No changes to p."), "{}", out.stdout);
    assert_eq!(g.json(&["show", "p", "--draft"])["hash"], before);
}

#[test]
fn edit_prefers_visual_over_editor() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    let visual = g.script(
        "visual.sh",
        "sed -i 's/^## Role {kind=role}$/## Persona {kind=role}/' \"$1\"",
    );
    let mut cmd = g.command();
    cmd.env("VISUAL", &visual)
        .env("EDITOR", "false")
        .args(["edit", "p"]);
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(sections(&g, &["p", "--draft"])[0].1, "Persona");
}

#[test]
fn edit_with_an_unparseable_result_keeps_the_text_and_says_where() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "Keep me"]);
    let editor = g.script(
        "break.sh",
        "sed -i 's/{kind=context}/{kind=nonsense}/; s/Keep me/Typed by hand/' \"$1\"",
    );
    let out = edit_with(&g, &editor, "p");
    assert_eq!(out.code, 1, "{out:#?}");
    // The file is: +++, name, type, +++, blank, ## Role, blank, body, blank, ## Context.
    assert!(out.stderr.contains("line 10"), "{}", out.stderr);
    assert!(out.stderr.contains("nonsense"), "{}", out.stderr);
    let kept = out
        .stderr
        .split_whitespace()
        .find(|w| w.ends_with(".md") && w.starts_with('/'))
        .unwrap_or_else(|| panic!("no kept file path in: {}", out.stderr));
    let kept = std::path::Path::new(kept);
    assert!(
        kept.starts_with(g.dir()),
        "kept file {} is outside the test's state dir",
        kept.display()
    );
    let text = std::fs::read_to_string(kept).expect("the kept file exists");
    assert!(text.contains("Typed by hand"), "{text}");
    assert!(text.contains("{kind=nonsense}"), "{text}");
    // The draft is untouched.
    assert_eq!(body(&g, &["p", "--draft"], 0), "Keep me");
}

#[test]
fn edit_with_a_failing_editor_saves_nothing() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    let editor = g.script("fail.sh", "sed -i 's/Role/Changed/' \"$1\"; exit 3");
    let out = edit_with(&g, &editor, "p");
    assert_eq!(out.code, 1, "{out:#?}");
    assert!(out.stderr.contains("nothing was saved"), "{}", out.stderr);
    assert!(!has_draft(&g, "p"));
    let out = edit_with(&g, &editor, "nope");
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no prompt `nope`"), "{}", out.stderr);
}

#[test]
fn two_failed_edits_keep_both_texts() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    let first = g.script(
        "first.sh",
        "sed -i 's/{kind=role}/{kind=bad}/; s/^$/FIRST/' \"$1\"",
    );
    let second = g.script(
        "second.sh",
        "sed -i 's/{kind=role}/{kind=bad}/; s/^$/SECOND/' \"$1\"",
    );
    let kept = |out: &common::Out| {
        out.stderr
            .split_whitespace()
            .find(|w| w.ends_with(".md") && w.starts_with('/'))
            .unwrap()
            .to_string()
    };
    let a = edit_with(&g, &first, "p");
    let b = edit_with(&g, &second, "p");
    assert_eq!((a.code, b.code), (1, 1));
    let text_a = std::fs::read_to_string(kept(&a)).unwrap();
    assert!(
        text_a.contains("FIRST"),
        "the first edit's text was lost: {text_a}"
    );
    assert_ne!(kept(&a), kept(&b), "both edits were kept in one file");
    let text_b = std::fs::read_to_string(kept(&b)).unwrap();
    assert!(
        text_b.contains("SECOND") && !text_b.contains("FIRST"),
        "{text_b}"
    );
    // Many failed edits in a row (most of them in the same second) each keep their own file.
    let names: std::collections::BTreeSet<String> = (0..5)
        .map(|_| {
            let out = edit_with(&g, &first, "p");
            assert_eq!(out.code, 1, "{out:#?}");
            kept(&out)
        })
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
}

#[test]
fn a_commit_made_while_editing_makes_the_draft_stale() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "old role"]);
    g.ok(&["commit", "p", "-m", "v2"]);
    // While I am in my editor, bob commits a change to another section.
    let galley = env!("CARGO_BIN_EXE_galley");
    let db = g.db().display().to_string();
    let editor = g.script(
        "slow-editor.sh",
        &format!(
            "'{galley}' --db '{db}' --user bob set p context --text 'bob context' >/dev/null &&\n\
             '{galley}' --db '{db}' --user bob commit p -m 'bob adds context' >/dev/null &&\n\
             sed -i 's/old role/new role/' \"$1\""
        ),
    );
    let out = edit_with(&g, &editor, "p");
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(g.latest("p"), 3, "bob's commit landed");
    // My draft was read from v2: committing it would silently undo bob's v3.
    let out = g.run(&["commit", "p", "-m", "mine"]);
    assert_eq!(
        out.code,
        1,
        "bob's context was silently reverted: {:?}",
        body(&g, &["p"], 1)
    );
    assert!(
        out.stderr.contains("started from version 2"),
        "{}",
        out.stderr
    );
}
