//! The Langfuse-compatible prompt API, for applications using the Langfuse SDKs: fetch a prompt
//! by label or version, the SDK's auth check, and (for write keys) creating versions and moving
//! labels, which are galley environments moved through their approval policies.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::middleware::from_fn;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::PromptName;
use crate::domain::echo::echo;
use crate::domain::langfuse::{
    CreatePromptRequest, LATEST, LangfusePrompt, VersionFacts, content_from_request,
    langfuse_prompt,
};
use crate::workspace::{DeliveredPrompt, Pick};

use super::auth::AuthedKey;
use super::cache::{BodyKey, CachedBody};
use super::error::{ApiError, ErrorBody};
use super::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/public/projects", get(projects))
        .route(
            "/api/public/v2/prompts",
            post(create).route_layer(from_fn(super::hygiene::json_only)),
        )
        .route(
            "/api/public/v2/prompts/{*rest}",
            // As for renders: the handler checks the media type once the path is a version's.
            get(fetch).patch(move_labels).fallback(other_method),
        )
}

/// `?label=` / `?version=`: neither means label `production`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PickQuery {
    /// An environment, or `latest`
    label: Option<String>,
    /// A version number
    #[param(value_type = Option<u32>, format = Int64, minimum = 0, maximum = 4294967295_u64)]
    version: Option<String>,
}

fn to_langfuse(p: &DeliveredPrompt) -> LangfusePrompt {
    langfuse_prompt(&VersionFacts {
        name: p.name.as_str(),
        version: p.version,
        form: &p.template,
        config: &p.config,
        environments: &p.environments,
        is_latest: p.is_latest,
        tags: &p.tags,
        message: &p.message,
    })
}

/// The prompt and version number a labels path names (`NAME/versions/N`), if it is one.
fn version_target(rest: &str) -> Option<(&str, &str)> {
    let mut parts = rest.trim_end_matches('/').rsplitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(number), Some("versions"), Some(raw)) => Some((raw, number)),
        _ => None,
    }
}

/// The methods a path under `/api/public/v2/prompts/` takes: a version's path is also the GET
/// of a prompt whose name ends in `/versions/N`.
fn allowed(rest: &str) -> &'static str {
    if version_target(rest).is_some() {
        "GET,HEAD,PATCH"
    } else {
        "GET,HEAD"
    }
}

/// 405 for a method the path does not take, naming the ones it does.
async fn other_method(Path(rest): Path<String>) -> ApiError {
    ApiError::method_not_allowed(allowed(&rest), "this method is not allowed on this path")
}

fn parse_name(raw: &str) -> Result<PromptName, ApiError> {
    PromptName::parse(raw.trim_matches('/')).map_err(|e| ApiError::not_found(e.to_string()))
}

/// A prompt version by label or version (the SDK's `get_prompt`).
#[utoipa::path(get, path = "/api/public/v2/prompts/{name}", operation_id = "langfuse_get_prompt", tag = "langfuse",
    params(("name" = PromptName, Path, description = "The prompt; folders percent-encoded (team-a%2Fsummarize)"),
           PickQuery),
    responses((status = 200, body = LangfusePrompt),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "Unknown name, version or label")),
    security(("basic" = [])))]
async fn fetch(
    State(state): State<AppState>,
    key: AuthedKey,
    Path(rest): Path<String>,
    Query(query): Query<PickQuery>,
) -> Result<Response, ApiError> {
    let version = match query.version.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) => Some(v.parse::<u32>().map_err(|_| {
            ApiError::bad_request(format!("version `{}` is not a number", echo(v)))
        })?),
    };
    let pick = Pick::from_langfuse(query.label.as_deref(), version);
    if let Pick::Environment(env) = &pick
        && env != LATEST
    {
        key.require_read(env)?;
    }
    let name = parse_name(&rest)?;
    let asked = pick.clone();
    let cached = state
        .cached_body(
            BodyKey::langfuse(&pick, name.as_str()),
            &key.principal,
            move |ws| {
                let number = ws.pick_version(&name, &asked)?;
                let prompt = ws.delivered(&name, number)?;
                CachedBody::json(&to_langfuse(&prompt), &prompt)
            },
        )
        .await?;
    // A version or `latest` is readable when the key reads an environment serving it: checked
    // on every request, cached answer or not.
    if !key.scope.can_read_all() && !cached.environments.iter().any(|e| key.scope.can_read(e)) {
        key.require_read_all()?;
    }
    if let Pick::Environment(env) = &pick {
        state.metrics().prompt_served(env);
    }
    Ok(cached.response())
}

