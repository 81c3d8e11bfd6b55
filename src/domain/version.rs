//! Versions, drafts and prompt summaries: the records a workspace keeps.

use serde::{Deserialize, Serialize};

use super::content::{PromptContent, PromptType};
use super::name::PromptName;

/// An immutable snapshot of a prompt's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    /// The record id (UUIDv7).
    pub id: String,
    pub prompt: PromptName,
    pub number: u32,
    pub content_hash: String,
    pub author: String,
    /// RFC 3339.
    pub created_at: String,
    pub message: String,
    pub parent: Option<u32>,
    pub content: PromptContent,
}

/// A version without its content: what a log lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub number: u32,
    pub content_hash: String,
    pub author: String,
    pub created_at: String,
    pub message: String,
    pub parent: Option<u32>,
}

/// A user's mutable working copy of a prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub prompt: PromptName,
    pub user: String,
    /// The version the draft started from.
    pub base_version: Option<u32>,
    pub updated_at: String,
    pub content: PromptContent,
}

/// One row of a prompt list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptSummary {
    pub name: PromptName,
    #[serde(rename = "type")]
    pub prompt_type: PromptType,
    pub description: String,
    pub tags: Vec<String>,
    pub latest_version: Option<u32>,
    pub latest_hash: Option<String>,
    pub updated_at: String,
    /// Whether the current user has a draft of it.
    pub has_draft: bool,
}
