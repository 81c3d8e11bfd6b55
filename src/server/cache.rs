//! Serialized delivery answers kept in memory, keyed by (environment, prompt), each stamped
//! with the workspace generation it was built in: an answer from an older generation is never
//! served, so a deployment shows on the next request.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;

/// One ready answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedBody {
    /// The `ETag` header value (the content hash, quoted).
    pub etag: String,
    /// The JSON body.
    pub body: Bytes,
}

/// (environment, prompt) -> (generation, answer).
type Entries = HashMap<(String, String), (u64, Arc<CachedBody>)>;

#[derive(Default)]
pub struct BodyCache {
    entries: RwLock<Entries>,
}

impl BodyCache {
    /// The answer for `name` in `env` if it was built in `generation`.
    pub fn get(&self, env: &str, name: &str, generation: u64) -> Option<Arc<CachedBody>> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        // Keyed by owned strings; a lookup allocates twice, which costs far less than a query.
        match entries.get(&(env.to_string(), name.to_string())) {
            Some((g, body)) if *g == generation => Some(body.clone()),
            _ => None,
        }
    }

    /// Keeps `body` as the answer for `name` in `env`, built in `generation`.
    pub fn put(&self, env: &str, name: &str, generation: u64, body: Arc<CachedBody>) {
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        entries.insert((env.to_string(), name.to_string()), (generation, body));
    }

    /// Drops every answer.
    pub fn clear(&self) {
        self.entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
