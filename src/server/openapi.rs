//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` annotations and their
//! body types, served at `/openapi.json` and committed as `assets/openapi.json` (a test fails
//! when they differ; regenerate with `GALLEY_WRITE_OPENAPI=1 cargo test --test server_openapi`).

use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};

use super::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "galley delivery server",
        description = "Environment-scoped prompt delivery, a Langfuse-compatible prompt API, \
                       and operations endpoints. Native routes take `Authorization: Bearer \
                       <secret>`; Langfuse routes take HTTP Basic (key id, secret). Errors are \
                       `{\"error\": {\"code\", \"message\"}}`.",
    ),
    paths(
        super::delivery::fetch,
        super::delivery::render,
        super::delivery::list,
        super::langfuse::fetch,
        super::langfuse::projects,
        super::langfuse::create,
        super::langfuse::move_labels,
        super::observe::ingest,
        super::observe::feedback,
        super::otlp::traces,
        super::sync::push,
        super::sync::pull,
        super::sync::monitor,
        super::health::healthz,
        super::health::readyz,
        super::health::metrics,
    ),
    modifiers(&Security),
    tags(
        (name = "delivery", description = "What each environment serves"),
        (name = "langfuse", description = "For applications using the Langfuse SDKs"),
        (name = "monitoring", description = "Production observations: batches, feedback, OTLP spans"),
        (name = "sync", description = "Workspace sync: push records, pull them by position, pull monitoring rollups"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
    }
}

/// The document, as pretty JSON with a final newline (the committed file's form).
pub fn document_json() -> String {
    let mut text = ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// `GET /openapi.json`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi_json))
}

async fn openapi_json() -> impl IntoResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.get_or_init(document_json).as_str(),
    )
}
