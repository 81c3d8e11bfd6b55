//! The Langfuse prompt API's shapes: how a galley version reads as a Langfuse prompt (and a
//! Langfuse create request as galley content). Environments are Langfuse labels; the highest
//! version also carries `latest`; variables are written `{{var}}`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::content::{PromptContent, PromptType};
use super::section::{MessageRole, Section, SectionKind};
use super::served::{TemplateForm, TemplateMessage};

/// The label Langfuse gives the highest version.
pub const LATEST: &str = "latest";
/// The label read when a request names neither a label nor a version.
pub const DEFAULT_LABEL: &str = "production";

/// A prompt version as the Langfuse API returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LangfusePrompt {
    /// `text` or `chat`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub version: u32,
    /// A string (text), or an array of `{role, content}` messages and
    /// `{type: "placeholder", name}` slots (chat).
    pub prompt: Value,
    /// The model config; `{}` when empty.
    pub config: Value,
    pub labels: Vec<String>,
    pub tags: Vec<String>,
    #[serde(rename = "commitMessage", skip_serializing_if = "Option::is_none")]
    pub commit_message: Option<String>,
}

/// What a Langfuse prompt is built from.
pub struct VersionFacts<'a> {
    pub name: &'a str,
    pub version: u32,
    pub form: &'a TemplateForm,
    pub config: &'a Value,
    /// The environments serving this version, in environment order.
    pub environments: &'a [String],
    pub is_latest: bool,
    pub tags: &'a [String],
    pub message: &'a str,
}

/// The Langfuse body of one version.
pub fn langfuse_prompt(facts: &VersionFacts<'_>) -> LangfusePrompt {
    let (kind, prompt) = match facts.form {
        TemplateForm::Text(text) => ("text", Value::String(compact_variables(text))),
        TemplateForm::Messages(messages) => (
            "chat",
            Value::Array(
                messages
                    .iter()
                    .map(|m| match m {
                        TemplateMessage::Message { role, content } => serde_json::json!({
                            "role": role,
                            "content": compact_variables(content),
                        }),
                        TemplateMessage::Placeholder { name, .. } => {
                            serde_json::json!({"type": "placeholder", "name": name})
                        }
                    })
                    .collect(),
            ),
        ),
    };
    let mut labels: Vec<String> = facts.environments.to_vec();
    if facts.is_latest {
        labels.push(LATEST.to_string());
    }
    LangfusePrompt {
        kind: kind.to_string(),
        name: facts.name.to_string(),
        version: facts.version,
        prompt,
        config: match facts.config {
            Value::Object(_) => facts.config.clone(),
            _ => Value::Object(Map::new()),
        },
        labels,
        tags: facts.tags.to_vec(),
        commit_message: Some(facts.message.to_string()).filter(|m| !m.is_empty()),
    }
}

