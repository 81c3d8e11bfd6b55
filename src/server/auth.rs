//! Who is calling: the [`AuthedKey`] extractor authenticates a request by its API key
//! (`Authorization: Bearer <secret>` for the native API, HTTP Basic with the public id and the
//! secret for the Langfuse-compatible API; both are accepted everywhere), applies the key's rate
//! limit, and offers the scope checks handlers call. A refusal is noted for the request's one
//! log line (see [`RequestNote`]): never the secret, and the claimed key id only when it has the
//! shape of one.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;

use crate::domain::echo::echo;
use crate::domain::keys::{ApiKey, AuthFailure, Credentials, KEY_ID_PREFIX, Scope};

use super::error::ApiError;
use super::state::AppState;

/// The key that authenticated a request. Add it as a handler argument to require a valid key;
/// then call one of the `require_*` checks for what the handler does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthedKey {
    /// The public id (`pk-gal-…`).
    pub id: String,
    /// The key's name, for logs.
    pub name: String,
    pub scope: Scope,
    /// The workspace user the key acts as: pass it to [`AppState::with_workspace`].
    pub principal: String,
}

impl From<ApiKey> for AuthedKey {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name,
            scope: key.scope,
            principal: key.principal,
        }
    }
}

impl AuthedKey {
    fn refuse(&self, what: &str) -> ApiError {
        RequestNote::current().refuse(format!("key (scope {}) may not {what}", self.scope));
        ApiError::forbidden(format!(
            "key {} (scope {}) may not {what}",
            self.id, self.scope
        ))
    }

    /// `Ok` when `allowed`; otherwise logs and answers 403 saying what the key may not do.
    fn allow(&self, allowed: bool, what: impl FnOnce() -> String) -> Result<(), ApiError> {
        if allowed {
            Ok(())
        } else {
            Err(self.refuse(&what()))
        }
    }

    /// Requires a key that may read what environment `env` serves (403 otherwise).
    pub fn require_read(&self, env: &str) -> Result<(), ApiError> {
        self.allow(self.scope.can_read(env), || {
            format!("read environment {}", echo(env))
        })
    }

    /// Requires a key that may read every environment (403 otherwise).
    pub fn require_read_all(&self) -> Result<(), ApiError> {
        self.allow(self.scope.can_read_all(), || {
            "read every environment".into()
        })
    }

    /// Requires a key that may change the workspace (403 otherwise).
    pub fn require_write(&self) -> Result<(), ApiError> {
        self.allow(self.scope.can_write(), || "write".into())
    }

    /// Requires a key that may send monitoring data (403 otherwise).
    pub fn require_ingest(&self) -> Result<(), ApiError> {
        self.allow(self.scope.can_ingest(), || "ingest".into())
    }

    /// Requires an admin key (403 otherwise).
    pub fn require_admin(&self) -> Result<(), ApiError> {
        self.allow(self.scope.is_admin(), || "administer the server".into())
    }
}

/// What the request's log line says about its credentials: the key it used (or claimed, when
/// that has the shape of a key id) and why it was refused. The request log puts it in a task
/// local for the request, so refusals anywhere in the request add to its one line instead of
/// writing lines of their own.
#[derive(Debug, Clone, Default)]
pub(crate) struct RequestNote(std::sync::Arc<std::sync::Mutex<NoteFields>>);

/// The fields of a [`RequestNote`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct NoteFields {
    /// A key id, already reduced to its shape check (`<malformed>` otherwise).
    pub key: Option<String>,
    /// Why the request was refused (no secret, no raw input beyond a checked key id).
    pub refused: Option<String>,
}

tokio::task_local! {
    static NOTE: RequestNote;
}

impl RequestNote {
    /// Runs `f` (the rest of the request) with this note as the request's.
    pub(crate) async fn scope<F: std::future::Future>(self, f: F) -> F::Output {
        NOTE.scope(self, f).await
    }

    /// The note of the request being handled (a detached one outside a request).
    fn current() -> Self {
        NOTE.try_with(Clone::clone).unwrap_or_default()
    }

    /// What was noted.
    pub(crate) fn fields(&self) -> NoteFields {
        self.0.lock().map(|f| f.clone()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut NoteFields)) {
        if let Ok(mut fields) = self.0.lock() {
            f(&mut fields);
        }
    }

    fn key(&self, claimed: &str) {
        let key = claimed_key_id(claimed).to_string();
        self.update(|f| f.key = Some(key));
    }

