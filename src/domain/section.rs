//! Sections: the ordered, typed parts a prompt is written in.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a section is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    Role,
    Context,
    Instructions,
    Guardrails,
    OutputFormat,
    Examples,
    Custom,
    /// A chat-only slot filled at render time with a list of messages (its title is the slot name).
    Placeholder,
}

impl SectionKind {
    /// Every kind, in the order a blank prompt would use them.
    pub const ALL: [SectionKind; 8] = [
        Self::Role,
        Self::Context,
        Self::Instructions,
        Self::Guardrails,
        Self::OutputFormat,
        Self::Examples,
        Self::Custom,
        Self::Placeholder,
    ];

    /// The kind's name as written in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::Context => "context",
            Self::Instructions => "instructions",
            Self::Guardrails => "guardrails",
            Self::OutputFormat => "output_format",
            Self::Examples => "examples",
            Self::Custom => "custom",
            Self::Placeholder => "placeholder",
        }
    }

    /// The title a new section of this kind gets.
    pub fn default_title(self) -> &'static str {
        match self {
            Self::Role => "Role",
            Self::Context => "Context",
            Self::Instructions => "Instructions",
            Self::Guardrails => "Guardrails",
            Self::OutputFormat => "Output format",
            Self::Examples => "Examples",
            Self::Custom => "Notes",
            Self::Placeholder => "history",
        }
    }
}

impl fmt::Display for SectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SectionKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "unknown section kind `{s}` (expected one of: {})",
                    names.join(", ")
                )
            })
    }
}

/// The chat message role a section belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageRole {
    System,
    User,
    Assistant,
}

impl MessageRole {
    /// The role's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

impl fmt::Display for MessageRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "system" => Ok(Self::System),
            "user" => Ok(Self::User),
            "assistant" => Ok(Self::Assistant),
            _ => Err(format!(
                "unknown message role `{s}` (expected system, user or assistant)"
            )),
        }
    }
}

/// One part of a prompt: a kind, a title, a template body and, for chat prompts, a message role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Section {
    pub kind: SectionKind,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<MessageRole>,
    #[serde(default)]
    pub body: String,
}

impl Section {
    /// A section with a normalised title and body.
    pub fn new(kind: SectionKind, title: &str, role: Option<MessageRole>, body: &str) -> Self {
        Self {
            kind,
            title: normalize_title(title),
            role,
            body: normalize_body(body),
        }
    }

    /// An empty section of `kind` with its default title.
    pub fn blank(kind: SectionKind, role: Option<MessageRole>) -> Self {
        Self::new(kind, kind.default_title(), role, "")
    }
}

/// A body's meaning never depends on blank lines before it or white space after it (sections are
/// joined with blank lines), so they are dropped: this keeps hashes and file round trips exact.
pub fn normalize_body(body: &str) -> String {
    let body = body.replace("\r\n", "\n");
    let mut rest = body.as_str();
    // Drop whole leading blank lines, keeping the first real line's indentation.
    while let Some((line, tail)) = rest.split_once('\n') {
        if !line.trim().is_empty() {
            break;
        }
        rest = tail;
    }
    rest.trim_end().to_string()
}

/// Titles are one line, without surrounding white space.
pub fn normalize_title(title: &str) -> String {
    title.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_text() {
        for kind in SectionKind::ALL {
            assert_eq!(kind.as_str().parse::<SectionKind>().unwrap(), kind);
        }
        assert_eq!(
            "output-format".parse::<SectionKind>().unwrap(),
            SectionKind::OutputFormat
        );
        assert!(
            "bogus"
                .parse::<SectionKind>()
                .unwrap_err()
                .contains("bogus")
        );
    }

    #[test]
    fn bodies_are_normalised() {
        assert_eq!(
            normalize_body("\n\n  indented\nnext  \n\n"),
            "  indented\nnext"
        );
        assert_eq!(normalize_body("a\r\nb"), "a\nb");
        assert_eq!(normalize_body(" \n \n"), "");
        assert_eq!(normalize_body("\n  \n  x"), "  x");
        assert_eq!(normalize_title("  Output   format \n"), "Output format");
    }
}
