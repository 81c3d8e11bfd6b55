//! The starting templates embedded from `assets/templates/`: what a new user learns from.

use serde::Serialize;

use crate::domain::{PromptName, Version};
use crate::prompt_file::{self, PromptFile};

use super::{Result, Workspace, WorkspaceError};

/// One starting template.
#[derive(Debug, Clone, Serialize)]
pub struct Starter {
    pub id: &'static str,
    #[serde(rename = "type")]
    pub prompt_type: crate::domain::PromptType,
    pub description: String,
    pub tags: Vec<String>,
    #[serde(skip)]
    pub file: PromptFile,
}

macro_rules! starters {
    ($($id:literal),* $(,)?) => {
        /// (id, file text) of every embedded template.
        pub const STARTER_FILES: &[(&str, &str)] = &[
            $(($id, include_str!(concat!("../../assets/templates/", $id, ".md")))),*
        ];
    };
}

starters![
    "support-agent",
    "classifier",
    "json-extractor",
    "rag-answerer",
    "summarizer",
    "code-reviewer",
    "sql-generator",
    "email-writer",
];

/// Every starting template, parsed.
pub fn starters() -> Vec<Starter> {
    STARTER_FILES
        .iter()
        .map(|(id, text)| {
            let file = prompt_file::parse(text)
                .unwrap_or_else(|e| panic!("embedded template {id} is broken: {e}"));
            Starter {
                id,
                prompt_type: file.content.prompt_type,
                description: file.content.description.clone(),
                tags: file.tags.clone(),
                file,
            }
        })
        .collect()
}

/// The starting template `id`.
pub fn starter(id: &str) -> Result<Starter> {
    let all = starters();
    let found = all.iter().find(|s| s.id == id).cloned();
    found.ok_or_else(|| WorkspaceError::UnknownTemplate {
        name: id.to_string(),
        available: all.iter().map(|s| s.id).collect::<Vec<_>>().join(", "),
    })
}

impl Workspace {
    /// Creates `name` from the starting template `id`, committed as version 1; `description`
    /// replaces the template's own.
    pub fn create_from_starter(
        &mut self,
        name: &PromptName,
        id: &str,
        extra_tags: &[String],
        description: Option<&str>,
    ) -> Result<Version> {
        let starter = starter(id)?;
        let mut tags = starter.tags.clone();
        tags.extend(extra_tags.iter().cloned());
        let mut content = starter.file.content;
        if let Some(description) = description {
            content.description = description.to_string();
        }
        self.create_prompt(
            name,
            content,
            &tags,
            &format!("Created from the {id} template"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_file_is_embedded_and_parses() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/templates");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .path()
                    .file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> =
            STARTER_FILES.iter().map(|(id, _)| id.to_string()).collect();
        embedded.sort();
        assert_eq!(
            on_disk, embedded,
            "assets/templates and STARTER_FILES disagree"
        );
        assert!(starters().len() >= 6);
    }
}
