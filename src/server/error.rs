//! The JSON error every route answers with: `{"error": {"code": "...", "message": "..."}}` and
//! the matching status. Handlers return `Result<_, ApiError>`; workspace errors convert with `?`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::echo::bounded;
use crate::workspace::WorkspaceError;

/// The `Retry-After` (seconds) of a busy answer.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// The longest message an error answer carries, in characters: each value a message quotes is
/// already cut to [`crate::domain::echo::ECHO_CHARS`]; this bounds what no handler cut (serde's
/// and axum's rejection texts), so no answer echoes more than a bounded prefix of its input.
pub const MAX_MESSAGE_CHARS: usize = 300;

/// An error answer: a status, a stable machine-readable `code` and a one-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait before retrying (sent as `Retry-After` with 429 and 503).
    pub retry_after: Option<u64>,
    /// The id of the record the error is about (a forged record of a push).
    pub record: Option<String>,
    /// The methods the path takes (sent as `Allow` with 405).
    pub allow: Option<&'static str>,
}

/// The body of every error answer.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable: `not_found`, `unauthorized`, `forbidden`, ...
    pub code: String,
    /// One line for a person.
    pub message: String,
    /// The id of the record the error is about (a forged record of a push).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
}

impl ApiError {
    /// An error with any status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
            record: None,
            allow: None,
        }
    }

    /// 405: the path takes only the methods in `allow` (e.g. `GET`), sent as `Allow`.
    pub fn method_not_allowed(allow: &'static str, message: impl Into<String>) -> Self {
        Self {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                message,
            )
        }
    }

    /// An extractor's refusal (a body that is not JSON of the right shape, a bad query): its
    /// status and text, the code its status conventionally has.
    pub fn rejection(status: StatusCode, text: impl Into<String>) -> Self {
        Self::new(status, Self::code_for(status), text)
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401: no credentials, or credentials that match no active key.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: the key is valid but its scope (or a policy) does not allow this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404: no such prompt, version, environment or route.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 409: the request conflicts with the workspace's current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 422: well-formed but unusable (missing or mistyped variables, invalid content).
    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", message)
    }

    /// 429: the key's request rate is over its limit.
    pub fn too_many_requests(retry_after: u64) -> Self {
        Self {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests for this key: slow down",
            )
        }
    }

    /// 503: another process held the workspace file's write lock for longer than the busy
    /// timeout. The holder is logged, not told to the client.
    pub fn busy(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "workspace busy");
        Self {
            retry_after: Some(BUSY_RETRY_AFTER_SECS),
            ..Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the workspace is busy: another process holds its write lock; try again",
            )
        }
    }

    /// 500: something broke on the server. The details go to the log, not to the client.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal server error (see the server's log)",
        )
    }

    /// The code conventionally used for a bare status (for answers built outside handlers).
    pub fn code_for(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            408 => "timeout",
            409 => "conflict",
            413 => "payload_too_large",
            415 => "unsupported_media_type",
            422 => "unprocessable",
            429 => "rate_limited",
            503 => "unavailable",
            _ if status.is_server_error() => "internal",
            _ => "error",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: bounded(&self.message, MAX_MESSAGE_CHARS),
                record: self.record,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        if let Some(allow) = self.allow {
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
        }
        response
    }
}

impl From<WorkspaceError> for ApiError {
    fn from(err: WorkspaceError) -> Self {
        use WorkspaceError as W;
        match &err {
            W::PromptNotFound(name) => Self::not_found(format!("no prompt `{name}`")),
            W::VersionNotFound { .. } => Self::not_found(err.to_string()),
            W::NoDraft(_) => Self::not_found(err.to_string()),
            W::Name(_) => Self::bad_request(err.to_string()),
            W::Render(_) | W::Invalid { .. } | W::EmptyMessage | W::Parse(_) => {
                Self::unprocessable(err.to_string())
            }
            W::PromptExists(_) | W::NothingToCommit { .. } | W::StaleDraft { .. } => {
                Self::conflict(err.to_string())
            }
            W::Refused(_) | W::NotAdmin { .. } | W::IdentityOverride { .. } => {
                Self::forbidden(err.to_string())
            }
            W::UnknownTemplate { .. } => Self::bad_request(err.to_string()),
            _ if err.is_busy() => Self::busy(&err),
            _ => Self::internal(&err),
        }
    }
}
