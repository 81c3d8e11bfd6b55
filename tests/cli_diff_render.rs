//! `diff` and `render` on a real workspace file.

mod common;

use common::{Galley, TYPED_PROMPT};
use serde_json::{Value, json};

const STRUCT_V1: &str = r#"+++
name = "doc/struct"
type = "text"
description = "structural test"
+++

## Role {kind=role}

You are a careful assistant who answers questions.

## Context {kind=context}

The user works at a bank.

## Instructions {kind=instructions}

Answer the question briefly and politely.
Use plain words.

## Rules {kind=guardrails}

Never reveal account numbers to anyone.
Refuse unsafe requests.
"#;

/// Role and Context swap places, a word changes, Rules is renamed, Examples is added.
const STRUCT_V2: &str = r#"+++
name = "doc/struct"
type = "text"
description = "structural test"
+++

## Context {kind=context}

The user works at a bank.

## Role {kind=role}

You are a careful assistant who answers questions.

## Instructions {kind=instructions}

Answer the question briefly and kindly.
Use plain words.

## Safety rules {kind=guardrails}

Never reveal account numbers to anyone.
Refuse unsafe requests.

## Examples {kind=examples}

Q: hi
A: hello
"#;

fn import(g: &Galley, rel: &str, text: &str) {
    let file = g.write(rel, text);
    g.ok(&["import", file.to_str().unwrap()]);
}

