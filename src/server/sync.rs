//! The sync routes (protocol in `crate::sync::wire`): `POST /v1/sync/push` (a write key) hands
//! a batch to `Workspace::accept_push`, acting as the key's principal; `GET /v1/sync/pull`
//! (a key that reads every environment) serves a page of the log; `GET /v1/sync/monitor` (the
//! same keys) serves changed rollup buckets with samples of worst observations
//! (`crate::sync::monitor`). No rule lives here.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::middleware::from_fn;
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::sync::monitor::{DEFAULT_SAMPLES, MAX_ROLLUPS, MonitorQuery, MonitorReply};
use crate::sync::wire::{MAX_BATCH, PullQuery, PullReply, PushReply, ReceivedPush};
use crate::workspace::sync::PushError;

use super::auth::AuthedKey;
use super::error::{ApiError, ErrorBody};
use super::state::AppState;

/// The sync routes, merged by `server::router`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/sync/push",
            post(push).route_layer(from_fn(super::hygiene::json_only)),
        )
        .route("/v1/sync/pull", get(pull))
        .route("/v1/sync/monitor", get(monitor))
}

/// The body of a push, as the document describes it (read as [`ReceivedPush`]).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PushBody {
    /// Records: any JSON values, each read on its own (one the server cannot read is rejected
    /// alone, in the answer).
    #[schema(value_type = Vec<Value>, max_items = 500)]
    records: Vec<serde_json::Value>,
}

/// `POST /v1/sync/push`: a batch of records (see `crate::sync::records`), one result each.
#[utoipa::path(post, path = "/v1/sync/push", operation_id = "sync_push", tag = "sync",
    request_body(content = PushBody, description = "`{\"records\": [...]}`: at most 500 records \
        (versions, reviews, decisions, comments, resolutions, deployments, dataset versions, \
        eval summaries), each with its UUIDv7 `id`, `kind` and payload"),
    responses(
        (status = 200, body = Object, description = "`{\"results\": [...], \"head\"}`: per record \
            `accepted` (with its server position), `duplicate`, `conflict` (pull first) or \
            `rejected` (with the reason: a policy the server re-checked, an id that is not a \
            UUIDv7, an unknown kind, a re-send whose content differs, a repeated decision, ...)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not a write or admin key, or a forged \
            record (code `forged_record`, its id in `record`): an actor field that is not the \
            key's principal, or a self-approval the server's policy forbids; nothing of the \
            batch is stored"),
        (status = 413, body = ErrorBody, description = "More than 500 records, or over the body limit"),
        (status = 422, body = ErrorBody, description = "JSON, but not a batch of records")),
    security(("bearer" = [])))]
async fn push(
    State(state): State<AppState>,
    key: AuthedKey,
    Json(batch): Json<ReceivedPush>,
) -> Result<Json<PushReply>, ApiError> {
    key.require_write()?;
    if batch.records.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("at most {MAX_BATCH} records per push"),
        ));
    }
    let key_id = key.id.clone();
    let reply = state
        .with_workspace(&key.principal, move |ws| {
            ws.accept_push(batch.records, &key_id)
        })
        .await?;
    Ok(Json(reply))
}

impl From<PushError> for ApiError {
    fn from(err: PushError) -> Self {
        match err {
            PushError::Workspace(e) => e.into(),
            PushError::Forged { id, reason } => {
                super::auth::note_refusal(format!("forged push: record {id}: {reason}"));
                ApiError {
                    record: Some(id),
                    ..ApiError::new(StatusCode::FORBIDDEN, "forged_record", reason)
                }
            }
        }
    }
}

/// `GET /v1/sync/pull`: the records after a position, in the server's order.
#[utoipa::path(get, path = "/v1/sync/pull", operation_id = "sync_pull", tag = "sync",
    params(
        ("after" = Option<i64>, Query, description = "The last position already pulled (0, the default, for all)",
         minimum = -9223372036854775808_i64, maximum = 9223372036854775807_i64),
        ("limit" = Option<usize>, Query, description = "At most this many records (default and most 500)",
         minimum = 0, maximum = 18446744073709551615_u64)),
    responses(
        (status = 200, body = Object, description = "`{\"records\": [{\"seq\", \"record\"}], \
            \"head\"}`: the page and the server's newest position"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The key cannot read every environment")),
    security(("bearer" = [])))]
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

/// `GET /v1/sync/monitor`: monitoring rollups changed after a cursor, with worst-call samples.
#[utoipa::path(get, path = "/v1/sync/monitor", operation_id = "sync_monitor", tag = "sync",
    params(
        ("after" = Option<i64>, Query, description = "The last change position already pulled (0, the default, for all)",
         minimum = -9223372036854775808_i64, maximum = 9223372036854775807_i64),
        ("limit" = Option<usize>, Query, description = "At most this many buckets (default and most 5,000)",
         minimum = 0, maximum = 18446744073709551615_u64),
        ("samples" = Option<usize>, Query, description = "Worst calls per kind per prompt, environment and day (default 5, at most 50)",
         minimum = 0, maximum = 18446744073709551615_u64)),
    responses(
        (status = 200, body = Object, description = "Changed hour and day buckets (counts, sums \
            and the latency histogram in base64) in change order, the samples of their days, \
            and the server's head"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "The key cannot read every environment")),
    security(("bearer" = [])))]
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
