//! Serialized delivery answers kept in memory, for the native GET and the Langfuse GET alike,
//! keyed by (API, what was asked for, prompt), each stamped with the delivery generation it was
//! built in: an answer from an older generation is never served, so a deployment, a new version,
//! a policy or key change shows on the next request. The generation follows only what delivery
//! reads (see [`AppState::generation`]), so ingesting observations keeps every entry.
//!
//! A cached answer skips the database, never the key check: handlers check the key's scope
//! before asking here, and again against [`CachedBody::environments`] when what may read it
//! depends on the answer (a Langfuse version or `latest`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;

use crate::workspace::{DeliveredPrompt, Pick, Workspace};

use super::error::ApiError;
use super::state::AppState;

/// One ready answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedBody {
    /// The `ETag` header value (the content hash, quoted).
    pub etag: String,
    /// The JSON body.
    pub body: Bytes,
    /// The environments serving the version answered: a key reading any of them may read it.
    pub environments: Vec<String>,
}

impl CachedBody {
    /// `body` serialized as the answer for `prompt`.
    pub fn json(body: &impl serde::Serialize, prompt: &DeliveredPrompt) -> Result<Self, ApiError> {
        Ok(Self {
            etag: format!("\"{}\"", prompt.content_hash),
            body: Bytes::from(serde_json::to_vec(body).map_err(ApiError::internal)?),
            environments: prompt.environments.clone(),
        })
    }

    /// A `200` with the JSON body.
    pub fn response(&self) -> Response {
        let mut r = Response::new(Body::from(self.body.clone()));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    }
}

/// Which API an answer is shaped for: the same prompt has a body per API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Api {
    Native,
    Langfuse,
}

/// What a cached answer answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BodyKey {
    api: Api,
    /// The environment (native), or the Langfuse pick (`l:LABEL`, `v:NUMBER`).
    pick: String,
    name: String,
}

impl BodyKey {
    /// The native answer for `name` in `env`.
    pub fn native(env: &str, name: &str) -> Self {
        Self {
            api: Api::Native,
            pick: env.to_string(),
            name: name.to_string(),
        }
    }

    /// The Langfuse answer for `name` picked by `pick`.
    pub fn langfuse(pick: &Pick, name: &str) -> Self {
        let pick = match pick {
            Pick::Environment(label) => format!("l:{label}"),
            Pick::Version(n) => format!("v:{n}"),
        };
        Self {
            api: Api::Langfuse,
            pick,
            name: name.to_string(),
        }
    }
}

type Entries = HashMap<BodyKey, (u64, Arc<CachedBody>)>;

#[derive(Default)]
pub struct BodyCache {
    entries: RwLock<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl BodyCache {
    /// The answer for `key` if it was built in `generation` (counted as a hit or a miss).
    pub fn get(&self, key: &BodyKey, generation: u64) -> Option<Arc<CachedBody>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let found = match entries.get(key) {
            Some((g, body)) if *g == generation => Some(body.clone()),
            _ => None,
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `body` as the answer for `key`, built in `generation`.
    pub fn put(&self, key: BodyKey, generation: u64, body: Arc<CachedBody>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        entries.insert(key, (generation, body));
    }

    /// Drops every answer.
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The cache's counters in Prometheus text format: `generation` (how many times delivery
    /// changed), `file_changes` (how many times the file changed at all), hits and misses.
    pub fn render_metrics(&self, generation: u64, file_changes: u64) -> String {
        let mut out = String::new();
        for (name, kind, help, value) in [
            (
                "generation",
                "gauge",
                "Times what delivery serves changed since the server started (each empties the cache).",
                generation,
            ),
            (
                "file_changes_total",
                "counter",
                "Times the server saw the workspace file changed by any write.",
                file_changes,
            ),
            (
                "hits_total",
                "counter",
                "Delivery answers served from the cache.",
                self.hits.load(Ordering::Relaxed),
            ),
            (
                "misses_total",
                "counter",
                "Delivery answers built from the workspace.",
                self.misses.load(Ordering::Relaxed),
            ),
        ] {
            let _ = writeln!(out, "# HELP galley_delivery_cache_{name} {help}");
            let _ = writeln!(out, "# TYPE galley_delivery_cache_{name} {kind}");
            let _ = writeln!(out, "galley_delivery_cache_{name} {value}");
        }
        out
    }
}

impl AppState {
    /// The answer for `key` from the cache, or built by `build` on a pooled workspace acting as
    /// `principal` and kept for the current generation. Errors are not kept. Call it only after
    /// the request's key check (which looked at the file for changes).
    pub(crate) async fn cached_body<F>(
        &self,
        key: BodyKey,
        principal: &str,
        build: F,
    ) -> Result<Arc<CachedBody>, ApiError>
    where
        F: FnOnce(&mut Workspace) -> Result<CachedBody, ApiError> + Send + 'static,
    {
        let generation = self.known_generation();
        if let Some(body) = self.bodies().get(&key, generation) {
            return Ok(body);
        }
        let body = Arc::new(self.with_workspace(principal, build).await?);
        self.bodies().put(key, generation, body.clone());
        Ok(body)
    }
}
