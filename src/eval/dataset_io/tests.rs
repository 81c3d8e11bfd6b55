//! JSONL, CSV and YAML: the fixtures read exactly, round trips, format names, and bad input.

use std::path::Path;

use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};

use super::*;
use crate::domain::eval::AssertionSpec;
use crate::eval::assertions::KINDS;

const JSONL: &str = include_str!("../../../tests/fixtures/datasets/support.jsonl");
const CSV: &str = include_str!("../../../tests/fixtures/datasets/support.csv");
const YAML: &str = include_str!("../../../tests/fixtures/datasets/support.yaml");

pub(super) fn vars(pairs: &[(&str, &str)]) -> Map<String, Json> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Json::String(v.to_string())))
        .collect()
}

pub(super) fn a(kind: &str, value: Json) -> AssertionSpec {
    AssertionSpec::new(kind, if value.is_null() { None } else { Some(value) })
}

pub(super) fn with(mut spec: AssertionSpec, weight: f64, threshold: Option<f64>) -> AssertionSpec {
    spec.weight = weight;
    spec.threshold = threshold;
    spec
}

pub(super) fn case(
    description: &str,
    vars: Map<String, Json>,
    assertions: Vec<AssertionSpec>,
) -> TestCase {
    TestCase {
        description: description.to_string(),
        vars,
        assertions,
        ..TestCase::default()
    }
}

pub(super) fn problem(line: usize, case: &str, message: &str) -> ImportProblem {
    ImportProblem {
        line: Some(line),
        case: Some(case.to_string()),
        message: message.to_string(),
    }
}

#[track_caller]
pub(super) fn round_trips(cases: &[TestCase], format: DatasetFormat) {
    let written = write(cases, format).unwrap_or_else(|e| panic!("{format}: {e}"));
    let back = parse(&written, format);
    assert_eq!(back.problems, vec![], "{format}:\n{written}");
    assert_eq!(back.cases, cases, "{format}:\n{written}");
}

#[test]
fn jsonl_fixture_reads_cases_and_reports_bad_lines() {
    let imported = parse(JSONL, DatasetFormat::Jsonl);
    let refund = TestCase {
        tags: vec!["billing".into()],
        ..case(
            "Refund for a duplicate charge",
            vars(&[
                ("customer_name", "Dana"),
                ("message", "I was charged twice for March."),
            ]),
            vec![
                a("icontains", json!("refund")),
                with(
                    a("not-icontains", json!("sorry for the inconvenience")),
                    0.5,
                    None,
                ),
            ],
        )
    };
    let bare = case(
        "",
        vars(&[
            ("customer_name", "Lee"),
            ("message", "How do I reset my password?"),
        ]),
        vec![],
    );
    let weekend = TestCase {
        expected: Some("Yes, our support team is available 24/7.".into()),
        threshold: Some(0.5),
        ..case(
            "Weekend hours",
            vars(&[
                ("customer_name", "Omar"),
                ("message", "Are you open on weekends?"),
            ]),
            vec![with(a("levenshtein", Json::Null), 1.0, Some(8.0))],
        )
    };
    let triage = case(
        "",
        vars(&[
            ("customer_name", "Kim"),
            ("message", "Classify: dashboard down"),
        ]),
        vec![
            a("is-json", Json::Null),
            a("json-path", json!({"path": "$.urgency", "equals": "high"})),
        ],
    );
    assert_eq!(imported.cases, vec![refund, bare, weekend, triage]);
    assert_eq!(
        imported.problems,
        vec![
            problem(5, "#4", "not valid JSON: trailing comma (column 81)"),
            problem(
                6,
                "Bad regex",
                "assertion 1: `regex`: bad regex `([A-Z]+`: unclosed group"
            ),
        ]
    );
    assert_eq!(
        imported.problems[0].to_string(),
        "line 5 (case #4): not valid JSON: trailing comma (column 81)"
    );
    assert_eq!(
        imported.problems[1].to_string(),
        "line 6 (case \"Bad regex\"): assertion 1: `regex`: bad regex `([A-Z]+`: unclosed group"
    );
    round_trips(&imported.cases, DatasetFormat::Jsonl);
}

