//! What every handler shares: the settings, a small pool of workspace connections used off the
//! async threads, the freshness check that drops caches when what delivery reads changes, the
//! key cache, the per-key rate limiter and the metrics.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use crate::domain::keys::{ApiKey, AuthFailure, Credentials, secret_hash};
use crate::workspace::{Workspace, WorkspaceError};

use super::cache::BodyCache;
use super::config::ServeConfig;
use super::error::ApiError;
use super::metrics::Metrics;

/// The user the server acts as when no key is involved (key checks, reads for the cache).
pub const SERVER_USER: &str = "galley-server";

/// The shared state of a running server. Cheap to clone; hand it to `Router::with_state`.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    config: ServeConfig,
    /// Idle workspace connections; a request takes one (or opens one) on a blocking thread.
    pool: Mutex<Vec<Workspace>>,
    /// A connection that never writes, asked for SQLite's `data_version` and, when that moved,
    /// for the delivery change counter.
    watcher: Mutex<Workspace>,
    last_version: AtomicI64,
    last_delivery: AtomicI64,
    /// How many times `data_version` was seen to move (any write).
    file_changes: AtomicU64,
    /// How many times the delivery change counter was seen to move.
    generation: AtomicU64,
    started: Instant,
    /// Milliseconds after `started` of the last look at the file (`u64::MAX`: never).
    checked_at: AtomicU64,
    keys: Mutex<HashMap<String, ApiKey>>,
    limiter: Mutex<HashMap<String, Bucket>>,
    bodies: BodyCache,
    metrics: Metrics,
    draining: AtomicBool,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind: keep using it.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A workspace connection for the pool, whose writes wait `busy_timeout` for other processes.
fn open_pooled(config: &ServeConfig, principal: &str) -> Result<Workspace, WorkspaceError> {
    let ws = Workspace::open(&config.db, principal)?;
    ws.set_busy_timeout(config.busy_timeout)?;
    Ok(ws)
}

impl AppState {
    /// Opens the workspace file (creating and migrating it if needed).
    pub fn open(config: ServeConfig) -> Result<Self, WorkspaceError> {
        let watcher = Workspace::open(&config.db, SERVER_USER)?;
        let first = watcher.change_counter()?;
        let first_delivery = watcher.delivery_change_counter()?;
        let pool = Mutex::new(vec![open_pooled(&config, SERVER_USER)?]);
        Ok(Self(Arc::new(Inner {
            config,
            pool,
            watcher: Mutex::new(watcher),
            last_version: AtomicI64::new(first),
            last_delivery: AtomicI64::new(first_delivery),
            file_changes: AtomicU64::new(0),
            generation: AtomicU64::new(0),
            started: Instant::now(),
            checked_at: AtomicU64::new(u64::MAX),
            keys: Mutex::new(HashMap::new()),
            limiter: Mutex::new(HashMap::new()),
            bodies: BodyCache::default(),
            metrics: Metrics::default(),
            draining: AtomicBool::new(false),
        })))
    }

    /// The settings the server runs with.
    pub fn config(&self) -> &ServeConfig {
        &self.0.config
    }

    /// The workspace file served.
    pub fn db_path(&self) -> &Path {
        &self.0.config.db
    }

