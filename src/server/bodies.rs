//! The native API's JSON bodies (their schemas feed the OpenAPI document).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::domain::served::{TemplateForm, TemplateMessage};
use crate::template::{ChatMessage, Rendered};
use crate::workspace::{DeliveredPrompt, RenderOutput};

/// A prompt as an environment serves it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PromptBody {
    pub name: String,
    pub environment: String,
    pub version: u32,
    /// sha256 of the version's canonical content; also the `ETag`.
    pub content_hash: String,
    /// `text` or `chat`.
    #[serde(rename = "type")]
    pub prompt_type: String,
    /// Text prompts: the template (minijinja, `{{ var }}`), unrendered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Chat prompts: `{role, content}` messages and `{type: "placeholder", name}` slots.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub messages: Option<Value>,
    /// The model config (model, temperature, ...); `{}` when empty.
    #[schema(value_type = Object)]
    pub config: Value,
    /// Declared variables, and the ones the text uses (as required strings).
    pub variables: Vec<VariableBody>,
}

/// One variable of a prompt.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VariableBody {
    pub name: String,
    /// string, number, boolean, list or object.
    #[serde(rename = "type")]
    pub var_type: String,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Any JSON value (of the variable's type).
    #[schema(value_type = Option<Value>)]
    pub default: Option<Value>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub description: String,
}

impl PromptBody {
    /// The body of `prompt` served from `environment`.
    pub fn new(prompt: &DeliveredPrompt, environment: &str) -> Self {
        let (template, messages) = match &prompt.template {
            TemplateForm::Text(text) => (Some(text.clone()), None),
            TemplateForm::Messages(m) => (None, Some(messages_json(m))),
        };
        Self {
            name: prompt.name.to_string(),
            environment: environment.to_string(),
            version: prompt.version,
            content_hash: prompt.content_hash.clone(),
            prompt_type: prompt.prompt_type.to_string(),
            template,
            messages,
            config: prompt.config.clone(),
            variables: prompt
                .variables
                .iter()
                .map(|v| VariableBody {
                    name: v.name.clone(),
                    var_type: v.spec.var_type.to_string(),
                    required: v.spec.must_be_given(),
                    default: v.spec.default.clone(),
                    description: v.spec.description.clone(),
                })
                .collect(),
        }
    }
}

fn messages_json(messages: &[TemplateMessage]) -> Value {
    serde_json::to_value(messages).unwrap_or(Value::Array(Vec::new()))
}

/// What to render: an environment's version or a version number, and the variables.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderRequest {
    /// Render what this environment serves (the default: production); not with `version` (422).
    #[serde(default)]
    pub env: Option<String>,
    /// Render this version instead (needs a key that reads every environment).
    #[serde(default, deserialize_with = "whole_version")]
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub version: Option<u32>,
    /// Variable values; JSON types are checked against the declarations.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
}

/// A version number as JSON Schema reads an `integer`: `7` or `7.0`, never `7.5` or `-1`.
fn whole_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let Some(n) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = n.as_u64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(f))
            .map(|f| f as u64)
    });
    match whole.and_then(|v| u32::try_from(v).ok()) {
        Some(v) => Ok(Some(v)),
        None => Err(serde::de::Error::custom(format!(
            "version {n} is not a whole number from 0 to {}",
            u32::MAX
        ))),
    }
}

/// A rendered prompt.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RenderBody {
    pub name: String,
    pub version: u32,
    pub content_hash: String,
    #[serde(rename = "type")]
    pub prompt_type: String,
    /// Text prompts: the rendered text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Chat prompts: the rendered `{role, content}` messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub messages: Option<Vec<ChatMessageBody>>,
}

/// One rendered chat message.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChatMessageBody {
    pub role: String,
    pub content: String,
}

impl RenderBody {
    /// The body of a render.
    pub fn new(out: &RenderOutput) -> Self {
        let (text, messages) = match &out.rendered {
            Rendered::Text(t) => (Some(t.clone()), None),
            Rendered::Messages(m) => (None, Some(m.iter().map(chat).collect())),
        };
        Self {
            name: out.name.to_string(),
            version: out.version.unwrap_or(0),
            content_hash: out.hash.clone(),
            prompt_type: out.prompt_type.to_string(),
            text,
            messages,
        }
    }
}

fn chat(m: &ChatMessage) -> ChatMessageBody {
    ChatMessageBody {
        role: serde_json::to_value(m.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        content: m.content.clone(),
    }
}

/// What an environment serves.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ListingBody {
    pub environment: String,
    pub prompts: Vec<ListedPrompt>,
}

/// One served prompt.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ListedPrompt {
    pub name: String,
    pub version: u32,
    pub content_hash: String,
}

#[cfg(test)]
mod tests {
    use super::RenderRequest;

    fn version(body: &str) -> Result<Option<u32>, String> {
        serde_json::from_str::<RenderRequest>(body)
            .map(|r| r.version)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_version_is_read_as_json_schema_reads_an_integer() {
        assert_eq!(version(r#"{"version": 7}"#), Ok(Some(7)));
        assert_eq!(version(r#"{"version": 77.0}"#), Ok(Some(77)));
        assert_eq!(version(r#"{"version": 4294967295}"#), Ok(Some(u32::MAX)));
        assert_eq!(version(r#"{"version": null}"#), Ok(None));
        assert_eq!(version("{}"), Ok(None));
        for bad in ["7.5", "-1", "4294967296", "\"7\""] {
            assert!(
                version(&format!(r#"{{"version": {bad}}}"#)).is_err(),
                "{bad}"
            );
        }
    }
}
