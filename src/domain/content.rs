//! A prompt's versioned content and its content hash.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::section::{MessageRole, Section, SectionKind};
use super::variable::VariableDecls;

/// Whether a prompt compiles to one text or to chat messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptType {
    #[default]
    Text,
    Chat,
}

impl PromptType {
    /// The type's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Chat => "chat",
        }
    }
}

impl fmt::Display for PromptType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PromptType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "chat" => Ok(Self::Chat),
            _ => Err(format!("unknown prompt type `{s}` (expected text or chat)")),
        }
    }
}

fn default_true() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// Everything a version snapshots: type, description, sections, variables and model config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptContent {
    #[serde(rename = "type")]
    pub prompt_type: PromptType,
    #[serde(default)]
    pub description: String,
    /// Text prompts only: whether section titles become `## Title` headings when compiled.
    #[serde(default = "default_true", skip_serializing_if = "is_true")]
    pub headings: bool,
    pub sections: Vec<Section>,
    #[serde(default)]
    pub variables: VariableDecls,
    /// The model config: model, temperature, max_tokens, tools, response_format, anything else.
    #[serde(default = "empty_object")]
    pub config: Value,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// The five sections a blank prompt starts with.
pub const STANDARD_KINDS: [SectionKind; 5] = [
    SectionKind::Role,
    SectionKind::Context,
    SectionKind::Instructions,
    SectionKind::Guardrails,
    SectionKind::OutputFormat,
];

impl PromptContent {
    /// A blank prompt: the five standard sections, empty. Chat prompts put the role, context,
    /// guardrails and output format in the system message and the instructions in the user turn.
    pub fn blank(prompt_type: PromptType) -> Self {
        let sections = STANDARD_KINDS
            .iter()
            .map(|&kind| {
                let role = match (prompt_type, kind) {
                    (PromptType::Text, _) => None,
                    (PromptType::Chat, SectionKind::Instructions) => Some(MessageRole::User),
                    (PromptType::Chat, _) => Some(MessageRole::System),
                };
                Section::blank(kind, role)
            })
            .collect();
        Self {
            prompt_type,
            description: String::new(),
            headings: true,
            sections,
            variables: VariableDecls::new(),
            config: empty_object(),
        }
    }

    /// The canonical serialisation: JSON with sorted object keys (serde_json's default map is
    /// ordered) and normalised section text. The same content always gives the same bytes.
    pub fn canonical_json(&self) -> String {
        let mut normalized = self.clone();
        normalized.normalize();
        serde_json::to_string(&normalized).expect("prompt content always serialises")
    }

    /// The sha256 of the canonical serialisation, as 64 hex digits.
    pub fn content_hash(&self) -> String {
        let digest = Sha256::digest(self.canonical_json().as_bytes());
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Brings titles, bodies and the description into canonical form, and makes the config an
    /// object. Idempotent.
    pub fn normalize(&mut self) {
        for section in &mut self.sections {
            *section = Section::new(section.kind, &section.title, section.role, &section.body);
            if self.prompt_type == PromptType::Text {
                section.role = None;
            } else if section.role.is_none() {
                section.role = Some(MessageRole::System);
            }
        }
        self.description = self.description.trim().to_string();
        if self.config.is_null() {
            self.config = empty_object();
        }
    }

    /// Checks what the type system cannot: a placeholder only in chat prompts, with a slot name,
    /// and a config that is a JSON object.
    pub fn validate(&self) -> Result<(), String> {
        if !self.config.is_object() {
            return Err("model config must be a JSON object".into());
        }
        for (i, section) in self.sections.iter().enumerate() {
            if section.kind == SectionKind::Placeholder {
                if self.prompt_type == PromptType::Text {
                    return Err(format!(
                        "section {} is a message placeholder, which only chat prompts can hold",
                        i + 1
                    ));
                }
                if !is_identifier(&section.title) {
                    return Err(format!(
                        "placeholder section {} needs a variable name as its title, not `{}`",
                        i + 1,
                        section.title
                    ));
                }
            }
        }
        for (name, spec) in &self.variables {
            if !is_identifier(name) {
                return Err(format!("variable name `{name}` is not a valid identifier"));
            }
            for (what, value) in [("default", &spec.default), ("example", &spec.example)] {
                if let Some(value) = value
                    && !spec.var_type.accepts(value)
                {
                    return Err(format!(
                        "variable `{name}`: its {what} {value} is not a {}",
                        spec.var_type
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Letters, digits and `_`, not starting with a digit: what a template can refer to.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn blank_prompt_has_five_standard_sections() {
        let text = PromptContent::blank(PromptType::Text);
        let kinds: Vec<_> = text.sections.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, STANDARD_KINDS);
        assert!(
            text.sections
                .iter()
                .all(|s| s.body.is_empty() && s.role.is_none())
        );
        let chat = PromptContent::blank(PromptType::Chat);
        assert_eq!(chat.sections[2].role, Some(MessageRole::User));
        assert_eq!(chat.sections[0].role, Some(MessageRole::System));
    }

    #[test]
    fn hash_is_stable_and_content_sensitive() {
        let mut a = PromptContent::blank(PromptType::Text);
        a.config = json!({"temperature": 0.2, "model": "m"});
        let mut b = a.clone();
        b.config = json!({"model": "m", "temperature": 0.2});
        assert_eq!(a.content_hash(), b.content_hash());
        assert_eq!(a.content_hash().len(), 64);
        b.sections[0].body = "You are helpful.".into();
        assert_ne!(a.content_hash(), b.content_hash());
        // Trailing white space is not content.
        let mut c = b.clone();
        c.sections[0].body = "You are helpful.\n\n".into();
        assert_eq!(b.content_hash(), c.content_hash());
    }

    #[test]
    fn validation_names_the_problem() {
        let mut p = PromptContent::blank(PromptType::Text);
        p.sections
            .push(Section::new(SectionKind::Placeholder, "history", None, ""));
        assert!(p.validate().unwrap_err().contains("only chat prompts"));
        let mut c = PromptContent::blank(PromptType::Chat);
        c.variables.insert(
            "n".into(),
            crate::domain::VariableSpec {
                var_type: crate::domain::VarType::Number,
                default: Some(json!("x")),
                ..Default::default()
            },
        );
        assert!(c.validate().unwrap_err().contains("variable `n`"));
    }
}
