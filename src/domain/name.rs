//! Prompt names: folder-style paths such as `support/triage`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::echo::echo;

/// The longest name a prompt may have, in characters.
pub const MAX_NAME_LEN: usize = 200;

/// The rules of [`PromptName::parse`] as a regular expression (the OpenAPI document's
/// pattern): lowercase segments of letters, digits, `_`, `.` and `-` between `/`, none empty or
/// starting with `.`, and the name not starting with `-`. With [`MAX_NAME_LEN`], exactly the
/// names `parse` accepts.
pub const NAME_PATTERN: &str = "^[a-z0-9_][a-z0-9_.-]*(/[a-z0-9_-][a-z0-9_.-]*)*$";

/// Why a prompt name was refused. The name it quotes is cut to a bounded prefix
/// ([`echo`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("prompt name is empty")]
    Empty,
    #[error("prompt name `{0}` is longer than {MAX_NAME_LEN} characters")]
    TooLong(String),
    #[error(
        "prompt name `{name}` has `{ch}`: use lowercase letters, digits, `-`, `_`, `.` and `/` for folders"
    )]
    BadChar { name: String, ch: char },
    #[error("prompt name `{0}` starts or ends with `/`")]
    EdgeSlash(String),
    #[error("prompt name `{0}` has an empty folder (`//`)")]
    DoubleSlash(String),
    #[error("prompt name `{0}` has a `.` or `..` folder")]
    DotSegment(String),
    #[error(
        "prompt name `{0}` starts with `-`: a name must not start with `-` (it would read as an option)"
    )]
    LeadingDash(String),
    #[error(
        "prompt name `{0}` has a part starting with `.`: no name or folder may start with `.` (hidden files)"
    )]
    HiddenSegment(String),
}

/// A validated prompt name: lowercase letters, digits, `-`, `_`, `.`, and `/` between folders.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PromptName(String);

/// A name in the OpenAPI document: a string with [`NAME_PATTERN`] and [`MAX_NAME_LEN`].
impl utoipa::PartialSchema for PromptName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A prompt name: lowercase segments separated by `/`, e.g. support/triage",
            ))
            .pattern(Some(NAME_PATTERN))
            .min_length(Some(1))
            .max_length(Some(MAX_NAME_LEN))
            .into()
    }
}

impl utoipa::ToSchema for PromptName {}

impl PromptName {
    /// Validates `raw` as a prompt name.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        if raw.is_empty() {
            return Err(NameError::Empty);
        }
        if raw.chars().count() > MAX_NAME_LEN {
            return Err(NameError::TooLong(echo(raw)));
        }
        if let Some(ch) = raw.chars().find(|c| {
            !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.' | '/'))
        }) {
            return Err(NameError::BadChar {
                name: echo(raw),
                ch,
            });
        }
        if raw.starts_with('/') || raw.ends_with('/') {
            return Err(NameError::EdgeSlash(echo(raw)));
        }
        if raw.contains("//") {
            return Err(NameError::DoubleSlash(echo(raw)));
        }
        // `.` and `..` folders would let an export escape its directory.
        if raw.split('/').any(|seg| seg == "." || seg == "..") {
            return Err(NameError::DotSegment(echo(raw)));
        }
        // Names must type back safely: `-x` reads as a flag, `.x` is a hidden file on export.
        if raw.starts_with('-') {
            return Err(NameError::LeadingDash(echo(raw)));
        }
        if raw.split('/').any(|seg| seg.starts_with('.')) {
            return Err(NameError::HiddenSegment(echo(raw)));
        }
        Ok(Self(raw.to_string()))
    }

    /// A name read back from a workspace file: the rules of [`PromptName::parse`] except the
    /// ones added after names were first stored (a leading `-`, a part starting with `.`), so
    /// that a file written before them still opens. New names always go through `parse`.
    pub fn stored(raw: &str) -> Result<Self, NameError> {
        match Self::parse(raw) {
            Err(NameError::LeadingDash(_) | NameError::HiddenSegment(_)) => {
                Ok(Self(raw.to_string()))
            }
            other => other,
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The folder part (`support` for `support/triage`), if any.
    pub fn folder(&self) -> Option<&str> {
        self.0.rsplit_once('/').map(|(folder, _)| folder)
    }

    /// The last path segment (`triage` for `support/triage`).
    pub fn leaf(&self) -> &str {
        self.0.rsplit_once('/').map_or(&self.0, |(_, leaf)| leaf)
    }
}

impl TryFrom<String> for PromptName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<PromptName> for String {
    fn from(value: PromptName) -> Self {
        value.0
    }
}

impl fmt::Display for PromptName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_folder_names() {
        for ok in ["triage", "support/triage", "a-b_c.d/e2", "x", "v1.2/x"] {
            assert!(PromptName::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_bad_names_with_reason() {
        assert_eq!(PromptName::parse(""), Err(NameError::Empty));
        assert!(matches!(
            PromptName::parse("Support"),
            Err(NameError::BadChar { ch: 'S', .. })
        ));
        assert!(matches!(
            PromptName::parse("a b"),
            Err(NameError::BadChar { ch: ' ', .. })
        ));
        assert!(matches!(
            PromptName::parse("/a"),
            Err(NameError::EdgeSlash(_))
        ));
        assert!(matches!(
            PromptName::parse("a/"),
            Err(NameError::EdgeSlash(_))
        ));
        assert!(matches!(
            PromptName::parse("a//b"),
            Err(NameError::DoubleSlash(_))
        ));
        assert!(matches!(
            PromptName::parse("a/../b"),
            Err(NameError::DotSegment(_))
        ));
        assert!(matches!(
            PromptName::parse(".."),
            Err(NameError::DotSegment(_))
        ));
        let long = "a".repeat(201);
        assert!(matches!(
            PromptName::parse(&long),
            Err(NameError::TooLong(_))
        ));
        assert!(PromptName::parse(&"a".repeat(200)).is_ok());
    }

    #[test]
    fn refuses_names_that_cannot_be_typed_back() {
        for bad in ["-rf", "-", ".hidden", "a/.b", "a/.b/c", ".a/b"] {
            let err = PromptName::parse(bad).unwrap_err();
            assert!(
                matches!(err, NameError::LeadingDash(_) | NameError::HiddenSegment(_)),
                "{bad}: {err}"
            );
        }
        let err = PromptName::parse("-rf").unwrap_err().to_string();
        assert!(err.contains("must not start with `-`"), "{err}");
        let err = PromptName::parse("a/.b").unwrap_err().to_string();
        assert!(err.contains("may start with `.`"), "{err}");
        for ok in ["a-b", "a/b-", "a.b/c.d", "a/-b", "v1.2"] {
            assert!(PromptName::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(PromptName::stored(".old").unwrap().as_str(), ".old");
        assert!(PromptName::stored("a//b").is_err());
    }

    #[test]
    fn error_message_names_the_problem() {
        let err = PromptName::parse("Bad Name").unwrap_err().to_string();
        assert!(err.contains("`Bad Name`") && err.contains("`B`"), "{err}");
    }

    #[test]
    fn folder_and_leaf() {
        let n = PromptName::parse("support/email/triage").unwrap();
        assert_eq!(n.folder(), Some("support/email"));
        assert_eq!(n.leaf(), "triage");
    }
}
