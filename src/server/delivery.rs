//! The native delivery API: a prompt as an environment serves it (cached, with ETags), rendering
//! it, and an environment's list. Handlers parse, call the workspace and serialize.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::domain::PromptName;
use crate::domain::langfuse::DEFAULT_LABEL;
use crate::template::RenderError;
use crate::workspace::{DeliveryError, Pick, WorkspaceError};

use super::auth::AuthedKey;
use super::bodies::{ListedPrompt, ListingBody, PromptBody, RenderBody, RenderRequest};
use super::cache::{BodyKey, CachedBody};
use super::error::{ApiError, ErrorBody};
use super::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/prompts", get(list))
        // The path decides whether a POST is a render (else 405), so the handler checks the
        // media type after it (`hygiene::require_json`) rather than a layer before it.
        .route(
            "/v1/prompts/{*name}",
            get(fetch).post(render).fallback(other_method),
        )
}

/// `?env=`: the environment asked for (production when absent).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct EnvQuery {
    /// The environment [default: production]
    env: Option<String>,
}

impl EnvQuery {
    fn env(&self) -> String {
        self.env
            .clone()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_LABEL.to_string())
    }
}

impl From<DeliveryError> for ApiError {
    fn from(err: DeliveryError) -> Self {
        match err {
            DeliveryError::Workspace(WorkspaceError::Render(r)) => render_error(&r),
            DeliveryError::Workspace(e) => e.into(),
            e @ (DeliveryError::NoEnvironment { .. } | DeliveryError::NotServed { .. }) => {
                ApiError::not_found(e.to_string())
            }
            DeliveryError::Invalid(m) => ApiError::unprocessable(m),
            DeliveryError::PolicyRefused(m) => {
                ApiError::new(StatusCode::FORBIDDEN, "policy_refused", m)
            }
            // Logged with prompt, version and both hashes (never the text); served by nobody.
            e @ (DeliveryError::ContentMismatch { .. }
            | DeliveryError::UnverifiedDeployment { .. }) => ApiError::internal(e),
        }
    }
}

/// 422 naming the variable (without the CLI's `--var` hint).
fn render_error(err: &RenderError) -> ApiError {
    match err {
        RenderError::MissingVariable { name, section } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_variable",
            format!("missing variable `{name}` (used in section `{section}`)"),
        ),
        RenderError::WrongType { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "wrong_variable_type",
            err.to_string(),
        ),
        RenderError::OverBudget { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "render_budget_exceeded",
            err.to_string(),
        ),
        _ => ApiError::unprocessable(err.to_string()),
    }
}

/// The prompt a render path names (`NAME/render`), if it is one.
fn render_target(raw: &str) -> Option<&str> {
    raw.trim_end_matches('/').strip_suffix("/render")
}

/// The methods a path under `/v1/prompts/` takes: a render path is also the GET of a prompt
/// whose name ends in `/render`.
fn allowed(raw: &str) -> &'static str {
    if render_target(raw).is_some() {
        "GET,HEAD,POST"
    } else {
        "GET,HEAD"
    }
}

/// 405 for a method the path does not take, naming the ones it does.
async fn other_method(Path(raw): Path<String>) -> ApiError {
    ApiError::method_not_allowed(allowed(&raw), "this method is not allowed on this path")
}

fn parse_name(raw: &str) -> Result<PromptName, ApiError> {
    PromptName::parse(raw.trim_matches('/')).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// A prompt as an environment serves it.
#[utoipa::path(get, path = "/v1/prompts/{name}", operation_id = "get_prompt", tag = "delivery",
    params(("name" = PromptName, Path, description = "The prompt, e.g. support/triage (slashes plain or %2F)"),
           EnvQuery,
           ("If-None-Match" = Option<String>, Header, description = "A previous ETag: 304 when unchanged")),
    responses(
        (status = 200, body = PromptBody, description = "The served version",
         headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the ETag given"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown prompt or environment, or nothing served")),
    security(("bearer" = [])))]
