//! Text assertions on realistic outputs, negation, thresholds, weights and validation.

use serde_json::{Map, Value as Json, json};

use super::*;
use crate::domain::eval::case_verdict;

pub(super) const REFUND_REPLY: &str = "Hi Dana,\n\nThanks for reaching out. I've issued a full refund of $42.50 \
to your Visa ending 4411; it should appear within 5–7 business days.\n\nBest,\nSam from Support\n";

pub(super) fn spec(kind: &str, value: Json) -> AssertionSpec {
    AssertionSpec::new(kind, if value.is_null() { None } else { Some(value) })
}

pub(super) fn run(spec: &AssertionSpec, output: &str) -> AssertionOutcome {
    run_with(spec, output, None, &Map::new())
}

pub(super) fn run_with(
    spec: &AssertionSpec,
    output: &str,
    expected: Option<&str>,
    vars: &Map<String, Json>,
) -> AssertionOutcome {
    let observed = Observed {
        output,
        expected,
        latency_ms: 850,
        cost_usd: Some(0.00042),
        vars,
    };
    check(spec, &observed)
}

#[track_caller]
pub(super) fn passes(spec: &AssertionSpec, output: &str) -> AssertionOutcome {
    let outcome = run(spec, output);
    assert!(
        outcome.pass,
        "expected {} to pass: {}",
        spec.kind, outcome.reason
    );
    assert!(!outcome.reason.is_empty());
    outcome
}

#[track_caller]
pub(super) fn fails(spec: &AssertionSpec, output: &str) -> AssertionOutcome {
    let outcome = run(spec, output);
    assert!(
        !outcome.pass,
        "expected {} to fail: {}",
        spec.kind, outcome.reason
    );
    assert_eq!(outcome.score, 0.0);
    outcome
}

#[test]
fn equals_compares_trimmed_text_then_json() {
    passes(&spec("equals", json!("Paris")), "Paris\n");
    let miss = fails(
        &spec("equals", json!("Paris")),
        "The capital of France is Paris.",
    );
    assert_eq!(
        miss.reason,
        "expected `Paris` but got `The capital of France is Paris.` (they differ from character 1)"
    );
    let as_json = passes(
        &spec("equals", json!({"label": "refund", "priority": 2})),
        "{ \"priority\": 2.0, \"label\": \"refund\" }",
    );
    assert!(as_json.reason.ends_with("as JSON"), "{}", as_json.reason);
    fails(&spec("equals", json!("paris")), "Paris");
}

#[test]
fn equals_falls_back_to_the_expected_output() {
    let vars = Map::new();
    let equals = spec("equals", Json::Null);
    assert!(run_with(&equals, "42", Some("42"), &vars).pass);
    assert!(!run_with(&equals, "41", Some("42"), &vars).pass);
    let nothing = run_with(&equals, "42", None, &vars);
    assert!(!nothing.pass);
    assert!(
        nothing.reason.contains("nothing to compare with"),
        "{}",
        nothing.reason
    );
    // A check that cannot judge fails even when negated.
    assert!(!run_with(&spec("not-equals", Json::Null), "42", None, &vars).pass);
}