#[test]
fn jsonl_shapes_and_field_errors() {
    let text = [
        r#"{"question": "What is 2+2?", "expected": "4"}"#,
        r#"{"vars": {"q": "x"}, "expect": "4"}"#,
        r#"{"vars": {"q": "x"}, "threshold": "high", "tags": "a,b"}"#,
        r#"{"vars": {"q": "x"}, "assert": [{"type": "contains", "value": "4", "transform": "output.trim()"}]}"#,
        r#"["not", "an", "object"]"#,
        r#"{"vars": {"q": "x"}, "assert": [{"type": "icontains", "value": "four"}], "threshold": 1.5}"#,
    ]
    .join("\n");
    let imported = parse(&text, DatasetFormat::Jsonl);
    assert_eq!(imported.cases, vec![]);
    let messages: Vec<String> = imported.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        vec![
            "line 1 (case #1): mixes case fields (`expected`) with other keys (`question`): put the variables under `vars`",
            "line 2 (case #2): unknown field `expect` (a case has id, description, vars, expected, assert, tags, threshold)",
            "line 3 (case #3): `threshold` must be a number from 0 to 1, not a string",
            "line 3 (case #3): `tags` must be a list of strings, not a string",
            "line 4 (case #4): assertion 1: unknown field `transform` (an assertion has type, value, weight, threshold, provider)",
            "line 5 (case #5): expected an object with `vars` (and optionally expected, assert, tags, description, threshold), not a list",
            "line 6 (case #6): threshold must be between 0 and 1 (the weighted score to reach), not 1.5",
        ]
    );
}

#[test]
fn csv_fixture_reads_special_columns_and_short_assertions() {
    let imported = parse(CSV, DatasetFormat::Csv);
    let charge = TestCase {
        tags: vec!["billing".into(), "refund".into()],
        ..case(
            "Duplicate charge",
            vars(&[
                ("customer_name", "Dana"),
                ("message", "I was charged twice, please help"),
            ]),
            vec![
                a("icontains", json!("refund")),
                a("not-icontains", json!("sorry for the inconvenience")),
                a("regex", json!(r"\$\d+")),
            ],
        )
    };
    let reset = TestCase {
        tags: vec!["account".into()],
        ..case(
            "Password reset",
            vars(&[
                ("customer_name", "Lee"),
                ("message", "How do I reset my password?"),
            ]),
            vec![a("contains-all", json!("Settings, Reset password"))],
        )
    };
    let sso = TestCase {
        expected: Some("Yes: SAML single sign-on is on the Business plan.".into()),
        ..case(
            "SSO question",
            vars(&[
                ("customer_name", "Omar"),
                ("message", "Do you support SSO?"),
            ]),
            vec![a("levenshtein", Json::Null)],
        )
    };
    let invoice = case(
        "",
        vars(&[
            ("customer_name", "Priya"),
            ("message", "Where is my invoice?"),
        ]),
        vec![
            a("is-json", Json::Null),
            with(a("latency", Json::Null), 1.0, Some(3000.0)),
        ],
    );
    assert_eq!(imported.cases, vec![charge, reset, sso, invoice]);
    let unknown = format!(
        "column `__assert_1`: unknown assertion type `javascript` (supported: {})",
        KINDS.join(", ")
    );
    assert_eq!(
        imported.problems,
        vec![problem(5, "Custom check", &unknown)]
    );
    round_trips(&imported.cases, DatasetFormat::Csv);
}

#[test]
fn csv_reports_ragged_rows_and_bad_headers() {
    let ragged = parse(
        "question,__expected\nWhat is 2+2?,4\nToo,many,cells\n\nCapital of France?,Paris\n",
        DatasetFormat::Csv,
    );
    assert_eq!(ragged.cases.len(), 2);
    assert_eq!(
        ragged.problems,
        vec![problem(3, "#2", "has 3 fields but the header has 2")]
    );

    let header = parse("question,__expectd,question\nx,y,z\n", DatasetFormat::Csv);
    assert_eq!(header.cases, vec![]);
    let messages: Vec<String> = header.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        vec![
            "line 1: unknown special column `__expectd` (special columns are __expected, __description, __tags, __threshold, __id and __assert_*)",
            "line 1: column `question` appears twice",
        ]
    );

    let cells = parse(
        "q,__threshold,__assert\nx,most,contains: a && bogus text\n",
        DatasetFormat::Csv,
    );
    let messages: Vec<String> = cells.problems.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        vec![
            "line 2 (case #1): __threshold `most` is not a number",
            "line 2 (case #1): column `__assert`: `bogus text` is not an assertion: write `type: value`, e.g. `contains: refund`",
        ]
    );
}

