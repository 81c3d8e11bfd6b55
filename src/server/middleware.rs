//! Layers every request goes through: request logs and metrics, and JSON bodies for errors
//! produced outside handlers (413 from the body limit, 408 from the timeout, 405, ...).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{CONTENT_TYPE, USER_AGENT};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::RequestNote;
use super::error::ApiError;
use super::state::AppState;

/// The most characters of one request-controlled value a log line holds.
const MAX_LOGGED_CHARS: usize = 200;

/// Logs exactly one line per request (method, path, route, status, latency, user agent, key
/// id, and why it was refused; never credentials or query strings) and counts it in the metrics
/// under its route pattern. Every value a request controls is [`escaped`], so no request can
/// write a line of its own.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let note = RequestNote::default();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let path = escaped(request.uri().path());
    let agent = request.headers().get(USER_AGENT).map_or_else(
        || "-".to_string(),
        |v| escaped(&String::from_utf8_lossy(v.as_bytes())),
    );
    let response = note.clone().scope(next.run(request)).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let route = route.unwrap_or_else(|| "unmatched".to_string());
    state
        .metrics()
        .observe(method.as_str(), &route, status, elapsed.as_secs_f64());
    let fields = note.fields();
    // Already checked for the shape of a key id, so safe as it is.
    let key = fields.key.unwrap_or_else(|| "-".to_string());
    let micros = elapsed.as_micros() as u64;
    let method = escaped(method.as_str());
    match fields.refused {
        Some(reason) => tracing::warn!(
            target: "galley::request",
            method = %method, path = %path, route = %escaped(&route), status, micros,
            agent = %agent, key = %key, refused = %escaped(&reason),
            "request refused"
        ),
        None => tracing::info!(
            target: "galley::request",
            method = %method, path = %path, route = %escaped(&route), status, micros,
            agent = %agent, key = %key,
            "request"
        ),
    }
    response
}

/// `raw` quoted and escaped for a log line: quotes, backslashes and every character that is not
/// printable ASCII (newlines, other control characters, anything that could pass for a line
/// break) written as escapes, and cut after [`MAX_LOGGED_CHARS`] characters.
pub(crate) fn escaped(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len().min(MAX_LOGGED_CHARS) + 2);
    out.push('"');
    for (i, c) in raw.chars().enumerate() {
        if i == MAX_LOGGED_CHARS {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            other => out.push_str(&format!("\\u{{{:x}}}", other as u32)),
        }
    }
    out.push('"');
    out
}

/// Gives every error answer the JSON shape, whoever produced it.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let message = if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("request failed")
            .to_string()
    } else {
        text
    };
    let mut answer = ApiError::rejection(status, message).into_response();
    for (name, value) in parts.headers.iter() {
        // The body is new: its type, length and encoding are the new body's, not the old one's.
        if name != CONTENT_TYPE
            && name != axum::http::header::CONTENT_LENGTH
            && name != axum::http::header::CONTENT_ENCODING
        {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer.extensions_mut().extend(parts.extensions);
    answer
}

#[cfg(test)]
mod tests {
    use super::escaped;

    #[test]
    fn logged_values_cannot_break_a_line() {
        assert_eq!(escaped("/v1/prompts/a"), "\"/v1/prompts/a\"");
        assert_eq!(
            escaped("x\n2026 INFO fake \"line\"\r\u{1b}[31m\u{2028}\\"),
            "\"x\\n2026 INFO fake \\\"line\\\"\\r\\u{1b}[31m\\u{2028}\\\\\""
        );
        let long = escaped(&"a".repeat(1000));
        assert_eq!(long.chars().count(), 200 + 3);
    }
}
