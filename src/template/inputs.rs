//! Variable values from the command line and files, checked against declarations.

use serde_json::{Map, Value as Json};

use crate::domain::variable::json_kind;
use crate::domain::{VarType, VariableDecls, is_identifier};

use super::RenderError;

/// Variable values for a render.
pub type VarInputs = Map<String, Json>;

/// Reads `k=v` arguments, typing each value by its declaration (undeclared ones are strings).
pub fn parse_var_args(decls: &VariableDecls, args: &[String]) -> Result<VarInputs, RenderError> {
    parse_var_args_typed(|name| decls.get(name).map(|d| d.var_type), args)
}

/// Reads `k=v` arguments, typing each value by `type_of` (names it does not know are strings).
pub fn parse_var_args_typed(
    type_of: impl Fn(&str) -> Option<VarType>,
    args: &[String],
) -> Result<VarInputs, RenderError> {
    let mut out = VarInputs::new();
    for arg in args {
        let (name, text) = arg.split_once('=').ok_or_else(|| RenderError::WrongType {
            name: arg.clone(),
            problem: "must be given as NAME=VALUE".into(),
        })?;
        let name = name.trim();
        if !is_identifier(name) {
            return Err(RenderError::WrongType {
                name: name.to_string(),
                problem: "is not a valid variable name".into(),
            });
        }
        let var_type = type_of(name).unwrap_or(VarType::String);
        let value = var_type
            .parse_text(text)
            .map_err(|problem| RenderError::WrongType {
                name: name.to_string(),
                problem,
            })?;
        out.insert(name.to_string(), value);
    }
    Ok(out)
}

/// Checks every given value against its declared type.
pub fn check_types(decls: &VariableDecls, values: &VarInputs) -> Result<(), RenderError> {
    for (name, value) in values {
        if let Some(spec) = decls.get(name)
            && !spec.var_type.accepts(value)
        {
            return Err(RenderError::WrongType {
                name: name.clone(),
                problem: format!("expects a {}, got {}", spec.var_type, json_kind(value)),
            });
        }
    }
    Ok(())
}
