use serde_json::{Value as Json, json};

use super::*;

fn no_price(_: &str, _: u64, _: u64) -> Option<f64> {
    None
}

fn price(model: &str, input: u64, output: u64) -> Option<f64> {
    (model == "gpt-4o-mini").then(|| (input + 2 * output) as f64 / 1e6)
}

fn attr(key: &str, value: Json) -> Json {
    json!({"key": key, "value": value})
}

fn request(resource: Vec<Json>, spans: Vec<Json>) -> Json {
    json!({"resourceSpans": [{
        "resource": {"attributes": resource},
        "scopeSpans": [{"scope": {"name": "app"}, "spans": spans}]
    }]})
}

fn span(attrs: Vec<Json>) -> Json {
    json!({
        "traceId": "5B8EFFF798038103D269B633813FC60C",
        "spanId": "EEE19B7EC3C1B174",
        "name": "chat gpt-4o-mini",
        "startTimeUnixNano": "1767225600000000000",
        "endTimeUnixNano": "1767225600250000000",
        "attributes": attrs
    })
}

fn prompt_attrs() -> Vec<Json> {
    vec![
        attr(
            "galley.prompt.name",
            json!({"stringValue": "support/triage"}),
        ),
        attr("galley.prompt.version", json!({"intValue": "2"})),
    ]
}

fn env_resource() -> Vec<Json> {
    vec![attr(
        "deployment.environment.name",
        json!({"stringValue": "production"}),
    )]
}

fn one(req: &Json) -> Json {
    let mapped = map_request(req, &no_price).unwrap();
    assert_eq!(mapped.skipped, 0, "{:?}", mapped.reasons);
    mapped.observations[0].clone()
}

#[test]
fn a_genai_span_maps_field_by_field() {
    let mut attrs = prompt_attrs();
    attrs.push(attr(
        "gen_ai.usage.input_tokens",
        json!({"intValue": "120"}),
    ));
    attrs.push(attr("gen_ai.usage.output_tokens", json!({"intValue": 30})));
    let obs = one(&request(env_resource(), vec![span(attrs)]));
    assert_eq!(
        obs,
        json!({
            "id": "otel-5b8efff798038103d269b633813fc60c-eee19b7ec3c1b174",
            "prompt": "support/triage",
            "version": 2,
            "env": "production",
            "timestamp": "2026-01-01T00:00:00.000Z",
            "latency_ms": 250.0,
            "input_tokens": 120,
            "output_tokens": 30,
            "trace_id": "5b8efff798038103d269b633813fc60c"
        })
    );
}

