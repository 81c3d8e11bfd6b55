//! The Markdown prompt file: TOML front matter between `+++` lines, then one
//! `## Title {kind=K role=R}` heading per section. Made for humans and clean git diffs, and exact:
//! writing then parsing gives back the same content hash.
//!
//! ```text
//! +++
//! name = "support/triage"
//! type = "chat"
//! description = "Routes a ticket"
//!
//! [config]
//! model = "gpt-4o-mini"
//!
//! [variables.ticket]
//! type = "string"
//! description = "The customer's message"
//! +++
//!
//! ## Role {kind=role role=system}
//!
//! You are a support triage assistant.
//! ```
//!
//! A body line that looks like a section heading is written with one more leading `\`, and read
//! back with one less.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use toml::Value as Toml;

use crate::domain::{
    MessageRole, PromptContent, PromptName, PromptType, Section, SectionKind, VarType,
    VariableDecls, VariableSpec,
};

const FENCE: &str = "+++";

/// A prompt as a file holds it: its content plus the prompt-level name and tags.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptFile {
    /// The name in the front matter; an import falls back to the file's path.
    pub name: Option<PromptName>,
    pub tags: Vec<String>,
    pub content: PromptContent,
}

/// Why a prompt file could not be read: the line it happened on (1-based) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Why content could not be written as a prompt file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot write the prompt file: {0}")]
pub struct WriteError(String);

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(rename = "type", default)]
    prompt_type: PromptType,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headings: Option<bool>,
    /// The model config as JSON text, used only when it holds a `null` that TOML cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    config_json: Option<String>,
    #[serde(default, skip_serializing_if = "toml::Table::is_empty")]
    config: toml::Table,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    variables: BTreeMap<String, VariableToml>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct VariableToml {
    #[serde(rename = "type", default)]
    var_type: VarType,
    #[serde(default = "yes")]
    required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<Toml>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    example: Option<Toml>,
}

fn yes() -> bool {
    true
}

