//! Both wire formats, whole and streamed; parameters; keys.

use galley::domain::MessageRole;
use galley::domain::eval::{ProviderConfig, ProviderKind};
use galley::eval::providers::{Provider, ProviderError, merge_params, request_for};
use galley::template::Rendered;
use serde_json::{Value as Json, json};
use std::time::Duration;

use crate::stub_model::{StubConfig, StubModel};
use crate::support::*;

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
