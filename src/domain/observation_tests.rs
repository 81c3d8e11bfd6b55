use serde_json::json;

use super::*;

fn base() -> Json {
    json!({"id": "obs-1", "prompt": "support/triage", "env": "production",
           "timestamp": "2026-03-01T09:30:00+01:00"})
}

fn with(field: &str, value: Json) -> Json {
    let mut item = base();
    item[field] = value;
    item
}

fn without(field: &str) -> Json {
    let mut item = base();
    item.as_object_mut().unwrap().remove(field);
    item
}

fn reason(item: Json) -> String {
    parse_observation(&item, &KeepLimits::default())
        .expect_err("refused")
        .1
}

#[test]
fn the_four_required_fields_are_enough_and_time_is_normalised_to_utc() {
    let obs = parse_observation(&base(), &KeepLimits::default()).unwrap();
    assert_eq!(obs.timestamp, "2026-03-01T08:30:00.000Z");
    assert_eq!(obs.status, CallStatus::Ok);
    assert_eq!(obs.epoch_ms(), 1_772_353_800_000);
    let wire = serde_json::to_value(&obs).unwrap();
    assert_eq!(wire["status"], "ok");
    assert!(
        wire.get("latency_ms").is_none(),
        "absent fields stay absent"
    );
}

#[test]
fn every_malformed_field_is_named_with_its_problem() {
    let cases: Vec<(Json, &str)> = vec![
        (json!([1]), "an observation must be a JSON object"),
        (without("id"), "id: is required"),
        (without("prompt"), "prompt: is required"),
        (without("env"), "env: is required"),
        (without("timestamp"), "timestamp: is required"),
        (with("id", json!(7)), "id: must be a string"),
        (with("id", json!("")), "id: is empty"),
        (
            with("id", json!("x".repeat(129))),
            "id: is longer than 128 characters",
        ),
        (with("id", json!("a\nb")), "id: has a control character"),
        (
            with("prompt", json!("Bad Name")),
            "prompt: prompt name `Bad Name` has `B`",
        ),
        (
            with("version", json!(0)),
            "version: 0 is outside 1–4294967295",
        ),
        (with("version", json!("3")), "version: must be a number"),
        (
            with("version", json!(1.5)),
            "version: must be a whole number",
        ),
        (with("hash", json!("xyz")), "hash: must be a content hash"),
        (
            with("timestamp", json!("yesterday")),
            "timestamp: `yesterday` is not an RFC 3339 time",
        ),
        (
            with("timestamp", json!("2026-03-01T09:30:00")),
            "is not an RFC 3339 time",
        ),
        (
            with("latency_ms", json!(-5)),
            "latency_ms: must not be negative",
        ),
        (
            with("latency_ms", json!("12")),
            "latency_ms: must be a number",
        ),
        (
            with("latency_ms", json!(1e12)),
            "latency_ms: 1000000000000 is more than 86400000",
        ),
        (
            with("input_tokens", json!(-1)),
            "input_tokens: must not be negative",
        ),
        (
            with("output_tokens", json!(2.5)),
            "output_tokens: must be a whole number",
        ),
        (
            with("cost_usd", json!(-0.01)),
            "cost_usd: must not be negative",
        ),
        (
            with("status", json!("failed")),
            "status: unknown status `failed`",
        ),
        (
            with("status", json!(true)),
            "status: must be \"ok\" or \"error\"",
        ),
        (
            with("status", json!("error")),
            "error: status is \"error\" but no error",
        ),
        (
            with("error", json!({"type": "timeout"})),
            "status: an error is given but status is \"ok\"",
        ),
        (with("error", json!("boom")), "error: must be an object"),
        (
            with("feedback", json!({"score": 0})),
            "feedback.score: 0 is outside −1/+1",
        ),
        (
            with("feedback", json!({"score": 6})),
            "feedback.score: 6 is outside",
        ),
        (
            with("feedback", json!({"score": -1, "scale": "rating"})),
            "feedback.score: -1 is outside",
        ),
        (
            with("feedback", json!({"score": 0.5})),
            "feedback.score: must be a whole number",
        ),
        (
            with("feedback", json!({"comment": "meh"})),
            "feedback.score: is required",
        ),
        (
            with("feedback", json!({"score": 1, "scale": "stars"})),
            "feedback.scale: must be",
        ),
        (
            with("feedback", json!({"score": 1, "note": "x"})),
            "feedback.note: unknown field",
        ),
        (with("feedback", json!(5)), "feedback: must be an object"),
        (
            with("variables", json!([1, 2])),
            "variables: must be an object",
        ),
        (
            with("output", json!({"text": "x"})),
            "output: must be a string",
        ),
        (with("trace_id", json!(12)), "trace_id: must be a string"),
        (with("latency", json!(12)), "latency: unknown field"),
    ];
    for (item, expected) in cases {
        let got = reason(item.clone());
        assert!(
            got.contains(expected),
            "{item}: got `{got}`, wanted `{expected}`"
        );
    }
}