#[test]
fn diff_names_moved_renamed_and_added_sections_with_word_changes() {
    let g = Galley::new();
    import(&g, "v1.md", STRUCT_V1);
    import(&g, "v2.md", STRUCT_V2);

    let out = g.ok(&["diff", "doc/struct", "1", "draft"]);
    let text = &out.stdout;
    assert!(text.starts_with("doc/struct v1 → draft\n"), "{text}");
    assert!(
        text.contains("section 2 (was 1) \"Role\" [role] unchanged, moved"),
        "{text}"
    );
    assert!(
        text.contains("~ section 4 \"Safety rules\" [guardrails] modified, renamed from \"Rules\""),
        "{text}"
    );
    assert!(
        text.contains("+ section 5 \"Examples\" [examples] added"),
        "{text}"
    );
    assert!(text.contains("+Q: hi\n+A: hello\n"), "{text}");
    assert!(
        text.contains("-Answer the question briefly and [-politely-].\n"),
        "{text}"
    );
    assert!(
        text.contains("+Answer the question briefly and {+kindly+}.\n"),
        "{text}"
    );
    assert!(text.contains(" Use plain words.\n"), "context line: {text}");
    // Unchanged, unmoved sections are not printed.
    assert!(!text.contains("\"Context\""), "{text}");
    assert!(
        text.trim_end()
            .ends_with("sections: 1 added, 2 modified, 1 renamed, 1 moved · +3 -1"),
        "{text}"
    );

    let json = g.json(&["diff", "doc/struct", "1", "draft"]);
    assert_eq!(json["name"], "doc/struct");
    assert_eq!(json["from"], json!({"number": 1}));
    assert_eq!(json["to"], "draft");
    let diff = &json["diff"];
    let mut keys: Vec<&str> = diff
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, ["fields", "sections", "stats"]);
    assert_eq!(diff["fields"], json!([]));
    assert_eq!(
        diff["stats"],
        json!({
            "sections_added": 1, "sections_removed": 0, "sections_modified": 2,
            "sections_renamed": 1, "sections_moved": 1, "lines_added": 3, "lines_removed": 1
        })
    );
    let summary: Vec<(String, String, Value, bool)> = diff["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["status"].as_str().unwrap().to_string(),
                s["title"].as_str().unwrap().to_string(),
                s["renamed_from"].clone(),
                s["moved"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("unchanged".into(), "Context".into(), Value::Null, false),
            ("unchanged".into(), "Role".into(), Value::Null, true),
            ("modified".into(), "Instructions".into(), Value::Null, false),
            (
                "modified".into(),
                "Safety rules".into(),
                json!("Rules"),
                false
            ),
            ("added".into(), "Examples".into(), Value::Null, false),
        ]
    );
    let instructions = &diff["sections"][2];
    assert_eq!(instructions["old_index"], 2);
    assert_eq!(instructions["new_index"], 2);
    let deleted = instructions["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["tag"] == "delete")
        .unwrap();
    let emphasized: Vec<&str> = deleted["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["emphasized"] == true)
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(emphasized, ["politely"]);
    assert_eq!(diff["sections"][4]["old_index"], Value::Null);

    // Committed, the same change diffs the same between version numbers.
    g.ok(&["commit", "doc/struct", "-m", "restructure"]);
    let committed = g.json(&["diff", "doc/struct", "1", "2"]);
    assert_eq!(committed["diff"], json["diff"]);
    assert_eq!(committed["to"], json!({"number": 2}));
}

#[test]
fn diff_reports_removed_sections_and_field_changes() {
    let g = Galley::new();
    import(&g, "v1.md", STRUCT_V1);
    let v2 = STRUCT_V1
        .replace("description = \"structural test\"", "description = \"changed\"\n\n[config]\ntemperature = 0.5")
        .replace(
            "## Rules {kind=guardrails}\n\nNever reveal account numbers to anyone.\nRefuse unsafe requests.\n",
            "",
        );
    import(&g, "v2.md", &v2);
    let json = g.json(&["diff", "doc/struct", "1", "draft"]);
    let fields: Vec<&str> = json["diff"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["description", "config"]);
    assert_eq!(json["diff"]["stats"]["sections_removed"], 1);
    let removed = json["diff"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "removed")
        .unwrap();
    assert_eq!(removed["title"], "Rules");
    assert_eq!(removed["new_index"], Value::Null);

    let text = g.ok(&["diff", "doc/struct", "1", "draft"]).stdout;
    assert!(text.contains("~ description"), "{text}");
    assert!(text.contains("-structural test\n+changed\n"), "{text}");
    assert!(text.contains("~ config"), "{text}");
    assert!(
        text.contains("- section 4 (old) \"Rules\" [guardrails] removed"),
        "{text}"
    );
    assert!(text.contains("-Refuse unsafe requests."), "{text}");
}

#[test]
fn diff_of_identical_versions_and_context_lines() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    let body: Vec<String> = (1..=12).map(|i| format!("line {i}")).collect();
    g.ok(&["set", "p", "role", "--text", &body.join("\n")]);
    g.ok(&["commit", "p", "-m", "twelve lines"]);
    let out = g.ok(&["diff", "p", "2", "2"]);
    assert_eq!(out.stdout, "p v2 → v2\nno differences\n");
    assert_eq!(
        g.json(&["diff", "p", "2", "latest"])["diff"]["sections"][0]["status"],
        "unchanged"
    );

    let mut changed = body.clone();
    changed[6] = "line seven".into();
    g.ok(&["set", "p", "role", "--text", &changed.join("\n")]);
    let default = g.ok(&["diff", "p", "2", "draft"]).stdout;
    assert!(default.contains("@@ -4,7 +4,7 @@"), "{default}");
    assert!(
        default.contains(" line 4\n") && !default.contains(" line 3\n"),
        "{default}"
    );
    let tight = g.ok(&["diff", "p", "2", "draft", "-U", "0"]).stdout;
    assert!(tight.contains("@@ -7,1 +7,1 @@"), "{tight}");
    assert!(!tight.contains(" line 6\n"), "{tight}");
    assert!(tight.contains("-line [-7-]\n+line {+seven+}\n"), "{tight}");
}

#[test]
fn diff_refuses_missing_versions_and_bad_arguments() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    let out = g.fails(&["diff", "p", "1", "99"], 1);
    assert!(
        out.stderr.contains("has no version 99 (latest is 1)"),
        "{}",
        out.stderr
    );
    let out = g.fails(&["diff", "p", "1", "draft"], 1);
    assert!(out.stderr.contains("no draft of `p`"), "{}", out.stderr);
    let out = g.fails(&["diff", "p", "1", "yesterday"], 2);
    assert!(
        out.stderr.contains("`yesterday` is not a version"),
        "{}",
        out.stderr
    );
    g.fails(&["diff", "p", "1"], 2);
    g.fails(&["diff", "p", "0", "1"], 2);
}

// ---- render -----------------------------------------------------------------------------------

fn typed(g: &Galley) {
    import(g, "typed.md", TYPED_PROMPT);
}

