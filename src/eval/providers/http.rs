//! One HTTP attempt against an OpenAI-compatible or Anthropic endpoint: the request, the
//! error mapping, and reading a whole answer or a stream of server-sent events.

use std::time::{Duration, Instant, SystemTime};

use futures_util::StreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use serde_json::Value as Json;

use super::sse::{SseEvent, SseParser};
use super::{
    Failure, Inner, ProviderError, ProviderRequest, ProviderResponse, anthropic, one_line, openai,
    parse_retry_after,
};
use crate::domain::eval::ProviderKind;

/// The client for one provider: a pool of keep-alive connections with Nagle off (a loopback
/// model server otherwise adds ~40 ms per answer), no proxy for loopback hosts.
pub(super) fn client(base: &reqwest::Url, timeout: Duration) -> reqwest::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .tcp_nodelay(true)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(60));
    let host = base.host_str().unwrap_or_default();
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if loopback {
        builder = builder.no_proxy();
    }
    builder.build()
}

/// Sends `req` and reads the whole answer.
pub(super) async fn complete(
    inner: &Inner,
    key: Option<&str>,
    req: &ProviderRequest,
) -> Result<ProviderResponse, Failure> {
    let started = Instant::now();
    let response = send(inner, key, req, false).await?;
    let body = response
        .bytes()
        .await
        .map_err(|e| transport_error(inner, &e))?;
    let mut answer = parse_whole(inner.config.kind, &body)?;
    answer.latency_ms = elapsed_ms(started);
    Ok(answer)
}

/// Sends `req` with streaming on and hands each text delta to `on_delta`. The timeout bounds
/// the wait for the headers and then for each chunk, so a long answer that keeps coming is
/// never cut.
pub(super) async fn stream(
    inner: &Inner,
    key: Option<&str>,
    req: &ProviderRequest,
    on_delta: &mut (dyn FnMut(&str) + Send),
) -> Result<ProviderResponse, Failure> {
    let started = Instant::now();
    let timeout = inner.timeout;
    let response = tokio::time::timeout(timeout, send(inner, key, req, true))
        .await
        .map_err(|_| timed_out(inner))??;
    let is_sse = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/event-stream"));
    if !is_sse {
        // A server that ignores `stream: true` answers in one piece.
        let body = tokio::time::timeout(timeout, response.bytes())
            .await
            .map_err(|_| timed_out(inner))?
            .map_err(|e| transport_error(inner, &e))?;
        let mut answer = parse_whole(inner.config.kind, &body)?;
        on_delta(&answer.text);
        answer.latency_ms = elapsed_ms(started);
        return Ok(answer);
    }
    let mut decoder = match inner.config.kind {
        ProviderKind::Anthropic => Decoder::Anthropic(anthropic::StreamState::default()),
        _ => Decoder::Openai(openai::StreamState::default()),
    };
    let mut body = response.bytes_stream();
    let mut parser = SseParser::new();
    let mut done = false;
    while !done {
        let chunk = match tokio::time::timeout(timeout, body.next()).await {
            Err(_) => return Err(timed_out(inner).into()),
            Ok(None) => break,
            Ok(Some(chunk)) => chunk.map_err(|e| transport_error(inner, &e))?,
        };
        for event in parser.feed(&chunk) {
            done = decoder.event(&event, on_delta)?;
            if done {
                break;
            }
        }
    }
    if !done && let Some(event) = parser.finish() {
        decoder.event(&event, on_delta)?;
    }
    let mut answer = decoder.finish()?;
    answer.latency_ms = elapsed_ms(started);
    Ok(answer)
}

enum Decoder {
    Openai(openai::StreamState),
    Anthropic(anthropic::StreamState),
}

