//! A prompt as the delivery server hands it out: its template before rendering, as one text
//! (text prompts) or as chat messages with placeholder slots (chat prompts).

use serde::Serialize;

use super::content::{PromptContent, PromptType};
use super::section::{MessageRole, SectionKind};

/// One entry of a chat template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TemplateMessage {
    /// A message whose content is a template.
    Message { role: MessageRole, content: String },
    /// A slot the caller fills with a list of messages (`{"type": "placeholder", "name": ...}`).
    Placeholder {
        #[serde(rename = "type")]
        kind: PlaceholderTag,
        name: String,
    },
}

/// The `"placeholder"` tag of a placeholder entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceholderTag {
    Placeholder,
}

/// A prompt's template, unrendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateForm {
    Text(String),
    Messages(Vec<TemplateMessage>),
}

/// The template of `content`, sections joined as the renderer joins them (with `## Title`
/// headings when a text prompt asks for them; consecutive chat sections of one role make one
/// message). Give it content whose includes are already inlined
/// (`crate::template::Template::inlined`), so a client that only substitutes variables gets the
/// whole prompt.
pub fn template_form(content: &PromptContent) -> TemplateForm {
    let bodies = content
        .sections
        .iter()
        .filter(|s| s.kind == SectionKind::Placeholder || !s.body.trim().is_empty());
    match content.prompt_type {
        PromptType::Text => TemplateForm::Text(
            bodies
                .map(|s| {
                    let body = s.body.trim_end().to_string();
                    if content.headings {
                        format!("## {}\n\n{body}", s.title)
                    } else {
                        body
                    }
                })
                .collect::<Vec<_>>()
                .join("\n\n"),
        ),
        PromptType::Chat => {
            let mut out: Vec<TemplateMessage> = Vec::new();
            for s in bodies {
                if s.kind == SectionKind::Placeholder {
                    out.push(TemplateMessage::Placeholder {
                        kind: PlaceholderTag::Placeholder,
                        name: s.title.clone(),
                    });
                    continue;
                }
                let role = s.role.unwrap_or(MessageRole::System);
                let body = s.body.trim_end().to_string();
                match out.last_mut() {
                    Some(TemplateMessage::Message { role: r, content }) if *r == role => {
                        content.push_str("\n\n");
                        content.push_str(&body);
                    }
                    _ => out.push(TemplateMessage::Message {
                        role,
                        content: body,
                    }),
                }
            }
            TemplateForm::Messages(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Section;

    fn content(kind: PromptType, sections: Vec<Section>) -> PromptContent {
        let mut c = PromptContent::blank(kind);
        c.sections = sections;
        c
    }

    #[test]
    fn text_prompts_join_sections_with_headings() {
        let c = content(
            PromptType::Text,
            vec![
                Section::new(SectionKind::Role, "Role", None, "You help {{ user }}."),
                Section::new(SectionKind::Context, "Context", None, ""),
                Section::new(SectionKind::Instructions, "Steps", None, "Do it.\n"),
            ],
        );
        let form = template_form(&c);
        assert_eq!(
            form,
            TemplateForm::Text("## Role\n\nYou help {{ user }}.\n\n## Steps\n\nDo it.".into())
        );
    }

    #[test]
    fn chat_prompts_merge_roles_and_keep_placeholders() {
        let sys = Some(MessageRole::System);
        let c = content(
            PromptType::Chat,
            vec![
                Section::new(SectionKind::Role, "Role", sys, "Be kind."),
                Section::new(SectionKind::Context, "Context", sys, "Shop: {{ shop }}"),
                Section::new(SectionKind::Placeholder, "history", None, ""),
                Section::new(
                    SectionKind::Instructions,
                    "Ask",
                    Some(MessageRole::User),
                    "Q",
                ),
            ],
        );
        let TemplateForm::Messages(m) = template_form(&c) else {
            panic!("chat prompts give messages");
        };
        assert_eq!(m.len(), 3);
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"role": "system", "content": "Be kind.\n\nShop: {{ shop }}"},
                {"type": "placeholder", "name": "history"},
                {"role": "user", "content": "Q"},
            ])
        );
    }
}
