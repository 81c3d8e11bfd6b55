//! The HTTP client of the sync protocol (see [`super::wire`]): one keep-alive connection pool
//! per remote, the key's secret as a bearer token, one clear error per failure.

use std::time::Duration;

use reqwest::StatusCode;

use super::SyncError;
use super::monitor::MonitorReply;
use super::wire::{PullReply, PushReply, PushRequest};

/// How long one request may take (a page of 500 versions is well under a second).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection to one remote.
pub struct SyncClient {
    remote: String,
    key_env: String,
    base: reqwest::Url,
    secret: String,
    http: reqwest::Client,
}

impl SyncClient {
    /// A client for remote `remote` at `url`, authenticating with `secret` (read from the
    /// environment variable `key_env`, named in errors).
    pub fn new(remote: &str, url: &str, key_env: &str, secret: &str) -> Result<Self, SyncError> {
        let bad = |cause: String| SyncError::BadUrl {
            remote: remote.to_string(),
            url: url.to_string(),
            cause,
        };
        let mut text = url.trim().to_string();
        if !text.ends_with('/') {
            text.push('/');
        }
        let base = reqwest::Url::parse(&text).map_err(|e| bad(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("use http:// or https://".into()));
        }
        // reqwest is built without a default TLS provider: install ring's once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .tcp_nodelay(true)
            .connect_timeout(Duration::from_secs(10))
            .timeout(REQUEST_TIMEOUT);
        if is_loopback(&base) {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            remote: remote.to_string(),
            key_env: key_env.to_string(),
            base,
            secret: secret.to_string(),
            http,
        })
    }

    /// Sends a batch of records.
    pub async fn push(&self, batch: &PushRequest) -> Result<PushReply, SyncError> {
        let url = self.url("v1/sync/push")?;
        let request = self.http.post(url).bearer_auth(&self.secret).json(batch);
        self.answer(request).await
    }

    /// Asks for up to `limit` records after log position `after`.
    pub async fn pull(&self, after: i64, limit: usize) -> Result<PullReply, SyncError> {
        let mut url = self.url("v1/sync/pull")?;
        url.query_pairs_mut()
            .append_pair("after", &after.to_string())
            .append_pair("limit", &limit.to_string());
        let request = self.http.get(url).bearer_auth(&self.secret);
        self.answer(request).await
    }

    /// Asks for up to `limit` rollup buckets changed after position `after`, with up to
    /// `samples` worst observations of each kind per changed day.
    pub async fn pull_monitor(
        &self,
        after: i64,
        limit: usize,
        samples: usize,
    ) -> Result<MonitorReply, SyncError> {
        let mut url = self.url("v1/sync/monitor")?;
        url.query_pairs_mut()
            .append_pair("after", &after.to_string())
            .append_pair("limit", &limit.to_string())
            .append_pair("samples", &samples.to_string());
        let request = self.http.get(url).bearer_auth(&self.secret);
        self.answer(request).await
    }

    fn url(&self, path: &str) -> Result<reqwest::Url, SyncError> {
        self.base.join(path).map_err(|e| SyncError::BadUrl {
            remote: self.remote.clone(),
            url: self.base.to_string(),
            cause: e.to_string(),
        })
    }

    async fn answer<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, SyncError> {
        let response = request.send().await.map_err(|e| SyncError::Unreachable {
            remote: self.remote.clone(),
            url: self.base.to_string(),
            cause: plain_cause(&e),
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| SyncError::Unreachable {
            remote: self.remote.clone(),
            url: self.base.to_string(),
            cause: plain_cause(&e),
        })?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| SyncError::BadReply {
                remote: self.remote.clone(),
                cause: e.to_string(),
            });
        }
        if status == StatusCode::FORBIDDEN
            && error_field(&body, "code").as_deref() == Some("forged_record")
        {
            return Err(SyncError::Forged {
                remote: self.remote.clone(),
                record: error_field(&body, "record"),
                message: error_field(&body, "message").unwrap_or_default(),
            });
        }
        let message = error_field(&body, "message").unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("unexpected answer")
                .to_string()
        });
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => SyncError::Unauthorized {
                remote: self.remote.clone(),
                var: self.key_env.clone(),
                message,
            },
            _ => SyncError::Server {
                remote: self.remote.clone(),
                status: status.as_u16(),
                message,
            },
        })
    }
}

/// One field (`code`, `message`, `record`) of a `{"error": {"code", "message"}}` body.
fn error_field(body: &[u8], field: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value["error"][field].as_str().map(str::to_string)
}

/// The innermost cause of a transport error ("connection refused"), without reqwest's chain.
fn plain_cause(err: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = err;
    while let Some(next) = source.source() {
        source = next;
    }
    if err.is_timeout() {
        return "timed out".into();
    }
    let text = source.to_string();
    match text.split_once(" (os error") {
        Some((head, _)) => head.to_lowercase(),
        None => text,
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