/// Writes a prompt file.
pub fn write(file: &PromptFile) -> Result<String, WriteError> {
    let mut content = file.content.clone();
    content.normalize();
    let (config, config_json) = match json_to_toml(&content.config) {
        Some(Toml::Table(table)) => (table, None),
        _ => (toml::Table::new(), Some(content.config.to_string())),
    };
    let mut variables = BTreeMap::new();
    for (name, spec) in &content.variables {
        let convert = |v: &Option<Json>, what: &str| match v {
            None => Ok(None),
            Some(v) => json_to_toml(v)
                .map(Some)
                .ok_or_else(|| WriteError(format!("the {what} of variable `{name}` holds a null"))),
        };
        variables.insert(
            name.clone(),
            VariableToml {
                var_type: spec.var_type,
                required: spec.required,
                default: convert(&spec.default, "default")?,
                description: spec.description.clone(),
                example: convert(&spec.example, "example")?,
            },
        );
    }
    let front = FrontMatter {
        name: file.name.as_ref().map(|n| n.to_string()),
        prompt_type: content.prompt_type,
        description: content.description.clone(),
        tags: file.tags.clone(),
        headings: (!content.headings).then_some(false),
        config_json,
        config,
        variables,
    };
    let toml_text = toml::to_string(&front).map_err(|e| WriteError(e.to_string()))?;
    if toml_text.lines().any(|l| l.trim_end() == FENCE) {
        return Err(WriteError(format!(
            "a front matter value holds a line `{FENCE}`"
        )));
    }
    let mut out = String::new();
    out.push_str(FENCE);
    out.push('\n');
    out.push_str(&toml_text);
    if !toml_text.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(FENCE);
    out.push('\n');
    for section in &content.sections {
        out.push('\n');
        out.push_str(&heading_line(section));
        out.push('\n');
        if !section.body.is_empty() {
            out.push('\n');
            for line in section.body.split('\n') {
                if looks_like_heading(line.trim_start_matches('\\')) {
                    out.push('\\');
                }
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

fn heading_line(section: &Section) -> String {
    let mut line = format!("## {}", section.title);
    if !section.title.is_empty() {
        line.push(' ');
    }
    line.push_str(&format!("{{kind={}", section.kind));
    if let Some(role) = section.role {
        line.push_str(&format!(" role={role}"));
    }
    line.push('}');
    line
}

/// Reads a heading line into (title, kind, role); `None` when the line is not a heading.
/// A section heading's title, kind and message role.
type Heading = (String, SectionKind, Option<MessageRole>);

fn parse_heading(line: &str) -> Option<Result<Heading, String>> {
    let rest = line.trim_end().strip_prefix("##")?;
    if !rest.starts_with(' ') {
        return None;
    }
    let open = rest.rfind("{kind=")?;
    let attrs = rest[open + 1..].strip_suffix('}')?;
    let title = rest[..open].trim().to_string();
    let mut kind = None;
    let mut role = None;
    for attr in attrs.split_whitespace() {
        match attr.split_once('=') {
            Some(("kind", v)) => kind = Some(v),
            Some(("role", v)) => role = Some(v),
            _ => return Some(Err(format!("unknown heading attribute `{attr}`"))),
        }
    }
    let parsed = (|| {
        let kind: SectionKind = kind.ok_or("heading has no kind")?.parse()?;
        let role = role.map(str::parse::<MessageRole>).transpose()?;
        Ok((title, kind, role))
    })();
    Some(parsed)
}

fn looks_like_heading(line: &str) -> bool {
    parse_heading(line).is_some()
}

/// Reads a prompt file.
pub fn parse(text: &str) -> Result<PromptFile, ParseError> {
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let lines: Vec<&str> = text.split('\n').collect();
    let (front, body_start) = read_front_matter(&lines)?;

    let mut sections: Vec<(usize, Section)> = Vec::new();
    let mut body: Vec<&str> = Vec::new();
    let mut body_lines: Vec<String> = Vec::new();
    for (idx, raw) in lines.iter().enumerate().skip(body_start) {
        let line_no = idx + 1;
        match parse_heading(raw) {
            Some(Ok((title, kind, role))) => {
                if let Some((_, last)) = sections.last_mut() {
                    last.body = body_lines.join("\n");
                } else if body.iter().any(|l| !l.trim().is_empty()) {
                    return Err(text_outside(
                        body_start
                            + 1
                            + body.iter().position(|l| !l.trim().is_empty()).unwrap_or(0),
                    ));
                }
                body_lines.clear();
                body.clear();
                sections.push((line_no, Section::new(kind, &title, role, "")));
            }
            Some(Err(message)) => {
                return Err(ParseError {
                    line: line_no,
                    message,
                });
            }
            None => {
                if sections.is_empty() {
                    body.push(raw);
                } else {
                    body_lines.push(unescape(raw));
                }
            }
        }
    }
    if let Some((_, last)) = sections.last_mut() {
        last.body = body_lines.join("\n");
    } else if let Some(pos) = body.iter().position(|l| !l.trim().is_empty()) {
        return Err(text_outside(body_start + 1 + pos));
    }

    let config = match (&front.config_json, front.config.is_empty()) {
        (Some(_), false) => {
            return Err(ParseError {
                line: 1,
                message: "front matter has both `config` and `config_json`; keep one".into(),
            });
        }
        (Some(json), true) => serde_json::from_str::<Json>(json).map_err(|e| ParseError {
            line: 1,
            message: format!("`config_json` is not valid JSON: {e}"),
        })?,
        (None, _) => toml_to_json(&Toml::Table(front.config.clone())),
    };
    let mut variables = VariableDecls::new();
    for (name, var) in front.variables {
        variables.insert(
            name,
            VariableSpec {
                var_type: var.var_type,
                required: var.required,
                default: var.default.as_ref().map(toml_to_json),
                description: var.description,
                example: var.example.as_ref().map(toml_to_json),
            },
        );
    }
    let name = front
        .name
        .map(|n| PromptName::parse(&n))
        .transpose()
        .map_err(|e| ParseError {
            line: 1,
            message: e.to_string(),
        })?;
    let mut content = PromptContent {
        prompt_type: front.prompt_type,
        description: front.description,
        headings: front.headings.unwrap_or(true),
        sections: sections.into_iter().map(|(_, s)| s).collect(),
        variables,
        config,
    };
    content.normalize();
    content
        .validate()
        .map_err(|message| ParseError { line: 1, message })?;
    Ok(PromptFile {
        name,
        tags: front.tags,
        content,
    })
}

fn text_outside(line: usize) -> ParseError {
    ParseError {
        line,
        message: "text before the first section; start a section with a heading such as \
                  `## Instructions {kind=instructions}`"
            .into(),
    }
}

fn unescape(line: &str) -> String {
    match line.strip_prefix('\\') {
        Some(rest) if looks_like_heading(rest.trim_start_matches('\\')) => rest.to_string(),
        _ => line.to_string(),
    }
}

/// Returns the front matter and the index of the first line after it.
fn read_front_matter(lines: &[&str]) -> Result<(FrontMatter, usize), ParseError> {
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let Some(first) = first.filter(|&i| lines[i].trim_end() == FENCE) else {
        return Ok((FrontMatter::default(), 0));
    };
    let close = lines[first + 1..]
        .iter()
        .position(|l| l.trim_end() == FENCE)
        .map(|i| i + first + 1)
        .ok_or(ParseError {
            line: first + 1,
            message: format!("front matter opened with `{FENCE}` is never closed"),
        })?;
    let toml_text = lines[first + 1..close].join("\n");
    let front: FrontMatter = toml::from_str(&toml_text).map_err(|e| {
        let offset_line = e
            .span()
            .map(|span| {
                toml_text[..span.start.min(toml_text.len())]
                    .matches('\n')
                    .count()
            })
            .unwrap_or(0);
        ParseError {
            line: first + 2 + offset_line,
            message: one_line(e.message()),
        }
    })?;
    Ok((front, close + 1))
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// JSON to TOML; `None` where TOML has no form for it (null).
fn json_to_toml(value: &Json) -> Option<Toml> {
    Some(match value {
        Json::Null => return None,
        Json::Bool(b) => Toml::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Toml::Integer(i),
            None if n.is_u64() => return None,
            None => Toml::Float(n.as_f64()?),
        },
        Json::String(s) => Toml::String(s.clone()),
        Json::Array(items) => Toml::Array(items.iter().map(json_to_toml).collect::<Option<_>>()?),
        Json::Object(map) => Toml::Table(
            map.iter()
                .map(|(k, v)| Some((k.clone(), json_to_toml(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

fn toml_to_json(value: &Toml) -> Json {
    match value {
        Toml::String(s) => Json::String(s.clone()),
        Toml::Integer(i) => Json::from(*i),
        Toml::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Toml::Boolean(b) => Json::Bool(*b),
        Toml::Datetime(d) => Json::String(d.to_string()),
        Toml::Array(items) => Json::Array(items.iter().map(toml_to_json).collect()),
        Toml::Table(t) => Json::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests;
