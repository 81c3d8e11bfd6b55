//! A loopback stub model server for tests and benchmarks: OpenAI `/v1/chat/completions` and
//! Anthropic `/v1/messages`, whole answers and server-sent event streams, deterministic, with
//! fault injection by request count.
//!
//! ```ignore
//! #[path = "support/stub_model.rs"]
//! mod stub_model;
//! let stub = StubModel::start(StubConfig::default().with_faults(2, Fault::rate_limited("1"))).await;
//! // point a provider at stub.base_url() (http://127.0.0.1:PORT/v1) ...
//! assert_eq!(stub.request_count(), 3);
//! ```
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use axum::serve::ListenerExt;
use serde_json::{Value as Json, json};

/// What the stub answers, given the last user message.
pub type AnswerFn = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// A misbehaviour for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// 429 with `Retry-After: value` when given.
    RateLimited { retry_after: Option<String> },
    /// 500 with an API error body.
    ServerError,
    /// Any status, with an API error body carrying `message`.
    Status { status: u16, message: String },
    /// Waits this long, then answers normally.
    Delay(Duration),
    /// 200 with a body that is not valid JSON (or, streaming, an event that is not).
    Malformed,
    /// The connection is cut before the answer is complete.
    Drop,
}

impl Fault {
    pub fn rate_limited(retry_after: &str) -> Self {
        Self::RateLimited {
            retry_after: Some(retry_after.to_string()),
        }
    }

    pub fn status(status: u16, message: &str) -> Self {
        Self::Status {
            status,
            message: message.to_string(),
        }
    }
}

/// How the stub behaves.
#[derive(Clone)]
pub struct StubConfig {
    /// The answer to the last user message (default: `stub: {message}`).
    pub answer: AnswerFn,
    /// Faults for the first requests, in arrival order (request 0 gets `faults[0]`); later
    /// requests are answered normally. More can be queued with `push_faults`.
    pub faults: Vec<Fault>,
    /// A wait before every answer.
    pub delay: Duration,
    /// A wait between streamed chunks.
    pub chunk_delay: Duration,
    /// The model named in answers when the request names none.
    pub model: String,
    /// When set, requests must carry this key (`Authorization: Bearer` or `x-api-key`); others
    /// get a 401 whose message echoes the key they sent, as some servers do.
    pub require_key: Option<String>,
}

impl Default for StubConfig {
    fn default() -> Self {
        Self {
            answer: Arc::new(|message| format!("stub: {message}")),
            faults: Vec::new(),
            delay: Duration::ZERO,
            chunk_delay: Duration::ZERO,
            model: "stub-model".into(),
            require_key: None,
        }
    }
}

impl StubConfig {
    /// Answers with `answer(last user message)`.
    pub fn answering(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        Self {
            answer: Arc::new(answer),
            ..Self::default()
        }
    }

    /// Appends `n` requests that get `fault`.
    pub fn with_faults(mut self, n: usize, fault: Fault) -> Self {
        self.faults.extend(std::iter::repeat_n(fault, n));
        self
    }

    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    pub fn with_chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = delay;
        self
    }

    pub fn with_key(mut self, key: &str) -> Self {
        self.require_key = Some(key.to_string());
        self
    }
}

/// A request the stub received.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub path: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body as JSON (`Null` when it was not JSON).
    pub body: Json,
    /// When it arrived.
    pub at: Instant,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Shared {
    config: StubConfig,
    faults: Mutex<VecDeque<Fault>>,
    requests: Mutex<Vec<RecordedRequest>>,
}

/// What both the async and the blocking stub expose.
#[derive(Clone)]
pub struct StubHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl StubHandle {
    /// `http://127.0.0.1:PORT/v1`: the `base_url` of an openai or anthropic provider.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn request_count(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// Queues `n` more faulty answers after those already queued.
    pub fn push_faults(&self, n: usize, fault: Fault) {
        let mut faults = self.shared.faults.lock().unwrap();
        faults.extend(std::iter::repeat_n(fault, n));
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.requests.lock().unwrap().clear();
    }
}

/// The stub running on the caller's tokio runtime; it stops when dropped.
pub struct StubModel {
    handle: StubHandle,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::ops::Deref for StubModel {
    type Target = StubHandle;
    fn deref(&self) -> &StubHandle {
        &self.handle
    }
}

impl StubModel {
    /// Binds `127.0.0.1:0` and starts serving.
    pub async fn start(config: StubConfig) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            faults: Mutex::new(config.faults.iter().cloned().collect()),
            requests: Mutex::new(Vec::new()),
            config,
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Self {
            handle: StubHandle { addr, shared },
            shutdown: Some(shutdown),
            task,
        }
    }

