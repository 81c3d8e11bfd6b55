//! The OpenAI chat completions wire format (also spoken by Ollama, vLLM, llama.cpp server,
//! LM Studio, LiteLLM and OpenRouter).

use serde_json::{Value as Json, json};

use super::params::api_params;
use super::sse::SseEvent;
use super::{ProviderError, ProviderRequest, ProviderResponse};

/// `Authorization: Bearer KEY` when there is a key (local servers take none).
pub(super) fn headers(key: Option<&str>) -> Vec<(&'static str, String)> {
    key.map(|k| ("authorization", format!("Bearer {k}")))
        .into_iter()
        .collect()
}

/// The parameters plus the messages; for streaming, `stream` and a request for the usage.
pub(super) fn body(req: &ProviderRequest, stream: bool) -> Json {
    let mut body = api_params(&req.params);
    body.insert(
        "messages".into(),
        serde_json::to_value(&req.messages).expect("messages serialise"),
    );
    if stream {
        body.insert("stream".into(), Json::Bool(true));
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    Json::Object(body)
}

/// A whole answer: `choices[0].message`, `usage`, `model`.
pub(super) fn parse(json: &Json) -> Result<ProviderResponse, ProviderError> {
    if let Some(error) = in_band_error(json) {
        return Err(error);
    }
    let choice = json
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| ProviderError::Malformed("the answer has no `choices[0]`".into()))?;
    let message = choice
        .get("message")
        .ok_or_else(|| ProviderError::Malformed("`choices[0]` has no `message`".into()))?;
    let (input_tokens, output_tokens) = usage(json);
    Ok(ProviderResponse {
        text: content_text(message.get("content")),
        input_tokens,
        output_tokens,
        latency_ms: 0,
        model: str_field(json, "model"),
        finish_reason: str_field(choice, "finish_reason"),
        tool_calls: message
            .get("tool_calls")
            .filter(|t| t.as_array().is_some_and(|a| !a.is_empty()))
            .cloned(),
    })
}

/// The answer being assembled from `chat.completion.chunk` events.
#[derive(Debug, Default)]
pub(super) struct StreamState {
    text: String,
    model: Option<String>,
    finish_reason: Option<String>,
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    /// Tool calls by index: `id` and `function.name` arrive once, `arguments` in pieces.
    tool_calls: Vec<Json>,
    chunks: usize,
}

