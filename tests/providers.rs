//! Model providers against the loopback stub model server: both wire formats, whole and
//! streamed, retries and their waits, timeouts, errors, the command and echo providers, the
//! rate limit and the cache key.

#[path = "support/stub_model.rs"]
mod stub_model;

use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use galley::domain::MessageRole;
use galley::domain::eval::{ProviderConfig, ProviderKind};
use galley::eval::providers::{
    Provider, ProviderError, ProviderRequest, ProviderResponse, merge_params, request_for,
};
use galley::template::{ChatMessage, Rendered};
use serde_json::{Map, Value as Json, json};
use stub_model::{BlockingStubModel, Fault, StubConfig, StubModel};

const OPENAI_KEY_VAR: &str = "GALLEY_PROVIDER_TEST_OPENAI_KEY";
const OPENAI_KEY: &str = "sk-test-openai-0123456789";
const ANTHROPIC_KEY_VAR: &str = "GALLEY_PROVIDER_TEST_ANTHROPIC_KEY";
const ANTHROPIC_KEY: &str = "sk-ant-test-0123456789";
const OTHER_KEY_VAR: &str = "GALLEY_PROVIDER_TEST_OTHER_KEY";
const UNSET_KEY_VAR: &str = "GALLEY_PROVIDER_TEST_NEVER_SET";

/// Sets the test keys once, before any test reads the environment: every test calls it first.
fn setup() {
    static ENV: Once = Once::new();
    ENV.call_once(|| {
        // SAFETY: every test calls `setup` before anything else, so no other thread of this
        // process reads the environment while the `Once` runs.
        unsafe {
            std::env::set_var(OPENAI_KEY_VAR, OPENAI_KEY);
            std::env::set_var(ANTHROPIC_KEY_VAR, ANTHROPIC_KEY);
            std::env::set_var(OTHER_KEY_VAR, "a-completely-different-key");
            std::env::remove_var(UNSET_KEY_VAR);
        }
    });
}

fn openai(base_url: &str) -> ProviderConfig {
    let mut config = ProviderConfig::new("stub-openai", ProviderKind::Openai);
    config.base_url = Some(base_url.to_string());
    config.api_key_env = Some(OPENAI_KEY_VAR.into());
    config.model = Some("gpt-test".into());
    config
}

fn anthropic(base_url: &str) -> ProviderConfig {
    let mut config = ProviderConfig::new("stub-anthropic", ProviderKind::Anthropic);
    config.base_url = Some(base_url.to_string());
    config.api_key_env = Some(ANTHROPIC_KEY_VAR.into());
    config.model = Some("claude-test".into());
    config
}

fn command(cmd: &str) -> ProviderConfig {
    let mut config = ProviderConfig::new("local", ProviderKind::Command);
    config.command = Some(cmd.into());
    config
}

fn text_request(text: &str) -> ProviderRequest {
    request_for(&Rendered::Text(text.into()), Map::new())
}

fn chat_request(messages: &[(MessageRole, &str)], params: Json) -> ProviderRequest {
    let messages = messages
        .iter()
        .map(|(role, content)| ChatMessage {
            role: *role,
            content: content.to_string(),
        })
        .collect();
    let Json::Object(params) = params else {
        panic!("params must be an object")
    };
    request_for(&Rendered::Messages(messages), params)
}

async fn stream_collect(
    provider: &Provider,
    req: &ProviderRequest,
) -> (Result<ProviderResponse, ProviderError>, Vec<String>) {
    let mut deltas = Vec::new();
    let result = provider
        .stream(req, &mut |d: &str| deltas.push(d.to_string()))
        .await;
    (result, deltas)
}

