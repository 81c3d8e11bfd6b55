//! JSONL: one case per line in the test-case shape, or a bare object of variables.

use serde_json::Value as Json;

use super::cases::{case_from_json, json_error, raw_description};
use super::{ImportProblem, Imported, case_label};
use crate::domain::eval::TestCase;

pub fn parse(text: &str) -> Imported {
    let mut imported = Imported::default();
    let mut index = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        index += 1;
        let value: Json = match serde_json::from_str(line) {
            Ok(value) => value,
            Err(e) => {
                let problem =
                    ImportProblem::new(Some(n + 1), Some(case_label(None, index)), json_error(&e));
                imported.problems.push(problem);
                continue;
            }
        };
        let label = case_label(raw_description(&value), index);
        match case_from_json(value) {
            Ok(case) => imported.cases.push(case),
            Err(problems) => imported.problems.extend(
                problems
                    .into_iter()
                    .map(|message| ImportProblem::new(Some(n + 1), Some(label.clone()), message)),
            ),
        }
    }
    imported
}

pub fn write(cases: &[TestCase]) -> Result<String, String> {
    let mut out = String::new();
    for case in cases {
        out.push_str(&serde_json::to_string(case).map_err(|e| e.to_string())?);
        out.push('\n');
    }
    Ok(out)
}
