//! Storing a received record with its own id, and the lookups the rules need. Storing never
//! checks rules: the workspace does that first.

use rusqlite::{OptionalExtension, params};

use crate::domain::{PromptContent, PromptName, VersionInfo};
use crate::store::{StoreError, Tx, VersionRow};
use crate::sync::records::{
    CommentRecord, DatasetVersionRecord, DecisionRecord, DeploymentRecord, EvalRunRecord,
    ResolutionRecord, ReviewRecord, VersionRecord,
};

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

/// The version of a prompt holding a number: its id, hash and author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberHolder {
    pub id: String,
    pub content_hash: String,
    pub author: String,
}

impl Tx<'_> {
    /// The version of prompt `name` numbered `number`, if any.
    pub fn number_holder(
        &self,
        name: &str,
        number: u32,
    ) -> Result<Option<NumberHolder>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT v.id, v.content_hash, v.author FROM versions v
                 JOIN prompts p ON p.id = v.prompt_id WHERE p.name = ?1 AND v.number = ?2",
            )?
            .query_row(params![name, number], |r| {
                Ok(NumberHolder {
                    id: r.get(0)?,
                    content_hash: r.get(1)?,
                    author: r.get(2)?,
                })
            })
            .optional()?)
    }

    /// The local row id of the record `id` in `table` (reviews or comments).
    pub fn local_id(&self, table: LocalTable, id: &str) -> Result<Option<i64>, StoreError> {
        let sql = match table {
            LocalTable::Reviews => "SELECT id FROM reviews WHERE record_id = ?1",
            LocalTable::Comments => "SELECT id FROM comments WHERE record_id = ?1",
        };
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// Whether the comment with local id `id` has a resolution.
    pub fn is_resolved(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM comment_resolutions WHERE comment_id = ?1")?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Stores a received version, creating its prompt if needed; the prompt's latest version
    /// moves only forward.
    pub fn store_version_record(&self, r: &VersionRecord) -> Result<(), StoreError> {
        let name = PromptName::stored(&r.prompt).map_err(|e| corrupt("prompt name", e))?;
        let prompt = match self.prompt(&name)? {
            Some(p) => p,
            None => {
                self.insert_prompt(&name, &r.content, &r.tags, &r.author, &r.created_at)?;
                self.prompt(&name)?
                    .ok_or_else(|| corrupt("prompt", "vanished after insert"))?
            }
        };
        let row = VersionRow {
            id: r.id.clone(),
            info: VersionInfo {
                number: r.number,
                content_hash: r.content_hash.clone(),
                author: r.author.clone(),
                created_at: r.created_at.clone(),
                message: r.message.clone(),
                parent: r.parent,
            },
            content: r.content.clone(),
        };
        if prompt.latest_version.is_none_or(|latest| r.number > latest) {
            return self.insert_version(prompt.id, &row);
        }
        self.conn
            .prepare_cached(
                "INSERT INTO versions (id, prompt_id, number, content_hash, content, author,
                                       created_at, message, parent)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                row.id,
                prompt.id,
                r.number,
                r.content_hash,
                PromptContent::canonical_json(&r.content),
                r.author,
                r.created_at,
                r.message,
                r.parent
            ])?;
        Ok(())
    }

    /// Stores a received review request; returns its local id.
    pub fn store_review_record(&self, r: &ReviewRecord) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO reviews (prompt, version, content_hash, env, requested_by, reviewers,
                                      note, at, record_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                r.prompt,
                r.version,
                r.content_hash,
                r.env,
                r.requested_by,
                serde_json::to_string(&r.reviewers).expect("names serialise"),
                r.note,
                r.at,
                r.id
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Stores a received decision on the review with local id `review`.
    pub fn store_decision_record(&self, r: &DecisionRecord, review: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO review_decisions (review_id, prompt, content_hash, reviewer, groups,
                                               kind, comment, at, record_id, statement, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                review,
                r.prompt,
                r.content_hash,
                r.reviewer,
                serde_json::to_string(&r.groups).expect("groups serialise"),
                r.decision.to_string(),
                r.comment,
                r.at,
                r.id,
                r.statement,
                r.signature
            ])?;
        Ok(())
    }

    /// Stores a received comment, a reply to local comment `parent` when given.
    pub fn store_comment_record(
        &self,
        r: &CommentRecord,
        parent: Option<i64>,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO comments (prompt, version, content_hash, section, section_index, line,
                                       parent, author, body, at, record_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                r.prompt,
                r.version,
                r.content_hash,
                r.section,
                r.section_number,
                r.line,
                parent,
                r.author,
                r.body,
                r.at,
                r.id
            ])?;
        Ok(())
    }

    /// Stores a received resolution of local comment `comment`.
    pub fn store_resolution_record(
        &self,
        r: &ResolutionRecord,
        comment: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO comment_resolutions (comment_id, resolved_by, at, record_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![comment, r.resolved_by, r.at, r.id])?;
        Ok(())
    }

    /// Stores a received deployment.
    pub fn store_deployment_record(&self, r: &DeploymentRecord) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO deployments (prompt, env, version, content_hash, actor, at, kind,
                                          previous_version, record_id, statement, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                r.prompt,
                r.env,
                r.version,
                r.content_hash,
                r.actor,
                r.at,
                r.deploy_kind,
                r.previous_version,
                r.id,
                r.statement,
                r.signature
            ])?;
        Ok(())
    }

    /// The record id of version `version` of dataset `name`, if any.
    pub fn dataset_version_holder(
        &self,
        name: &str,
        version: u32,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT v.record_id FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
                 WHERE d.name = ?1 AND v.version = ?2",
            )?
            .query_row(params![name, version], |r| r.get(0))
            .optional()?)
    }

    /// Stores a received dataset version, creating the dataset if needed; its latest version
    /// moves only forward.
    pub fn store_dataset_version_record(&self, r: &DatasetVersionRecord) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO datasets (name, description, latest_version, created_at, created_by,
                                       updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?4)
                 ON CONFLICT (name) DO UPDATE SET
                    latest_version = max(latest_version, excluded.latest_version),
                    description = CASE WHEN excluded.latest_version > latest_version
                                       THEN excluded.description ELSE description END,
                    updated_at = max(updated_at, excluded.updated_at)",
            )?
            .execute(params![
                r.dataset,
                r.description,
                r.version,
                r.created_at,
                r.author
            ])?;
        self.conn
            .prepare_cached(
                "INSERT INTO dataset_versions (dataset_id, version, cases, case_count, author,
                                               created_at, message, record_id)
                 SELECT id, ?2, ?3, ?4, ?5, ?6, ?7, ?8 FROM datasets WHERE name = ?1",
            )?
            .execute(params![
                r.dataset,
                r.version,
                r.cases.to_string(),
                r.case_count,
                r.author,
                r.created_at,
                r.message,
                r.id
            ])?;
        Ok(())
    }

    /// Stores a received eval run summary (without per-case results).
    pub fn store_eval_run_record(&self, r: &EvalRunRecord) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO eval_runs (id, prompt, dataset, dataset_version, spec, status,
                                        started_at, finished_at, started_by, summary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                r.id,
                r.prompt,
                r.dataset,
                r.dataset_version,
                r.spec.to_string(),
                r.status,
                r.started_at,
                r.finished_at,
                r.started_by,
                r.summary.to_string()
            ])?;
        Ok(())
    }

    /// Makes sure environment `name` exists (a record from a remote may name one this store
    /// lacks); a new one is open and placed last.
    pub fn ensure_environment(&self, name: &str, at: &str) -> Result<bool, StoreError> {
        if self.policy(name)?.is_some() {
            return Ok(false);
        }
        let open = serde_json::to_string(&crate::domain::policy::Policy::open())
            .expect("policies serialise");
        self.conn.execute(
            "INSERT INTO environments (name, position, created_at)
             VALUES (?1, (SELECT coalesce(max(position), 0) + 1 FROM environments), ?2)",
            params![name, at],
        )?;
        self.conn.execute(
            "INSERT INTO policies (env, policy, updated_at, updated_by) VALUES (?1, ?2, ?3, 'sync')",
            params![name, open, at],
        )?;
        Ok(true)
    }
}

/// Tables whose rows are referred to by local id.
#[derive(Debug, Clone, Copy)]
pub enum LocalTable {
    Reviews,
    Comments,
}