/// (extra span attributes, resource attributes, status, field, expected value)
type Row = (Vec<Json>, Vec<Json>, Json, &'static str, Json);

#[test]
fn each_attribute_lands_where_it_should() {
    let table: Vec<Row> = vec![
        (
            vec![attr(
                "deployment.environment",
                json!({"stringValue": "staging"}),
            )],
            vec![],
            json!(null),
            "env",
            json!("staging"),
        ),
        (
            vec![attr("galley.env", json!({"stringValue": "canary"}))],
            env_resource(),
            json!(null),
            "env",
            json!("canary"),
        ),
        (
            vec![],
            env_resource(),
            json!({"code": 2, "message": "rate limited"}),
            "error",
            json!({"type": "span_error", "message": "rate limited"}),
        ),
        (
            vec![attr("error.type", json!({"stringValue": "timeout"}))],
            env_resource(),
            json!({"code": "STATUS_CODE_ERROR"}),
            "error",
            json!({"type": "timeout", "message": "timeout"}),
        ),
        (
            vec![attr("error.type", json!({"stringValue": "timeout"}))],
            env_resource(),
            json!({"code": 2}),
            "status",
            json!("error"),
        ),
        (
            vec![],
            env_resource(),
            json!({"code": 1}),
            "status",
            json!(null),
        ),
        (
            vec![attr("galley.cost_usd", json!({"doubleValue": 0.25}))],
            env_resource(),
            json!(null),
            "cost_usd",
            json!(0.25),
        ),
        (
            vec![
                attr(
                    "gen_ai.request.model",
                    json!({"stringValue": "gpt-4o-mini"}),
                ),
                attr("gen_ai.usage.input_tokens", json!({"intValue": "1000000"})),
            ],
            env_resource(),
            json!(null),
            "cost_usd",
            json!(1.0),
        ),
        (
            vec![attr(
                "galley.prompt.hash",
                json!({"stringValue": "abcdef12"}),
            )],
            env_resource(),
            json!(null),
            "hash",
            json!("abcdef12"),
        ),
    ];
    for (i, (extra, resource, status, field, want)) in table.into_iter().enumerate() {
        let mut attrs = prompt_attrs();
        attrs.extend(extra);
        let mut s = span(attrs);
        if !status.is_null() {
            s["status"] = status;
        }
        let mapped = map_request(&request(resource, vec![s]), &price).unwrap();
        let obs = &mapped.observations[0];
        assert_eq!(
            obs.get(field).unwrap_or(&Json::Null),
            &want,
            "row {i}: {obs}"
        );
    }
}

#[test]
fn langfuse_prompt_attributes_are_accepted() {
    let attrs = vec![
        attr(
            "langfuse.prompt.name",
            json!({"stringValue": "chat/helper"}),
        ),
        attr("langfuse.prompt.version", json!({"intValue": 3})),
    ];
    let obs = one(&request(env_resource(), vec![span(attrs)]));
    assert_eq!(
        (obs["prompt"].clone(), obs["version"].clone()),
        (json!("chat/helper"), json!(3))
    );
}

#[test]
fn spans_without_a_prompt_are_skipped_and_counted() {
    let req = request(
        env_resource(),
        vec![span(vec![]), span(prompt_attrs()), json!("nonsense")],
    );
    let mapped = map_request(&req, &no_price).unwrap();
    assert_eq!((mapped.observations.len(), mapped.skipped), (1, 2));
    assert!(
        mapped.reasons[0].starts_with("span 0: no prompt attribute"),
        "{:?}",
        mapped.reasons
    );
    assert!(
        mapped.reasons[1].starts_with("span 2: "),
        "{:?}",
        mapped.reasons
    );
}

#[test]
fn a_body_that_is_not_a_traces_request_is_an_error() {
    assert!(map_request(&json!([1, 2]), &no_price).is_err());
    assert!(map_request(&json!({"resourceSpans": 3}), &no_price).is_err());
    assert_eq!(
        map_request(&json!({}), &no_price).unwrap(),
        MappedSpans::default()
    );
}

#[test]
fn mapped_spans_pass_the_observation_validation() {
    let obs = one(&request(env_resource(), vec![span(prompt_attrs())]));
    let limits = crate::domain::observation::KeepLimits::default();
    let parsed = crate::domain::observation::parse_observation(&obs, &limits).unwrap();
    assert_eq!(parsed.version, Some(2));
    // Without an environment the span becomes an observation that validation refuses by name.
    let bare = one(&request(vec![], vec![span(prompt_attrs())]));
    let (_, reason) = crate::domain::observation::parse_observation(&bare, &limits).unwrap_err();
    assert!(reason.contains("env: is required"), "{reason}");
}

#[test]
fn spans_with_impossible_times_are_refused_with_the_reason() {
    let timed = |start: Json, end: Json| {
        let mut s = span(prompt_attrs());
        s["startTimeUnixNano"] = start;
        s["endTimeUnixNano"] = end;
        s
    };
    let start = 1_767_225_600_000_000_000_i128;
    let day = MAX_SPAN_NANOS;
    let cases = [
        (
            timed(json!(start.to_string()), json!((start - 1).to_string())),
            "the span ends before it starts",
        ),
        (
            timed(json!("0"), json!(start.to_string())),
            "startTimeUnixNano is missing",
        ),
        (
            timed(Json::Null, json!(start.to_string())),
            "startTimeUnixNano is missing",
        ),
        (
            timed(json!(start.to_string()), json!("0")),
            "endTimeUnixNano is missing",
        ),
        (
            timed(json!("-5"), json!(start.to_string())),
            "startTimeUnixNano is missing or not after 1970",
        ),
        (
            timed(
                json!(start.to_string()),
                json!((start + day + 1).to_string()),
            ),
            "longer than a day",
        ),
        (
            timed(
                json!("999999999999999999999999"),
                json!("999999999999999999999999"),
            ),
            "is not a time",
        ),
    ];
    for (s, expected) in &cases {
        let mapped = map_request(&request(env_resource(), vec![s.clone()]), &no_price).unwrap();
        assert_eq!(mapped.skipped, 1, "{s}");
        assert!(
            mapped.reasons[0].starts_with("span 0: ") && mapped.reasons[0].contains(expected),
            "{s}: {:?}",
            mapped.reasons
        );
    }
    // Exactly a day, and an instant span, are fine.
    for end in [start + day, start] {
        let ok = timed(json!(start.to_string()), json!(end.to_string()));
        assert_eq!(
            one(&request(env_resource(), vec![ok]))["latency_ms"],
            json!((end - start) as f64 / 1e6)
        );
    }
}
