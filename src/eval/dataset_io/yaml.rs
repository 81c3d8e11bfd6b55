//! YAML: a list of cases in the test-case shape, or `{cases: [...]}`.

use serde::Deserialize;
use serde_json::Value as Json;
use serde_saphyr::Spanned;

use super::cases::{case_from_json, kind_of, raw_description};
use super::{ImportProblem, Imported, case_label};
use crate::domain::eval::TestCase;

/// YAML 1.2 scalars, as promptfoo's parser reads them (`yes`/`no`/`on`/`off` stay strings), and
/// numbers written with leading zeros or underscores kept as the text written (`02139`).
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        underscored_numbers_as_strings: true,
    }
}

/// Reads YAML text as JSON; the error is one line with its YAML line number.
pub fn read(text: &str) -> Result<Json, ImportProblem> {
    if text.trim().is_empty() {
        return Ok(Json::Null);
    }
    serde_saphyr::from_str_with_options::<Json>(text, options()).map_err(|e| yaml_problem(&e))
}

pub fn yaml_problem(e: &serde_saphyr::Error) -> ImportProblem {
    let line = e.location().map(|l| l.line() as usize).filter(|l| *l > 0);
    let column = e.location().map(|l| l.column()).filter(|c| *c > 0);
    let text = e.to_string();
    let first = text.lines().next().unwrap_or("unreadable YAML").trim();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    // The location leads the message; it is given separately.
    let message = match first.split_once(": ") {
        Some((at, rest)) if at.starts_with("line ") && at.contains(" column ") => rest,
        _ => first,
    };
    let message = match column {
        Some(column) => format!("not valid YAML: {message} (column {column})"),
        None => format!("not valid YAML: {message}"),
    };
    ImportProblem::new(line, None, message)
}

/// The 1-based line of each item of a YAML list (None where unknown); the list is the document,
/// or the value of `key` in it.
pub fn item_lines(text: &str, key: Option<&str>) -> Vec<Option<usize>> {
    #[derive(Deserialize)]
    struct Cases {
        cases: Vec<Spanned<Json>>,
    }
    #[derive(Deserialize)]
    struct Tests {
        tests: Vec<Spanned<Json>>,
    }
    let items = match key {
        None => serde_saphyr::from_str_with_options::<Vec<Spanned<Json>>>(text, options()).ok(),
        Some("cases") => serde_saphyr::from_str_with_options::<Cases>(text, options())
            .ok()
            .map(|doc| doc.cases),
        Some(_) => serde_saphyr::from_str_with_options::<Tests>(text, options())
            .ok()
            .map(|doc| doc.tests),
    };
    let line = |item: &Spanned<Json>| Some(item.referenced.line() as usize).filter(|l| *l > 0);
    items.unwrap_or_default().iter().map(line).collect()
}

pub fn parse(text: &str) -> Imported {
    let mut imported = Imported::default();
    let doc = match read(text) {
        Ok(doc) => doc,
        Err(problem) => {
            imported.problems.push(problem);
            return imported;
        }
    };
    let (items, key) = match doc {
        Json::Null => return imported,
        Json::Array(items) => (items, None),
        Json::Object(mut fields) => match fields.remove("cases") {
            Some(Json::Array(items)) => (items, Some("cases")),
            _ => {
                let message = "expected a list of cases, or `cases:` with a list";
                imported
                    .problems
                    .push(ImportProblem::new(Some(1), None, message));
                return imported;
            }
        },
        other => {
            let message = format!(
                "expected a list of cases (or `cases:` with a list), not {}",
                kind_of(&other)
            );
            imported
                .problems
                .push(ImportProblem::new(Some(1), None, message));
            return imported;
        }
    };
    let lines = item_lines(text, key);
    for (i, value) in items.into_iter().enumerate() {
        let line = lines.get(i).copied().flatten();
        let label = case_label(raw_description(&value), i + 1);
        match case_from_json(value) {
            Ok(case) => imported.cases.push(case),
            Err(problems) => imported.problems.extend(
                problems
                    .into_iter()
                    .map(|message| ImportProblem::new(line, Some(label.clone()), message)),
            ),
        }
    }
    imported
}

pub fn write(cases: &[TestCase]) -> Result<String, String> {
    serde_saphyr::to_string(&cases).map_err(|e| format!("cannot write YAML: {e}"))
}