#[tokio::test]
async fn openai_complete_sends_params_and_parses_usage() {
    setup();
    let stub = StubModel::start(StubConfig::default()).await;
    let mut config = openai(&stub.base_url());
    config.defaults = json!({"temperature": 0.2, "echo_prefix": "never sent"});
    let params = merge_params(&json!({"max_tokens": 50}), &config, &json!({}));
    let provider = Provider::new(config).unwrap();
    let answer = provider
        .complete(&request_for(&Rendered::Text("Hello there".into()), params))
        .await
        .unwrap();
    assert_eq!(answer.text, "stub: Hello there");
    assert_eq!(
        (answer.input_tokens, answer.output_tokens),
        (Some(2), Some(3))
    );
    assert_eq!(answer.model.as_deref(), Some("gpt-test"));
    assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
    assert_eq!(answer.tool_calls, None);

    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/v1/chat/completions");
    assert_eq!(
        requests[0].header("authorization"),
        Some(format!("Bearer {OPENAI_KEY}").as_str())
    );
    assert_eq!(
        requests[0].body,
        json!({"model": "gpt-test", "temperature": 0.2, "max_tokens": 50,
            "messages": [{"role": "user", "content": "Hello there"}]})
    );
}

#[tokio::test]
async fn openai_without_a_key_variable_sends_no_authorization() {
    setup();
    let stub = StubModel::start(StubConfig::default()).await;
    let mut config = openai(&stub.base_url());
    config.api_key_env = None;
    let provider = Provider::new(config).unwrap();
    provider.complete(&text_request("hi")).await.unwrap();
    assert_eq!(stub.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn openai_stream_delivers_deltas_in_order() {
    setup();
    let stub =
        StubModel::start(StubConfig::default().with_chunk_delay(Duration::from_millis(5))).await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let (answer, deltas) = stream_collect(&provider, &text_request("one two three")).await;
    let answer = answer.unwrap();
    assert_eq!(deltas, ["stub: ", "one ", "two ", "three"]);
    assert_eq!(answer.text, "stub: one two three");
    assert_eq!(
        (answer.input_tokens, answer.output_tokens),
        (Some(3), Some(4))
    );
    assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
    assert_eq!(answer.model.as_deref(), Some("gpt-test"));
    let body = &stub.requests()[0].body;
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn anthropic_complete_moves_system_messages_and_defaults_max_tokens() {
    setup();
    let stub = StubModel::start(StubConfig::default()).await;
    let provider = Provider::new(anthropic(&stub.base_url())).unwrap();
    let req = chat_request(
        &[
            (MessageRole::System, "Be brief."),
            (MessageRole::User, "What is Rust?"),
            (MessageRole::Assistant, "A language."),
            (MessageRole::User, "Say more"),
        ],
        json!({"temperature": 0.0}),
    );
    let answer = provider.complete(&req).await.unwrap();
    assert_eq!(answer.text, "stub: Say more");
    assert_eq!(
        (answer.input_tokens, answer.output_tokens),
        (Some(9), Some(3))
    );
    assert_eq!(answer.finish_reason.as_deref(), Some("end_turn"));

    let request = &stub.requests()[0];
    assert_eq!(request.path, "/v1/messages");
    assert_eq!(request.header("x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        request.body,
        json!({"model": "claude-test", "temperature": 0.0, "max_tokens": 1024, "system": "Be brief.",
            "messages": [{"role": "user", "content": "What is Rust?"},
                {"role": "assistant", "content": "A language."},
                {"role": "user", "content": "Say more"}]})
    );
}

#[tokio::test]
async fn anthropic_stream_delivers_deltas_and_usage() {
    setup();
    let stub =
        StubModel::start(StubConfig::default().with_chunk_delay(Duration::from_millis(5))).await;
    let provider = Provider::new(anthropic(&stub.base_url())).unwrap();
    let req = chat_request(
        &[
            (MessageRole::System, "sys"),
            (MessageRole::User, "red green"),
        ],
        json!({"max_tokens": 20}),
    );
    let (answer, deltas) = stream_collect(&provider, &req).await;
    let answer = answer.unwrap();
    assert_eq!(deltas, ["stub: ", "red ", "green"]);
    assert_eq!(answer.text, deltas.concat());
    assert_eq!(
        (answer.input_tokens, answer.output_tokens),
        (Some(3), Some(3))
    );
    assert_eq!(answer.model.as_deref(), Some("claude-test"));
    assert_eq!(answer.finish_reason.as_deref(), Some("end_turn"));
    let body = &stub.requests()[0].body;
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["max_tokens"], json!(20));
}

#[test]
fn params_merge_prompt_then_provider_then_run() {
    setup();
    let mut config = ProviderConfig::new("p", ProviderKind::Openai);
    config.defaults = json!({"temperature": 0.5, "top_p": 0.9, "stop": ["x"]});
    config.model = Some("provider-model".into());
    let prompt = json!({"model": "prompt-model", "temperature": 1.0, "max_tokens": 100,
        "response_format": {"type": "json_object"}});
    let run = json!({"temperature": 0.0, "stop": ["y", "z"]});
    let params = merge_params(&prompt, &config, &run);
    assert_eq!(
        Json::Object(params),
        json!({"model": "provider-model", "temperature": 0.0, "top_p": 0.9, "max_tokens": 100,
            "stop": ["y", "z"], "response_format": {"type": "json_object"}})
    );
    // Without a provider model the prompt's stands.
    config.model = None;
    let params = merge_params(&prompt, &config, &json!(null));
    assert_eq!(params["model"], json!("prompt-model"));
    assert_eq!(params["temperature"], json!(0.5));
}

#[tokio::test]
async fn a_missing_key_names_the_variable_and_sends_nothing() {
    setup();
    let stub = StubModel::start(StubConfig::default()).await;
    let mut config = openai(&stub.base_url());
    config.api_key_env = Some(UNSET_KEY_VAR.into());
    let provider = Provider::new(config).unwrap();
    let err = provider.complete(&text_request("hi")).await.unwrap_err();
    assert!(matches!(&err, ProviderError::MissingKey { var, .. } if var == UNSET_KEY_VAR));
    let message = err.to_string();
    assert!(message.contains(UNSET_KEY_VAR), "{message}");
    assert!(message.contains("stub-openai"), "{message}");
    assert!(!err.is_retryable());
    assert_eq!(stub.request_count(), 0);
}

#[tokio::test]
async fn keys_never_appear_in_errors_or_debug_output() {
    setup();
    // The stub wants another key and echoes the one it got, as some servers do.
    let stub = StubModel::start(StubConfig::default().with_key("the-right-key")).await;
    for config in [openai(&stub.base_url()), anthropic(&stub.base_url())] {
        let provider = Provider::new(config).unwrap();
        let err = provider.complete(&text_request("hi")).await.unwrap_err();
        assert!(
            matches!(err, ProviderError::Http { status: 401, .. }),
            "{err:?}"
        );
        let shown = format!("{err} {err:?} {provider:?}");
        for key in [OPENAI_KEY, ANTHROPIC_KEY, "0123456789"] {
            assert!(!shown.contains(key), "a key leaked: {shown}");
        }
        assert!(shown.contains("Incorrect API key"), "{shown}");
        assert!(!err.to_string().contains('\n'));
    }
    assert_eq!(stub.request_count(), 2, "401 is not retried");
}

#[tokio::test]
async fn rate_limits_are_retried_after_the_wait_the_server_asks() {
    setup();
    let stub =
        StubModel::start(StubConfig::default().with_faults(1, Fault::rate_limited("1"))).await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let answer = provider.complete(&text_request("patience")).await.unwrap();
    assert_eq!(answer.text, "stub: patience");
    let requests = stub.requests();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(waited < Duration::from_secs(10), "waited {waited:?}");
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(2, Fault::ServerError)).await;
    let provider = Provider::new(anthropic(&stub.base_url())).unwrap();
    let answer = provider.complete(&text_request("again")).await.unwrap();
    assert_eq!(answer.text, "stub: again");
    assert_eq!(stub.request_count(), 3);
}

#[tokio::test]
async fn retries_stop_at_max_retries_with_the_last_error() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(5, Fault::ServerError)).await;
    let mut config = openai(&stub.base_url());
    config.max_retries = Some(1);
    let provider = Provider::new(config).unwrap();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert_eq!(
        err,
        ProviderError::Http {
            status: 500,
            message: "The server had an error".into()
        }
    );
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_carry_the_api_message() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(
        1,
        Fault::status(400, "Invalid value for 'temperature'\nmore detail"),
    ))
    .await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert_eq!(
        err,
        ProviderError::Http {
            status: 400,
            message: "Invalid value for 'temperature'".into()
        }
    );
    assert!(err.to_string().contains("HTTP 400"), "{err}");
    assert_eq!(stub.request_count(), 1);
}