    /// A handle that outlives nothing: for passing to other tasks.
    pub fn handle(&self) -> StubHandle {
        self.handle.clone()
    }
}

impl Drop for StubModel {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.abort();
    }
}

/// The stub on its own runtime thread, for tests and benchmarks without one; it stops (and
/// the thread ends) when dropped.
pub struct BlockingStubModel {
    handle: StubHandle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::ops::Deref for BlockingStubModel {
    type Target = StubHandle;
    fn deref(&self) -> &StubHandle {
        &self.handle
    }
}

impl BlockingStubModel {
    pub fn start(config: StubConfig) -> Self {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("stub-model".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("a runtime for the stub model");
                runtime.block_on(async move {
                    let stub = StubModel::start(config).await;
                    let _ = ready_tx.send(stub.handle());
                    let _ = stopped.await;
                    drop(stub);
                });
            })
            .expect("spawn the stub model thread");
        let handle = ready_rx.recv().expect("the stub model started");
        Self {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for BlockingStubModel {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Api {
    OpenAi,
    Anthropic,
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Json = serde_json::from_slice(&body).unwrap_or(Json::Null);
    shared.requests.lock().unwrap().push(RecordedRequest {
        path: uri.path().to_string(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body.clone(),
        at: Instant::now(),
    });
    let fault = shared.faults.lock().unwrap().pop_front();
    let config = &shared.config;
    let api = match uri.path().trim_end_matches('/') {
        p if p.ends_with("/chat/completions") => Api::OpenAi,
        p if p.ends_with("/messages") => Api::Anthropic,
        p => return error(Api::OpenAi, 404, &format!("no route {p}"), None),
    };
    if !config.delay.is_zero() {
        tokio::time::sleep(config.delay).await;
    }
    if let Some(key) = &config.require_key {
        let given = match api {
            Api::OpenAi => headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.trim_start_matches("Bearer ").to_string()),
            Api::Anthropic => headers
                .get("x-api-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        };
        if given.as_deref() != Some(key.as_str()) {
            let message = format!("Incorrect API key provided: {}", given.unwrap_or_default());
            return error(api, 401, &message, None);
        }
    }
    let stream = body.get("stream").and_then(Json::as_bool) == Some(true);
    match fault {
        Some(Fault::RateLimited { retry_after }) => {
            return error(api, 429, "Rate limit reached", retry_after.as_deref());
        }
        Some(Fault::ServerError) => return error(api, 500, "The server had an error", None),
        Some(Fault::Status { status, message }) => return error(api, status, &message, None),
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::Malformed) if !stream => {
            return respond(
                200,
                "application/json",
                Body::from("{\"choices\": [{\"mess"),
            );
        }
        Some(Fault::Malformed) => {
            return respond(200, "text/event-stream", Body::from("data: {not json\n\n"));
        }
        Some(Fault::Drop) => {
            let broken = futures_util::stream::once(async {
                Err::<Bytes, _>(std::io::Error::other("connection dropped by the stub"))
            });
            return respond(200, "application/json", Body::from_stream(broken));
        }
        None => {}
    }
    let messages = body
        .get("messages")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    let last_user = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Json::as_str) == Some("user"))
        .map(|m| text_of(m.get("content")))
        .unwrap_or_default();
    let answer = (config.answer)(&last_user);
    let system = text_of(body.get("system"));
    let input_tokens = words(&system)
        + messages
            .iter()
            .map(|m| words(&text_of(m.get("content"))))
            .sum::<u64>();
    let output_tokens = words(&answer);
    let model = body
        .get("model")
        .and_then(Json::as_str)
        .unwrap_or(&config.model)
        .to_string();
    let reply = Reply {
        answer,
        model,
        input_tokens,
        output_tokens,
    };
    match (api, stream) {
        (Api::OpenAi, false) => json_response(&reply.openai()),
        (Api::Anthropic, false) => json_response(&reply.anthropic()),
        (Api::OpenAi, true) => {
            let usage = body.pointer("/stream_options/include_usage") == Some(&Json::Bool(true));
            sse_response(reply.openai_events(usage), config.chunk_delay)
        }
        (Api::Anthropic, true) => sse_response(reply.anthropic_events(), config.chunk_delay),
    }
}

struct Reply {
    answer: String,
    model: String,
    input_tokens: u64,
    output_tokens: u64,
}

impl Reply {
    fn openai(&self) -> Json {
        json!({
            "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": self.answer},
                "finish_reason": "stop"}],
            "usage": {"prompt_tokens": self.input_tokens, "completion_tokens": self.output_tokens,
                "total_tokens": self.input_tokens + self.output_tokens},
        })
    }

