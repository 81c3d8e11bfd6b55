//! The sync routes (protocol in `crate::sync::wire`): `POST /v1/sync/push` (a write key) hands
//! a batch to `Workspace::accept_push`, acting as the key's principal; `GET /v1/sync/pull`
//! (a key that reads every environment) serves a page of the log; `GET /v1/sync/monitor` (the
//! same keys) serves changed rollup buckets with samples of worst observations
//! (`crate::sync::monitor`). No rule lives here.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::sync::monitor::{DEFAULT_SAMPLES, MAX_ROLLUPS, MonitorQuery, MonitorReply};
use crate::sync::wire::{MAX_BATCH, PullQuery, PullReply, PushReply, PushRequest};

use super::auth::AuthedKey;
use super::error::ApiError;
use super::state::AppState;

/// The sync routes, merged by `server::router`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/sync/push", post(push))
        .route("/v1/sync/pull", get(pull))
        .route("/v1/sync/monitor", get(monitor))
}

async fn push(
    State(state): State<AppState>,
    key: AuthedKey,
    Json(batch): Json<PushRequest>,
) -> Result<Json<PushReply>, ApiError> {
    key.require_write()?;
    if batch.records.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("at most {MAX_BATCH} records per push"),
        ));
    }
    let reply = state
        .with_workspace(&key.principal, move |ws| ws.accept_push(batch.records))
        .await?;
    Ok(Json(reply))
}

async fn pull(
    State(state): State<AppState>,
    key: AuthedKey,
    Query(query): Query<PullQuery>,
) -> Result<Json<PullReply>, ApiError> {
    key.require_read_all()?;
    let limit = query.limit.unwrap_or(MAX_BATCH);
    let page = state
        .with_workspace(&key.principal, move |ws| ws.pull_page(query.after, limit))
        .await?;
    Ok(Json(page))
}

async fn monitor(
    State(state): State<AppState>,
    key: AuthedKey,
    Query(query): Query<MonitorQuery>,
) -> Result<Json<MonitorReply>, ApiError> {
    key.require_read_all()?;
    let limit = query.limit.unwrap_or(MAX_ROLLUPS);
    let samples = query.samples.unwrap_or(DEFAULT_SAMPLES);
    let page = state
        .with_workspace(&key.principal, move |ws| {
            ws.monitor_page(query.after, limit, samples)
        })
        .await?;
    Ok(Json(page))
}
