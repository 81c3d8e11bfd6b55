//! Model providers: OpenAI-compatible chat completions, Anthropic's Messages API, a local
//! command and a deterministic echo — one `Provider` type the runner and the playground share.
//!
//! A `Provider` owns its HTTP client and its requests-per-minute limiter behind an `Arc`, so a
//! clone is cheap and every clone counts against the same limit. API keys are read from the
//! environment variable the config names at each request, sent in a header marked sensitive,
//! and masked out of any error text; they are never stored here.

mod anthropic;
mod command;
mod echo;
mod error;
mod http;
mod limiter;
mod openai;
mod params;
mod retry;
mod sse;

use std::fmt;
use std::sync::{Arc, Once};
use std::time::Duration;

use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::domain::eval::{ProviderConfig, ProviderKind};
use crate::template::ChatMessage;

pub use error::ProviderError;
pub(crate) use error::one_line;
use error::with_provider;
pub use limiter::RateLimiter;
pub use params::{GALLEY_ONLY_KEYS, is_galley_only, merge_params, request_for};
pub use retry::{DEFAULT_MAX_RETRIES, backoff_ceiling, parse_retry_after, retry_delay};
pub use sse::{SseEvent, SseParser};

/// OpenAI's API, when a provider of type `openai` names no `base_url`.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Anthropic's API, when a provider of type `anthropic` names no `base_url`.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com/v1";
/// Seconds before one attempt is abandoned when the config does not say.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// One request to a model: the messages and the merged parameters (`model`, `temperature`,
/// `max_tokens`, `tools`, ...; see [`merge_params`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderRequest {
    pub messages: Vec<ChatMessage>,
    pub params: Map<String, Json>,
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProviderResponse {
    pub text: String,
    /// From the API's usage report (none from `command`: the runner estimates them).
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    /// The successful attempt's time, from sending to the last byte (waits for the rate limit
    /// and between retries not included).
    pub latency_ms: u64,
    /// The model that answered, as the API names it.
    pub model: Option<String>,
    /// `stop`, `length`, `tool_calls` (OpenAI); `end_turn`, `max_tokens`, `tool_use` (Anthropic).
    pub finish_reason: Option<String>,
    /// OpenAI's `message.tool_calls`, or Anthropic's `tool_use` content blocks, as sent.
    pub tool_calls: Option<Json>,
}

/// A configured model provider. Cheap to clone; clones share the HTTP connection pool and the
/// rate limit.
#[derive(Clone)]
pub struct Provider {
    inner: Arc<Inner>,
}

struct Inner {
    config: ProviderConfig,
    /// The effective base URL (the default when the config names none), without a trailing `/`.
    base_url: Option<String>,
    http: Option<reqwest::Client>,
    limiter: Option<RateLimiter>,
    timeout: Duration,
    max_retries: u32,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.inner.config;
        f.debug_struct("Provider")
            .field("name", &c.name)
            .field("kind", &c.kind)
            .field("base_url", &self.inner.base_url)
            .field("model", &c.model)
            .field("api_key_env", &c.api_key_env)
            .field("command", &c.command)
            .finish_non_exhaustive()
    }
}

static CRYPTO: Once = Once::new();