    fn anthropic(&self) -> Json {
        json!({
            "id": "msg_stub", "type": "message", "role": "assistant", "model": self.model,
            "content": [{"type": "text", "text": self.answer}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens},
        })
    }

    /// The answer in pieces of one word each (with the space after it).
    fn pieces(&self) -> Vec<String> {
        self.answer
            .split_inclusive(' ')
            .map(str::to_string)
            .collect()
    }

    fn openai_events(&self, usage: bool) -> Vec<String> {
        let chunk = |delta: Json, finish: Json| {
            let event = json!({"id": "chatcmpl-stub", "object": "chat.completion.chunk",
                "created": 0, "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
            format!("data: {event}\n\n")
        };
        let mut events = vec![chunk(
            json!({"role": "assistant", "content": ""}),
            Json::Null,
        )];
        for piece in self.pieces() {
            events.push(chunk(json!({"content": piece}), Json::Null));
        }
        events.push(chunk(json!({}), json!("stop")));
        if usage {
            let event = json!({"id": "chatcmpl-stub", "object": "chat.completion.chunk",
                "created": 0, "model": self.model, "choices": [],
                "usage": {"prompt_tokens": self.input_tokens,
                    "completion_tokens": self.output_tokens,
                    "total_tokens": self.input_tokens + self.output_tokens}});
            events.push(format!("data: {event}\n\n"));
        }
        events.push("data: [DONE]\n\n".into());
        events
    }

    fn anthropic_events(&self) -> Vec<String> {
        let event = |name: &str, data: Json| format!("event: {name}\ndata: {data}\n\n");
        let mut events = vec![
            event(
                "message_start",
                json!({"type": "message_start", "message": {
                "id": "msg_stub", "type": "message", "role": "assistant", "model": self.model,
                "content": [], "stop_reason": null,
                "usage": {"input_tokens": self.input_tokens, "output_tokens": 1}}}),
            ),
            event(
                "content_block_start",
                json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}}),
            ),
            event("ping", json!({"type": "ping"})),
        ];
        for piece in self.pieces() {
            events.push(event(
                "content_block_delta",
                json!({"type": "content_block_delta",
                "index": 0, "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        events.push(event(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ));
        events.push(event(
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": null},
            "usage": {"output_tokens": self.output_tokens}}),
        ));
        events.push(event("message_stop", json!({"type": "message_stop"})));
        events
    }
}

/// Message content: a string, or the text of an array of parts.
fn text_of(content: Option<&Json>) -> String {
    match content {
        Some(Json::String(text)) => text.clone(),
        Some(Json::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Json::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

fn respond(status: u16, content_type: &str, body: Body) -> Response {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .expect("a valid response")
}

fn json_response(value: &Json) -> Response {
    respond(200, "application/json", Body::from(value.to_string()))
}

/// An error in the API's own shape.
fn error(api: Api, status: u16, message: &str, retry_after: Option<&str>) -> Response {
    let body = match api {
        Api::OpenAi => json!({"error": {"message": message, "type": "stub_error", "code": null}}),
        Api::Anthropic => {
            let kind = match status {
                429 => "rate_limit_error",
                401 => "authentication_error",
                400..=499 => "invalid_request_error",
                _ => "api_error",
            };
            json!({"type": "error", "error": {"type": kind, "message": message}})
        }
    };
    let mut response = respond(status, "application/json", Body::from(body.to_string()));
    if let Some(value) = retry_after.and_then(|v| v.parse().ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn sse_response(events: Vec<String>, chunk_delay: Duration) -> Response {
    let stream = futures_util::stream::unfold(
        (events.into_iter(), true),
        move |(mut events, first)| async move {
            let event = events.next()?;
            if !first && !chunk_delay.is_zero() {
                tokio::time::sleep(chunk_delay).await;
            }
            Some((Ok::<_, std::io::Error>(Bytes::from(event)), (events, false)))
        },
    );
    let mut response = respond(200, "text/event-stream", Body::from_stream(stream));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-cache".parse().expect("a header value"),
    );
    response
}
