//! The command and echo providers, the rate limit, the cache key.

use galley::domain::MessageRole;
use galley::domain::eval::{ProviderConfig, ProviderKind};
use galley::eval::providers::{Provider, ProviderError};
use serde_json::{Map, Value as Json, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::stub_model::{BlockingStubModel, StubConfig};
use crate::support::*;

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