impl Provider {
    /// Checks the config and builds the provider: `openai` and `anthropic` need an http(s)
    /// `base_url` (or take the public API's), `command` needs a `command`.
    pub fn new(config: ProviderConfig) -> Result<Self, ProviderError> {
        let name = &config.name;
        let timeout = Duration::from_secs(config.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS));
        if timeout.is_zero() {
            return Err(ProviderError::Config(format!(
                "provider `{name}`: timeout_secs must be at least 1"
            )));
        }
        let (base_url, http) = match config.kind {
            ProviderKind::Openai | ProviderKind::Anthropic => {
                let default = match config.kind {
                    ProviderKind::Openai => OPENAI_BASE_URL,
                    _ => ANTHROPIC_BASE_URL,
                };
                let url = config.base_url.as_deref().map_or(default, str::trim);
                let url = url.trim_end_matches('/').to_string();
                let parsed = reqwest::Url::parse(&url).map_err(|e| {
                    ProviderError::Config(format!("provider `{name}`: base_url `{url}`: {e}"))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                    return Err(ProviderError::Config(format!(
                        "provider `{name}`: base_url `{url}` must be an http:// or https:// URL"
                    )));
                }
                CRYPTO.call_once(|| {
                    let _ = rustls::crypto::ring::default_provider().install_default();
                });
                let client = http::client(&parsed, timeout).map_err(|e| {
                    ProviderError::Config(format!("provider `{name}`: HTTP client: {e}"))
                })?;
                (Some(url), Some(client))
            }
            ProviderKind::Command => {
                if config
                    .command
                    .as_deref()
                    .is_none_or(|c| c.trim().is_empty())
                {
                    return Err(ProviderError::Config(format!(
                        "provider `{name}` of type command needs a command (--command CMD)"
                    )));
                }
                (None, None)
            }
            ProviderKind::Echo => (None, None),
        };
        let inner = Inner {
            limiter: config.rpm.map(RateLimiter::per_minute),
            max_retries: config.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            config,
            base_url,
            http,
            timeout,
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// The configuration this provider was built from.
    pub fn config(&self) -> &ProviderConfig {
        &self.inner.config
    }

    /// Sends `req` and waits for the whole answer, within the rate limit, retrying on 429, 5xx,
    /// connection errors and timeouts.
    pub async fn complete(&self, req: &ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        self.call(req, None).await
    }

    /// Like [`complete`](Self::complete), handing each piece of text to `on_delta` as it
    /// arrives (server-sent events for `openai` and `anthropic`; `command` and `echo` deliver
    /// the whole text as one delta). Retries only before the first delta.
    pub async fn stream(
        &self,
        req: &ProviderRequest,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<ProviderResponse, ProviderError> {
        self.call(req, Some(on_delta)).await
    }

    /// A key for the response cache: sha256 (hex) of the provider's identity (kind, base URL,
    /// model, command — never the API key or its variable) and the exact request.
    pub fn cache_key(&self, req: &ProviderRequest) -> String {
        let c = &self.inner.config;
        let identity = serde_json::json!({
            "kind": c.kind.as_str(),
            "base_url": self.inner.base_url,
            "model": c.model,
            "command": c.command,
            "json_input": c.json_input,
        });
        let request = serde_json::json!({
            "messages": req.messages,
            "params": Json::Object(req.params.clone()),
        });
        let mut hasher = Sha256::new();
        hasher.update(params::canonical(&identity).to_string().as_bytes());
        hasher.update(b"\n");
        hasher.update(params::canonical(&request).to_string().as_bytes());
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    async fn call(
        &self,
        req: &ProviderRequest,
        mut on_delta: Option<&mut (dyn FnMut(&str) + Send)>,
    ) -> Result<ProviderResponse, ProviderError> {
        let inner = &*self.inner;
        let local = match inner.config.kind {
            ProviderKind::Openai | ProviderKind::Anthropic => None,
            ProviderKind::Echo => {
                self.wait_for_slot().await;
                Some(Ok(echo::answer(&inner.config, req)))
            }
            ProviderKind::Command => {
                self.wait_for_slot().await;
                Some(command::run(&inner.config, req, inner.timeout).await)
            }
        };
        if let Some(result) = local {
            let response = result?;
            if let Some(on_delta) = on_delta {
                on_delta(&response.text);
            }
            return Ok(response);
        }
        let key = self.api_key()?;
        let mut retry = 0;
        loop {
            self.wait_for_slot().await;
            let mut delivered = false;
            let result = match on_delta.as_deref_mut() {
                None => http::complete(inner, key.as_deref(), req).await,
                Some(on_delta) => {
                    let mut tracked = |delta: &str| {
                        delivered = true;
                        on_delta(delta);
                    };
                    http::stream(inner, key.as_deref(), req, &mut tracked).await
                }
            };
            match result {
                Ok(response) => return Ok(response),
                Err(failure)
                    if failure.error.is_retryable() && retry < inner.max_retries && !delivered =>
                {
                    let wait = retry_delay(retry, failure.retry_after, retry::jitter());
                    tokio::time::sleep(wait).await;
                    retry += 1;
                }
                Err(failure) => return Err(with_provider(&inner.config.name, failure.error)),
            }
        }
    }

    async fn wait_for_slot(&self) {
        if let Some(limiter) = &self.inner.limiter {
            limiter.acquire().await;
        }
    }

    /// The API key from the environment variable the config names (none named: no key, as
    /// for a local server).
    fn api_key(&self) -> Result<Option<String>, ProviderError> {
        let Some(var) = self.inner.config.api_key_env.as_deref() else {
            return Ok(None);
        };
        match std::env::var(var) {
            Ok(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_string())),
            _ => Err(ProviderError::MissingKey {
                provider: self.inner.config.name.clone(),
                var: var.to_string(),
            }),
        }
    }
}

/// A failed attempt: the error and how long the server asked us to wait.
#[derive(Debug)]
struct Failure {
    error: ProviderError,
    retry_after: Option<Duration>,
}

impl From<ProviderError> for Failure {
    fn from(error: ProviderError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_are_checked() {
        let mut config = ProviderConfig::new("c", ProviderKind::Command);
        assert!(matches!(
            Provider::new(config.clone()),
            Err(ProviderError::Config(_))
        ));
        config.command = Some("cat".into());
        assert!(Provider::new(config).is_ok());
        let mut config = ProviderConfig::new("o", ProviderKind::Openai);
        config.base_url = Some("ftp://example.com".into());
        assert!(matches!(
            Provider::new(config.clone()),
            Err(ProviderError::Config(_))
        ));
        config.base_url = None;
        let provider = Provider::new(config).unwrap();
        assert_eq!(
            provider.inner.base_url.as_deref(),
            Some("https://api.openai.com/v1")
        );
    }
}
