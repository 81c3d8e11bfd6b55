//! Layers every request goes through: request logs and metrics, and JSON bodies for errors
//! produced outside handlers (413 from the body limit, 408 from the timeout, 405, ...).

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::auth::KeySlot;
use super::error::ApiError;
use super::state::AppState;

/// Logs one line per request (method, route, status, latency, key id; never credentials or
/// query strings) and counts it in the metrics under its route pattern.
pub async fn observe(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let slot = KeySlot::default();
    request.extensions_mut().insert(slot.clone());
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string());
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    let route = route.unwrap_or_else(|| "unmatched".to_string());
    state
        .metrics()
        .observe(method.as_str(), &route, status, elapsed.as_secs_f64());
    let key = slot.get();
    let key = key.as_deref().unwrap_or("-");
    tracing::info!(
        target: "galley::request",
        method = %method,
        path = %path,
        route = %route,
        status,
        micros = elapsed.as_micros() as u64,
        key,
        "request"
    );
    response
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
    let mut answer = ApiError::new(status, ApiError::code_for(status), message).into_response();
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
