//! Datasets and their versions, provider configs, eval runs and their results, and the
//! response cache.

use rusqlite::{OptionalExtension, params};

use crate::domain::eval::{
    CaseResult, Dataset, DatasetInfo, ProviderConfig, RunInfo, RunStatus, RunSummary, TestCase,
};

use super::{StoreError, Tx};

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("records serialise")
}

/// What a run row holds besides its results: the spec it ran with.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunSpecRow {
    pub versions: Vec<u32>,
    pub providers: Vec<String>,
    pub repeat: u32,
    pub concurrency: usize,
    #[serde(default)]
    pub overrides: serde_json::Value,
}

fn status_from(s: &str) -> Result<RunStatus, StoreError> {
    match s {
        "running" => Ok(RunStatus::Running),
        "completed" => Ok(RunStatus::Completed),
        "cancelled" => Ok(RunStatus::Cancelled),
        "failed" => Ok(RunStatus::Failed),
        other => Err(corrupt("run status", other)),
    }
}

impl Tx<'_> {
    /// Every dataset with its latest version's size.
    pub fn datasets(&self) -> Result<Vec<DatasetInfo>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.name, d.description, d.latest_version, v.case_count, d.updated_at
             FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id AND v.version = d.latest_version
             ORDER BY d.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DatasetInfo {
                name: r.get(0)?,
                description: r.get(1)?,
                version: r.get::<_, i64>(2)? as u32,
                cases: r.get::<_, i64>(3)? as usize,
                updated_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A dataset at `version` (its latest when `None`).
    pub fn dataset(&self, name: &str, version: Option<u32>) -> Result<Option<Dataset>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.description, v.version, v.cases FROM datasets d
             JOIN dataset_versions v ON v.dataset_id = d.id
             WHERE d.name = ?1 AND v.version = coalesce(?2, d.latest_version)",
        )?;
        let row = stmt
            .query_row(params![name, version], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        row.map(|(description, version, cases)| {
            let cases: Vec<TestCase> =
                serde_json::from_str(&cases).map_err(|e| corrupt("dataset cases", e))?;
            Ok(Dataset {
                name: name.to_string(),
                description,
                version: version as u32,
                cases,
            })
        })
        .transpose()
    }

    /// Stores `cases` as the next version of dataset `name` (creating it); returns the version.
    pub fn save_dataset_version(
        &self,
        name: &str,
        description: Option<&str>,
        cases: &[TestCase],
        author: &str,
        at: &str,
        message: &str,
    ) -> Result<u32, StoreError> {
        let existing: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT id, latest_version FROM datasets WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (id, version) = match existing {
            Some((id, latest)) => {
                self.conn.execute(
                    "UPDATE datasets SET latest_version = ?2, updated_at = ?3,
                            description = coalesce(?4, description) WHERE id = ?1",
                    params![id, latest + 1, at, description],
                )?;
                (id, latest + 1)
            }
            None => {
                self.conn.execute(
                    "INSERT INTO datasets (name, description, latest_version, created_at, created_by, updated_at)
                     VALUES (?1, ?2, 1, ?3, ?4, ?3)",
                    params![name, description.unwrap_or(""), at, author],
                )?;
                (self.conn.last_insert_rowid(), 1)
            }
        };
        self.conn.execute(
            "INSERT INTO dataset_versions (dataset_id, version, cases, case_count, author, created_at, message, record_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                version,
                json(&cases),
                cases.len() as i64,
                author,
                at,
                message,
                uuid::Uuid::now_v7().to_string()
            ],
        )?;
        Ok(version as u32)
    }

    /// Every provider config, by name.
    pub fn providers(&self) -> Result<Vec<ProviderConfig>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT config FROM providers ORDER BY name")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| serde_json::from_str(&r?).map_err(|e| corrupt("provider config", e)))
            .collect()
    }

    /// The provider config called `name`.
    pub fn provider(&self, name: &str) -> Result<Option<ProviderConfig>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT config FROM providers WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| corrupt("provider config", e)))
            .transpose()
    }

    /// Creates or replaces a provider config.
    pub fn save_provider(&self, config: &ProviderConfig, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO providers (name, config, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
             ON CONFLICT (name) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at",
            params![config.name, json(config), at],
        )?;
        Ok(())
    }

    /// Removes a provider config; true when it existed.
    pub fn delete_provider(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute("DELETE FROM providers WHERE name = ?1", [name])?
            > 0)
    }

    /// Records a new run.
    pub fn insert_run(&self, run: &RunInfo, spec: &RunSpecRow) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO eval_runs (id, prompt, dataset, dataset_version, spec, status, started_at, started_by, summary)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                run.id,
                run.prompt,
                run.dataset,
                run.dataset_version,
                json(spec),
                run.status.as_str(),
                run.started_at,
                run.started_by,
                json(&run.summary)
            ],
        )?;
        Ok(())
    }

    /// Ends a run with its status and summary.
    pub fn finish_run(
        &self,
        id: &str,
        status: RunStatus,
        summary: &RunSummary,
        at: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE eval_runs SET status = ?2, summary = ?3, finished_at = ?4 WHERE id = ?1",
            params![id, status.as_str(), json(summary), at],
        )?;
        Ok(())
    }

    /// Stores (or replaces, for a human grade) one result.
    pub fn save_result(&self, run_id: &str, result: &CaseResult) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO eval_results (run_id, case_id, version, provider, repeat, pass, result)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (run_id, case_id, version, provider, repeat) DO UPDATE SET
                pass = excluded.pass, result = excluded.result",
            params![
                run_id,
                result.case_id,
                result.version,
                result.provider,
                result.repeat,
                result.human.as_ref().map_or(result.pass, |h| h.pass),
                json(result)
            ],
        )?;
        Ok(())
    }

    /// A run by id, or by an unambiguous prefix of it.
    pub fn run(&self, id: &str) -> Result<Option<(RunInfo, RunSpecRow)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, prompt, dataset, dataset_version, spec, status, started_at, finished_at, started_by, summary
             FROM eval_runs WHERE substr(id, 1, length(?1)) = ?1 ORDER BY started_at DESC LIMIT 2",
        )?;
        let mut rows: Vec<(RunInfo, RunSpecRow)> = stmt
            .query_map([id], run_row)?
            .collect::<Result<Result<Vec<_>, _>, _>>()??;
        Ok(if rows.len() == 1 { rows.pop() } else { None })
    }

    /// Runs (of `prompt` when given), newest first.
    pub fn runs(&self, prompt: Option<&str>, limit: usize) -> Result<Vec<RunInfo>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, prompt, dataset, dataset_version, spec, status, started_at, finished_at, started_by, summary
             FROM eval_runs WHERE ?1 IS NULL OR prompt = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![prompt, limit as i64], run_row)?;
        rows.map(|r| r?.map(|(info, _)| info)).collect()
    }

    /// Every result of a run.
    pub fn results(&self, run_id: &str) -> Result<Vec<CaseResult>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT result FROM eval_results WHERE run_id = ?1 ORDER BY version, provider, case_id, repeat",
        )?;
        let rows = stmt.query_map([run_id], |r| r.get::<_, String>(0))?;
        rows.map(|r| serde_json::from_str(&r?).map_err(|e| corrupt("eval result", e)))
            .collect()
    }

    /// A cached response for `key`.
    pub fn cached_response(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT response FROM response_cache WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Caches a response.
    pub fn cache_response(&self, key: &str, response: &str, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO response_cache (key, response, created_at) VALUES (?1, ?2, ?3)",
            params![key, response, at],
        )?;
        Ok(())
    }
}

type RunRow = Result<(RunInfo, RunSpecRow), StoreError>;

fn run_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    let spec_text: String = r.get(4)?;
    let status: String = r.get(5)?;
    let summary: String = r.get(9)?;
    let id: String = r.get(0)?;
    let prompt: String = r.get(1)?;
    let dataset: String = r.get(2)?;
    let dataset_version = r.get::<_, i64>(3)? as u32;
    let started_at: String = r.get(6)?;
    let finished_at: Option<String> = r.get(7)?;
    let started_by: String = r.get(8)?;
    Ok((|| {
        let spec: RunSpecRow =
            serde_json::from_str(&spec_text).map_err(|e| corrupt("run spec", e))?;
        let info = RunInfo {
            id,
            prompt,
            dataset,
            dataset_version,
            versions: spec.versions.clone(),
            providers: spec.providers.clone(),
            repeat: spec.repeat,
            status: status_from(&status)?,
            started_at,
            finished_at,
            started_by,
            summary: serde_json::from_str(&summary).map_err(|e| corrupt("run summary", e))?,
        };
        Ok((info, spec))
    })())
}