impl Decoder {
    /// Reads one event; true once the stream says it is complete.
    fn event(
        &mut self,
        event: &SseEvent,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<bool, ProviderError> {
        match self {
            Self::Openai(state) => state.event(event, on_delta),
            Self::Anthropic(state) => state.event(event, on_delta),
        }
    }

    fn finish(self) -> Result<ProviderResponse, ProviderError> {
        match self {
            Self::Openai(state) => state.finish(),
            Self::Anthropic(state) => state.finish(),
        }
    }
}

/// Posts the request; a non-2xx answer becomes an `Http` failure carrying the API's message
/// and its `Retry-After`.
async fn send(
    inner: &Inner,
    key: Option<&str>,
    req: &ProviderRequest,
    stream: bool,
) -> Result<reqwest::Response, Failure> {
    let base = inner.base_url.as_deref().unwrap_or_default();
    let (url, body, headers) = match inner.config.kind {
        ProviderKind::Anthropic => (
            format!("{base}/messages"),
            anthropic::body(req, stream),
            anthropic::headers(key),
        ),
        _ => (
            format!("{base}/chat/completions"),
            openai::body(req, stream),
            openai::headers(key),
        ),
    };
    let headers = header_map(headers).map_err(|problem| {
        ProviderError::Config(format!("provider `{}`: {problem}", inner.config.name))
    })?;
    let mut body = body;
    // A request built without `merge_params` still names the provider's model.
    if let (Some(model), Json::Object(map)) = (&inner.config.model, &mut body) {
        map.entry("model")
            .or_insert_with(|| Json::String(model.clone()));
    }
    let body = serde_json::to_vec(&body).expect("a JSON value serialises");
    let mut request = inner
        .http
        .as_ref()
        .expect("HTTP providers have a client")
        .post(&url)
        .headers(headers)
        .header(CONTENT_TYPE, "application/json")
        .body(body);
    if !stream {
        request = request.timeout(inner.timeout);
    }
    let response = request
        .send()
        .await
        .map_err(|e| transport_error(inner, &e))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, SystemTime::now()));
    // The error body is small; bound the wait for it all the same.
    let text = match tokio::time::timeout(inner.timeout, response.text()).await {
        Ok(Ok(text)) => text,
        _ => String::new(),
    };
    let message = match api_error_message(&text) {
        Some(message) => one_line(&message, key),
        None if !text.trim().is_empty() && !text.trim_start().starts_with('<') => {
            one_line(&text, key)
        }
        None => status
            .canonical_reason()
            .unwrap_or("no message")
            .to_string(),
    };
    Err(Failure {
        error: ProviderError::Http {
            status: status.as_u16(),
            message,
        },
        retry_after,
    })
}

fn header_map(headers: Vec<(&'static str, String)>) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers {
        let mut value = HeaderValue::from_str(&value)
            .map_err(|_| format!("the value of header {name} has characters HTTP cannot carry"))?;
        if matches!(name, "authorization" | "x-api-key") {
            value.set_sensitive(true);
        }
        map.insert(name, value);
    }
    Ok(map)
}

/// `error.message` (both APIs), or `error` as a string (Ollama and others).
pub(super) fn api_error_message(body: &str) -> Option<String> {
    let json: Json = serde_json::from_str(body).ok()?;
    match json.get("error")? {
        Json::String(message) => Some(message.clone()),
        error => error
            .get("message")
            .and_then(Json::as_str)
            .map(str::to_string),
    }
}

fn parse_whole(kind: ProviderKind, body: &[u8]) -> Result<ProviderResponse, ProviderError> {
    let json: Json = serde_json::from_slice(body).map_err(|e| {
        let start = String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        ProviderError::Malformed(format!(
            "the answer is not JSON: {e}; it starts `{}`",
            one_line(&start, None)
        ))
    })?;
    match kind {
        ProviderKind::Anthropic => anthropic::parse(&json),
        _ => openai::parse(&json),
    }
}

fn timed_out(inner: &Inner) -> ProviderError {
    ProviderError::Timeout {
        secs: inner.timeout.as_secs(),
    }
}

/// A reqwest error as a provider error, with the causes that say what went wrong (refused,
/// reset, DNS) rather than only "error sending request".
fn transport_error(inner: &Inner, error: &reqwest::Error) -> Failure {
    if error.is_timeout() {
        return timed_out(inner).into();
    }
    let mut causes = Vec::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    let what = if error.is_decode() || error.is_body() {
        "the connection broke while reading the answer"
    } else {
        "the request could not be sent"
    };
    let detail = match causes.is_empty() {
        true => what.to_string(),
        false => format!("{what}: {}", causes.join(": ")),
    };
    let url = error.url().map(|u| u.as_str()).unwrap_or("");
    ProviderError::Connect(one_line(
        &format!("provider `{}` at {url}: {detail}", inner.config.name),
        None,
    ))
    .into()
}

fn elapsed_ms(started: Instant) -> u64 {
    started.elapsed().as_millis().try_into().unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_messages_of_both_apis() {
        let openai = r#"{"error": {"message": "Invalid model", "type": "invalid_request_error"}}"#;
        assert_eq!(api_error_message(openai).as_deref(), Some("Invalid model"));
        let anthropic =
            r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#;
        assert_eq!(api_error_message(anthropic).as_deref(), Some("Overloaded"));
        assert_eq!(
            api_error_message(r#"{"error": "model not found"}"#).as_deref(),
            Some("model not found")
        );
        assert_eq!(api_error_message("<html>"), None);
    }
}