/// The Langfuse GET of a prompt whose name ends in `/versions/N`: a version's path is also that
/// prompt's, so the path takes GET as well as PATCH (documented, so that its `Allow` is the
/// document's). Served by [`fetch`].
#[utoipa::path(get, path = "/api/public/v2/prompts/{name}/versions/{version}", operation_id = "langfuse_get_prompt_named_version", tag = "langfuse",
    params(("name" = String, Path, description = "The name before its last two parts",
            pattern = "^[a-z0-9_][a-z0-9_.-]*(/[a-z0-9_-][a-z0-9_.-]*)*$", max_length = 180),
           ("version" = u32, Path, format = Int64, minimum = 0, maximum = 4294967295_u64),
           PickQuery),
    responses((status = 200, body = LangfusePrompt, description = "The prompt NAME/versions/VERSION"),
        (status = 404, body = ErrorBody, description = "No such prompt, version or label")),
    security(("basic" = [])))]
#[allow(dead_code)]
fn fetch_named_version() {}

/// The project the key belongs to (the SDK's auth check).
#[utoipa::path(get, path = "/api/public/projects", operation_id = "langfuse_projects", tag = "langfuse",
    responses((status = 200, description = "One project: this server"),
        (status = 401, body = ErrorBody)),
    security(("basic" = [])))]
async fn projects(_key: AuthedKey) -> Json<Value> {
    Json(json!({"data": [{
        "id": "galley",
        "name": "galley",
        "organization": {"id": "galley", "name": "galley"},
        "metadata": {}
    }]}))
}

/// Creates a version (and the prompt, if new); `labels` deploy it through their policies.
#[utoipa::path(post, path = "/api/public/v2/prompts", operation_id = "langfuse_create_prompt", tag = "langfuse",
    request_body = CreatePromptRequest,
    responses((status = 200, body = LangfusePrompt),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not a write key, or a policy refused a label"),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("basic" = [])))]
async fn create(
    State(state): State<AppState>,
    key: AuthedKey,
    body: Result<Json<CreatePromptRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<LangfusePrompt>, ApiError> {
    key.require_write()?;
    let Json(request) = body.map_err(|e| ApiError::rejection(e.status(), e.body_text()))?;
    let name =
        PromptName::parse(request.name.trim()).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let content = content_from_request(&request).map_err(ApiError::unprocessable)?;
    let prompt = state
        .with_workspace(&key.principal, move |ws| -> Result<_, ApiError> {
            let number = ws.publish(
                &name,
                content,
                request.tags.as_deref(),
                request.commit_message.as_deref().unwrap_or(""),
                &request.labels,
            )?;
            Ok(ws.delivered(&name, number)?)
        })
        .await?;
    Ok(Json(to_langfuse(&prompt)))
}

/// `{"newLabels": [...]}`: the environments to move to this version.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MoveLabels {
    #[serde(rename = "newLabels")]
    new_labels: Vec<String>,
}

/// Moves labels (environments) to a version, through their approval policies.
#[utoipa::path(patch, path = "/api/public/v2/prompts/{name}/versions/{version}", operation_id = "langfuse_update_prompt_version", tag = "langfuse",
    params(("name" = PromptName, Path, description = "The prompt; folders percent-encoded"),
           ("version" = u32, Path, format = Int64, minimum = 0, maximum = 4294967295_u64)),
    request_body = MoveLabels,
    responses((status = 200, body = LangfusePrompt),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not a write key, or a policy refused, with its reasons"),
        (status = 404, body = ErrorBody)),
    security(("basic" = [])))]
async fn move_labels(
    State(state): State<AppState>,
    key: AuthedKey,
    Path(rest): Path<String>,
    headers: axum::http::HeaderMap,
    body: Result<Json<MoveLabels>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<LangfusePrompt>, ApiError> {
    let Some((raw, number)) = version_target(&rest) else {
        return Err(ApiError::method_not_allowed(
            allowed(&rest),
            "PATCH is for /api/public/v2/prompts/{name}/versions/{version}; this path takes GET",
        ));
    };
    super::hygiene::require_json(&headers)?;
    key.require_write()?;
    let number: u32 = number.parse().map_err(|_| {
        ApiError::bad_request(format!("version `{}` is not a number", echo(number)))
    })?;
    let Json(request) = body.map_err(|e| ApiError::rejection(e.status(), e.body_text()))?;
    let name = parse_name(raw)?;
    let prompt = state
        .with_workspace(&key.principal, move |ws| -> Result<_, ApiError> {
            ws.move_environments(&name, number, &request.new_labels)?;
            Ok(ws.delivered(&name, number)?)
        })
        .await?;
    Ok(Json(to_langfuse(&prompt)))
}