#[tokio::test]
async fn slow_answers_time_out_and_a_retry_can_succeed() {
    setup();
    let stub = StubModel::start(
        StubConfig::default().with_faults(1, Fault::Delay(Duration::from_secs(5))),
    )
    .await;
    let mut config = openai(&stub.base_url());
    config.timeout_secs = Some(1);
    config.max_retries = Some(0);
    let provider = Provider::new(config.clone()).unwrap();
    let started = Instant::now();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert_eq!(err, ProviderError::Timeout { secs: 1 });
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(err.to_string().contains("timeout_secs"));

    stub.push_faults(1, Fault::Delay(Duration::from_secs(5)));
    config.max_retries = Some(1);
    let provider = Provider::new(config).unwrap();
    let answer = provider.complete(&text_request("y")).await.unwrap();
    assert_eq!(answer.text, "stub: y");
}

#[tokio::test]
async fn a_stalled_stream_times_out() {
    setup();
    let stub =
        StubModel::start(StubConfig::default().with_chunk_delay(Duration::from_secs(5))).await;
    let mut config = anthropic(&stub.base_url());
    config.timeout_secs = Some(1);
    config.max_retries = Some(1);
    let provider = Provider::new(config).unwrap();
    let started = Instant::now();
    let (result, deltas) = stream_collect(&provider, &text_request("x")).await;
    assert_eq!(result.unwrap_err(), ProviderError::Timeout { secs: 1 });
    assert!(deltas.is_empty(), "{deltas:?}");
    // Nothing was delivered when it stalled, so it was tried again.
    assert_eq!(stub.request_count(), 2);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn malformed_answers_are_reported_not_retried() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(2, Fault::Malformed)).await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Malformed(_)), "{err:?}");
    let (result, _) = stream_collect(&provider, &text_request("x")).await;
    assert!(
        matches!(result, Err(ProviderError::Malformed(_))),
        "{result:?}"
    );
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn dropped_connections_are_retried() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(1, Fault::Drop)).await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let answer = provider
        .complete(&text_request("still there?"))
        .await
        .unwrap();
    assert_eq!(answer.text, "stub: still there?");
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn an_unreachable_server_is_a_connect_error() {
    setup();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = openai(&format!("http://127.0.0.1:{port}/v1"));
    config.max_retries = Some(0);
    let provider = Provider::new(config).unwrap();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert!(matches!(err, ProviderError::Connect(_)), "{err:?}");
    assert!(err.is_retryable());
    let message = err.to_string();
    assert!(
        message.contains("stub-openai") && message.contains("base_url"),
        "{message}"
    );
}

