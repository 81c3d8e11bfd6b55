//! JSON assertions and the model-graded rubric.

use serde_json::{Map, Value as Json, json};

use super::tests::{fails, passes, run_with, spec};
use super::*;
use crate::domain::MessageRole;

const TRIAGE: &str = r#"{"label": "refund", "priority": 2, "tags": ["billing", "card"], "summary": "Customer wants a refund for a duplicate charge."}"#;

const CHATTY: &str = "Sure! Here is the classification you asked for:\n\n```json\n{\"label\": \"refund\", \"priority\": 2}\n```\n\nLet me know if you need anything else.";

fn triage_schema() -> Json {
    json!({
        "type": "object",
        "required": ["label", "priority"],
        "properties": {
            "label": {"enum": ["refund", "billing", "technical", "other"]},
            "priority": {"type": "integer", "minimum": 1, "maximum": 3}
        }
    })
}

#[test]
fn is_json_with_and_without_a_schema() {
    passes(&spec("is-json", Json::Null), TRIAGE);
    passes(&spec("is-json", Json::Null), "  [1, 2, 3]\n");
    let chatty = fails(&spec("is-json", Json::Null), CHATTY);
    assert!(
        chatty
            .reason
            .starts_with("output is not JSON (expected value at line 1 column 1): `Sure!"),
        "{}",
        chatty.reason
    );
    let fenced = fails(&spec("is-json", Json::Null), "```json\n{\"a\": 1}\n```");
    assert!(
        fenced.reason.contains("wrapped in ``` fences"),
        "{}",
        fenced.reason
    );
    passes(&spec("is-json", triage_schema()), TRIAGE);
    let wrong = fails(
        &spec("is-json", triage_schema()),
        r#"{"label": "shipping", "priority": 5}"#,
    );
    assert!(
        wrong
            .reason
            .starts_with("output JSON does not match the schema: at /label: "),
        "{}",
        wrong.reason
    );
    assert!(
        wrong
            .reason
            .contains("at /priority: 5 is greater than the maximum of 3"),
        "{}",
        wrong.reason
    );
    passes(
        &spec("not-is-json", Json::Null),
        "I could not classify this ticket.",
    );
    // A schema given as a JSON string, as promptfoo configs sometimes do.
    passes(&spec("is-json", json!(triage_schema().to_string())), TRIAGE);
}

