//! Who is calling: the [`AuthedKey`] extractor authenticates a request by its API key
//! (`Authorization: Bearer <secret>` for the native API, HTTP Basic with the public id and the
//! secret for the Langfuse-compatible API; both are accepted everywhere), applies the key's rate
//! limit, and offers the scope checks handlers call. Refusals are logged without the secret.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;

use crate::domain::keys::{ApiKey, AuthFailure, Credentials, Scope};

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
        tracing::warn!(key = %self.id, scope = %self.scope, refused = what, "key refused");
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
            format!("read environment {env}")
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

/// Where the request log learns which key a request used (set by the extractor).
#[derive(Debug, Clone, Default)]
pub(crate) struct KeySlot(std::sync::Arc<std::sync::OnceLock<String>>);

impl KeySlot {
    pub(crate) fn get(&self) -> Option<String> {
        self.0.get().cloned()
    }
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
        let path = parts.uri.path().to_string();
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            tracing::warn!(%path, reason = "no credentials", "request refused");
            return Err(ApiError::unauthorized(
                "an API key is required: Authorization: Bearer <secret> (or HTTP Basic with the \
                 key id and secret)",
            ));
        };
        let text = header.to_str().unwrap_or_default();
        let (secret, id) = parse_authorization(text).map_err(|reason| {
            tracing::warn!(%path, reason, "request refused");
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
                let reason = failure.to_string();
                match (&failure, &id) {
                    (AuthFailure::Revoked(key), _) => {
                        tracing::warn!(%path, %key, %reason, "request refused")
                    }
                    (_, Some(key)) => tracing::warn!(%path, %key, %reason, "request refused"),
                    _ => tracing::warn!(%path, %reason, "request refused"),
                }
                return Err(ApiError::unauthorized(
                    "invalid or revoked API key".to_string(),
                ));
            }
        };
        if let Err(wait) = state.take_request(&key.id) {
            tracing::warn!(%path, key = %key.id, "rate limit reached");
            return Err(ApiError::too_many_requests(wait));
        }
        if let Some(slot) = parts.extensions.get::<KeySlot>() {
            let _ = slot.0.set(key.id.clone());
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
}