#[test]
fn csv_writes_only_what_it_can_read_back() {
    let weighted = case(
        "Weighted",
        vars(&[("q", "x")]),
        vec![with(a("contains", json!("a")), 2.0, None)],
    );
    assert_eq!(
        write(&[weighted], DatasetFormat::Csv).unwrap_err(),
        "case \"Weighted\": assertion `contains` has a weight; a CSV cell holds only short assertions like `contains: refund`; export as YAML or JSONL"
    );
    let special = case("", vars(&[("__q", "x")]), vec![]);
    assert!(
        write(&[special], DatasetFormat::Csv)
            .unwrap_err()
            .contains("`__q` starts with `__`")
    );
    let tagged = TestCase {
        tags: vec!["a,b".into()],
        ..case("", vars(&[("q", "x")]), vec![])
    };
    assert!(
        write(&[tagged], DatasetFormat::Csv)
            .unwrap_err()
            .contains("tag `a,b`")
    );

    // Structured values that the short form reads back as written are fine.
    let rich = TestCase {
        id: "0190a1b2-0000-7000-8000-000000000001".into(),
        expected: Some("Paris".into()),
        threshold: Some(0.5),
        tags: vec!["geo".into(), "easy".into()],
        ..case(
            "Capital, with \"quotes\"",
            vars(&[
                ("question", "Capital of France?\nAnswer briefly."),
                ("lang", ""),
            ]),
            vec![
                a("length", json!({"max": 80})),
                a("contains-any", json!(["Paris", "paris"])),
                a("json-path", json!({"path": "$.city", "equals": "Paris"})),
                with(a("cost", Json::Null), 1.0, Some(0.002)),
                a("llm-rubric", json!("Answers in one sentence")),
            ],
        )
    };
    round_trips(&[rich], DatasetFormat::Csv);
}

#[test]
fn yaml_fixture_reads_cases_with_lines() {
    let imported = parse(YAML, DatasetFormat::Yaml);
    let refund = TestCase {
        tags: vec!["billing".into()],
        ..case(
            "Refund for a duplicate charge",
            vars(&[
                ("customer_name", "Dana"),
                ("message", "I was charged twice for my March invoice."),
            ]),
            vec![
                a("icontains", json!("refund")),
                a("length", json!({"max": 600})),
            ],
        )
    };
    let weekend = TestCase {
        expected: Some("Our support team is available 24/7, including weekends.".into()),
        ..case(
            "Weekend hours",
            vars(&[
                ("customer_name", "Lee"),
                ("message", "Are you open on weekends?"),
            ]),
            vec![with(a("levenshtein", Json::Null), 1.0, Some(10.0))],
        )
    };
    let triage = case(
        "",
        vars(&[
            ("customer_name", "Ana"),
            ("message", "Triage: \"Dashboard down for everyone\""),
        ]),
        vec![
            a("json-path", json!({"path": "$.priority", "equals": "high"})),
            a("word-count", json!({"max": 40})),
        ],
    );
    assert_eq!(imported.cases, vec![refund, weekend, triage]);
    assert_eq!(
        imported.problems,
        vec![problem(
            20,
            "Threshold out of range",
            "threshold must be between 0 and 1 (the weighted score to reach), not 8"
        )]
    );
    round_trips(&imported.cases, DatasetFormat::Yaml);

    let wrapped = format!(
        "cases:\n{}",
        YAML.lines().map(|l| format!("  {l}\n")).collect::<String>()
    );
    let rewrapped = parse(&wrapped, DatasetFormat::Yaml);
    assert_eq!(rewrapped.cases, imported.cases);
    assert_eq!(rewrapped.problems[0].line, Some(21));
}

#[test]
fn yaml_keeps_what_was_written() {
    let text =
        "- vars: {answer: no, flag: on, zip: 02139, big: 1_000, count: 3, ratio: 0.5, ok: true}\n";
    let imported = parse(text, DatasetFormat::Yaml);
    assert_eq!(
        Json::Object(imported.cases[0].vars.clone()),
        json!({"answer": "no", "flag": "on", "zip": "02139", "big": "1_000", "count": 3, "ratio": 0.5, "ok": true})
    );
    let broken = parse("- vars: {q: [1, 2}\n", DatasetFormat::Yaml);
    assert_eq!(broken.cases, vec![]);
    assert_eq!(broken.problems.len(), 1);
    assert_eq!(broken.problems[0].line, Some(1));
    assert!(
        broken.problems[0].message.starts_with("not valid YAML: "),
        "{}",
        broken.problems[0]
    );
    assert_eq!(
        parse("# nothing yet\n", DatasetFormat::Yaml),
        Imported::default()
    );
    assert_eq!(
        parse("name: support", DatasetFormat::Yaml).problems[0].message,
        "expected a list of cases, or `cases:` with a list"
    );
}