#[test]
fn contains_json_finds_embedded_objects() {
    let found = passes(&spec("contains-json", Json::Null), CHATTY);
    assert_eq!(
        found.reason,
        r#"found JSON at character 58: `{"label": "refund", "priority": 2}`"#
    );
    passes(&spec("contains-json", triage_schema()), CHATTY);
    let text = "Options [see below] are {\"label\": \"other\", \"priority\": 9} or {\"label\": \"refund\", \"priority\": 1}.";
    let second = passes(&spec("contains-json", triage_schema()), text);
    assert!(
        second
            .reason
            .contains(r#"`{"label": "refund", "priority": 1}`"#),
        "{}",
        second.reason
    );
    let none = fails(
        &spec("contains-json", Json::Null),
        "The label is refund [priority two].",
    );
    assert_eq!(
        none.reason,
        "no JSON object or array in the output `The label is refund [priority two].`"
    );
    let invalid = fails(
        &spec("contains-json", triage_schema()),
        "Result: {\"label\": \"other\", \"priority\": 9}",
    );
    assert!(
        invalid.reason.starts_with("found JSON at character 9 but not matching the schema: `{\"label\": \"other\", \"priority\": 9}`: at /priority:"),
        "{}",
        invalid.reason
    );
    fails(&spec("not-contains-json", Json::Null), CHATTY);
}

#[test]
fn json_schema_lists_errors_with_pointers() {
    passes(&spec("json-schema", triage_schema()), TRIAGE);
    let bad = fails(
        &spec("json-schema", triage_schema()),
        r#"{"priority": "high"}"#,
    );
    assert!(
        bad.reason
            .contains("at /: \"label\" is a required property"),
        "{}",
        bad.reason
    );
    assert!(
        bad.reason
            .contains("at /priority: \"high\" is not of type \"integer\""),
        "{}",
        bad.reason
    );
    let many = json!({"type": "object", "properties": {
        "a": {"type": "string"}, "b": {"type": "string"}, "c": {"type": "string"}, "d": {"type": "string"}, "e": {"type": "string"}
    }});
    let five = fails(
        &spec("json-schema", many),
        r#"{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}"#,
    );
    assert!(
        five.reason.contains("; and 2 more; output `"),
        "{}",
        five.reason
    );
    fails(&spec("json-schema", triage_schema()), "refund, priority 2");
}

#[test]
fn json_path_equals_contains_and_exists() {
    passes(
        &spec("json-path", json!({"path": "$.label", "equals": "refund"})),
        TRIAGE,
    );
    passes(
        &spec("json-path", json!({"path": "$.priority", "equals": 2.0})),
        TRIAGE,
    );
    passes(
        &spec(
            "json-path",
            json!({"path": "$.tags[*]", "equals": ["billing", "card"]}),
        ),
        TRIAGE,
    );
    let other = fails(
        &spec("json-path", json!({"path": "$.label", "equals": "billing"})),
        TRIAGE,
    );
    assert_eq!(
        other.reason,
        r#"`$.label` is `"refund"`, expected `"billing"`"#
    );
    passes(
        &spec(
            "json-path",
            json!({"path": "$.summary", "contains": "duplicate charge"}),
        ),
        TRIAGE,
    );
    passes(
        &spec(
            "json-path",
            json!({"path": "$.tags[*]", "contains": "card"}),
        ),
        TRIAGE,
    );
    let absent = fails(
        &spec(
            "json-path",
            json!({"path": "$.sentiment", "equals": "angry"}),
        ),
        TRIAGE,
    );
    assert!(
        absent
            .reason
            .starts_with("`$.sentiment` selects nothing in the output `{\"label\""),
        "{}",
        absent.reason
    );
    passes(&spec("json-path", json!("$.tags")), TRIAGE);
    fails(
        &spec("json-path", json!({"path": "$.label", "equals": "refund"})),
        CHATTY,
    );
    passes(
        &spec(
            "not-json-path",
            json!({"path": "$.label", "equals": "other"}),
        ),
        TRIAGE,
    );
}

#[test]
fn json_validation_errors() {
    let err = |s: AssertionSpec| validate(&s).unwrap_err();
    assert_eq!(
        err(spec("json-schema", Json::Null)),
        "`json-schema` needs a value: a JSON Schema"
    );
    assert!(
        err(spec("json-schema", json!({"type": "strng"})))
            .starts_with("`json-schema`: invalid JSON Schema: ")
    );
    assert_eq!(
        err(spec("json-schema", json!([1]))),
        "`json-schema`: the schema must be a JSON object, not a list"
    );
    assert_eq!(
        err(spec("is-json", json!("file://schemas/triage.json"))),
        "`is-json`: schemas from files (`file://schemas/triage.json`) are not supported; inline the schema"
    );
    assert!(
        err(spec("json-path", json!({"path": "$[", "equals": 1})))
            .starts_with("`json-path`: bad JSONPath `$[`: ")
    );
    assert_eq!(
        err(spec(
            "json-path",
            json!({"path": "$.a", "equals": 1, "contains": "x"})
        )),
        "`json-path`: give `equals` or `contains`, not both"
    );
    assert_eq!(
        err(spec("json-path", json!({"equals": 1}))),
        "`json-path`: `path` must be a JSONPath string such as \"$.label\""
    );
    assert_eq!(
        err(spec("json-path", json!({"path": "$.a", "equal": 1}))),
        "`json-path`: unknown field `equal` (expected path, and equals or contains)"
    );
}

#[test]
fn rubric_prompt_carries_rubric_inputs_and_output() {
    let vars: Map<String, Json> = json!({"customer": "Dana", "ticket": "I was charged twice"})
        .as_object()
        .cloned()
        .unwrap();
    let rubric = spec(
        "llm-rubric",
        json!("Apologises to {{ customer }} and offers a refund"),
    );
    assert!(is_model_graded(&rubric));
    assert!(is_model_graded(&spec("not-llm-rubric", json!("x"))));
    assert!(!is_model_graded(&spec("contains", json!("x"))));
    let observed = Observed {
        output: "Sorry Dana, refund issued.",
        expected: Some("An apology"),
        latency_ms: 1,
        cost_usd: None,
        vars: &vars,
    };
    let messages = rubric_messages(&rubric, &observed);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].role, MessageRole::System);
    assert!(
        messages[0]
            .content
            .contains(r#"{"pass": true or false, "score": a number from 0 to 1, "reason""#)
    );
    assert_eq!(
        messages[1].content,
        "<rubric>\nApologises to Dana and offers a refund\n</rubric>\n\n<inputs>\ncustomer: Dana\nticket: I was charged twice\n</inputs>\n\n\
         <reference_answer>\nAn apology\n</reference_answer>\n\n<output>\nSorry Dana, refund issued.\n</output>"
    );
    // Checked without a grader, a rubric fails and says why.
    let ungraded = run_with(&rubric, "x", None, &vars);
    assert!(!ungraded.pass);
    assert!(
        ungraded.reason.contains("model-graded"),
        "{}",
        ungraded.reason
    );
}

