//! promptfoo configs: the realistic fixture, defaults, what is refused, and round trips.

use serde_json::{Value as Json, json};

use super::tests::{a, case, problem, round_trips, tricky_cases, vars, with};
use super::*;

const CONFIG: &str = include_str!("../../../tests/fixtures/datasets/promptfooconfig.yaml");

fn messages(imported: &Imported) -> Vec<String> {
    imported.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn fixture_imports_supported_tests_and_names_the_rest() {
    let imported = parse(CONFIG, DatasetFormat::Promptfoo);
    let default = a("not-icontains", json!("as an AI language model"));
    // `options.provider: openai:gpt-4o-mini` is a promptfoo id, not a galley provider name: the
    // run's grader grades these.
    let rubric = with(
        a(
            "llm-rubric",
            json!("Apologises for the duplicate charge and says when the refund will arrive"),
        ),
        2.0,
        None,
    );
    let refund = TestCase {
        threshold: Some(0.8),
        ..case(
            "Refund for a duplicate charge",
            vars(&[
                ("customer_name", "Dana"),
                (
                    "message",
                    "I was charged twice for my March invoice. Can I get my money back?",
                ),
                ("plan", "Pro"),
            ]),
            vec![
                a("icontains", json!("refund")),
                a("regex", json!(r"\$\d+(\.\d{2})?")),
                rubric,
                default.clone(),
            ],
        )
    };
    let reset = case(
        "Password reset instructions",
        vars(&[
            ("customer_name", "Lee"),
            (
                "message",
                "I forgot my password and the reset email never arrives.",
            ),
            ("plan", "Pro"),
        ]),
        vec![
            a("contains-all", json!(["Settings", "Reset password"])),
            a("not-contains", json!("your password is")),
            default.clone(),
        ],
    );
    let sso = case(
        "",
        vars(&[
            ("customer_name", "Omar"),
            ("message", "Do you support single sign-on?"),
            ("plan", "Pro"),
        ]),
        vec![
            a("icontains-any", json!(["SAML", "SSO", "single sign-on"])),
            a("starts-with", json!("Hi Omar")),
            default.clone(),
        ],
    );
    let outage_rubric = a(
        "llm-rubric",
        json!("Acknowledges the outage that hit {{customer_name}} without blaming the customer"),
    );
    let outage = TestCase {
        tags: vec!["tone".into(), "outage".into(), "area=incidents".into()],
        ..case(
            "Outage apology tone",
            vars(&[
                ("customer_name", "Priya"),
                ("message", "Your outage cost us a day of sales."),
                ("plan", "Pro"),
            ]),
            vec![
                outage_rubric,
                a("not-icontains", json!("user error")),
                with(a("latency", Json::Null), 1.0, Some(5000.0)),
                default.clone(),
            ],
        )
    };
    let pricing = |language: &str| TestCase {
        tags: vec!["area=billing".into()],
        ..case(
            "Upgrade pricing question",
            vars(&[
                ("customer_name", "Kim"),
                ("language", language),
                ("message", "How much is the Business plan per seat?"),
                ("plan", "Pro"),
            ]),
            vec![
                a("contains", json!("$49")),
                with(a("cost", Json::Null), 1.0, Some(0.002)),
                default.clone(),
            ],
        )
    };
    assert_eq!(
        imported.cases,
        vec![
            refund,
            reset,
            sso,
            outage,
            pricing("English"),
            pricing("Spanish")
        ]
    );
    assert_eq!(
        imported.problems,
        vec![
            problem(
                51,
                "Ticket triage as JSON",
                "assertion type `javascript` is not supported by galley"
            ),
            problem(
                67,
                "Cancellation retention offer",
                "assertion type `similar` is not supported by galley"
            ),
            problem(
                67,
                "Cancellation retention offer",
                "variable `attachment` loads a file (`file://fixtures/cancellation_email.txt`), which is not supported: put the text inline"
            ),
            problem(
                101,
                "Greeting in the customer's language",
                "assertion type `python` is not supported by galley"
            ),
            problem(
                112,
                "Escalation to a human",
                r"assertion 2: `regex`: bad regex `(?<=ticket )#\d+`: look-around, including look-ahead and look-behind, is not supported"
            ),
        ]
    );
    round_trips(&imported.cases, DatasetFormat::Promptfoo);
}

#[test]
fn default_test_merges_under_each_test() {
    let config = r#"
defaultTest:
  vars: {tone: friendly, product: Acme}
  assert:
    - type: not-icontains
      value: as an AI
  threshold: 0.6
  metadata: {suite: support}
tests:
  - vars: {product: Acme Cloud, question: Hi}
  - vars: {question: Bye}
    threshold: 0.9
    options: {disableDefaultAsserts: true}
    assert:
      - type: contains
        value: bye
        metric: politeness
"#;
    let imported = parse(config, DatasetFormat::Promptfoo);
    assert_eq!(messages(&imported), Vec::<String>::new());
    let first = &imported.cases[0];
    assert_eq!(
        first.vars,
        vars(&[
            ("product", "Acme Cloud"),
            ("question", "Hi"),
            ("tone", "friendly")
        ])
    );
    assert_eq!(
        first.assertions,
        vec![a("not-icontains", json!("as an AI"))]
    );
    assert_eq!(first.threshold, Some(0.6));
    assert_eq!(first.tags, vec!["suite=support".to_string()]);
    let second = &imported.cases[1];
    assert_eq!(second.assertions, vec![a("contains", json!("bye"))]);
    assert_eq!(second.threshold, Some(0.9));
}

#[test]
fn a_bad_default_test_imports_nothing() {
    let config = "defaultTest:\n  assert:\n    - type: javascript\n      value: output.length > 0\ntests:\n  - vars: {q: x}\n";
    let imported = parse(config, DatasetFormat::Promptfoo);
    assert_eq!(imported.cases, vec![]);
    assert_eq!(
        messages(&imported),
        vec![
            "line 1 (case \"defaultTest\"): assertion type `javascript` is not supported by galley",
            "line 1: no tests imported: every test inherits defaultTest",
        ]
    );
}

#[test]
fn whatever_would_change_results_is_refused() {
    let config = r#"
scenarios:
  - config: [{vars: {q: x}}]
tests:
  - description: Transformed output
    vars: {q: x}
    options:
      transform: output.trim()
  - description: Own provider
    provider: openai:gpt-4o
    vars: {q: x}
  - description: Assertion transform
    assert:
      - type: contains
        value: x
        transform: output.toLowerCase()
  - description: Schema file
    assert:
      - type: is-json
        value: file://schemas/answer.json
  - file://more_tests.yaml
  - description: Not graded
    assert:
      - type: model-graded-closedqa
        value: Is it correct?
      - type: not-rouge-n
        value: expected text
"#;
    let imported = parse(config, DatasetFormat::Promptfoo);
    assert_eq!(imported.cases, vec![]);
    assert_eq!(
        messages(&imported),
        vec![
            "line 2: `scenarios:` are not supported: their tests are not imported",
            "line 5 (case \"Transformed output\"): option `transform` is not supported",
            "line 9 (case \"Own provider\"): `provider` is not supported",
            "line 12 (case \"Assertion transform\"): assertion `contains`: `transform` is not supported",
            "line 17 (case \"Schema file\"): assertion `is-json`: values from files (`file://schemas/answer.json`) are not supported",
            "line 21 (case #5): a test from a file (`file://more_tests.yaml`) is not supported",
            "line 22 (case \"Not graded\"): assertion type `model-graded-closedqa` is not supported by galley",
            "line 22 (case \"Not graded\"): assertion type `not-rouge-n` is not supported by galley",
        ]
    );

    let from_file = parse(
        "prompts: [p]\ntests: file://tests.csv\n",
        DatasetFormat::Promptfoo,
    );
    assert_eq!(
        messages(&from_file),
        vec![
            "line 2: `tests: file://tests.csv` loads the tests from a file, which is not supported"
        ]
    );
    assert_eq!(
        messages(&parse("prompts: [p]\n", DatasetFormat::Promptfoo)),
        vec!["no `tests:` in this promptfoo config"]
    );
}

#[test]
fn graders_lists_and_metadata() {
    let config = r#"
tests:
  - vars: {city: [Paris, Rome], history: [{role: user, content: Hi}]}
    assert:
      - type: llm-rubric
        value: Names a landmark in {{city}}
        provider: {id: anthropic:messages:claude-3-5-haiku, config: {temperature: 0}}
    metadata: {tags: "travel, landmarks", id: case-7, expected: The Eiffel Tower}
  - vars: {city: [Oslo, Bergen]}
    options: {disableVarExpansion: true, provider: grader-mini}
    assert:
      - type: llm-rubric
        value: Mentions fjords
"#;
    let imported = parse(config, DatasetFormat::Promptfoo);
    assert_eq!(messages(&imported), Vec::<String>::new());
    assert_eq!(imported.cases.len(), 3);
    assert_eq!(imported.cases[0].vars["city"], json!("Paris"));
    assert_eq!(imported.cases[1].vars["city"], json!("Rome"));
    assert_eq!(
        imported.cases[1].vars["history"],
        json!([{"role": "user", "content": "Hi"}])
    );
    assert_eq!(
        imported.cases[0].assertions[0].provider, None,
        "a promptfoo id is no galley provider"
    );
    assert_eq!(
        imported.cases[2].assertions[0].provider.as_deref(),
        Some("grader-mini")
    );
    assert_eq!(
        imported.cases[0].tags,
        vec!["travel".to_string(), "landmarks".to_string()]
    );
    assert_eq!(
        (
            imported.cases[0].id.as_str(),
            imported.cases[0].expected.as_deref()
        ),
        ("case-7", Some("The Eiffel Tower"))
    );
    assert_eq!(imported.cases[2].vars["city"], json!(["Oslo", "Bergen"]));
}

#[test]
fn writes_a_tests_list_promptfoo_reads_the_same() {
    let written = write(&tricky_cases(), DatasetFormat::Promptfoo).unwrap();
    assert!(
        written.starts_with("# Test cases exported by galley"),
        "{written}"
    );
    assert!(written.contains("\ntests:\n"), "{written}");
    round_trips(&tricky_cases(), DatasetFormat::Promptfoo);

    let listed = case("Cities", vars(&[("q", "x")]), vec![]);
    let mut listed = listed;
    listed.vars.insert("city".into(), json!(["Paris", "Rome"]));
    assert_eq!(
        write(&[listed], DatasetFormat::Promptfoo).unwrap_err(),
        "case \"Cities\": promptfoo would run one test per item of the list variable `city`; export as YAML or JSONL"
    );
}