#[tokio::test]
async fn a_stream_retries_before_its_first_delta() {
    setup();
    let stub = StubModel::start(StubConfig::default().with_faults(1, Fault::ServerError)).await;
    let provider = Provider::new(anthropic(&stub.base_url())).unwrap();
    let (answer, deltas) = stream_collect(&provider, &text_request("go")).await;
    assert_eq!(answer.unwrap().text, "stub: go");
    assert_eq!(deltas, ["stub: ", "go"]);
    assert_eq!(stub.request_count(), 2);
}

#[tokio::test]
async fn clones_share_one_provider_across_tasks() {
    setup();
    let stub = StubModel::start(
        StubConfig::answering(|m| m.chars().rev().collect()).with_delay(Duration::from_millis(20)),
    )
    .await;
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.complete(&text_request(&format!("ab{i}"))).await })
        })
        .collect();
    for (i, task) in tasks.into_iter().enumerate() {
        let answer = task.await.unwrap().unwrap();
        assert_eq!(
            answer.text,
            format!("ab{i}").chars().rev().collect::<String>()
        );
    }
    assert_eq!(stub.request_count(), 20);
}

#[tokio::test]
async fn command_provider_pipes_the_prompt_through_the_shell() {
    setup();
    let cat = Provider::new(command("cat")).unwrap();
    let answer = cat
        .complete(&text_request("line one\nline two\n"))
        .await
        .unwrap();
    assert_eq!(answer.text, "line one\nline two");
    assert_eq!(answer.input_tokens, None);

    let chat = chat_request(
        &[(MessageRole::System, "Be kind."), (MessageRole::User, "Hi")],
        json!({}),
    );
    assert_eq!(
        cat.complete(&chat).await.unwrap().text,
        "system: Be kind.\n\nuser: Hi"
    );

    let (answer, deltas) = stream_collect(&cat, &text_request("whole")).await;
    assert_eq!(deltas, ["whole"]);
    assert_eq!(answer.unwrap().text, "whole");
}