#[test]
fn contains_family_on_a_support_reply() {
    let found = passes(&spec("contains", json!("refund")), REFUND_REPLY);
    assert!(
        found
            .reason
            .starts_with("found `refund` at character 55: `… out. I've issued a full refund of $42.50 to your Visa e…`"),
        "{}",
        found.reason
    );
    fails(&spec("contains", json!("Refund")), REFUND_REPLY);
    passes(&spec("icontains", json!("FULL REFUND")), REFUND_REPLY);
    let missing = fails(&spec("icontains", json!("store credit")), REFUND_REPLY);
    assert!(
        missing
            .reason
            .starts_with("`store credit` not found in the output `Hi Dana,⏎⏎Thanks"),
        "{}",
        missing.reason
    );

    passes(
        &spec("contains-any", json!(["store credit", "refund"])),
        REFUND_REPLY,
    );
    passes(
        &spec("contains-any", json!("voucher, $42.50")),
        REFUND_REPLY,
    );
    let none = fails(
        &spec("contains-any", json!(["voucher", "store credit"])),
        REFUND_REPLY,
    );
    assert!(
        none.reason
            .starts_with("none of `voucher`, `store credit` found"),
        "{}",
        none.reason
    );
    passes(
        &spec("icontains-any", json!(["VISA", "mastercard"])),
        REFUND_REPLY,
    );

    passes(
        &spec("contains-all", json!(["refund", "$42.50", "business days"])),
        REFUND_REPLY,
    );
    let partial = fails(
        &spec("contains-all", json!("refund, tracking number, apolog")),
        REFUND_REPLY,
    );
    assert!(
        partial
            .reason
            .starts_with("missing `tracking number`, `apolog` (of 3)"),
        "{}",
        partial.reason
    );
    passes(&spec("icontains-all", json!(["DANA", "sam"])), REFUND_REPLY);
    fails(
        &spec("icontains-all", json!(["dana", "manager"])),
        REFUND_REPLY,
    );
}

#[test]
fn negations_flip_and_say_what_was_found() {
    let sorry = fails(&spec("not-icontains", json!("VISA")), REFUND_REPLY);
    assert!(
        sorry.reason.contains("found `VISA` at character"),
        "{}",
        sorry.reason
    );
    assert!(
        sorry.reason.ends_with("— `not-icontains` rules this out"),
        "{}",
        sorry.reason
    );
    assert_eq!(sorry.kind, "not-icontains");

    let clean = passes(&spec("not-contains", json!("I'm sorry")), REFUND_REPLY);
    assert_eq!(clean.score, 1.0);
    assert!(clean.reason.contains("not found"), "{}", clean.reason);

    fails(
        &spec("not-contains-any", json!(["unfortunately", "refund"])),
        REFUND_REPLY,
    );
    passes(
        &spec("not-contains-all", json!(["refund", "coupon"])),
        REFUND_REPLY,
    );
    fails(&spec("not-starts-with", json!("Hi Dana")), REFUND_REPLY);
    fails(&spec("not-regex", json!(r"\$\d+\.\d{2}")), REFUND_REPLY);
}

#[test]
fn starts_with_and_regex() {
    passes(&spec("starts-with", json!("Hi Dana,")), REFUND_REPLY);
    let wrong = fails(&spec("starts-with", json!("Dear Dana")), REFUND_REPLY);
    assert!(
        wrong
            .reason
            .starts_with("expected the output to start with `Dear Dana`; it starts `Hi Dana,"),
        "{}",
        wrong.reason
    );

    let amount = passes(&spec("regex", json!(r"\$(\d+)\.(\d{2})")), REFUND_REPLY);
    assert!(
        amount
            .reason
            .starts_with(r"/\$(\d+)\.(\d{2})/ matches `$42.50` at character 65: `… issued a full refund of $42.50 to your Visa ending 4411…`"),
        "{}",
        amount.reason
    );
    passes(&spec("regex", json!(r"^\d+$")), "1234");
    let no = fails(&spec("regex", json!(r"^\d+$")), "about 1234");
    assert_eq!(no.reason, r"/^\d+$/ does not match the output `about 1234`");
    passes(&spec("regex", json!("(?i)^hi dana")), REFUND_REPLY);
}

#[test]
fn length_and_word_count_bounds() {
    let tweet = "Our new release makes evals 10x faster. Try it today!";
    passes(&spec("length", json!({"max": 280})), tweet);
    passes(&spec("length", json!({"min": 10, "max": 60})), tweet);
    let long = fails(&spec("length", json!({"max": 40})), tweet);
    assert!(
        long.reason
            .starts_with("53 characters, over the maximum of 40: `Our new"),
        "{}",
        long.reason
    );
    let short = fails(&spec("length", json!({"min": 100})), tweet);
    assert!(
        short
            .reason
            .starts_with("53 characters, under the minimum of 100"),
        "{}",
        short.reason
    );
    passes(&spec("length", json!({"max": 3})), "  Yes\n");

    passes(&spec("word-count", json!({"min": 5, "max": 12})), tweet);
    let words = fails(&spec("word-count", json!({"max": 5})), tweet);
    assert!(
        words.reason.starts_with("10 words, over the maximum of 5"),
        "{}",
        words.reason
    );
    passes(&spec("not-word-count", json!({"max": 5})), tweet);
}

