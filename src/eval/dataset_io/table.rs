//! CSV: a header row; each column is a variable, except `__expected`, `__description`, `__tags`
//! (comma-separated), `__threshold`, `__id` and `__assert*` (assertions in short form, one per
//! column or several joined by ` && `). Values stay strings.

use serde_json::Value as Json;

use super::cases::{case_problems, var_text};
use super::short_form::{format_assertion, parse_cell};
use super::{ImportProblem, Imported, case_label, quoted};
use crate::domain::eval::TestCase;

enum Column {
    Var(String),
    Expected,
    Description,
    Tags,
    Threshold,
    Id,
    Assert(String),
}

fn column(name: &str) -> Result<Column, String> {
    Ok(match name {
        "__expected" => Column::Expected,
        "__description" => Column::Description,
        "__tags" => Column::Tags,
        "__threshold" => Column::Threshold,
        "__id" => Column::Id,
        _ if name.starts_with("__assert") => Column::Assert(name.to_string()),
        _ if name.starts_with("__") => {
            return Err(format!(
                "unknown special column `{name}` (special columns are __expected, __description, __tags, __threshold, __id and __assert_*)"
            ));
        }
        "" => return Err("a column has no name".to_string()),
        _ => Column::Var(name.to_string()),
    })
}

pub fn parse(text: &str) -> Imported {
    let mut imported = Imported::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => {
            imported.problems.push(ImportProblem::new(
                Some(1),
                None,
                format!("cannot read the header row: {e}"),
            ));
            return imported;
        }
    };
    let mut columns = Vec::new();
    for (i, name) in headers.iter().enumerate() {
        let name = name.trim();
        if headers.iter().take(i).any(|earlier| earlier.trim() == name) {
            imported.problems.push(ImportProblem::new(
                Some(1),
                None,
                format!("column `{name}` appears twice"),
            ));
        }
        match column(name) {
            Ok(column) => columns.push(column),
            Err(message) => imported
                .problems
                .push(ImportProblem::new(Some(1), None, message)),
        }
    }
    if !imported.problems.is_empty() {
        return imported; // A bad header would misread every row.
    }
    for (i, record) in reader.records().enumerate() {
        let index = i + 1;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize);
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => {
                        format!("has {len} fields but the header has {expected_len}")
                    }
                    _ => e.to_string(),
                };
                imported.problems.push(ImportProblem::new(
                    line,
                    Some(case_label(None, index)),
                    message,
                ));
                continue;
            }
        };
        let line = record.position().map(|p| p.line() as usize);
        let (case, problems) = row(&columns, &record);
        let label = case_label(Some(&case.description), index);
        if problems.is_empty() {
            imported.cases.push(case);
        } else {
            imported.problems.extend(
                problems
                    .into_iter()
                    .map(|message| ImportProblem::new(line, Some(label.clone()), message)),
            );
        }
    }
    imported
}

fn row(columns: &[Column], record: &csv::StringRecord) -> (TestCase, Vec<String>) {
    let mut case = TestCase::default();
    let mut problems = Vec::new();
    for (column, cell) in columns.iter().zip(record.iter()) {
        match column {
            Column::Var(name) => {
                case.vars
                    .insert(name.clone(), Json::String(cell.to_string()));
            }
            Column::Expected if !cell.is_empty() => case.expected = Some(cell.to_string()),
            Column::Description => case.description = cell.to_string(),
            Column::Tags => {
                case.tags = cell
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from)
                    .collect();
            }
            Column::Threshold if !cell.trim().is_empty() => match cell.trim().parse::<f64>() {
                Ok(t) => case.threshold = Some(t),
                Err(_) => problems.push(format!("__threshold `{cell}` is not a number")),
            },
            Column::Id => case.id = cell.to_string(),
            Column::Assert(name) => match parse_cell(cell) {
                Ok(specs) => case.assertions.extend(specs),
                Err(errors) => {
                    problems.extend(errors.into_iter().map(|e| format!("column `{name}`: {e}")))
                }
            },
            _ => {}
        }
    }
    if problems.is_empty() {
        // Assertions were validated cell by cell; this adds the case-level checks.
        problems.extend(case_problems(&TestCase {
            assertions: Vec::new(),
            ..case.clone()
        }));
    }
    (case, problems)
}

pub fn write(cases: &[TestCase]) -> Result<String, String> {
    let mut vars: Vec<&String> = Vec::new();
    for case in cases {
        for name in case.vars.keys() {
            if !vars.contains(&name) {
                vars.push(name);
            }
        }
    }
    if let Some(name) = vars.iter().find(|n| n.starts_with("__")) {
        return Err(format!(
            "variable `{name}` starts with `__`, which CSV keeps for special columns"
        ));
    }
    let has = |f: fn(&TestCase) -> bool| cases.iter().any(f);
    let (expected, description, tags) = (
        has(|c| c.expected.is_some()),
        has(|c| !c.description.is_empty()),
        has(|c| !c.tags.is_empty()),
    );
    let (threshold, id) = (has(|c| c.threshold.is_some()), has(|c| !c.id.is_empty()));
    let asserts = cases.iter().map(|c| c.assertions.len()).max().unwrap_or(0);

    let mut header: Vec<String> = vars.iter().map(|v| v.to_string()).collect();
    let specials = [
        (expected, "__expected"),
        (description, "__description"),
        (tags, "__tags"),
        (threshold, "__threshold"),
        (id, "__id"),
    ];
    header.extend(
        specials
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, name)| name.to_string()),
    );
    header.extend((1..=asserts).map(|n| format!("__assert_{n}")));

    let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
    out.write_record(&header).map_err(|e| e.to_string())?;
    for (i, case) in cases.iter().enumerate() {
        let label = quoted(&case_label(Some(&case.description), i + 1));
        let mut cells: Vec<String> = vars
            .iter()
            .map(|v| case.vars.get(*v).map(var_text).unwrap_or_default())
            .collect();
        if expected {
            cells.push(case.expected.clone().unwrap_or_default());
        }
        if description {
            cells.push(case.description.clone());
        }
        if tags {
            if let Some(tag) = case
                .tags
                .iter()
                .find(|t| t.contains(',') || t.trim() != t.as_str() || t.is_empty())
            {
                return Err(format!(
                    "case {label}: tag `{tag}` cannot be written in a comma-separated __tags cell"
                ));
            }
            cells.push(case.tags.join(","));
        }
        if threshold {
            cells.push(case.threshold.map(|t| t.to_string()).unwrap_or_default());
        }
        if id {
            cells.push(case.id.clone());
        }
        for n in 0..asserts {
            cells.push(match case.assertions.get(n) {
                Some(spec) => format_assertion(spec)
                    .map_err(|e| format!("case {label}: {e}; export as YAML or JSONL"))?,
                None => String::new(),
            });
        }
        out.write_record(&cells).map_err(|e| e.to_string())?;
    }
    let bytes = out.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}