#[tokio::test]
async fn command_failures_carry_the_status_and_stderr() {
    setup();
    let failing = Provider::new(command(
        "echo 'model file missing' >&2; echo more >&2; exit 3",
    ))
    .unwrap();
    let err = failing.complete(&text_request("x")).await.unwrap_err();
    let ProviderError::Command(message) = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("status 3"), "{message}");
    assert!(message.contains("model file missing"), "{message}");
    assert!(!message.contains("more"), "{message}");
    assert!(!err.is_retryable());

    let plain_exit = Provider::new(command("exit 3")).unwrap();
    let err = plain_exit.complete(&text_request("x")).await.unwrap_err();
    assert!(err.to_string().contains("status 3"), "{err}");
}

#[tokio::test]
async fn command_json_input_sends_messages_and_params() {
    setup();
    let mut config = command("cat");
    config.json_input = true;
    let provider = Provider::new(config).unwrap();
    let req = chat_request(
        &[(MessageRole::System, "S"), (MessageRole::User, "U")],
        json!({"temperature": 0.3, "echo_prefix": "galley only"}),
    );
    let answer = provider.complete(&req).await.unwrap();
    let sent: Json = serde_json::from_str(&answer.text).unwrap();
    assert_eq!(
        sent,
        json!({"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}],
            "params": {"temperature": 0.3}})
    );

    // A tiny script that reads the JSON itself.
    let mut config = command(
        r#"python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["messages"][-1]["content"].upper(), d["params"]["temperature"])'"#,
    );
    config.json_input = true;
    let provider = Provider::new(config).unwrap();
    assert_eq!(provider.complete(&req).await.unwrap().text, "U 0.3");
}

