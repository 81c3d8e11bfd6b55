//! Request parameters: the prompt's model config, the provider's defaults and a run's overrides
//! merged into one map, and the request built from a rendered prompt.

use serde_json::{Map, Value as Json};

use super::ProviderRequest;
use crate::domain::MessageRole;
use crate::domain::eval::ProviderConfig;
use crate::template::{ChatMessage, Rendered};

/// Parameters galley reads itself and never sends to a model API. Any key starting with
/// `galley_` is galley's too.
pub const GALLEY_ONLY_KEYS: [&str; 1] = ["echo_prefix"];

/// Keys the provider sets itself for each call (streaming or not); a config's values are ignored.
const TRANSPORT_KEYS: [&str; 3] = ["stream", "stream_options", "messages"];

/// Whether `key` is read by galley rather than sent to the model API.
pub fn is_galley_only(key: &str) -> bool {
    GALLEY_ONLY_KEYS.contains(&key) || key.starts_with("galley_")
}

/// The parameters of one request: the prompt's model config, then the provider's `defaults`
/// and `model`, then the run's overrides. Each layer replaces whole values of the keys it sets
/// (objects such as `response_format` are not merged key by key); a `null` in a later layer
/// removes the key. Non-object layers count as empty.
pub fn merge_params(
    prompt_config: &Json,
    provider: &ProviderConfig,
    run_overrides: &Json,
) -> Map<String, Json> {
    let mut params = Map::new();
    layer(&mut params, prompt_config);
    layer(&mut params, &provider.defaults);
    if let Some(model) = &provider.model {
        params.insert("model".into(), Json::String(model.clone()));
    }
    layer(&mut params, run_overrides);
    params
}

fn layer(params: &mut Map<String, Json>, over: &Json) {
    let Json::Object(over) = over else { return };
    for (key, value) in over {
        if value.is_null() {
            params.remove(key);
        } else {
            params.insert(key.clone(), value.clone());
        }
    }
}

/// The request for a rendered prompt: a text prompt is one user message, a chat prompt its
/// messages.
pub fn request_for(rendered: &Rendered, params: Map<String, Json>) -> ProviderRequest {
    let messages = match rendered {
        Rendered::Text(text) => vec![ChatMessage {
            role: MessageRole::User,
            content: text.clone(),
        }],
        Rendered::Messages(messages) => messages.clone(),
    };
    ProviderRequest { messages, params }
}

/// The parameters a model API receives: everything but galley's own keys and the transport
/// keys the provider sets per call.
pub(crate) fn api_params(params: &Map<String, Json>) -> Map<String, Json> {
    params
        .iter()
        .filter(|(k, _)| !is_galley_only(k) && !TRANSPORT_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// `value` with object keys sorted at every depth, so equal requests serialise identically
/// whatever order their maps were built in.
pub(crate) fn canonical(value: &Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Json::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&map[k])))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::eval::ProviderKind;
    use serde_json::json;

    #[test]
    fn layers_apply_in_order_and_null_removes() {
        let mut provider = ProviderConfig::new("p", ProviderKind::Openai);
        provider.defaults = json!({"temperature": 0.5, "model": "from-defaults", "top_p": 0.9});
        provider.model = Some("from-provider".into());
        let prompt = json!({"model": "from-prompt", "temperature": 1.0, "max_tokens": 10,
            "response_format": {"type": "json_object"}});
        let run = json!({"max_tokens": 20, "top_p": null});
        let params = merge_params(&prompt, &provider, &run);
        assert_eq!(
            Json::Object(params),
            json!({"model": "from-provider", "temperature": 0.5, "max_tokens": 20,
                "response_format": {"type": "json_object"}})
        );
    }

    #[test]
    fn non_object_layers_are_empty() {
        let provider = ProviderConfig::new("p", ProviderKind::Echo);
        assert!(merge_params(&Json::Null, &provider, &json!("x")).is_empty());
    }

    #[test]
    fn api_params_drop_galley_keys() {
        let params = json!({"model": "m", "echo_prefix": "> ", "galley_price": 1, "stream": true});
        let Json::Object(params) = params else {
            unreachable!()
        };
        assert_eq!(Json::Object(api_params(&params)), json!({"model": "m"}));
    }

    #[test]
    fn canonical_sorts_keys() {
        let a = canonical(&json!({"b": 1, "a": {"d": 2, "c": [ {"y": 1, "x": 2} ]}}));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"a":{"c":[{"x":2,"y":1}],"d":2},"b":1}"#
        );
    }
}