/// Cases that exercise quoting, types and every case field.
pub(super) fn tricky_cases() -> Vec<TestCase> {
    let mut typed = vars(&[
        ("answer", "no"),
        ("zip", "02139"),
        ("null_text", "null"),
        ("empty", ""),
    ]);
    typed.insert("count".into(), json!(3));
    typed.insert("ok".into(), json!(true));
    typed.insert(
        "history".into(),
        json!([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}]),
    );
    typed.insert("profile".into(), json!({"name": "Dana", "plan": "Pro"}));
    let mut graded = with(
        a("llm-rubric", json!("Polite to {{ name }}: no blame")),
        2.0,
        Some(0.7),
    );
    graded.provider = Some("grader".into());
    vec![
        TestCase {
            id: "0190a1b2-0000-7000-8000-000000000001".into(),
            expected: Some("Line one\nLine two\n".into()),
            tags: vec!["smoke".into(), "area=billing".into()],
            threshold: Some(0.75),
            ..case(
                "Quotes \"inside\", colons: and # hashes",
                typed,
                vec![
                    graded,
                    a("not-contains", json!("  padded  ")),
                    a("equals", json!({"a": [1, 2.5]})),
                ],
            )
        },
        case(
            "",
            vars(&[
                ("multi", "first\nsecond: x\n- third"),
                ("unicode", "Grüße, 你好 🚀"),
            ]),
            vec![],
        ),
    ]
}

#[test]
fn jsonl_and_yaml_round_trip_every_field() {
    round_trips(&tricky_cases(), DatasetFormat::Jsonl);
    round_trips(&tricky_cases(), DatasetFormat::Yaml);
    round_trips(&[], DatasetFormat::Yaml);
    round_trips(&[], DatasetFormat::Jsonl);
}

#[test]
fn formats_from_names_and_paths() {
    assert_eq!(
        DatasetFormat::from_path(Path::new("cases.jsonl")),
        Some(DatasetFormat::Jsonl)
    );
    assert_eq!(
        DatasetFormat::from_path(Path::new("Cases.CSV")),
        Some(DatasetFormat::Csv)
    );
    assert_eq!(
        DatasetFormat::from_path(Path::new("suite/promptfooconfig.yaml")),
        Some(DatasetFormat::Promptfoo)
    );
    assert_eq!(DatasetFormat::from_path(Path::new("notes.txt")), None);
    assert_eq!(DatasetFormat::from_path(Path::new("no_extension")), None);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/datasets");
    assert_eq!(
        DatasetFormat::from_path(&fixtures.join("support.yaml")),
        Some(DatasetFormat::Yaml)
    );

    let dir = tempfile::tempdir().unwrap();
    let suite = dir.path().join("suite.yml");
    std::fs::write(&suite, "prompts: [hello]\ntests:\n  - vars: {q: x}\n").unwrap();
    assert_eq!(
        DatasetFormat::from_path(&suite),
        Some(DatasetFormat::Promptfoo)
    );
    assert_eq!(
        DatasetFormat::detect(Path::new("a.yaml"), "- vars: {q: x}\n"),
        Some(DatasetFormat::Yaml)
    );
    assert_eq!(
        DatasetFormat::detect(Path::new("a.yaml"), "defaultTest:\n  vars: {}\n"),
        Some(DatasetFormat::Promptfoo)
    );

    for format in DatasetFormat::ALL {
        assert_eq!(DatasetFormat::parse_name(&format.to_string()), Ok(format));
    }
    assert_eq!(DatasetFormat::parse_name(" YML "), Ok(DatasetFormat::Yaml));
    assert_eq!(
        DatasetFormat::parse_name("xlsx"),
        Err("unknown dataset format `xlsx` (expected jsonl, csv, yaml or promptfoo)".to_string())
    );
}

#[test]
fn hostile_input_is_a_problem_not_a_crash() {
    let deep = "[".repeat(100_000);
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n\
        e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n\
        g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\ntests: [*g]\n";
    for format in DatasetFormat::ALL {
        for text in [
            deep.as_str(),
            bomb,
            "\u{feff}",
            "\0\0\0",
            "tests:\n- 1\n- [2]\n- null\n",
        ] {
            let imported = parse(text, format);
            assert!(
                imported.cases.is_empty() || format == DatasetFormat::Csv,
                "{format}: {imported:?}"
            );
        }
    }
    let bombed = parse(bomb, DatasetFormat::Promptfoo);
    assert!(
        bombed.problems[0]
            .message
            .starts_with("not valid YAML: budget breached"),
        "{}",
        bombed.problems[0]
    );
}

proptest! {
    #[test]
    fn any_text_parses_without_panicking(text in "(?s).{0,200}") {
        for format in DatasetFormat::ALL {
            let _ = parse(&text, format);
        }
    }
}
