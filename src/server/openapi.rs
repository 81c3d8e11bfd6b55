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
        super::delivery::fetch_named_render,
        super::delivery::render,
        super::delivery::list,
        super::langfuse::fetch,
        super::langfuse::fetch_named_version,
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
    components(schemas(crate::domain::PromptName)),
    modifiers(&Security, &CommonErrors),
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

/// Lists on every operation the error answers the layers in front of its handler can give, so
/// the document names every status a route answers (the handlers' annotations add their own,
/// with descriptions of their own, which are kept).
struct CommonErrors;

/// (status, description, which operations can answer it).
const COMMON_ERRORS: &[(&str, &str, Answers)] = &[
    (
        "400",
        "A malformed request: a parameter or body that cannot be read",
        Answers::WithInput,
    ),
    (
        "401",
        "No credentials, or credentials that match no active key",
        Answers::Keyed,
    ),
    ("403", "The key's scope does not allow this", Answers::Keyed),
    (
        "408",
        "Not answered within the request timeout",
        Answers::Every,
    ),
    (
        "413",
        "The body, decoded, is over the body limit",
        Answers::Every,
    ),
    (
        "415",
        "A Content-Encoding other than identity or gzip, or (a JSON body) a Content-Type other \
         than application/json",
        Answers::Every,
    ),
    (
        "422",
        "JSON of the wrong shape, or a request the workspace cannot use",
        Answers::WithBody,
    ),
    (
        "429",
        "Over the key's request rate (Retry-After)",
        Answers::Keyed,
    ),
    (
        "500",
        "Something broke on the server (see its log)",
        Answers::Every,
    ),
    (
        "503",
        "Busy: another process holds the workspace's write lock (Retry-After)",
        Answers::Keyed,
    ),
];

#[derive(Clone, Copy)]
enum Answers {
    Every,
    /// Operations that take a key.
    Keyed,
    /// Operations with parameters or a body.
    WithInput,
    /// Operations with a body.
    WithBody,
}

impl utoipa::Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, ResponseBuilder};
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let keyed = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let body = operation.request_body.is_some();
                let input = body || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                for (status, description, answers) in COMMON_ERRORS {
                    let applies = match answers {
                        Answers::Every => true,
                        Answers::Keyed => keyed,
                        Answers::WithInput => input,
                        Answers::WithBody => body,
                    };
                    if !applies || operation.responses.responses.contains_key(*status) {
                        continue;
                    }
                    let response = ResponseBuilder::new()
                        .description(*description)
                        .content(
                            "application/json",
                            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                        )
                        .build();
                    operation
                        .responses
                        .responses
                        .insert(status.to_string(), response.into());
                }
            }
        }
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
