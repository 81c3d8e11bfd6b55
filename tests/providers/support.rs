//! Shared setup for the provider tests.

#![allow(dead_code)]

use std::sync::Once;

use galley::domain::MessageRole;
use galley::domain::eval::{ProviderConfig, ProviderKind};
use galley::eval::providers::{
    Provider, ProviderError, ProviderRequest, ProviderResponse, request_for,
};
use galley::template::{ChatMessage, Rendered};
use serde_json::{Map, Value as Json};

pub const OPENAI_KEY_VAR: &str = "GALLEY_PROVIDER_TEST_OPENAI_KEY";
pub const OPENAI_KEY: &str = "sk-test-openai-0123456789";
pub const ANTHROPIC_KEY_VAR: &str = "GALLEY_PROVIDER_TEST_ANTHROPIC_KEY";
pub const ANTHROPIC_KEY: &str = "sk-ant-test-0123456789";
pub const OTHER_KEY_VAR: &str = "GALLEY_PROVIDER_TEST_OTHER_KEY";
pub const UNSET_KEY_VAR: &str = "GALLEY_PROVIDER_TEST_NEVER_SET";

/// Sets the test keys once, before any test reads the environment: every test calls it first.
pub fn setup() {
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

pub fn openai(base_url: &str) -> ProviderConfig {
    let mut config = ProviderConfig::new("stub-openai", ProviderKind::Openai);
    config.base_url = Some(base_url.to_string());
    config.api_key_env = Some(OPENAI_KEY_VAR.into());
    config.model = Some("gpt-test".into());
    config
}

pub fn anthropic(base_url: &str) -> ProviderConfig {
    let mut config = ProviderConfig::new("stub-anthropic", ProviderKind::Anthropic);
    config.base_url = Some(base_url.to_string());
    config.api_key_env = Some(ANTHROPIC_KEY_VAR.into());
    config.model = Some("claude-test".into());
    config
}

pub fn command(cmd: &str) -> ProviderConfig {
    let mut config = ProviderConfig::new("local", ProviderKind::Command);
    config.command = Some(cmd.into());
    config
}

pub fn text_request(text: &str) -> ProviderRequest {
    request_for(&Rendered::Text(text.into()), Map::new())
}

pub fn chat_request(messages: &[(MessageRole, &str)], params: Json) -> ProviderRequest {
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

pub async fn stream_collect(
    provider: &Provider,
    req: &ProviderRequest,
) -> (Result<ProviderResponse, ProviderError>, Vec<String>) {
    let mut deltas = Vec::new();
    let result = provider
        .stream(req, &mut |d: &str| deltas.push(d.to_string()))
        .await;
    (result, deltas)
}
