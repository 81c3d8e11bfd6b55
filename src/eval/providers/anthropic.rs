//! Anthropic's Messages API.

use serde_json::{Map, Value as Json, json};

use super::params::api_params;
use super::sse::SseEvent;
use super::{ProviderError, ProviderRequest, ProviderResponse, one_line};
use crate::domain::MessageRole;

/// The API version galley speaks.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";
/// `max_tokens` is required by the API; this is sent when the config sets none.
pub const DEFAULT_MAX_TOKENS: u64 = 1024;

pub(super) fn headers(key: Option<&str>) -> Vec<(&'static str, String)> {
    let mut headers = vec![("anthropic-version", ANTHROPIC_VERSION.to_string())];
    if let Some(key) = key {
        headers.push(("x-api-key", key.to_string()));
    }
    headers
}

/// The parameters, translated where the OpenAI-shaped model config of a prompt differs
/// (`stop` → `stop_sequences`, `max_completion_tokens` → `max_tokens`, function tools →
/// `input_schema` tools, `response_format` dropped: the API has none and refuses unknown
/// fields); system messages go to the top-level `system`.
pub(super) fn body(req: &ProviderRequest, stream: bool) -> Json {
    let mut body = api_params(&req.params);
    body.remove("response_format");
    if let Some(stop) = body.remove("stop")
        && !body.contains_key("stop_sequences")
    {
        let stop = match stop {
            Json::String(s) => json!([s]),
            other => other,
        };
        body.insert("stop_sequences".into(), stop);
    }
    if let Some(max) = body.remove("max_completion_tokens") {
        body.entry("max_tokens").or_insert(max);
    }
    body.entry("max_tokens")
        .or_insert(Json::from(DEFAULT_MAX_TOKENS));
    if let Some(Json::Array(tools)) = body.get_mut("tools") {
        for tool in tools.iter_mut() {
            if let Some(converted) = function_tool(tool) {
                *tool = converted;
            }
        }
    }
    let system: Vec<&str> = req
        .messages
        .iter()
        .filter(|m| m.role == MessageRole::System)
        .map(|m| m.content.as_str())
        .collect();
    let mut messages: Vec<Json> = req
        .messages
        .iter()
        .filter(|m| m.role != MessageRole::System)
        .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
        .collect();
    if messages.is_empty() && !system.is_empty() {
        // The API needs a user turn: a prompt that is all system text is sent as one.
        messages.push(json!({"role": "user", "content": system.join("\n\n")}));
    } else if !system.is_empty() {
        body.insert("system".into(), Json::String(system.join("\n\n")));
    }
    body.insert("messages".into(), Json::Array(messages));
    if stream {
        body.insert("stream".into(), Json::Bool(true));
    }
    Json::Object(body)
}

/// `{type: function, function: {name, description, parameters}}` as an Anthropic tool.
fn function_tool(tool: &Json) -> Option<Json> {
    if tool.get("type").and_then(Json::as_str) != Some("function") {
        return None;
    }
    let function = tool.get("function")?;
    let mut out = Map::new();
    out.insert("name".into(), function.get("name")?.clone());
    if let Some(description) = function.get("description") {
        out.insert("description".into(), description.clone());
    }
    let schema = function
        .get("parameters")
        .cloned()
        .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
    out.insert("input_schema".into(), schema);
    Some(Json::Object(out))
}

/// A whole answer: the text blocks joined, `tool_use` blocks as tool calls.
pub(super) fn parse(json: &Json) -> Result<ProviderResponse, ProviderError> {
    if let Some(error) = error_event(json) {
        return Err(error);
    }
    let content = json
        .get("content")
        .and_then(Json::as_array)
        .ok_or_else(|| ProviderError::Malformed("the answer has no `content` list".into()))?;
    let text = content
        .iter()
        .filter(|b| b.get("type").and_then(Json::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Json::as_str))
        .collect();
    let tools: Vec<Json> = content
        .iter()
        .filter(|b| b.get("type").and_then(Json::as_str) == Some("tool_use"))
        .cloned()
        .collect();
    let usage = json.get("usage");
    Ok(ProviderResponse {
        text,
        input_tokens: count(usage, "input_tokens"),
        output_tokens: count(usage, "output_tokens"),
        latency_ms: 0,
        model: str_field(json, "model"),
        finish_reason: str_field(json, "stop_reason"),
        tool_calls: (!tools.is_empty()).then_some(Json::Array(tools)),
    })
}