async fn fetch(
    State(state): State<AppState>,
    key: AuthedKey,
    Path(raw): Path<String>,
    Query(query): Query<EnvQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let env = query.env();
    key.require_read(&env)?;
    let name = parse_name(&raw)?;
    let env2 = env.clone();
    let cached = state
        .cached_body(
            BodyKey::native(&env, name.as_str()),
            &key.principal,
            move |ws| {
                let prompt = ws.delivered_in(&name, &env2)?;
                CachedBody::json(&PromptBody::new(&prompt, &env2), &prompt)
            },
        )
        .await?;
    state.metrics().prompt_served(&env);
    let max_age = format!("max-age={}", state.config().max_age);
    let mut response = if etag_matches(&headers, &cached.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        cached.response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&cached.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&max_age) {
        h.insert(header::CACHE_CONTROL, v);
    }
    Ok(response)
}

/// `GET /v1/prompts/{name}` of a prompt whose name ends in `/render`: the path of a render is
/// also that prompt's, so the path takes GET as well as POST (documented, so that its `Allow`
/// is the document's). Served by [`fetch`].
#[utoipa::path(get, path = "/v1/prompts/{name}/render", operation_id = "get_prompt_named_render", tag = "delivery",
    params(("name" = String, Path, description = "The name before its last part, `render`",
            pattern = "^[a-z0-9_][a-z0-9_.-]*(/[a-z0-9_-][a-z0-9_.-]*)*$", max_length = 193),
           EnvQuery,
           ("If-None-Match" = Option<String>, Header, description = "A previous ETag: 304 when unchanged")),
    responses(
        (status = 200, body = PromptBody, description = "The served version of the prompt NAME/render",
         headers(("ETag" = String), ("Cache-Control" = String))),
        (status = 304, description = "Unchanged since the ETag given"),
        (status = 404, body = ErrorBody, description = "No prompt NAME/render, or nothing served")),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn fetch_named_render() {}

/// Whether `If-None-Match` names `etag` (or `*`); weak validators match too.
fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

/// Renders what an environment serves (or a version) with variables.
#[utoipa::path(post, path = "/v1/prompts/{name}/render", operation_id = "render_prompt", tag = "delivery",
    params(("name" = PromptName, Path, description = "The prompt, e.g. support/triage")),
    request_body = RenderRequest,
    responses(
        (status = 200, body = RenderBody),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "Missing or mistyped variables, named, or a template over the render budget")),
    security(("bearer" = [])))]
async fn render(
    State(state): State<AppState>,
    key: AuthedKey,
    Path(raw): Path<String>,
    headers: HeaderMap,
    body: Result<Json<RenderRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<RenderBody>, ApiError> {
    let Some(raw) = render_target(&raw) else {
        return Err(ApiError::method_not_allowed(
            allowed(&raw),
            "POST is for /v1/prompts/{name}/render; this path takes GET",
        ));
    };
    super::hygiene::require_json(&headers)?;
    let Json(request) = body.map_err(|e| ApiError::rejection(e.status(), e.body_text()))?;
    let name = parse_name(raw)?;
    let pick = match (request.env, request.version) {
        (Some(_), Some(_)) => return Err(ApiError::unprocessable("give env or version, not both")),
        (None, Some(n)) => {
            key.require_read_all()?;
            Pick::Version(n)
        }
        (env, None) => {
            let env = env.unwrap_or_else(|| DEFAULT_LABEL.to_string());
            key.require_read(&env)?;
            Pick::Environment(env)
        }
    };
    let variables = request.variables;
    let out = state
        .with_workspace(&key.principal, move |ws| {
            ws.render_picked(&name, &pick, &variables)
        })
        .await?;
    Ok(Json(RenderBody::new(&out)))
}

/// Every prompt an environment serves.
#[utoipa::path(get, path = "/v1/prompts", operation_id = "list_prompts", tag = "delivery", params(EnvQuery),
    responses((status = 200, body = ListingBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown environment")),
    security(("bearer" = [])))]
async fn list(
    State(state): State<AppState>,
    key: AuthedKey,
    Query(query): Query<EnvQuery>,
) -> Result<Json<ListingBody>, ApiError> {
    let env = query.env();
    key.require_read(&env)?;
    let listing = state
        .with_workspace(&key.principal, move |ws| ws.listing(&env))
        .await?;
    Ok(Json(ListingBody {
        environment: listing.environment,
        prompts: listing
            .prompts
            .into_iter()
            .map(|p| ListedPrompt {
                name: p.name,
                version: p.version,
                content_hash: p.content_hash,
            })
            .collect(),
    }))
}
