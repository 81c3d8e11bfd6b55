//! `POST /v1/traces`: OpenTelemetry spans over OTLP/HTTP in the JSON encoding. The mapping to
//! observations is [`crate::domain::otlp`]; the observations then go through the same
//! ingestion as a native batch. Protobuf is not supported (415).

use std::sync::OnceLock;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::otlp::map_request;
use crate::eval::pricing::PriceTable;

use super::auth::AuthedKey;
use super::error::{ApiError, ErrorBody};
use super::observe::{count, json_body};
use super::state::AppState;

/// OTLP's `ExportTraceServiceResponse`: empty when every span was stored.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TracesAnswer {
    #[serde(rename = "partialSuccess", skip_serializing_if = "Option::is_none")]
    pub partial_success: Option<PartialSuccess>,
}

/// The spans not stored, and why.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartialSuccess {
    /// Spans skipped (no prompt attribute) or refused by validation.
    #[serde(rename = "rejectedSpans")]
    pub rejected_spans: u64,
    /// The first few reasons, `; `-separated.
    #[serde(rename = "errorMessage")]
    pub error_message: String,
}

fn prices() -> &'static PriceTable {
    static PRICES: OnceLock<PriceTable> = OnceLock::new();
    PRICES.get_or_init(|| PriceTable::load(&Default::default()))
}

/// The most reasons named in `errorMessage`.
const MAX_REASONS: usize = 5;

/// Stores the spans that carry a prompt name as observations.
#[utoipa::path(post, path = "/v1/traces", operation_id = "otlp_traces", tag = "monitoring",
    request_body(content = Object, description = "An OTLP ExportTraceServiceRequest in the JSON encoding \
        (resourceSpans[].scopeSpans[].spans[]); spans name their prompt with galley.prompt.name / \
        galley.prompt.version (or langfuse.prompt.name / langfuse.prompt.version)", content_type = "application/json"),
    responses(
        (status = 200, body = TracesAnswer, description = "Stored; partialSuccess counts the spans not stored"),
        (status = 400, body = ErrorBody, description = "The body is not JSON"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody, description = "Protobuf or another non-JSON content type"),
        (status = 422, body = ErrorBody, description = "JSON, but not a traces request")),
    security(("bearer" = [])))]
pub(super) async fn traces(
    State(state): State<AppState>,
    key: AuthedKey,
    body: Bytes,
) -> Result<Json<TracesAnswer>, ApiError> {
    key.require_ingest()?;
    let limits = state.config().keep.clone();
    let counter = state.clone();
    state
        .with_workspace(&key.principal, move |ws| -> Result<_, ApiError> {
            let request: Value = json_body(&body, "an OTLP traces request")?;
            let price = |m: &str, i: u64, o: u64| prices().cost(m, i, o);
            let mapped = map_request(&request, &price).map_err(ApiError::unprocessable)?;
            let answer = ws.ingest(&mapped.observations, &limits)?;
            count(&counter, &mapped.observations, &answer);
            let rejected = mapped.skipped + answer.rejected.len();
            if rejected == 0 {
                return Ok(Json(TracesAnswer::default()));
            }
            let mut reasons = mapped.reasons;
            reasons.extend(
                answer
                    .rejected
                    .iter()
                    .map(|r| format!("{}: {}", r.id.as_deref().unwrap_or("a span"), r.reason)),
            );
            reasons.truncate(MAX_REASONS);
            Ok(Json(TracesAnswer {
                partial_success: Some(PartialSuccess {
                    rejected_spans: rejected as u64,
                    error_message: reasons.join("; "),
                }),
            }))
        })
        .await
}