    /// The request metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.0.metrics
    }

    pub(crate) fn bodies(&self) -> &BodyCache {
        &self.0.bodies
    }

    /// The delivery cache's counters, in Prometheus text format (for `/metrics`).
    pub fn cache_metrics(&self) -> String {
        self.0.bodies.render_metrics(
            self.known_generation(),
            self.0.file_changes.load(Ordering::Relaxed),
        )
    }

    /// Runs `f` on a blocking thread with a pooled workspace acting as `principal` (for a
    /// request, the authenticated key's principal: `key.principal`). Use it for every piece of
    /// database work; errors convert into the JSON error answer.
    pub async fn with_workspace<T, E, F>(&self, principal: &str, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut Workspace) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<ApiError> + Send + 'static,
    {
        let state = self.clone();
        let principal = principal.to_string();
        let joined = tokio::task::spawn_blocking(move || {
            let taken = lock(&state.0.pool).pop();
            let mut ws = match taken {
                Some(ws) => ws,
                None => open_pooled(&state.0.config, &principal).map_err(ApiError::from)?,
            };
            ws.act_as(&principal);
            ws.set_render_budget(state.0.config.render);
            let out = f(&mut ws).map_err(Into::into);
            let mut pool = lock(&state.0.pool);
            if pool.len() < state.0.config.pool_size {
                pool.push(ws);
            }
            out
        })
        .await;
        joined.unwrap_or_else(|e| Err(ApiError::internal(format!("database task failed: {e}"))))
    }

    /// A number that changes whenever what delivery reads has changed since the last call (by
    /// this server or any other process): prompts, versions, deployments, environments,
    /// policies, API keys, people and their SSH keys. Caches keyed on it (answers, keys) are
    /// dropped when it moves; other writes (observations, reviews, drafts…) keep them.
    pub fn generation(&self) -> u64 {
        // At most one look at the file per `freshness_ms`: under load, one query a millisecond
        // instead of one a request; a change made longer ago than that is always seen.
        let freshness = u64::from(self.0.config.freshness_ms);
        if freshness > 0 {
            let now = self.0.started.elapsed().as_millis() as u64;
            let last = self.0.checked_at.load(Ordering::Acquire);
            if last != u64::MAX && now.saturating_sub(last) < freshness {
                return self.0.generation.load(Ordering::Acquire);
            }
            self.0.checked_at.store(now, Ordering::Release);
        }
        let changed = self.delivery_changed();
        if changed {
            lock(&self.0.keys).clear();
            self.0.bodies.clear();
            return self.0.generation.fetch_add(1, Ordering::AcqRel) + 1;
        }
        self.0.generation.load(Ordering::Acquire)
    }

    /// Whether what delivery reads may have changed since the last look: `data_version` is the
    /// cheap check (one pragma); only when it moved is the delivery change counter read. When
    /// either cannot be read, everything counts as changed.
    fn delivery_changed(&self) -> bool {
        let watcher = lock(&self.0.watcher);
        let moved = watcher
            .change_counter()
            .map(|v| self.0.last_version.swap(v, Ordering::AcqRel) != v);
        // Read after `data_version`, so it counts every commit that moved it.
        let changed = match moved {
            Ok(false) => return false,
            Ok(true) => watcher
                .delivery_change_counter()
                .map(|n| self.0.last_delivery.swap(n, Ordering::AcqRel) != n),
            Err(err) => Err(err),
        };
        self.0.file_changes.fetch_add(1, Ordering::Relaxed);
        changed.unwrap_or_else(|err| {
            tracing::warn!(error = %err, "cannot check the workspace for changes");
            true
        })
    }

    /// The generation [`Self::generation`] last saw, without checking the file again: for a
    /// handler whose key extraction (which checks) ran moments before in the same request.
    pub fn known_generation(&self) -> u64 {
        self.0.generation.load(Ordering::Acquire)
    }

    /// The active key these credentials belong to. Keys are cached only until what delivery
    /// reads changes (API keys among it), so a revocation takes effect on the next request.
    pub async fn authenticate(
        &self,
        credentials: Credentials<'_>,
    ) -> Result<Result<ApiKey, AuthFailure>, ApiError> {
        self.generation();
        let hash = secret_hash(credentials.secret());
        let cache_key = match credentials {
            Credentials::Bearer(_) => format!("b:{hash}"),
            Credentials::Basic { id, .. } => format!("k:{id}:{hash}"),
        };
        if let Some(key) = lock(&self.0.keys).get(&cache_key) {
            return Ok(Ok(key.clone()));
        }
        let owned = match credentials {
            Credentials::Bearer(s) => (None, s.to_string()),
            Credentials::Basic { id, secret } => (Some(id.to_string()), secret.to_string()),
        };
        let found = self
            .with_workspace(SERVER_USER, move |ws| {
                let creds = match &owned.0 {
                    Some(id) => Credentials::Basic {
                        id,
                        secret: &owned.1,
                    },
                    None => Credentials::Bearer(&owned.1),
                };
                ws.authenticate(creds)
            })
            .await?;
        if let Ok(key) = &found {
            lock(&self.0.keys).insert(cache_key, key.clone());
        }
        Ok(found)
    }

    /// Takes one request from `key_id`'s allowance; `Err(seconds to wait)` when it has none.
    pub fn take_request(&self, key_id: &str) -> Result<(), u64> {
        let rate = self.0.config.rate_limit;
        if rate == 0 {
            return Ok(());
        }
        let rate = f64::from(rate);
        let now = Instant::now();
        let mut buckets = lock(&self.0.limiter);
        let bucket = buckets.entry(key_id.to_string()).or_insert(Bucket {
            tokens: rate,
            at: now,
        });
        let elapsed = now.duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(rate);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    /// Marks the server as shutting down: `/readyz` answers 503 from now on.
    pub fn set_draining(&self) {
        self.0.draining.store(true, Ordering::Release);
    }

    /// Whether the server is shutting down.
    pub fn is_draining(&self) -> bool {
        self.0.draining.load(Ordering::Acquire)
    }
}