#[test]
fn levenshtein_scores_by_distance() {
    let close = passes(
        &spec("levenshtein", json!("Bonjour le monde")),
        "Bonjour, le monde!\n",
    );
    assert_eq!(close.score, 1.0 - 2.0 / 18.0);
    assert!(
        close
            .reason
            .starts_with("edit distance 2 from `Bonjour le monde` (at most 5 allowed)"),
        "{}",
        close.reason
    );
    let far = run(
        &spec("levenshtein", json!("Bonjour le monde")),
        "Hola mundo",
    );
    assert!(!far.pass);
    assert!(far.score > 0.0 && far.score < 0.6, "{}", far.score);
    assert!(
        far.reason.contains("over the 5 allowed; got `Hola mundo`"),
        "{}",
        far.reason
    );

    let mut strict = spec("levenshtein", json!("colour"));
    strict.threshold = Some(0.0);
    assert!(!run(&strict, "color").pass);
    strict.threshold = Some(1.0);
    assert!(run(&strict, "color").pass);

    let vars = Map::new();
    assert!(
        run_with(
            &spec("levenshtein", Json::Null),
            "Grüße",
            Some("Grüsse"),
            &vars
        )
        .pass
    );

    let negated = run(
        &spec("not-levenshtein", json!("Bonjour le monde")),
        "Bonjour, le monde!",
    );
    assert!(!negated.pass);
    assert!((negated.score - 2.0 / 18.0).abs() < 1e-9);
}

#[test]
fn latency_and_cost_ceilings() {
    let mut fast = spec("latency", Json::Null);
    fast.threshold = Some(1000.0);
    assert_eq!(
        run(&fast, "ok").reason,
        "answered in 850 ms (limit 1000 ms)"
    );
    fast.threshold = Some(500.0);
    let slow = run(&fast, "ok");
    assert!(!slow.pass);
    assert_eq!(slow.reason, "answered in 850 ms, over the 500 ms limit");

    let mut cheap = spec("cost", Json::Null);
    cheap.threshold = Some(0.001);
    assert!(run(&cheap, "ok").pass);
    cheap.threshold = Some(0.0001);
    let pricey = run(&cheap, "ok");
    assert!(!pricey.pass);
    assert_eq!(pricey.reason, "cost $0.000420, over the $0.0001 limit");

    let vars = Map::new();
    let unknown = check(
        &cheap,
        &Observed {
            output: "ok",
            expected: None,
            latency_ms: 1,
            cost_usd: None,
            vars: &vars,
        },
    );
    assert!(!unknown.pass);
    assert!(
        unknown.reason.contains("cost is unknown"),
        "{}",
        unknown.reason
    );
}

#[test]
fn weights_and_thresholds_decide_the_case() {
    let reply = REFUND_REPLY;
    let mut must = spec("icontains", json!("refund"));
    must.weight = 3.0;
    let mut nice = spec("contains", json!("tracking number"));
    nice.weight = 1.0;
    let outcomes = vec![run(&must, reply), run(&nice, reply)];
    assert_eq!(outcomes[0].weight, 3.0);
    assert_eq!(case_verdict(&outcomes, None), (false, 0.75));
    assert_eq!(case_verdict(&outcomes, Some(0.7)), (true, 0.75));
    assert_eq!(case_verdict(&outcomes, Some(0.8)), (false, 0.75));

    let mut free = spec("contains", json!("tracking number"));
    free.weight = 0.0;
    let outcomes = vec![run(&must, reply), run(&free, reply)];
    assert_eq!(case_verdict(&outcomes, Some(1.0)), (true, 1.0));
}

