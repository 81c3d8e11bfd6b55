//! The echo provider: deterministic and offline, for demos and smoke tests.

use serde_json::Value as Json;

use super::{ProviderRequest, ProviderResponse};
use crate::domain::MessageRole;
use crate::domain::eval::ProviderConfig;

/// Answers with the last user message (the whole prompt when there is none), after the
/// `echo_prefix` parameter if one is set. Tokens are counted as words; latency is 0.
pub(super) fn answer(config: &ProviderConfig, req: &ProviderRequest) -> ProviderResponse {
    let said = match req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == MessageRole::User)
    {
        Some(message) => message.content.clone(),
        None => req
            .messages
            .iter()
            .map(|m| m.content.as_str())
            .collect::<Vec<_>>()
            .join("\n\n"),
    };
    let prefix = req
        .params
        .get("echo_prefix")
        .or_else(|| config.defaults.get("echo_prefix"))
        .and_then(Json::as_str)
        .unwrap_or_default();
    let text = format!("{prefix}{said}");
    let input_words = req.messages.iter().map(|m| words(&m.content)).sum();
    let model = req
        .params
        .get("model")
        .and_then(Json::as_str)
        .map(str::to_string)
        .or_else(|| config.model.clone())
        .unwrap_or_else(|| "echo".into());
    ProviderResponse {
        input_tokens: Some(input_words),
        output_tokens: Some(words(&text)),
        text,
        latency_ms: 0,
        model: Some(model),
        finish_reason: Some("stop".into()),
        tool_calls: None,
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::eval::ProviderKind;
    use crate::template::ChatMessage;
    use serde_json::json;

    fn msg(role: MessageRole, content: &str) -> ChatMessage {
        ChatMessage {
            role,
            content: content.into(),
        }
    }

    #[test]
    fn echoes_the_last_user_message_with_a_prefix() {
        let mut config = ProviderConfig::new("e", ProviderKind::Echo);
        config.defaults = json!({"echo_prefix": "echo: "});
        let req = ProviderRequest {
            messages: vec![
                msg(MessageRole::System, "sys words here"),
                msg(MessageRole::User, "first"),
                msg(MessageRole::Assistant, "ok"),
                msg(MessageRole::User, "second question"),
            ],
            params: Default::default(),
        };
        let answer = answer(&config, &req);
        assert_eq!(answer.text, "echo: second question");
        assert_eq!(answer.input_tokens, Some(7));
        assert_eq!(answer.output_tokens, Some(3));
        assert_eq!(answer.model.as_deref(), Some("echo"));
    }

    #[test]
    fn without_a_user_message_echoes_everything() {
        let config = ProviderConfig::new("e", ProviderKind::Echo);
        let req = ProviderRequest {
            messages: vec![
                msg(MessageRole::System, "a"),
                msg(MessageRole::Assistant, "b"),
            ],
            params: Default::default(),
        };
        assert_eq!(answer(&config, &req).text, "a\n\nb");
    }
}
