//! `{{ var }}` templates in assertion values: filled from the case's variables before a check,
//! and stood in for when a spec is validated without them.

use serde_json::{Map, Value as Json};

use super::quote::q;
use crate::domain::eval::AssertionSpec;

/// Whether any string in `value` holds a `{{ ... }}` template.
pub fn has_template(value: &Json) -> bool {
    match value {
        Json::String(s) => s.contains("{{"),
        Json::Array(items) => items.iter().any(has_template),
        Json::Object(fields) => fields.values().any(has_template),
        _ => false,
    }
}

/// `value` with each `{{ ... }}` replaced by `x`, to validate its shape before it is rendered.
pub fn stand_in(value: &Json) -> Json {
    map_strings(value, &mut |s| {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            match rest[start..].find("}}") {
                Some(end) => {
                    out.push('x');
                    rest = &rest[start + end + 2..];
                }
                None => {
                    rest = &rest[start..];
                    break;
                }
            }
        }
        out.push_str(rest);
        Ok(out)
    })
    .unwrap_or_else(|_: String| value.clone())
}

fn map_strings(
    value: &Json,
    f: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Result<Json, String> {
    Ok(match value {
        Json::String(s) => Json::String(f(s)?),
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| map_strings(v, f))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(fields) => Json::Object(
            fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), map_strings(v, f)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

/// `spec` with the `{{ var }}` templates in its value filled from the case's variables.
pub fn render_values(
    spec: &AssertionSpec,
    vars: &Map<String, Json>,
) -> Result<AssertionSpec, String> {
    let Some(value) = spec.value.as_ref().filter(|v| has_template(v)) else {
        return Ok(spec.clone());
    };
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let ctx = minijinja::Value::from(minijinja::value::Serde(vars));
    let rendered = map_strings(value, &mut |s| {
        if !s.contains("{{") {
            return Ok(s.to_string());
        }
        env.render_str(s, ctx.clone())
            .map_err(|e| format!("could not fill the template in {}: {e}", q(s)))
    })?;
    Ok(AssertionSpec {
        value: Some(rendered),
        ..spec.clone()
    })
}