#[test]
fn an_error_item_needs_both_status_and_error_and_names_nested_fields() {
    let mut item = with("status", json!("error"));
    item["error"] = json!({"message": "no type"});
    assert!(reason(item).contains("error.type: is required"));
    let mut item = with("status", json!("error"));
    item["error"] = json!({"type": "rate_limit", "message": "429"});
    let obs = parse_observation(&item, &KeepLimits::default()).unwrap();
    assert_eq!(obs.error.unwrap().kind, "rate_limit");
}

#[test]
fn all_problems_of_an_item_are_reported_together_with_its_id() {
    let mut item = with("latency_ms", json!(-1));
    item["status"] = json!("maybe");
    let (id, why) = parse_observation(&item, &KeepLimits::default()).unwrap_err();
    assert_eq!(id.as_deref(), Some("obs-1"));
    assert_eq!(why.matches("; ").count(), 1, "{why}");
}

#[test]
fn feedback_scales_map_to_points_and_negativity() {
    let table = [
        (json!({"score": -1}), FeedbackScale::Thumbs, 0, true),
        (json!({"score": 1}), FeedbackScale::Thumbs, 4, false),
        (
            json!({"score": 1, "scale": "rating"}),
            FeedbackScale::Rating,
            0,
            true,
        ),
        (json!({"score": 2}), FeedbackScale::Rating, 1, true),
        (json!({"score": 3}), FeedbackScale::Rating, 2, false),
        (
            json!({"score": 5, "comment": "great"}),
            FeedbackScale::Rating,
            4,
            false,
        ),
    ];
    for (value, scale, points, negative) in table {
        let f = parse_feedback(&value).unwrap();
        assert_eq!(
            (f.scale, f.points(), f.is_negative()),
            (scale, points, negative),
            "{value}"
        );
    }
    assert!(parse_feedback(&json!({"score": 9})).is_err());
}

#[test]
fn output_and_variables_are_cut_and_named_variables_redacted() {
    let limits = KeepLimits {
        max_output_chars: 5,
        max_variable_chars: 3,
        redact: vec!["email".into()],
        ..KeepLimits::default()
    };
    let mut item = with("output", json!("abcdefgh"));
    item["variables"] = json!({"email": "a@b.c", "q": "hello", "n": 12, "list": [1, 2, 3]});
    let obs = parse_observation(&item, &limits).unwrap();
    assert_eq!(obs.output.as_deref(), Some("abcde…[3 more characters]"));
    assert_eq!(obs.variables["email"], "[redacted]");
    assert_eq!(obs.variables["q"], "hel…[2 more characters]");
    assert_eq!(obs.variables["n"], 12);
    assert_eq!(obs.variables["list"], "[1,…[4 more characters]");
}

#[test]
fn units_for_rollups_are_integers() {
    let mut item = with("latency_ms", json!(12.3456));
    item["cost_usd"] = json!(0.000123);
    let obs = parse_observation(&item, &KeepLimits::default()).unwrap();
    assert_eq!(obs.latency_us(), Some(12_346));
    assert_eq!(obs.cost_nanos(), Some(123_000));
}

#[test]
fn times_outside_the_window_are_refused_and_years_0000_and_9999_alike() {
    let limits = KeepLimits::default();
    // The clock as the workspace would read it: 2026-03-10T00:00:00Z.
    let now = 1_773_100_800_000;
    let at = |t: &str| parse_observation(&with("timestamp", json!(t)), &limits);
    let problem = |t: &str| limits.time_problem(&at(t).unwrap(), now);
    assert_eq!(problem("2026-03-10T00:00:00Z"), None);
    assert_eq!(problem("2026-02-07T00:00:00Z"), None, "31 days back");
    assert_eq!(problem("2026-03-11T00:00:00Z"), None, "24 hours ahead");
    let past = problem("2026-02-06T23:59:59Z").unwrap();
    assert!(
        past.starts_with("timestamp: `2026-02-06T23:59:59.000Z` is outside the accepted window, 31 day(s) before now to 24 hour(s) after ([monitor] max_past_days, max_future_hours)"),
        "{past}"
    );
    assert!(problem("2026-03-11T00:00:01Z").is_some());
    // Year 0000 parses and falls before the window; 9999-12-31 is beyond what jiff holds and is
    // refused by the parser with the same words.
    let zero = problem("0000-01-01T00:00:00Z").unwrap();
    let nines = at("9999-12-31T23:59:59Z").unwrap_err().1;
    for said in [&zero, &nines] {
        assert!(
            said.starts_with("timestamp: `") && said.contains("is outside the accepted window"),
            "{said}"
        );
    }
    // A wider window takes an old date.
    let wide = KeepLimits {
        max_past_days: 36_500,
        ..KeepLimits::default()
    };
    assert_eq!(
        wide.time_problem(&at("2000-01-01T00:00:00Z").unwrap(), now),
        None
    );
    assert!(
        reason(with("timestamp", json!("2026-13-01T00:00:00Z")))
            .contains("is not an RFC 3339 time")
    );
}
