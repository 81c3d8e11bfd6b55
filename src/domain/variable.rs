//! Variables: what a prompt's templates expect, declared or found in the text.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The type a declared variable takes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VarType {
    #[default]
    String,
    Number,
    Boolean,
    List,
    Object,
}

impl VarType {
    /// The type's name as written in files and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Boolean => "boolean",
            Self::List => "list",
            Self::Object => "object",
        }
    }

    /// Whether `value` is of this type.
    pub fn accepts(self, value: &Value) -> bool {
        matches!(
            (self, value),
            (Self::String, Value::String(_))
                | (Self::Number, Value::Number(_))
                | (Self::Boolean, Value::Bool(_))
                | (Self::List, Value::Array(_))
                | (Self::Object, Value::Object(_))
        )
    }

    /// Reads a value typed on a command line (`--var k=v`) as this type.
    pub fn parse_text(self, text: &str) -> Result<Value, String> {
        let bad = || format!("expects a {}, got `{text}`", self.as_str());
        match self {
            Self::String => Ok(Value::String(text.to_string())),
            Self::Number => text
                .trim()
                .parse::<serde_json::Number>()
                .map(Value::Number)
                .map_err(|_| bad()),
            Self::Boolean => match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" => Ok(Value::Bool(true)),
                "false" | "no" | "off" => Ok(Value::Bool(false)),
                _ => Err(bad()),
            },
            Self::List | Self::Object => {
                let value: Value = serde_json::from_str(text).map_err(|_| bad())?;
                if self.accepts(&value) {
                    Ok(value)
                } else {
                    Err(bad())
                }
            }
        }
    }
}

impl fmt::Display for VarType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VarType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "string" | "str" | "text" => Ok(Self::String),
            "number" | "int" | "integer" | "float" => Ok(Self::Number),
            "boolean" | "bool" => Ok(Self::Boolean),
            "list" | "array" => Ok(Self::List),
            "object" | "map" | "dict" => Ok(Self::Object),
            _ => Err(format!(
                "unknown variable type `{s}` (expected string, number, boolean, list or object)"
            )),
        }
    }
}

/// What kind of JSON value this is, for messages ("a number `3`").
pub fn json_kind(value: &Value) -> String {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    let mut shown = value.to_string();
    if shown.chars().count() > 40 {
        shown = shown.chars().take(37).collect::<String>() + "...";
    }
    format!("{kind} `{shown}`")
}

/// A variable's declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariableSpec {
    #[serde(rename = "type", default)]
    pub var_type: VarType,
    #[serde(default = "default_true")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
}

fn default_true() -> bool {
    true
}

impl Default for VariableSpec {
    fn default() -> Self {
        Self {
            var_type: VarType::String,
            required: true,
            default: None,
            description: String::new(),
            example: None,
        }
    }
}

impl VariableSpec {
    /// Whether a render must be given this variable: required and without a default.
    pub fn must_be_given(&self) -> bool {
        self.required && self.default.is_none()
    }

    /// The value a preview uses: the example, else the default.
    pub fn sample(&self) -> Option<&Value> {
        self.example.as_ref().or(self.default.as_ref())
    }
}

/// Declared variables by name.
pub type VariableDecls = BTreeMap<String, VariableSpec>;

/// A variable as a prompt uses it: declared, found in the text, or both.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariableUse {
    pub name: String,
    pub spec: VariableSpec,
    /// Declared in the prompt's front matter (otherwise it counts as a required string).
    pub declared: bool,
    /// Found in the text of at least one section (or an included snippet).
    pub used: bool,
}

/// Merges declarations with the names found in the text: undeclared names count as required
/// strings.
pub fn variable_uses(decls: &VariableDecls, used: &[String]) -> Vec<VariableUse> {
    let mut out: BTreeMap<String, VariableUse> = decls
        .iter()
        .map(|(name, spec)| {
            let is_used = used.iter().any(|u| u == name);
            (
                name.clone(),
                VariableUse {
                    name: name.clone(),
                    spec: spec.clone(),
                    declared: true,
                    used: is_used,
                },
            )
        })
        .collect();
    for name in used {
        out.entry(name.clone()).or_insert_with(|| VariableUse {
            name: name.clone(),
            spec: VariableSpec::default(),
            declared: false,
            used: true,
        });
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_typed_text() {
        assert_eq!(VarType::Number.parse_text("3.5").unwrap(), json!(3.5));
        assert_eq!(VarType::Boolean.parse_text("true").unwrap(), json!(true));
        assert_eq!(VarType::List.parse_text("[1,2]").unwrap(), json!([1, 2]));
        let err = VarType::Boolean.parse_text("3").unwrap_err();
        assert_eq!(err, "expects a boolean, got `3`");
        assert!(VarType::Object.parse_text("[1]").is_err());
    }

    #[test]
    fn undeclared_variables_are_required_strings() {
        let mut decls = VariableDecls::new();
        decls.insert(
            "tone".into(),
            VariableSpec {
                required: false,
                default: Some(json!("warm")),
                ..Default::default()
            },
        );
        let uses = variable_uses(&decls, &["question".into(), "tone".into()]);
        assert_eq!(uses.len(), 2);
        let q = uses.iter().find(|u| u.name == "question").unwrap();
        assert!(!q.declared && q.spec.must_be_given() && q.spec.var_type == VarType::String);
        let t = uses.iter().find(|u| u.name == "tone").unwrap();
        assert!(t.declared && !t.spec.must_be_given());
    }
}
