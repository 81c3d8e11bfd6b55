//! Loading a record by id, as it travels: references to other records by their ids.

use rusqlite::OptionalExtension;

use crate::store::{StoreError, Tx};
use crate::sync::records::{
    CommentRecord, DatasetVersionRecord, DecisionRecord, DeploymentRecord, EvalRunRecord,
    KeyRevocationRecord, Record, ResolutionRecord, ReviewRecord, UserKeyRecord, VersionRecord,
};

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

fn json_value(what: &str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

impl Tx<'_> {
    /// Record `id` of `kind`, as it travels.
    pub fn load_record(&self, kind: &str, id: &str) -> Result<Option<Record>, StoreError> {
        match kind {
            "version" => self.load_version(id),
            "review" => self.load_review(id),
            "decision" => self.load_decision(id),
            "comment" => self.load_comment(id),
            "resolution" => self.load_resolution(id),
            "deployment" => self.load_deployment(id),
            "dataset_version" => self.load_dataset_version(id),
            "eval_run" => self.load_eval_run(id),
            "user_key" => self.load_user_key(id),
            "key_revocation" => self.load_key_revocation(id),
            other => Err(corrupt("sync log kind", other)),
        }
    }

    fn load_version(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT p.name, p.tags, v.number, v.content_hash, v.content, v.author,
                        v.created_at, v.message, v.parent
                 FROM versions v JOIN prompts p ON p.id = v.prompt_id WHERE v.id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, Option<u32>>(8)?,
                ))
            })
            .optional()?;
        let Some((
            prompt,
            tags,
            number,
            content_hash,
            content,
            author,
            created_at,
            message,
            parent,
        )) = raw
        else {
            return Ok(None);
        };
        Ok(Some(Record::Version(VersionRecord {
            id: id.to_string(),
            prompt,
            tags: serde_json::from_str(&tags).map_err(|e| corrupt("tags", e))?,
            number,
            content_hash,
            content: serde_json::from_str(&content).map_err(|e| corrupt("prompt content", e))?,
            author,
            created_at,
            message,
            parent,
        })))
    }

    fn load_review(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT prompt, version, content_hash, env, requested_by, reviewers, note, at
                 FROM reviews WHERE record_id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    ReviewRecord {
                        id: id.to_string(),
                        prompt: r.get(0)?,
                        version: r.get(1)?,
                        content_hash: r.get(2)?,
                        env: r.get(3)?,
                        requested_by: r.get(4)?,
                        reviewers: Vec::new(),
                        note: r.get(6)?,
                        at: r.get(7)?,
                    },
                    r.get::<_, String>(5)?,
                ))
            })
            .optional()?;
        raw.map(|(mut review, reviewers)| {
            review.reviewers =
                serde_json::from_str(&reviewers).map_err(|e| corrupt("reviewers", e))?;
            Ok(Record::Review(review))
        })
        .transpose()
    }

    fn load_decision(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT r.record_id, d.prompt, d.content_hash, d.reviewer, d.groups, d.kind,
                        d.comment, d.at, d.statement, d.signature
                 FROM review_decisions d JOIN reviews r ON r.id = d.review_id
                 WHERE d.record_id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ),
                    (
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ),
                ))
            })
            .optional()?;
        let Some((
            (review, prompt, content_hash, reviewer, groups),
            (kind, comment, at, statement, signature),
        )) = raw
        else {
            return Ok(None);
        };
        Ok(Some(Record::Decision(DecisionRecord {
            id: id.to_string(),
            review,
            prompt,
            content_hash,
            reviewer,
            groups: serde_json::from_str(&groups).map_err(|e| corrupt("groups", e))?,
            decision: serde_json::from_value(serde_json::Value::String(kind))
                .map_err(|e| corrupt("decision kind", e))?,
            comment,
            at,
            statement,
            signature,
        })))
    }

    fn load_comment(&self, id: &str) -> Result<Option<Record>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT c.prompt, c.version, c.content_hash, c.section, c.section_index, c.line,
                        p.record_id, c.author, c.body, c.at
                 FROM comments c LEFT JOIN comments p ON p.id = c.parent
                 WHERE c.record_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Record::Comment(CommentRecord {
                    id: id.to_string(),
                    prompt: r.get(0)?,
                    version: r.get(1)?,
                    content_hash: r.get(2)?,
                    section: r.get(3)?,
                    section_number: r.get(4)?,
                    line: r.get(5)?,
                    parent: r.get(6)?,
                    author: r.get(7)?,
                    body: r.get(8)?,
                    at: r.get(9)?,
                }))
            })
            .optional()?)
    }

    fn load_resolution(&self, id: &str) -> Result<Option<Record>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT c.record_id, r.resolved_by, r.at
                 FROM comment_resolutions r JOIN comments c ON c.id = r.comment_id
                 WHERE r.record_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Record::Resolution(ResolutionRecord {
                    id: id.to_string(),
                    comment: r.get(0)?,
                    resolved_by: r.get(1)?,
                    at: r.get(2)?,
                }))
            })
            .optional()?)
    }

    fn load_deployment(&self, id: &str) -> Result<Option<Record>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT prompt, env, version, content_hash, actor, at, kind, previous_version,
                        statement, signature
                 FROM deployments WHERE record_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Record::Deployment(DeploymentRecord {
                    id: id.to_string(),
                    prompt: r.get(0)?,
                    env: r.get(1)?,
                    version: r.get(2)?,
                    content_hash: r.get(3)?,
                    actor: r.get(4)?,
                    at: r.get(5)?,
                    deploy_kind: r.get(6)?,
                    previous_version: r.get(7)?,
                    statement: r.get(8)?,
                    signature: r.get(9)?,
                }))
            })
            .optional()?)
    }

    fn load_user_key(&self, id: &str) -> Result<Option<Record>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT user_name, fingerprint, public_key, added_by, at, statement, signature
                 FROM user_keys WHERE record_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Record::UserKey(UserKeyRecord {
                    id: id.to_string(),
                    user: r.get(0)?,
                    fingerprint: r.get(1)?,
                    public_key: r.get(2)?,
                    added_by: r.get(3)?,
                    at: r.get(4)?,
                    statement: r.get(5)?,
                    signature: r.get(6)?,
                }))
            })
            .optional()?)
    }

    fn load_key_revocation(&self, id: &str) -> Result<Option<Record>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT user_name, fingerprint, revoked_by, at, statement, signature
                 FROM key_revocations WHERE record_id = ?1",
            )?
            .query_row([id], |r| {
                Ok(Record::KeyRevocation(KeyRevocationRecord {
                    id: id.to_string(),
                    user: r.get(0)?,
                    fingerprint: r.get(1)?,
                    revoked_by: r.get(2)?,
                    at: r.get(3)?,
                    statement: r.get(4)?,
                    signature: r.get(5)?,
                }))
            })
            .optional()?)
    }

    fn load_dataset_version(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT d.name, d.description, v.version, v.cases, v.case_count, v.author,
                        v.created_at, v.message
                 FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id
                 WHERE v.record_id = ?1",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, u32>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .optional()?;
        let Some((dataset, description, version, cases, case_count, author, created_at, message)) =
            raw
        else {
            return Ok(None);
        };
        Ok(Some(Record::DatasetVersion(DatasetVersionRecord {
            id: id.to_string(),
            dataset,
            description,
            version,
            cases: json_value("dataset cases", &cases)?,
            case_count,
            author,
            created_at,
            message,
        })))
    }

    fn load_eval_run(&self, id: &str) -> Result<Option<Record>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(
                "SELECT prompt, dataset, dataset_version, spec, status, started_at, finished_at,
                        started_by, summary
                 FROM eval_runs WHERE id = ?1 AND finished_at IS NOT NULL",
            )?
            .query_row([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })
            .optional()?;
        let Some((
            prompt,
            dataset,
            dataset_version,
            spec,
            status,
            started_at,
            finished_at,
            by,
            sum,
        )) = raw
        else {
            return Ok(None);
        };
        Ok(Some(Record::EvalRun(EvalRunRecord {
            id: id.to_string(),
            prompt,
            dataset,
            dataset_version,
            spec: json_value("run spec", &spec)?,
            status,
            started_at,
            finished_at,
            started_by: by,
            summary: json_value("run summary", &sum)?,
        })))
    }
}