#[test]
fn render_types_variables_by_their_declarations() {
    let g = Galley::new();
    typed(&g);
    let out = g.ok(&[
        "render",
        "greet/typed",
        "--var",
        "who=Ann",
        "--var",
        "count=3",
        "--var",
        "signer=Bo",
    ]);
    assert_eq!(
        out.stdout,
        "## Instructions\n\nGreet Ann 3 times.\n\n## Signature\n\nSigned: Bo\n"
    );
    let out = g.ok(&[
        "render",
        "greet/typed",
        "--var",
        "who=Ann",
        "--var",
        "count=2.5",
        "--var",
        "signer=Bo",
        "--var",
        "loud=yes",
    ]);
    assert!(
        out.stdout.contains("Greet Ann 2.5 times. LOUDLY\n"),
        "{}",
        out.stdout
    );

    let json = g.json(&[
        "render",
        "greet/typed",
        "--var",
        "who=Ann",
        "--var",
        "count=3",
        "--var",
        "signer=Bo",
    ]);
    assert_eq!(json["name"], "greet/typed");
    assert_eq!(json["version"], 1);
    assert_eq!(json["type"], "text");
    assert_eq!(json["hash"], g.json(&["show", "greet/typed"])["hash"]);
    assert_eq!(
        json["text"],
        "## Instructions\n\nGreet Ann 3 times.\n\n## Signature\n\nSigned: Bo"
    );
    // Typed values, and the default that filled `loud`.
    assert_eq!(
        json["variables"],
        json!({"who": "Ann", "count": 3, "loud": false, "signer": "Bo"})
    );
}