/// The answer being assembled from `message_start`, `content_block_*`, `message_delta` and
/// `message_stop` events.
#[derive(Debug, Default)]
pub(super) struct StreamState {
    answer: ProviderResponse,
    started: bool,
    /// Content blocks by index; a `tool_use` block's input arrives as JSON text in pieces.
    blocks: Vec<(Json, String)>,
}

impl StreamState {
    /// Reads one event; true at `message_stop`.
    pub(super) fn event(
        &mut self,
        event: &SseEvent,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<bool, ProviderError> {
        if event.data.trim().is_empty() {
            return Ok(false);
        }
        let data: Json = serde_json::from_str(&event.data)
            .map_err(|e| ProviderError::Malformed(format!("a streamed event is not JSON: {e}")))?;
        let kind = data
            .get("type")
            .and_then(Json::as_str)
            .unwrap_or(&event.event);
        match kind {
            "message_start" => {
                self.started = true;
                let message = data.get("message");
                self.answer.model = message.and_then(|m| str_field(m, "model"));
                let usage = message.and_then(|m| m.get("usage"));
                self.answer.input_tokens = count(usage, "input_tokens");
                self.answer.output_tokens = count(usage, "output_tokens");
            }
            "content_block_start" => {
                let index = data.get("index").and_then(Json::as_u64).unwrap_or(0) as usize;
                let block = data.get("content_block").cloned().unwrap_or(Json::Null);
                while self.blocks.len() <= index {
                    self.blocks.push((Json::Null, String::new()));
                }
                self.blocks[index] = (block, String::new());
            }
            "content_block_delta" => {
                let delta = data.get("delta");
                if let Some(text) = delta.and_then(|d| d.get("text")).and_then(Json::as_str) {
                    self.answer.text.push_str(text);
                    on_delta(text);
                }
                let partial = delta.and_then(|d| d.get("partial_json"));
                if let Some(piece) = partial.and_then(Json::as_str) {
                    let index = data.get("index").and_then(Json::as_u64).unwrap_or(0) as usize;
                    if let Some((_, json)) = self.blocks.get_mut(index) {
                        json.push_str(piece);
                    }
                }
            }
            "message_delta" => {
                if let Some(reason) = data.get("delta").and_then(|d| str_field(d, "stop_reason")) {
                    self.answer.finish_reason = Some(reason);
                }
                let usage = data.get("usage");
                if let Some(input) = count(usage, "input_tokens") {
                    self.answer.input_tokens = Some(input);
                }
                if let Some(output) = count(usage, "output_tokens") {
                    self.answer.output_tokens = Some(output);
                }
            }
            "message_stop" => return Ok(true),
            "error" => {
                return Err(error_event(&data).unwrap_or(ProviderError::Malformed(
                    "an error event without a message".into(),
                )));
            }
            _ => {} // ping, content_block_stop, and event types added later
        }
        Ok(false)
    }

    pub(super) fn finish(mut self) -> Result<ProviderResponse, ProviderError> {
        if !self.started {
            return Err(ProviderError::Malformed(
                "the stream ended without a message_start event".into(),
            ));
        }
        let tools: Vec<Json> = self
            .blocks
            .into_iter()
            .filter(|(block, _)| block.get("type").and_then(Json::as_str) == Some("tool_use"))
            .map(|(mut block, input)| {
                if let Ok(input) = serde_json::from_str::<Json>(&input) {
                    block["input"] = input;
                }
                block
            })
            .collect();
        self.answer.tool_calls = (!tools.is_empty()).then_some(Json::Array(tools));
        Ok(self.answer)
    }
}

/// `{"type": "error", "error": {"type": "overloaded_error", "message": ...}}`, with the HTTP
/// status the error type stands for (events inside a 200 stream carry none).
fn error_event(json: &Json) -> Option<ProviderError> {
    if json.get("type").and_then(Json::as_str) != Some("error") {
        return None;
    }
    let error = json.get("error");
    let message = error
        .and_then(|e| str_field(e, "message"))
        .unwrap_or_else(|| "unknown error".into());
    let status = match error.and_then(|e| e.get("type")).and_then(Json::as_str) {
        Some("invalid_request_error") => 400,
        Some("authentication_error") => 401,
        Some("permission_error") => 403,
        Some("not_found_error") => 404,
        Some("request_too_large") => 413,
        Some("rate_limit_error") => 429,
        Some("overloaded_error") => 529,
        _ => 500,
    };
    Some(ProviderError::Http {
        status,
        message: one_line(&message, None),
    })
}

fn count(usage: Option<&Json>, key: &str) -> Option<u64> {
    usage.and_then(|u| u.get(key)).and_then(Json::as_u64)
}

fn str_field(json: &Json, key: &str) -> Option<String> {
    json.get(key).and_then(Json::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::ChatMessage;

    fn msg(role: MessageRole, content: &str) -> ChatMessage {
        ChatMessage {
            role,
            content: content.into(),
        }
    }

    #[test]
    fn body_moves_system_and_translates_openai_params() {
        let Json::Object(params) = json!({"model": "claude", "stop": "END",
            "response_format": {"type": "json_object"}, "echo_prefix": "x",
            "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]})
        else {
            unreachable!()
        };
        let req = ProviderRequest {
            messages: vec![
                msg(MessageRole::System, "Be brief."),
                msg(MessageRole::User, "Hi"),
                msg(MessageRole::System, "Really."),
            ],
            params,
        };
        assert_eq!(
            body(&req, true),
            json!({"model": "claude", "max_tokens": 1024, "stop_sequences": ["END"],
                "system": "Be brief.\n\nReally.", "stream": true,
                "tools": [{"name": "f", "input_schema": {"type": "object"}}],
                "messages": [{"role": "user", "content": "Hi"}]})
        );
    }

    #[test]
    fn a_system_only_prompt_becomes_a_user_turn() {
        let req = ProviderRequest {
            messages: vec![msg(MessageRole::System, "Write a haiku.")],
            params: Map::new(),
        };
        let body = body(&req, false);
        assert_eq!(
            body["messages"],
            json!([{"role": "user", "content": "Write a haiku."}])
        );
        assert!(body.get("system").is_none());
    }

    #[test]
    fn stream_with_tool_use_and_error_events() {
        let mut state = StreamState::default();
        let mut text = String::new();
        let mut on_delta = |d: &str| text.push_str(d);
        let events = [
            r#"{"type":"message_start","message":{"model":"c3","usage":{"input_tokens":7,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#,
            r#"{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t1","name":"f","input":{}}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}"#,
            r#"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}"#,
        ];
        for data in events {
            let event = SseEvent {
                event: "x".into(),
                data: data.into(),
            };
            assert!(!state.event(&event, &mut on_delta).unwrap());
        }
        let stop = SseEvent {
            event: "message_stop".into(),
            data: "{}".into(),
        };
        assert!(state.event(&stop, &mut on_delta).unwrap());
        let answer = state.finish().unwrap();
        assert_eq!(text, "Hi");
        assert_eq!(
            (answer.input_tokens, answer.output_tokens),
            (Some(7), Some(9))
        );
        assert_eq!(answer.finish_reason.as_deref(), Some("tool_use"));
        assert_eq!(
            answer.tool_calls.unwrap(),
            json!([{"type": "tool_use", "id": "t1", "name": "f", "input": {"a": 1}}])
        );
        let mut state = StreamState::default();
        let error = SseEvent {
            event: "error".into(),
            data: r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
                .into(),
        };
        let err = state.event(&error, &mut |_| {}).unwrap_err();
        assert!(err.is_retryable());
    }
}