    fn refuse(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.update(|f| f.refused = Some(reason));
    }
}

/// Notes why the request being handled was refused, for its log line (escaped there).
pub(crate) fn note_refusal(reason: impl Into<String>) {
    RequestNote::current().refuse(reason);
}

/// `raw` when it has the shape of a key id (`pk-gal-` and hexadecimal digits), else
/// `<malformed>`: what a log may say of an id a caller claims (it may be a secret pasted in the
/// wrong place, or an attempt to write into the log).
pub(crate) fn claimed_key_id(raw: &str) -> &str {
    let digits = raw.strip_prefix(KEY_ID_PREFIX).unwrap_or_default();
    let shaped = (1..=64).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_hexdigit());
    if shaped { raw } else { "<malformed>" }
}

/// The credentials in an `Authorization` header value, or why it is unusable.
fn parse_authorization(value: &str) -> Result<(String, Option<String>), &'static str> {
    let (scheme, rest) = value
        .trim()
        .split_once(' ')
        .ok_or("malformed Authorization header")?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        if rest.is_empty() {
            return Err("empty bearer token");
        }
        return Ok((rest.to_string(), None));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .map_err(|_| "malformed Basic credentials")?;
        let text = String::from_utf8(bytes).map_err(|_| "malformed Basic credentials")?;
        let (id, secret) = text.split_once(':').ok_or("malformed Basic credentials")?;
        return Ok((secret.to_string(), Some(id.to_string())));
    }
    Err("unsupported Authorization scheme (use Bearer or Basic)")
}

impl FromRequestParts<AppState> for AuthedKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(key) = parts.extensions.get::<AuthedKey>() {
            return Ok(key.clone());
        }
        let note = RequestNote::current();
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            note.refuse("no credentials");
            return Err(ApiError::unauthorized(
                "an API key is required: Authorization: Bearer <secret> (or HTTP Basic with the \
                 key id and secret)",
            ));
        };
        let text = header.to_str().unwrap_or_default();
        let (secret, id) = parse_authorization(text).map_err(|reason| {
            note.refuse(reason);
            ApiError::unauthorized(reason)
        })?;
        let credentials = match &id {
            Some(id) => Credentials::Basic {
                id,
                secret: &secret,
            },
            None => Credentials::Bearer(&secret),
        };
        let key: AuthedKey = match state.authenticate(credentials).await? {
            Ok(key) => key.into(),
            Err(failure) => {
                match (&failure, &id) {
                    (AuthFailure::Revoked(key), _) => note.key(key),
                    (AuthFailure::Unknown, Some(claimed)) => note.key(claimed),
                    (AuthFailure::Unknown, None) => {}
                }
                // The failure's words name no secret: "no API key matches", "API key ID is
                // revoked" (a stored, well-formed id).
                note.refuse(failure.to_string());
                return Err(ApiError::unauthorized(
                    "invalid or revoked API key".to_string(),
                ));
            }
        };
        note.key(&key.id);
        if let Err(wait) = state.take_request(&key.id) {
            note.refuse("rate limit reached");
            return Err(ApiError::too_many_requests(wait));
        }
        parts.extensions.insert(key.clone());
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_basic_headers_parse() {
        assert_eq!(
            parse_authorization("Bearer sk-gal-1"),
            Ok(("sk-gal-1".into(), None))
        );
        let basic = base64::engine::general_purpose::STANDARD.encode("pk-gal-1:sk-gal-2");
        assert_eq!(
            parse_authorization(&format!("Basic {basic}")),
            Ok(("sk-gal-2".into(), Some("pk-gal-1".into())))
        );
        assert!(parse_authorization("Bearer ").is_err());
        assert!(parse_authorization("Basic !!!").is_err());
        assert!(parse_authorization("Digest x").is_err());
        assert!(parse_authorization("nonsense").is_err());
    }

    #[test]
    fn only_key_shaped_ids_are_logged() {
        assert_eq!(
            claimed_key_id("pk-gal-abababababababab"),
            "pk-gal-abababababababab"
        );
        for bad in [
            "sk-gal-0123456789abcdef",
            "pk-gal-",
            "pk-gal-12\nfake line",
            "pk-gal-xyz",
            "",
            &format!("pk-gal-{}", "a".repeat(65)),
        ] {
            assert_eq!(claimed_key_id(bad), "<malformed>", "{bad}");
        }
    }
}