#[test]
fn values_fill_templates_from_the_case_vars() {
    let vars: Map<String, Json> = json!({"customer": "Dana", "amount": 42.5})
        .as_object()
        .cloned()
        .unwrap();
    let greet = spec("starts-with", json!("Hi {{ customer }},"));
    assert!(run_with(&greet, REFUND_REPLY, None, &vars).pass);
    let amount = spec("regex", json!(r"\${{amount}}0"));
    assert!(run_with(&amount, REFUND_REPLY, None, &vars).pass);
    let missing = run_with(
        &spec("contains", json!("{{ order_id }}")),
        REFUND_REPLY,
        None,
        &vars,
    );
    assert!(!missing.pass);
    assert!(
        missing
            .reason
            .starts_with("invalid assertion: could not fill the template in `{{ order_id }}`"),
        "{}",
        missing.reason
    );
    assert_eq!(validate(&amount), Ok(()));
}

#[test]
fn validation_names_the_problem() {
    let err = |s: AssertionSpec| validate(&s).unwrap_err();
    assert_eq!(
        err(spec("icontain", json!("x"))),
        format!(
            "unknown assertion type `icontain` — did you mean `icontains`? (supported: {})",
            KINDS.join(", ")
        )
    );
    assert!(
        err(spec("javascript", json!("output.length < 5")))
            .starts_with("unknown assertion type `javascript` (supported:")
    );
    assert_eq!(
        err(spec("contains", Json::Null)),
        "`contains` needs a value: the text to look for"
    );
    assert_eq!(
        err(spec("not-contains", json!(""))),
        "`not-contains`: the value is empty"
    );
    assert_eq!(
        err(spec("contains", json!({"a": 1}))),
        "`contains`: the value must be a string, not an object"
    );
    assert_eq!(
        err(spec("contains-any", json!([]))),
        "`contains-any`: the list of texts is empty"
    );
    assert_eq!(
        err(spec("regex", json!("^(unclosed"))),
        "`regex`: bad regex `^(unclosed`: unclosed group"
    );
    assert_eq!(
        err(spec("length", json!({"max": -1}))),
        "`length`: `max` must be a whole number ≥ 0, not -1"
    );
    assert_eq!(
        err(spec("length", json!({"min": 9, "max": 3}))),
        "`length`: min (9) is above max (3)"
    );
    assert_eq!(
        err(spec("word-count", json!({"maximum": 3}))),
        "`word-count`: unknown field `maximum` (expected min and/or max)"
    );
    assert_eq!(
        err(spec("latency", json!(2000))),
        "`latency`: put the limit in `threshold` (the largest latency in milliseconds, e.g. 2000), not in `value`"
    );
    assert_eq!(
        err(spec("cost", Json::Null)),
        "`cost` needs a threshold: the largest cost in USD, e.g. 0.002"
    );
    assert_eq!(
        err(spec("llm-rubric", Json::Null)),
        "`llm-rubric` needs a value: the rubric text the grader scores against"
    );
    let mut heavy = spec("contains", json!("x"));
    heavy.weight = -1.0;
    assert_eq!(
        err(heavy),
        "`contains`: weight must be a number ≥ 0, not -1"
    );
    let mut rubric = spec("llm-rubric", json!("is polite"));
    rubric.threshold = Some(7.0);
    assert_eq!(
        err(rubric),
        "`llm-rubric`: threshold is the grader's minimum score, from 0 to 1 (got 7)"
    );

    for kind in KINDS {
        assert!(
            !validate(&spec(kind, Json::Null)).is_err_and(|e| e.starts_with("unknown")),
            "{kind} is listed but not known"
        );
    }
    let invalid = run(&spec("regex", json!("(")), "x");
    assert!(!invalid.pass);
    assert!(
        invalid
            .reason
            .starts_with("invalid assertion: `regex`: bad regex"),
        "{}",
        invalid.reason
    );
}
