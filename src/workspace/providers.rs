//! Named model providers. Configs never hold a secret: an API key is read from the environment
//! variable the config names, at request time.

use std::time::Instant;

use serde_json::json;

use crate::domain::eval::{ProviderConfig, ProviderKind};
use crate::eval::providers::{Provider, ProviderRequest};
use crate::template::ChatMessage;

use super::{Result, Workspace, WorkspaceError, now};

/// The outcome of `provider test`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProviderCheck {
    pub provider: String,
    pub latency_ms: u64,
    pub reply: String,
    pub model: Option<String>,
}

impl Workspace {
    /// Every configured provider (plus the built-in `echo` when no provider has that name).
    pub fn providers(&self) -> Result<Vec<ProviderConfig>> {
        let mut all = self.store.read().providers()?;
        if !all.iter().any(|p| p.name == "echo") {
            all.push(ProviderConfig::new("echo", ProviderKind::Echo));
            all.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(all)
    }

    /// The provider config called `name` (`echo` is always there).
    pub fn provider_config(&self, name: &str) -> Result<ProviderConfig> {
        match self.store.read().provider(name)? {
            Some(config) => Ok(config),
            None if name == "echo" => Ok(ProviderConfig::new("echo", ProviderKind::Echo)),
            None => Err(WorkspaceError::Refused(format!(
                "no provider `{name}` (see `galley provider list`)"
            ))),
        }
    }

    /// Adds (or with `replace`, replaces) a provider config, checked first.
    pub fn add_provider(&mut self, config: ProviderConfig, replace: bool) -> Result<()> {
        crate::domain::PromptName::parse(&config.name).map_err(|e| {
            WorkspaceError::Refused(e.to_string().replace("prompt name", "provider name"))
        })?;
        Provider::new(config.clone()).map_err(|e| WorkspaceError::Refused(e.to_string()))?;
        let user = self.user.clone();
        self.store.write(|tx| {
            if !replace && tx.provider(&config.name)?.is_some() {
                return Err(WorkspaceError::Refused(format!(
                    "provider `{}` already exists (remove it first, or pass --replace)",
                    config.name
                )));
            }
            let at = now();
            tx.save_provider(&config, &at)?;
            tx.append_audit(
                &user,
                &at,
                "provider.save",
                &config.name,
                &json!({"type": config.kind.as_str()}),
            )?;
            Ok(())
        })
    }

    /// Removes a provider config.
    pub fn remove_provider(&mut self, name: &str) -> Result<()> {
        let user = self.user.clone();
        self.store.write(|tx| {
            if !tx.delete_provider(name)? {
                return Err(WorkspaceError::Refused(format!("no provider `{name}`")));
            }
            tx.append_audit(&user, &now(), "provider.remove", name, &json!({}))?;
            Ok(())
        })
    }

    /// Sends one tiny request through `name` and reports the latency, or the exact error.
    pub fn test_provider(&self, name: &str) -> Result<ProviderCheck> {
        let config = self.provider_config(name)?;
        let provider =
            Provider::new(config.clone()).map_err(|e| WorkspaceError::Refused(e.to_string()))?;
        let mut params = serde_json::Map::new();
        if let Some(model) = &config.model {
            params.insert("model".into(), json!(model));
        }
        params.insert("max_tokens".into(), json!(8));
        let request = ProviderRequest {
            messages: vec![ChatMessage {
                role: crate::domain::MessageRole::User,
                content: "Reply with the word OK.".into(),
            }],
            params,
        };
        let runtime = runtime()?;
        let started = Instant::now();
        let response = runtime
            .block_on(provider.complete(&request))
            .map_err(|e| WorkspaceError::Refused(crate::eval::runner::describe_error(name, &e)))?;
        Ok(ProviderCheck {
            provider: name.to_string(),
            latency_ms: started.elapsed().as_millis() as u64,
            reply: response.text,
            model: response.model,
        })
    }
}

/// A small runtime for provider calls from synchronous code.
pub(super) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| WorkspaceError::Refused(format!("cannot start the async runtime: {e}")))
}
