//! Monitoring ingestion: batches of observations (`POST /v1/observations`), feedback that arrives
//! later (`POST /v1/observations/{id}/feedback`) and OpenTelemetry spans over OTLP/HTTP JSON
//! (`POST /v1/traces`, in [`super::otlp`]). Handlers parse the envelope, call the workspace on a
//! blocking thread (validation and storage are its business) and count what happened.

use std::collections::{BTreeMap, HashSet};

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::middleware::from_fn;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::echo::echo;
use crate::domain::observation::{BatchAnswer, parse_feedback};

use super::auth::AuthedKey;
use super::error::{ApiError, ErrorBody};
use super::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/observations",
            post(ingest).route_layer(from_fn(super::hygiene::json_only)),
        )
        .route(
            "/v1/observations/{id}/feedback",
            post(feedback).route_layer(from_fn(super::hygiene::json_only)),
        )
        .route(
            "/v1/traces",
            post(super::otlp::traces).route_layer(from_fn(super::hygiene::json_only)),
        )
}

/// A batch of observations in the wire form of issue 7.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ObservationBatch {
    /// Observations: `id`, `prompt`, `env`, `timestamp` required; `version` or `hash`,
    /// `latency_ms`, `input_tokens`, `output_tokens`, `cost_usd`, `status`, `error`, `feedback`,
    /// `variables`, `output`, `trace_id` optional.
    #[schema(value_type = Vec<Value>)]
    pub observations: Vec<Value>,
}

/// What became of a batch: the good items are stored, every bad one is named with its reasons.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BatchAnswerBody {
    /// Items stored, re-sends included (a re-sent id changes nothing).
    pub accepted: usize,
    /// Of the accepted, how many were already stored.
    pub duplicates: usize,
    pub rejected: Vec<RejectionBody>,
}

/// One refused item.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RejectionBody {
    /// Its position in the batch (0-based).
    pub index: usize,
    /// Its id, when it had a readable one.
    pub id: Option<String>,
    /// Every problem found, `field: problem`, separated by `; `.
    pub reason: String,
}

impl From<BatchAnswer> for BatchAnswerBody {
    fn from(a: BatchAnswer) -> Self {
        Self {
            accepted: a.accepted,
            duplicates: a.duplicates,
            rejected: a
                .rejected
                .into_iter()
                .map(|r| RejectionBody {
                    index: r.index,
                    id: r.id,
                    reason: r.reason,
                })
                .collect(),
        }
    }
}

/// Feedback on a call, sent after it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FeedbackRequest {
    /// −1 or +1 (thumbs), or 1–5 (a rating; a one-star rating needs `"scale": "rating"`).
    pub score: i64,
    #[serde(default)]
    pub comment: Option<String>,
    /// `thumbs` or `rating`; inferred from the score when absent.
    #[serde(default)]
    pub scale: Option<String>,
}

/// A JSON body, or 400 naming where it stops being JSON; 422 when it is JSON of the wrong shape.
pub(super) fn json_body<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    shape: &str,
) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            ApiError::unprocessable(format!("the body is not {shape}: {e}"))
        }
        _ => ApiError::bad_request(format!("the body is not JSON: {e}")),
    })
}

/// Counts a batch's items in the metrics by environment (`unknown` when an item names none).
pub(super) fn count(state: &AppState, items: &[Value], answer: &BatchAnswer) {
    let refused: HashSet<usize> = answer.rejected.iter().map(|r| r.index).collect();
    let mut by_env: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let env = item
            .get("env")
            .and_then(Value::as_str)
            .filter(|e| !e.trim().is_empty())
            .unwrap_or("unknown");
        let entry = by_env.entry(env).or_default();
        if refused.contains(&i) {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    for (env, (ok, bad)) in by_env {
        state.metrics().observations(env, ok, bad);
    }
}

/// Stores a batch of observations: the good ones are stored, the bad ones come back with reasons.
#[utoipa::path(post, path = "/v1/observations", operation_id = "ingest_observations", tag = "monitoring",
    request_body = ObservationBatch,
    responses(
        (status = 200, body = BatchAnswerBody, description = "Accepted and rejected items"),
        (status = 400, body = ErrorBody, description = "The body is not JSON"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody, description = "Not an ingest, write or admin key"),
        (status = 413, body = ErrorBody, description = "Over the body limit: send smaller batches"),
        (status = 422, body = ErrorBody, description = "JSON, but not {\"observations\": [...]}")),
    security(("bearer" = [])))]
async fn ingest(
    State(state): State<AppState>,
    key: AuthedKey,
    body: Bytes,
) -> Result<Json<BatchAnswerBody>, ApiError> {
    key.require_ingest()?;
    let limits = state.config().keep.clone();
    let counter = state.clone();
    let answer = state
        .with_workspace(&key.principal, move |ws| -> Result<_, ApiError> {
            let batch: ObservationBatch = json_body(&body, "a batch: {\"observations\": [...]}")?;
            let answer = ws.ingest(&batch.observations, &limits)?;
            count(&counter, &batch.observations, &answer);
            Ok(answer)
        })
        .await?;
    Ok(Json(answer.into()))
}

/// Records feedback on a stored observation (replacing any earlier feedback).
#[utoipa::path(post, path = "/v1/observations/{id}/feedback", operation_id = "observation_feedback", tag = "monitoring",
    params(("id" = String, Path, description = "The observation's id")),
    request_body = FeedbackRequest,
    responses(
        (status = 200, description = "The observation with its feedback (wire form)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No observation with this id"),
        (status = 422, body = ErrorBody, description = "A score off its scale, or a malformed feedback object")),
    security(("bearer" = [])))]
async fn feedback(
    State(state): State<AppState>,
    key: AuthedKey,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    key.require_ingest()?;
    let value: Value = json_body(&body, "a feedback object")?;
    let observation = state
        .with_workspace(&key.principal, move |ws| -> Result<_, ApiError> {
            if !ws.has_observation(&id)? {
                return Err(ApiError::not_found(format!(
                    "no observation `{}`",
                    echo(&id)
                )));
            }
            parse_feedback(&value).map_err(ApiError::unprocessable)?;
            let obs = ws.add_feedback(&id, &value)?;
            serde_json::to_value(obs).map_err(ApiError::internal)
        })
        .await?;
    Ok(Json(observation))
}