#[tokio::test]
async fn command_timeouts_kill_the_command() {
    setup();
    let mut config = command("sleep 30");
    config.timeout_secs = Some(1);
    let provider = Provider::new(config).unwrap();
    let started = Instant::now();
    let err = provider.complete(&text_request("x")).await.unwrap_err();
    assert_eq!(err, ProviderError::Timeout { secs: 1 });
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn echo_is_deterministic() {
    setup();
    let mut config = ProviderConfig::new("echo", ProviderKind::Echo);
    config.defaults = json!({"echo_prefix": "> "});
    let provider = Provider::new(config.clone()).unwrap();
    let req = chat_request(
        &[
            (MessageRole::System, "sys"),
            (MessageRole::User, "same words"),
        ],
        json!({}),
    );
    let first = provider.complete(&req).await.unwrap();
    let second = Provider::new(config).unwrap().complete(&req).await.unwrap();
    assert_eq!(first, second);
    assert_eq!(first.text, "> same words");
    assert_eq!(
        (first.input_tokens, first.output_tokens),
        (Some(3), Some(3))
    );
    assert_eq!(first.latency_ms, 0);
    let (streamed, deltas) = stream_collect(&provider, &req).await;
    assert_eq!(streamed.unwrap(), first);
    assert_eq!(deltas, ["> same words"]);
}

#[tokio::test]
async fn the_rate_limit_is_shared_by_clones() {
    setup();
    let mut config = ProviderConfig::new("echo", ProviderKind::Echo);
    config.rpm = Some(600); // one request per 100 ms
    let provider = Provider::new(config).unwrap();
    let started = Instant::now();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.complete(&text_request("x")).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // The limiter can only delay: four requests need at least three intervals.
    assert!(
        started.elapsed() >= Duration::from_millis(290),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn cache_keys_follow_the_request_not_the_key() {
    setup();
    let mut config = openai("http://127.0.0.1:9/v1");
    let provider = Provider::new(config.clone()).unwrap();
    let req = chat_request(
        &[(MessageRole::User, "hi")],
        json!({"temperature": 0.1, "max_tokens": 5}),
    );
    let key = provider.cache_key(&req);
    assert_eq!(key.len(), 64);
    assert!(key.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(provider.cache_key(&req.clone()), key);

    // The same params inserted in another order.
    let mut reordered = req.clone();
    reordered.params = Map::new();
    reordered.params.insert("max_tokens".into(), json!(5));
    reordered.params.insert("temperature".into(), json!(0.1));
    assert_eq!(provider.cache_key(&reordered), key);

    let mut warmer = req.clone();
    warmer.params.insert("temperature".into(), json!(0.2));
    assert_ne!(provider.cache_key(&warmer), key);
    let mut other_text = req.clone();
    other_text.messages[0].content = "hi!".into();
    assert_ne!(provider.cache_key(&other_text), key);

    // Another key (another variable holding another value) is the same provider.
    config.api_key_env = Some(OTHER_KEY_VAR.into());
    assert_eq!(Provider::new(config.clone()).unwrap().cache_key(&req), key);
    config.model = Some("gpt-other".into());
    assert_ne!(Provider::new(config.clone()).unwrap().cache_key(&req), key);
    let mut elsewhere = openai("http://127.0.0.1:10/v1");
    elsewhere.api_key_env = None;
    assert_ne!(Provider::new(elsewhere).unwrap().cache_key(&req), key);
}

#[test]
fn the_blocking_stub_serves_without_a_caller_runtime() {
    setup();
    let stub = BlockingStubModel::start(StubConfig::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let provider = Provider::new(openai(&stub.base_url())).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let answer = runtime.block_on(async {
        let seen = seen.clone();
        provider
            .stream(&text_request("sync"), &mut move |d: &str| {
                seen.lock().unwrap().push(d.to_string())
            })
            .await
    });
    assert_eq!(answer.unwrap().text, "stub: sync");
    assert_eq!(seen.lock().unwrap().concat(), "stub: sync");
    assert_eq!(stub.request_count(), 1);
}

#[test]
fn configs_are_validated() {
    setup();
    let err = Provider::new(ProviderConfig::new("c", ProviderKind::Command)).unwrap_err();
    assert!(matches!(err, ProviderError::Config(_)));
    assert!(err.to_string().contains("`c`"), "{err}");
    let mut bad = openai("not a url");
    bad.base_url = Some("not a url".into());
    assert!(matches!(Provider::new(bad), Err(ProviderError::Config(_))));
    let defaults = Provider::new(ProviderConfig::new("a", ProviderKind::Anthropic)).unwrap();
    assert!(format!("{defaults:?}").contains("https://api.anthropic.com/v1"));
}
