//! The playground: a prompt (a draft as edited, or a version) rendered with sample values and
//! sent to one provider, its answer streamed back piece by piece, with latency, tokens and cost
//! counted the way eval runs count them.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::domain::eval::ProviderKind;
use crate::domain::{PromptContent, PromptName};
use crate::eval::pricing::{PriceTable, estimate_tokens};
use crate::eval::providers::{Provider, ProviderRequest, merge_params, request_for};
use crate::eval::runner::{Cancel, describe_error};
use crate::template::{Rendered, VarInputs};

use super::{Resolved, Result, Source, Workspace, WorkspaceError};

/// A playground call ready to send: the rendered prompt and the request built from it.
#[derive(Debug, Clone)]
pub struct PlaygroundCall {
    provider: Provider,
    request: ProviderRequest,
    /// What the prompt rendered to.
    pub rendered: Rendered,
}

/// A finished playground answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct PlaygroundAnswer {
    pub text: String,
    pub provider: String,
    /// The model asked for (else the one that answered).
    pub model: Option<String>,
    pub latency_ms: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Whether the token counts are estimates (the provider reported none).
    pub tokens_estimated: bool,
    /// None when the model has no price.
    pub cost_usd: Option<f64>,
    pub finish_reason: Option<String>,
}

impl Workspace {
    /// Prepares a call of `content` (as prompt `name`) rendered with `inputs` to the provider
    /// called `provider`, with the prompt's model config and the provider's defaults merged.
    pub fn playground_call(
        &self,
        name: &PromptName,
        content: &PromptContent,
        inputs: &VarInputs,
        provider: &str,
    ) -> Result<PlaygroundCall> {
        let resolved = Resolved {
            name: name.clone(),
            source: Source::Draft { base: None },
            content: content.clone(),
            version: None,
        };
        let rendered = self.render_resolved(&resolved, inputs)?.rendered;
        let config = self.provider_config(provider)?;
        let params = merge_params(&content.config, &config, &Json::Object(Map::new()));
        let provider = Provider::new(config).map_err(|e| WorkspaceError::Refused(e.to_string()))?;
        Ok(PlaygroundCall {
            request: request_for(&rendered, params),
            provider,
            rendered,
        })
    }
}

impl PlaygroundCall {
    /// Sends the call and blocks until the answer is complete, handing each piece of text to
    /// `on_delta` (on this thread) as it arrives. `cancel` abandons the call.
    pub fn stream(
        &self,
        prices: &PriceTable,
        cancel: &Cancel,
        on_delta: &mut dyn FnMut(&str),
    ) -> Result<PlaygroundAnswer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| WorkspaceError::Refused(format!("cannot start the async runtime: {e}")))?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let provider = self.provider.clone();
        let request = self.request.clone();
        let stop = cancel.clone();
        let started = Instant::now();
        let task = runtime.spawn(async move {
            let mut send = move |delta: &str| {
                let _ = tx.send(delta.to_string());
            };
            tokio::select! {
                response = provider.stream(&request, &mut send) => Some(response),
                _ = stopped(&stop) => None,
            }
        });
        // The deltas come through the channel while the runtime's thread talks to the model.
        while let Some(delta) = rx.blocking_recv() {
            on_delta(&delta);
        }
        let name = self.provider.config().name.clone();
        let response = match runtime.block_on(task) {
            Ok(Some(Ok(response))) => response,
            Ok(Some(Err(e))) => return Err(WorkspaceError::Refused(describe_error(&name, &e))),
            Ok(None) => return Err(WorkspaceError::Refused("stopped".into())),
            Err(e) => return Err(WorkspaceError::Refused(format!("provider `{name}`: {e}"))),
        };
        let model = self
            .request
            .params
            .get("model")
            .and_then(Json::as_str)
            .map(str::to_string)
            .or_else(|| response.model.clone());
        let counting = model.clone().unwrap_or_default();
        let mut estimated = false;
        let input_tokens = response.input_tokens.unwrap_or_else(|| {
            estimated = true;
            self.request
                .messages
                .iter()
                .map(|m| estimate_tokens(&counting, &m.content) + 4)
                .sum()
        });
        let output_tokens = response.output_tokens.unwrap_or_else(|| {
            estimated = true;
            estimate_tokens(&counting, &response.text)
        });
        // The echo provider is offline: it costs nothing whatever model the prompt names.
        let cost_usd = match self.provider.config().kind {
            ProviderKind::Echo => Some(0.0),
            _ => prices.cost(&counting, input_tokens, output_tokens),
        };
        let latency_ms = if response.latency_ms > 0 {
            response.latency_ms
        } else {
            started.elapsed().as_millis() as u64
        };
        Ok(PlaygroundAnswer {
            text: response.text,
            provider: name,
            model,
            latency_ms,
            input_tokens,
            output_tokens,
            tokens_estimated: estimated,
            cost_usd,
            finish_reason: response.finish_reason,
        })
    }
}

async fn stopped(cancel: &Cancel) {
    while !cancel.is_cancelled() {
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