impl StreamState {
    /// Reads one event; true at `[DONE]`.
    pub(super) fn event(
        &mut self,
        event: &SseEvent,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<bool, ProviderError> {
        let data = event.data.trim();
        if data == "[DONE]" {
            return Ok(true);
        }
        if data.is_empty() {
            return Ok(false);
        }
        let chunk: Json = serde_json::from_str(data)
            .map_err(|e| ProviderError::Malformed(format!("a streamed chunk is not JSON: {e}")))?;
        if let Some(error) = in_band_error(&chunk) {
            return Err(error);
        }
        self.chunks += 1;
        if self.model.is_none() {
            self.model = str_field(&chunk, "model");
        }
        if chunk.get("usage").is_some_and(Json::is_object) {
            (self.input_tokens, self.output_tokens) = usage(&chunk);
        }
        let Some(choice) = chunk.get("choices").and_then(|c| c.get(0)) else {
            return Ok(false);
        };
        if let Some(reason) = str_field(choice, "finish_reason") {
            self.finish_reason = Some(reason);
        }
        let Some(delta) = choice.get("delta") else {
            return Ok(false);
        };
        let text = content_text(delta.get("content"));
        if !text.is_empty() {
            self.text.push_str(&text);
            on_delta(&text);
        }
        if let Some(calls) = delta.get("tool_calls").and_then(Json::as_array) {
            for call in calls {
                self.merge_tool_call(call);
            }
        }
        Ok(false)
    }

    fn merge_tool_call(&mut self, call: &Json) {
        let index = call
            .get("index")
            .and_then(Json::as_u64)
            .unwrap_or(self.tool_calls.len() as u64) as usize;
        while self.tool_calls.len() <= index {
            self.tool_calls.push(json!({"id": null, "type": "function",
                "function": {"name": null, "arguments": ""}}));
        }
        let slot = &mut self.tool_calls[index];
        for key in ["id", "type"] {
            if let Some(value) = call.get(key).filter(|v| !v.is_null()) {
                slot[key] = value.clone();
            }
        }
        if let Some(function) = call.get("function") {
            if let Some(name) = function.get("name").filter(|v| !v.is_null()) {
                slot["function"]["name"] = name.clone();
            }
            if let Some(piece) = function.get("arguments").and_then(Json::as_str) {
                let so_far = slot["function"]["arguments"].as_str().unwrap_or_default();
                slot["function"]["arguments"] = Json::String(format!("{so_far}{piece}"));
            }
        }
    }

    /// The assembled answer (a stream that ended without `[DONE]` still counts if it said
    /// anything).
    pub(super) fn finish(self) -> Result<ProviderResponse, ProviderError> {
        if self.chunks == 0 {
            return Err(ProviderError::Malformed(
                "the stream ended without a single chunk".into(),
            ));
        }
        Ok(ProviderResponse {
            text: self.text,
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            latency_ms: 0,
            model: self.model,
            finish_reason: self.finish_reason,
            tool_calls: (!self.tool_calls.is_empty()).then_some(Json::Array(self.tool_calls)),
        })
    }
}

/// `{"error": ...}` in a 200 answer or a stream: some servers report failures that way.
fn in_band_error(json: &Json) -> Option<ProviderError> {
    let error = json.get("error").filter(|e| !e.is_null())?;
    let message = match error {
        Json::String(message) => message.clone(),
        error => error
            .get("message")
            .and_then(Json::as_str)
            .unwrap_or("unknown error")
            .to_string(),
    };
    let status = error
        .get("code")
        .and_then(|c| c.as_u64().or_else(|| c.as_str()?.parse().ok()))
        .filter(|c| (400..600).contains(c))
        .unwrap_or(500) as u16;
    Some(ProviderError::Http {
        status,
        message: super::one_line(&message, None),
    })
}

/// Text content: a string, or (some servers) an array of `{type: text, text}` parts.
fn content_text(content: Option<&Json>) -> String {
    match content {
        Some(Json::String(text)) => text.clone(),
        Some(Json::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Json::as_str))
            .collect(),
        _ => String::new(),
    }
}

fn usage(json: &Json) -> (Option<u64>, Option<u64>) {
    let usage = json.get("usage");
    let count = |key| usage.and_then(|u| u.get(key)).and_then(Json::as_u64);
    (count("prompt_tokens"), count("completion_tokens"))
}

fn str_field(json: &Json, key: &str) -> Option<String> {
    json.get(key).and_then(Json::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sse(data: &str) -> SseEvent {
        SseEvent {
            event: "message".into(),
            data: data.into(),
        }
    }

    #[test]
    fn stream_assembles_text_tool_calls_and_usage() {
        let mut state = StreamState::default();
        let mut deltas = Vec::new();
        let mut on_delta = |d: &str| deltas.push(d.to_string());
        let events = [
            r#"{"model":"m1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"lo"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}}]}"#,
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
        ];
        for data in events {
            assert!(!state.event(&sse(data), &mut on_delta).unwrap());
        }
        assert!(state.event(&sse("[DONE]"), &mut on_delta).unwrap());
        let answer = state.finish().unwrap();
        assert_eq!(deltas, ["Hel", "lo"]);
        assert_eq!(answer.text, "Hello");
        assert_eq!(answer.model.as_deref(), Some("m1"));
        assert_eq!(
            (answer.input_tokens, answer.output_tokens),
            (Some(5), Some(2))
        );
        assert_eq!(answer.finish_reason.as_deref(), Some("tool_calls"));
        assert_eq!(
            answer.tool_calls.unwrap(),
            json!([{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}])
        );
    }

    #[test]
    fn errors_inside_answers() {
        let err = parse(&json!({"error": {"message": "overloaded", "code": 503}})).unwrap_err();
        assert_eq!(
            err,
            ProviderError::Http {
                status: 503,
                message: "overloaded".into()
            }
        );
        assert!(matches!(
            parse(&json!({"choices": []})),
            Err(ProviderError::Malformed(_))
        ));
    }
}
