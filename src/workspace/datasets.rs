//! Datasets: named, versioned sets of test cases; import, export and case edits.

use serde::Serialize;
use serde_json::json;

use crate::domain::PromptName;
use crate::domain::eval::{Dataset, DatasetInfo, TestCase};
use crate::eval::assertions;
use crate::eval::dataset_io::{self, DatasetFormat, ImportProblem};

use super::{Result, Workspace, WorkspaceError, now};

/// How an import treats the cases already in the dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// The file becomes the dataset's cases.
    Replace,
    /// The file's cases are added to the dataset's.
    Append,
}

/// What a dataset import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetImport {
    pub name: String,
    /// The version written (none when nothing was).
    pub version: Option<u32>,
    pub imported: usize,
    /// Rows or cases left out, with why (only with `partial`; otherwise any problem refuses
    /// the whole import).
    pub skipped: Vec<ImportProblem>,
}

fn dataset_name(name: &str) -> Result<String> {
    PromptName::parse(name)
        .map(|n| n.to_string())
        .map_err(|e| WorkspaceError::Refused(e.to_string().replace("prompt name", "dataset name")))
}

fn problems_text(problems: &[ImportProblem]) -> String {
    let shown: Vec<String> = problems
        .iter()
        .take(20)
        .map(|p| {
            let at = match (&p.line, &p.case) {
                (Some(line), _) => format!("line {line}"),
                (None, Some(case)) => format!("case {case}"),
                (None, None) => "file".to_string(),
            };
            format!("  {at}: {}", p.message)
        })
        .collect();
    let more = problems.len().saturating_sub(20);
    let tail = if more > 0 {
        format!("\n  … and {more} more")
    } else {
        String::new()
    };
    format!("{}{tail}", shown.join("\n"))
}

/// Gives every case without one a fresh id.
fn with_ids(mut cases: Vec<TestCase>) -> Vec<TestCase> {
    for case in &mut cases {
        if case.id.is_empty() {
            case.id = uuid::Uuid::now_v7().to_string();
        }
    }
    cases
}

impl Workspace {
    /// Every dataset.
    pub fn datasets(&self) -> Result<Vec<DatasetInfo>> {
        Ok(self.store.read().datasets()?)
    }

    /// A dataset at `version` (the latest when `None`).
    pub fn dataset(&self, name: &str, version: Option<u32>) -> Result<Dataset> {
        self.store
            .read()
            .dataset(name, version)?
            .ok_or_else(|| match version {
                Some(v) => WorkspaceError::Refused(format!("dataset `{name}` has no version {v}")),
                None => WorkspaceError::Refused(format!(
                    "no dataset `{name}` (see `galley dataset list`)"
                )),
            })
    }

    /// Creates an empty dataset.
    pub fn create_dataset(&mut self, name: &str, description: &str) -> Result<u32> {
        let name = dataset_name(name)?;
        let user = self.user.clone();
        self.store.write(|tx| {
            if tx.dataset(&name, None)?.is_some() {
                return Err(WorkspaceError::Refused(format!(
                    "dataset `{name}` already exists"
                )));
            }
            let at = now();
            let version =
                tx.save_dataset_version(&name, Some(description), &[], &user, &at, "Created")?;
            tx.append_audit(
                &user,
                &at,
                "dataset.create",
                &name,
                &json!({"version": version}),
            )?;
            Ok(version)
        })
    }

    fn save_cases(
        &mut self,
        name: &str,
        description: Option<&str>,
        cases: &[TestCase],
        message: &str,
    ) -> Result<u32> {
        let user = self.user.clone();
        let name = name.to_string();
        self.store.write(|tx| {
            let at = now();
            let version =
                tx.save_dataset_version(&name, description, cases, &user, &at, message)?;
            tx.append_audit(
                &user,
                &at,
                "dataset.version",
                &name,
                &json!({"version": version, "cases": cases.len(), "message": message}),
            )?;
            Ok(version)
        })
    }

    /// Imports cases from `text` in `format` into dataset `name` (created when missing). Any
    /// problem refuses the whole import unless `partial`, which leaves the bad rows out.
    pub fn import_dataset(
        &mut self,
        name: &str,
        text: &str,
        format: DatasetFormat,
        mode: ImportMode,
        partial: bool,
    ) -> Result<DatasetImport> {
        let name = dataset_name(name)?;
        let parsed = dataset_io::parse(text, format);
        if !parsed.problems.is_empty() && !partial {
            return Err(WorkspaceError::Refused(format!(
                "nothing imported: {} problem(s) (fix them, or pass --partial to import the good rows only)\n{}",
                parsed.problems.len(),
                problems_text(&parsed.problems)
            )));
        }
        let mut cases = match (mode, self.store.read().dataset(&name, None)?) {
            (ImportMode::Append, Some(existing)) => existing.cases,
            _ => Vec::new(),
        };
        let imported = parsed.cases.len();
        cases.extend(parsed.cases);
        let cases = with_ids(cases);
        let message = format!("Imported {imported} cases ({})", format_name(format));
        let version = if imported == 0 && mode == ImportMode::Append {
            None
        } else {
            Some(self.save_cases(&name, None, &cases, &message)?)
        };
        Ok(DatasetImport {
            name,
            version,
            imported,
            skipped: parsed.problems,
        })
    }

    /// A dataset version written in `format`.
    pub fn export_dataset(
        &self,
        name: &str,
        version: Option<u32>,
        format: DatasetFormat,
    ) -> Result<String> {
        let dataset = self.dataset(name, version)?;
        dataset_io::write(&dataset.cases, format).map_err(WorkspaceError::Refused)
    }

    /// Adds a case (its assertions validated); returns the new dataset version.
    pub fn add_case(&mut self, name: &str, case: TestCase) -> Result<u32> {
        for spec in &case.assertions {
            assertions::validate(spec)
                .map_err(|e| WorkspaceError::Refused(format!("assertion `{}`: {e}", spec.kind)))?;
        }
        let mut cases = self.dataset(name, None)?.cases;
        cases.push(case);
        let cases = with_ids(cases);
        self.save_cases(name, None, &cases, "Added a case")
    }

    /// Removes a case by id (or an unambiguous prefix, or its 1-based position).
    pub fn remove_case(&mut self, name: &str, which: &str) -> Result<u32> {
        let mut cases = self.dataset(name, None)?.cases;
        let index = find_case(&cases, which)?;
        cases.remove(index);
        self.save_cases(name, None, &cases, "Removed a case")
    }
}

/// The index of the case `which` names: a 1-based position, an id or an id prefix.
pub fn find_case(cases: &[TestCase], which: &str) -> Result<usize> {
    if let Ok(n) = which.parse::<usize>()
        && (1..=cases.len()).contains(&n)
    {
        return Ok(n - 1);
    }
    let matches: Vec<usize> = (0..cases.len())
        .filter(|&i| cases[i].id.starts_with(which))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(WorkspaceError::Refused(format!(
            "no case `{which}` (use its number or id)"
        ))),
        _ => Err(WorkspaceError::Refused(format!(
            "`{which}` matches {} cases: give more of the id",
            matches.len()
        ))),
    }
}

fn format_name(format: DatasetFormat) -> &'static str {
    match format {
        DatasetFormat::Jsonl => "JSONL",
        DatasetFormat::Csv => "CSV",
        DatasetFormat::Yaml => "YAML",
        DatasetFormat::Promptfoo => "promptfoo",
    }
}
