//! The non-section parts of a prompt that changed, each diffed line by line like a section.

use serde_json::{Map, Value};

use super::{ChangeStatus, FieldChange, count_lines, diff_text};
use crate::domain::{PromptContent, VariableSpec};

/// Type, description, headings, config, then each variable declaration by name.
pub(super) fn field_changes(old: &PromptContent, new: &PromptContent) -> Vec<FieldChange> {
    let mut fields = Vec::new();
    if old.prompt_type != new.prompt_type {
        fields.push(change(
            "type",
            ChangeStatus::Modified,
            old.prompt_type.as_str(),
            new.prompt_type.as_str(),
        ));
    }
    if old.description != new.description {
        fields.push(change(
            "description",
            ChangeStatus::Modified,
            &old.description,
            &new.description,
        ));
    }
    if old.headings != new.headings {
        fields.push(change(
            "headings",
            ChangeStatus::Modified,
            &old.headings.to_string(),
            &new.headings.to_string(),
        ));
    }
    if !same_config(&old.config, &new.config) {
        fields.push(change(
            "config",
            ChangeStatus::Modified,
            &pretty(&old.config),
            &pretty(&new.config),
        ));
    }
    // Both maps are sorted by name: one merge pass visits the union in order.
    let mut old_vars = old.variables.iter().peekable();
    let mut new_vars = new.variables.iter().peekable();
    loop {
        let (name, before, after) = match (old_vars.peek(), new_vars.peek()) {
            (None, None) => break,
            (Some((o, _)), Some((n, _))) if o == n => {
                let (name, before) = old_vars.next().expect("peeked");
                let (_, after) = new_vars.next().expect("peeked");
                (name, Some(before), Some(after))
            }
            (Some((o, _)), Some((n, _))) if o < n => {
                let (name, before) = old_vars.next().expect("peeked");
                (name, Some(before), None)
            }
            (Some(_), None) => {
                let (name, before) = old_vars.next().expect("peeked");
                (name, Some(before), None)
            }
            (_, Some(_)) => {
                let (name, after) = new_vars.next().expect("peeked");
                (name, None, Some(after))
            }
        };
        if before == after {
            continue;
        }
        let status = match (before, after) {
            (None, _) => ChangeStatus::Added,
            (_, None) => ChangeStatus::Removed,
            _ => ChangeStatus::Modified,
        };
        fields.push(change(
            &format!("variables.{name}"),
            status,
            &before.map(spec_text).unwrap_or_default(),
            &after.map(spec_text).unwrap_or_default(),
        ));
    }
    fields
}

fn change(field: &str, status: ChangeStatus, old: &str, new: &str) -> FieldChange {
    let lines = diff_text(old, new);
    let (added, removed) = count_lines(&lines);
    FieldChange {
        field: field.to_string(),
        status,
        lines,
        added,
        removed,
    }
}

/// A missing config is an empty one (the domain normalises it so).
fn same_config(old: &Value, new: &Value) -> bool {
    let empty = |v: &Value| v.is_null() || v.as_object().is_some_and(Map::is_empty);
    old == new || (empty(old) && empty(new))
}

fn spec_text(spec: &VariableSpec) -> String {
    pretty(&serde_json::to_value(spec).expect("a variable spec always serialises"))
}

/// Pretty JSON with sorted keys at every level, whatever the map's own order, so that a
/// reordering is never shown as a change.
fn pretty(value: &Value) -> String {
    if value.is_null() {
        return "{}".to_string();
    }
    serde_json::to_string_pretty(&sorted(value)).expect("JSON values serialise")
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}