/// `{{ var }}` → `{{var}}` for plain variable references (Langfuse's compile matches those);
/// other template syntax is left as written.
pub fn compact_variables(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) if super::content::is_identifier(after[..end].trim()) => {
                out.push_str("{{");
                out.push_str(after[..end].trim());
                out.push_str("}}");
                rest = &after[end + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A Langfuse create-prompt request (`POST /api/public/v2/prompts`).
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
pub struct CreatePromptRequest {
    #[schema(value_type = crate::domain::PromptName)]
    pub name: String,
    /// `text` (default) or `chat`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// A string (text) or an array of messages and placeholders (chat).
    pub prompt: Value,
    #[serde(default)]
    pub config: Option<Value>,
    /// Environments to deploy the new version to (through their policies); `latest` is implied.
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(rename = "commitMessage", default)]
    pub commit_message: Option<String>,
}

/// Galley content for a create request, or why it cannot be one.
pub fn content_from_request(req: &CreatePromptRequest) -> Result<PromptContent, String> {
    let kind = match req.kind.as_deref() {
        None | Some("text") => PromptType::Text,
        Some("chat") => PromptType::Chat,
        Some(other) => return Err(format!("unknown prompt type `{other}` (text or chat)")),
    };
    let mut content = PromptContent::blank(kind);
    content.headings = false;
    content.sections = match (kind, &req.prompt) {
        (PromptType::Text, Value::String(text)) => {
            vec![Section::new(
                SectionKind::Instructions,
                "Prompt",
                None,
                text,
            )]
        }
        (PromptType::Chat, Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| message_section(i, item))
            .collect::<Result<_, _>>()?,
        (PromptType::Text, _) => return Err("a text prompt's `prompt` must be a string".into()),
        (PromptType::Chat, _) => return Err("a chat prompt's `prompt` must be an array".into()),
    };
    content.config = match &req.config {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err("`config` must be a JSON object".into()),
    };
    content.normalize();
    content.validate()?;
    Ok(content)
}

fn message_section(i: usize, item: &Value) -> Result<Section, String> {
    let text = |key: &str| item.get(key).and_then(Value::as_str);
    if text("type") == Some("placeholder") {
        let name =
            text("name").ok_or(format!("message {} is a placeholder without a name", i + 1))?;
        return Ok(Section::new(SectionKind::Placeholder, name, None, ""));
    }
    let role: MessageRole = text("role")
        .ok_or(format!("message {} has no `role`", i + 1))?
        .parse()
        .map_err(|e: String| format!("message {}: {e}", i + 1))?;
    let content = text("content").ok_or(format!("message {} has no text `content`", i + 1))?;
    let title = format!("Message {}", i + 1);
    Ok(Section::new(
        SectionKind::Instructions,
        &title,
        Some(role),
        content,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn variables_are_compacted_and_other_syntax_kept() {
        assert_eq!(
            compact_variables("Hi {{ name }}, {{x}} {{ a.b }} {% if y %}{{  y  }}{% endif %} {{"),
            "Hi {{name}}, {{x}} {{ a.b }} {% if y %}{{y}}{% endif %} {{"
        );
    }

    #[test]
    fn the_latest_version_carries_latest_and_config_is_never_null() {
        let form = TemplateForm::Text("Hello {{ who }}".into());
        let envs = vec!["production".to_string()];
        let body = langfuse_prompt(&VersionFacts {
            name: "greet",
            version: 3,
            form: &form,
            config: &Value::Null,
            environments: &envs,
            is_latest: true,
            tags: &[],
            message: "",
        });
        let v = serde_json::to_value(&body).unwrap();
        assert_eq!(
            v,
            json!({"type": "text", "name": "greet", "version": 3, "prompt": "Hello {{who}}",
                   "config": {}, "labels": ["production", "latest"], "tags": []})
        );
    }

    #[test]
    fn chat_requests_become_sections_and_bad_ones_are_named() {
        let req: CreatePromptRequest = serde_json::from_value(json!({
            "name": "c", "type": "chat",
            "prompt": [{"role": "system", "content": "Be {{tone}}"},
                       {"type": "placeholder", "name": "history"},
                       {"role": "user", "content": "{{q}}"}],
            "config": {"model": "m"}}))
        .unwrap();
        let c = content_from_request(&req).unwrap();
        assert_eq!(c.sections.len(), 3);
        assert_eq!(c.sections[1].kind, SectionKind::Placeholder);
        assert_eq!(c.config, json!({"model": "m"}));
        let bad: CreatePromptRequest = serde_json::from_value(
            json!({"name": "c", "type": "chat", "prompt": [{"content": "x"}]}),
        )
        .unwrap();
        assert!(
            content_from_request(&bad)
                .unwrap_err()
                .contains("message 1")
        );
        let text: CreatePromptRequest =
            serde_json::from_value(json!({"name": "t", "prompt": "Hi {{x}}"})).unwrap();
        assert_eq!(
            content_from_request(&text).unwrap().sections[0].body,
            "Hi {{x}}"
        );
    }
}
