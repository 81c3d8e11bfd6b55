//! Datasets in and out: JSONL, CSV, YAML, and the `tests:` of a promptfoo config.
//!
//! Import never stops at the first bad row: every problem is reported with its line (where the
//! format has one) and its case, and a case with a problem is left out rather than imported
//! half-right.

mod cases;
mod jsonl;
mod promptfoo;
mod promptfoo_export;
mod short_form;
mod table;
mod yaml;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_promptfoo;

use std::fmt;
use std::path::Path;

use crate::domain::eval::TestCase;

pub use short_form::{format_assertion, parse_assertion};

/// A dataset file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatasetFormat {
    /// One case per line, in the test-case JSON shape.
    Jsonl,
    /// A header row; columns are variables, `__expected`, `__assert_*`, ... are special.
    Csv,
    /// A list of cases in the test-case shape.
    Yaml,
    /// A promptfoo config's `tests:` and `defaultTest:`.
    Promptfoo,
}

impl DatasetFormat {
    /// Every format, in the order they are listed to people.
    pub const ALL: [Self; 4] = [Self::Jsonl, Self::Csv, Self::Yaml, Self::Promptfoo];

    /// The format's name, as `parse_name` reads it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
            Self::Yaml => "yaml",
            Self::Promptfoo => "promptfoo",
        }
    }

    /// The format for a file name: `.jsonl`, `.csv`, `.yaml`/`.yml` (a `promptfooconfig.yaml`,
    /// or a YAML file with a top-level `tests:`, is promptfoo). Reads the file to tell YAML
    /// from promptfoo when the name does not say; see [`DatasetFormat::detect`] to pass the text.
    pub fn from_path(path: &Path) -> Option<Self> {
        match Self::by_name(path)? {
            Self::Yaml if !is_promptfoo_name(path) => {
                let text = std::fs::read_to_string(path).unwrap_or_default();
                Some(if looks_like_promptfoo(&text) {
                    Self::Promptfoo
                } else {
                    Self::Yaml
                })
            }
            format => Some(format),
        }
    }

    /// The format for a file name and its text (no I/O).
    pub fn detect(path: &Path, text: &str) -> Option<Self> {
        match Self::by_name(path)? {
            Self::Yaml if looks_like_promptfoo(text) => Some(Self::Promptfoo),
            format => Some(format),
        }
    }

    fn by_name(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "jsonl" | "ndjson" => Some(Self::Jsonl),
            "csv" => Some(Self::Csv),
            "yaml" | "yml" if is_promptfoo_name(path) => Some(Self::Promptfoo),
            "yaml" | "yml" => Some(Self::Yaml),
            _ => None,
        }
    }

    /// Reads a format name (`jsonl`, `csv`, `yaml`/`yml`, `promptfoo`), case-insensitively.
    pub fn parse_name(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Ok(Self::Jsonl),
            "csv" => Ok(Self::Csv),
            "yaml" | "yml" => Ok(Self::Yaml),
            "promptfoo" => Ok(Self::Promptfoo),
            _ => Err(format!(
                "unknown dataset format `{s}` (expected jsonl, csv, yaml or promptfoo)"
            )),
        }
    }
}

impl fmt::Display for DatasetFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_promptfoo_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().starts_with("promptfooconfig"))
}

/// Whether YAML text is a promptfoo config: a top-level `tests:` or `defaultTest:` key.
fn looks_like_promptfoo(text: &str) -> bool {
    text.lines()
        .any(|line| line.starts_with("tests:") || line.starts_with("defaultTest:"))
}

/// Something wrong with one row or case of an imported file (or with the whole file).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ImportProblem {
    /// The 1-based line, when the format and the parser know it.
    pub line: Option<usize>,
    /// The case's description, or `#N` (its 1-based position) when it has none.
    pub case: Option<String>,
    pub message: String,
}

impl ImportProblem {
    fn new(line: Option<usize>, case: Option<String>, message: impl Into<String>) -> Self {
        Self {
            line,
            case,
            message: message.into(),
        }
    }
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let case = self.case.as_deref().map(quoted);
        match (self.line, &case) {
            (Some(line), Some(case)) => write!(f, "line {line} (case {case}): {}", self.message),
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            (None, Some(case)) => write!(f, "case {case}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// The cases read from a file, and the problems of the rows left out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Imported {
    pub cases: Vec<TestCase>,
    pub problems: Vec<ImportProblem>,
}

/// Reads `text` as `format`. Never fails as a whole: what cannot be read is in `problems`, and a
/// case with any problem is not in `cases`.
pub fn parse(text: &str, format: DatasetFormat) -> Imported {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        DatasetFormat::Jsonl => jsonl::parse(text),
        DatasetFormat::Csv => table::parse(text),
        DatasetFormat::Yaml => yaml::parse(text),
        DatasetFormat::Promptfoo => promptfoo::parse(text),
    }
}

/// Writes `cases` as `format` (promptfoo: a `tests:` list). Fails, naming the case, when the
/// format cannot hold a case exactly (a structured value in a CSV cell, a list variable that
/// promptfoo would expand, ...).
pub fn write(cases: &[TestCase], format: DatasetFormat) -> Result<String, String> {
    match format {
        DatasetFormat::Jsonl => jsonl::write(cases),
        DatasetFormat::Csv => table::write(cases),
        DatasetFormat::Yaml => yaml::write(cases),
        DatasetFormat::Promptfoo => promptfoo_export::write(cases),
    }
}

/// A case label as shown in messages: `#3`, or a description in quotes.
fn quoted(label: &str) -> String {
    if label.starts_with('#') {
        label.to_string()
    } else {
        format!("\"{label}\"")
    }
}

/// How a problem names a case: its description, or `#N`.
fn case_label(description: Option<&str>, index: usize) -> String {
    match description.map(str::trim) {
        Some(d) if !d.is_empty() => d.to_string(),
        _ => format!("#{index}"),
    }
}