#[test]
fn rubric_outcomes_read_the_graders_json() {
    let mut rubric = spec("llm-rubric", json!("is polite"));
    rubric.weight = 2.0;
    let ok = rubric_outcome(
        &rubric,
        r#"{"pass": true, "score": 0.9, "reason": "Courteous and warm."}"#,
    );
    assert!(ok.pass);
    assert_eq!((ok.score, ok.weight), (0.9, 2.0));
    assert_eq!(ok.reason, "grader: Courteous and warm.");

    let fenced = "Here is my verdict:\n```json\n{\"reason\": \"Curt and dismissive.\", \"pass\": false, \"score\": 0.2}\n```";
    let rude = rubric_outcome(&rubric, fenced);
    assert!(!rude.pass);
    assert_eq!(rude.score, 0.2);
    assert_eq!(
        rude.reason,
        "grader: Curt and dismissive. — rubric `is polite`"
    );

    rubric.threshold = Some(0.8);
    let under = rubric_outcome(
        &rubric,
        r#"{"pass": true, "score": 0.7, "reason": "Mostly polite."}"#,
    );
    assert!(!under.pass);
    assert_eq!(
        under.reason,
        "grader: Mostly polite. (score 0.70, threshold 0.8) — rubric `is polite`"
    );
    assert!(rubric_outcome(&rubric, r#"{"score": "0.85", "reason": "Polite."}"#).pass);

    let garbage = rubric_outcome(&rubric, "I think it is fine overall, maybe 8/10.");
    assert!(!garbage.pass);
    assert_eq!(garbage.score, 0.0);
    assert_eq!(
        garbage.reason,
        "the grader's answer is not JSON with `pass` and `score`: `I think it is fine overall, maybe 8/10.`"
    );

    let negated = rubric_outcome(
        &spec("not-llm-rubric", json!("mentions a competitor")),
        r#"{"pass": true, "score": 1, "reason": "Names Acme."}"#,
    );
    assert!(!negated.pass);
    assert_eq!(negated.score, 0.0);
    assert!(
        negated
            .reason
            .ends_with("— `not-llm-rubric` rules this out"),
        "{}",
        negated.reason
    );
    assert!(!rubric_outcome(&spec("not-llm-rubric", json!("x")), "no json").pass);
}