#[test]
fn render_reads_variables_from_a_json_file_and_var_wins() {
    let g = Galley::new();
    typed(&g);
    let vars = g.write(
        "vars.json",
        r#"{"who": "Ann", "count": 2, "loud": true, "signer": "File"}"#,
    );
    let vars = vars.to_str().unwrap();
    let out = g.ok(&["render", "greet/typed", "--vars", vars]);
    assert!(
        out.stdout.contains("Greet Ann 2 times. LOUDLY"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("Signed: File"), "{}", out.stdout);
    let out = g.ok(&[
        "render",
        "greet/typed",
        "--vars",
        vars,
        "--var",
        "signer=Flag",
    ]);
    assert!(out.stdout.contains("Signed: Flag"), "{}", out.stdout);
    let out = g.run_stdin(
        &["render", "greet/typed", "--vars", "-"],
        r#"{"who": "Stdin", "count": 1, "signer": "S"}"#,
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        out.stdout.contains("Greet Stdin 1 times."),
        "{}",
        out.stdout
    );

    let bad = g.write("bad.json", "{ not json");
    let out = g.fails(
        &["render", "greet/typed", "--vars", bad.to_str().unwrap()],
        1,
    );
    assert!(out.stderr.contains("not valid JSON"), "{}", out.stderr);
    let list = g.write("list.json", "[1, 2]");
    let out = g.fails(
        &["render", "greet/typed", "--vars", list.to_str().unwrap()],
        1,
    );
    assert!(
        out.stderr.contains("must be a JSON object"),
        "{}",
        out.stderr
    );
    let out = g.fails(&["render", "greet/typed", "--vars", "no-such.json"], 1);
    assert!(out.stderr.contains("no-such.json"), "{}", out.stderr);
}

#[test]
fn render_refuses_values_of_the_wrong_type_naming_the_variable() {
    let g = Galley::new();
    typed(&g);
    let base = [
        "render",
        "greet/typed",
        "--var",
        "who=Ann",
        "--var",
        "signer=Bo",
    ];
    let mut args = base.to_vec();
    args.extend(["--var", "count=3", "--var", "loud=1"]);
    let out = g.fails(&args, 1);
    assert!(
        out.stderr
            .contains("variable `loud` expects a boolean, got `1`"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "", "nothing is rendered");

    let mut args = base.to_vec();
    args.extend(["--var", "count=three"]);
    let out = g.fails(&args, 1);
    assert!(
        out.stderr.contains("variable `count` expects a number"),
        "{}",
        out.stderr
    );

    let vars = g.write("vars.json", r#"{"count": 3, "loud": 5}"#);
    let mut args = base.to_vec();
    args.extend(["--vars", vars.to_str().unwrap()]);
    let out = g.fails(&args, 1);
    assert!(
        out.stderr
            .contains("variable `loud` expects a boolean, got a number `5`"),
        "{}",
        out.stderr
    );

    let mut args = base.to_vec();
    args.extend(["--var", "count=3", "--var", "no_equals_sign"]);
    let out = g.fails(&args, 1);
    assert!(out.stderr.contains("NAME=VALUE"), "{}", out.stderr);
}

#[test]
fn render_names_a_missing_variable_and_its_section() {
    let g = Galley::new();
    typed(&g);
    let out = g.fails(
        &[
            "render",
            "greet/typed",
            "--var",
            "who=Ann",
            "--var",
            "count=3",
        ],
        1,
    );
    assert!(
        out.stderr
            .contains("missing variable `signer` (used in section `Signature`)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--var signer="), "{}", out.stderr);
    let out = g.fails(
        &[
            "render",
            "greet/typed",
            "--var",
            "count=3",
            "--var",
            "signer=Bo",
        ],
        1,
    );
    assert!(
        out.stderr
            .contains("missing variable `who` (used in section `Instructions`)"),
        "{}",
        out.stderr
    );
}

#[test]
fn render_names_the_section_line_and_column_of_a_syntax_error() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "Fine."]);
    g.ok(&["commit", "p", "-m", "fine"]);
    g.ok(&[
        "set",
        "p",
        "instructions",
        "--text",
        "ok\nHello {{ name }} {% endif %}",
    ]);
    let out = g.fails(&["render", "p", "--draft", "--var", "name=x"], 1);
    assert!(
        out.stderr
            .contains("template error in section `Instructions` (line 2, column 21)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("endif"), "{}", out.stderr);
    // The committed version still renders.
    let out = g.ok(&["render", "p"]);
    assert_eq!(out.stdout, "## Role\n\nFine.\n");
    // ... and the draft, once fixed.
    g.ok(&["set", "p", "instructions", "--text", "ok\nHello {{ name }}"]);
    let out = g.ok(&["render", "p", "--draft", "--var", "name=x"]);
    assert_eq!(
        out.stdout,
        "## Role\n\nFine.\n\n## Instructions\n\nok\nHello x\n"
    );
    let json = g.json(&["render", "p", "--draft", "--var", "name=x"]);
    assert_eq!(json["version"], Value::Null);
    assert_eq!(json["source"], json!({"draft": {"base": 2}}));
}

#[test]
fn render_picks_a_version() {
    let g = Galley::new();
    g.ok(&["new", "p"]);
    g.ok(&["set", "p", "role", "--text", "First."]);
    g.ok(&["commit", "p", "-m", "2"]);
    g.ok(&["set", "p", "role", "--text", "Second."]);
    g.ok(&["commit", "p", "-m", "3"]);
    assert_eq!(g.ok(&["render", "p"]).stdout, "## Role\n\nSecond.\n");
    assert_eq!(
        g.ok(&["render", "p", "--version", "2"]).stdout,
        "## Role\n\nFirst.\n"
    );
    let json = g.json(&["render", "p", "-v", "2"]);
    assert_eq!(json["version"], 2);
    assert_eq!(
        json["hash"],
        g.json(&["log", "p"])["versions"][1]["content_hash"]
    );
    let out = g.fails(&["render", "p", "--version", "7"], 1);
    assert!(out.stderr.contains("no version 7"), "{}", out.stderr);
    let out = g.fails(&["render", "nope"], 1);
    assert!(out.stderr.contains("no prompt `nope`"), "{}", out.stderr);
}

#[test]
fn render_prints_chat_prompts_as_json_messages() {
    let g = Galley::new();
    g.ok(&["new", "support/bot", "--template", "support-agent"]);
    let vars = [
        "--var",
        "company=Acme",
        "--var",
        "product=Widgets",
        "--var",
        "policies=Refunds within 30 days.",
        "--var",
        "message=Where is my order?",
    ];
    let mut args = vec!["render", "support/bot"];
    args.extend(vars);
    let out = g.ok(&args);
    let messages: Value = serde_json::from_str(&out.stdout).expect("messages as JSON");
    let messages = messages.as_array().unwrap();
    let roles: Vec<&str> = messages
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user"]);
    let system = messages[0]["content"].as_str().unwrap();
    assert!(
        system.contains("Acme") && system.contains("Widgets"),
        "{system}"
    );
    assert!(system.contains("Refunds within 30 days."), "{system}");
    assert!(!system.contains("{{"), "{system}");
    assert!(
        messages[1]["content"]
            .as_str()
            .unwrap()
            .contains("Where is my order?"),
        "{out:#?}"
    );

    // A message placeholder is filled from a list of messages.
    let history = g.write(
        "history.json",
        r#"{"history": [{"role": "user", "content": "earlier question"},
                        {"role": "assistant", "content": "earlier answer"}]}"#,
    );
    let mut args = vec![
        "--json",
        "render",
        "support/bot",
        "--vars",
        history.to_str().unwrap(),
    ];
    args.extend(vars);
    let json = g.ok(&args).json();
    assert_eq!(json["type"], "chat");
    assert_eq!(json["version"], 1);
    assert!(json.get("text").is_none());
    let roles: Vec<&str> = json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant", "user"]);
    assert_eq!(json["messages"][1]["content"], "earlier question");
    assert_eq!(json["variables"]["company"], "Acme");

    // ... or from --var, typed as a list because it fills a placeholder.
    let history = r#"history=[{"role": "user", "content": "from the command line"}]"#;
    let mut args = vec!["--json", "render", "support/bot", "--var", history];
    args.extend(vars);
    let json = g.ok(&args).json();
    let roles: Vec<&str> = json["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "user"]);
    assert_eq!(json["messages"][1]["content"], "from the command line");
    // A value that is not a list is refused, naming the variable.
    let mut args = vec!["render", "support/bot", "--var", "history=hello"];
    args.extend(vars);
    let out = g.fails(&args, 1);
    assert!(
        out.stderr
            .contains("variable `history` expects a list, got `hello`"),
        "{}",
        out.stderr
    );
}

#[test]
fn render_resolves_snippets_and_reports_broken_includes() {
    let g = Galley::new();
    g.ok(&["new", "snippets/tone"]);
    g.ok(&[
        "set",
        "snippets/tone",
        "role",
        "--text",
        "Be warm with {{ who }}.",
    ]);
    g.ok(&["commit", "snippets/tone", "-m", "tone"]);
    g.ok(&["new", "main"]);
    g.ok(&[
        "set",
        "main",
        "instructions",
        "--text",
        "Help.\n{% include \"snippets/tone\" %}",
    ]);
    g.ok(&["commit", "main", "-m", "use tone"]);
    let out = g.ok(&["render", "main", "--var", "who=Ann"]);
    assert!(out.stdout.contains("Help.\n"), "{}", out.stdout);
    assert!(out.stdout.contains("Be warm with Ann."), "{}", out.stdout);
    // The snippet's variable is the including prompt's variable.
    let show = g.json(&["show", "main"]);
    let names: Vec<&str> = show["variables_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["who"]);
    let out = g.fails(&["render", "main"], 1);
    assert!(
        out.stderr.contains("missing variable `who`"),
        "{}",
        out.stderr
    );

    g.ok(&[
        "set",
        "main",
        "context",
        "--text",
        "{% include \"snippets/none\" %}",
    ]);
    let out = g.fails(&["render", "main", "--draft", "--var", "who=A"], 1);
    assert!(
        out.stderr
            .contains("section `Context` includes `snippets/none`, which is not a prompt"),
        "{}",
        out.stderr
    );
    g.ok(&["discard", "main"]);

    // Committing the include of an unknown snippet is refused.
    g.ok(&[
        "set",
        "main",
        "context",
        "--text",
        "{% include \"snippets/none\" %}",
    ]);
    let out = g.fails(&["commit", "main", "-m", "typo"], 1);
    assert!(
        out.stderr
            .contains("section `Context` includes `snippets/none`, which is not a prompt"),
        "{}",
        out.stderr
    );
    g.ok(&["discard", "main"]);

    // So is closing an include cycle: everything would stop rendering.
    g.ok(&[
        "set",
        "snippets/tone",
        "context",
        "--text",
        "{% include \"main\" %}",
    ]);
    let out = g.fails(&["commit", "snippets/tone", "-m", "cycle"], 1);
    assert_eq!(
        out.stderr.trim(),
        "error: include cycle: snippets/tone → main → snippets/tone"
    );
    assert_eq!(g.latest("snippets/tone"), 2);
    let out = g.ok(&["render", "main", "--var", "who=A"]);
    assert!(out.stdout.contains("Be warm with A."), "{}", out.stdout);

    // Imported prompts are created one by one (by name), so a cycle can still arrive that way;
    // rendering then names it.
    let dir = g.path("loop");
    g.write(
        "loop/a.md",
        "+++\ntype = \"text\"\n+++\n\n## A {kind=custom}\n\n{% include \"b\" %}\n",
    );
    g.write(
        "loop/b.md",
        "+++\ntype = \"text\"\n+++\n\n## B {kind=custom}\n\n{% include \"a\" %}\n",
    );
    g.ok(&["import", dir.to_str().unwrap()]);
    let out = g.fails(&["render", "a"], 1);
    assert!(
        out.stderr.contains("include cycle: a → b → a"),
        "{}",
        out.stderr
    );
}
