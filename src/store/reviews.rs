//! Deployments, review requests and review decisions.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use crate::domain::policy::{Decision, DecisionKind};

use super::{StoreError, Tx};

/// One immutable deployment record: `env` serves `version` of `prompt` from `at` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentRow {
    pub id: i64,
    pub prompt: String,
    pub env: String,
    pub version: u32,
    pub content_hash: String,
    pub actor: String,
    pub at: String,
    /// `deploy`, `promote` or `rollback`.
    pub kind: String,
    /// What the environment served before, if anything.
    pub previous_version: Option<u32>,
    /// The record's globally unique id (a UUIDv7), named in its signed statement.
    #[serde(skip)]
    pub record_id: String,
    /// The exact text the deployer signed, and the armored signature (both `None` unsigned).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// A request to review one version for one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewRow {
    pub id: i64,
    pub prompt: String,
    pub version: u32,
    pub content_hash: String,
    pub env: String,
    pub requested_by: String,
    pub reviewers: Vec<String>,
    pub note: String,
    pub at: String,
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

const DEPLOYMENT_COLUMNS: &str = "id, prompt, env, version, content_hash, actor, at, kind, \
     previous_version, record_id, statement, signature";

/// Deployments with their position in a remote's log (NULL when not pushed yet), without those
/// a remote refused: every workspace that syncs with one server orders them the same way.
const SYNCED_DEPLOYMENTS: &str = "SELECT d.*, (SELECT max(k.remote_seq) FROM sync_known k
                                   WHERE k.record_id = d.record_id) AS remote_seq
    FROM deployments d
    WHERE NOT EXISTS (SELECT 1 FROM sync_rejected j WHERE j.record_id = d.record_id)";

fn deployment(r: &Row<'_>) -> rusqlite::Result<DeploymentRow> {
    Ok(DeploymentRow {
        id: r.get(0)?,
        prompt: r.get(1)?,
        env: r.get(2)?,
        version: r.get(3)?,
        content_hash: r.get(4)?,
        actor: r.get(5)?,
        at: r.get(6)?,
        kind: r.get(7)?,
        previous_version: r.get(8)?,
        record_id: r.get(9)?,
        statement: r.get(10)?,
        signature: r.get(11)?,
    })
}

const REVIEW_COLUMNS: &str =
    "id, prompt, version, content_hash, env, requested_by, reviewers, note, at";

type RawReview = (ReviewRow, String);

fn review(r: &Row<'_>) -> rusqlite::Result<RawReview> {
    Ok((
        ReviewRow {
            id: r.get(0)?,
            prompt: r.get(1)?,
            version: r.get(2)?,
            content_hash: r.get(3)?,
            env: r.get(4)?,
            requested_by: r.get(5)?,
            reviewers: Vec::new(),
            note: r.get(7)?,
            at: r.get(8)?,
        },
        r.get(6)?,
    ))
}

fn review_from_raw((mut row, reviewers): RawReview) -> Result<ReviewRow, StoreError> {
    row.reviewers = serde_json::from_str(&reviewers)
        .map_err(|e| corrupt(&format!("reviewers of review {}", row.id), e))?;
    Ok(row)
}

fn kind_from(s: &str) -> Result<DecisionKind, StoreError> {
    match s {
        "approve" => Ok(DecisionKind::Approve),
        "reject" => Ok(DecisionKind::Reject),
        "request_changes" => Ok(DecisionKind::RequestChanges),
        other => Err(corrupt("decision kind", other)),
    }
}

/// A stored decision with the review it was made on and its comment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionRow {
    pub review_id: i64,
    #[serde(flatten)]
    pub decision: Decision,
    pub comment: String,
    /// The review's record id, named in the signed statement.
    #[serde(skip)]
    pub review_record: String,
    /// The exact text the reviewer signed (`None` when unsigned).
    pub statement: Option<String>,
    /// The armored `-----BEGIN SSH SIGNATURE-----` block (`None` when unsigned).
    pub signature: Option<String>,
    /// The fingerprint of the key that signed, when signed (filled by the workspace).
    pub key: Option<String>,
    /// Whether the signature holds (filled by the workspace, with `decision.check`).
    pub verified: bool,
}

/// What a decision carries besides the decision itself: its comment and, when signed, the
/// statement and the signature.
#[derive(Debug, Clone, Copy)]
pub struct DecisionText<'a> {
    pub comment: &'a str,
    pub statement: Option<&'a str>,
    pub signature: Option<&'a str>,
}

impl Tx<'_> {
    /// Appends a deployment record; returns its id.
    pub fn insert_deployment(&self, d: &DeploymentRow) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO deployments (prompt, env, version, content_hash, actor, at, kind, previous_version, record_id,
                                      statement, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                d.prompt,
                d.env,
                d.version,
                d.content_hash,
                d.actor,
                d.at,
                d.kind,
                d.previous_version,
                d.record_id,
                d.statement,
                d.signature
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The newest deployment of `prompt` to `env`: what it serves. Newest in the synced order:
    /// deployments a remote holds, in the remote's order, then those not pushed yet, in local
    /// order; a deployment the remote refused does not count.
    pub fn current_deployment(
        &self,
        prompt: &str,
        env: &str,
    ) -> Result<Option<DeploymentRow>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {DEPLOYMENT_COLUMNS} FROM ({SYNCED_DEPLOYMENTS})
                 WHERE prompt = ?1 AND env = ?2
                 ORDER BY remote_seq IS NULL DESC, remote_seq DESC, id DESC LIMIT 1"
            ))?
            .query_row([prompt, env], deployment)
            .optional()?)
    }

    /// Every deployment (of `prompt`, when given), oldest first, in the synced order (see
    /// [`Tx::current_deployment`]).
    pub fn deployments(&self, prompt: Option<&str>) -> Result<Vec<DeploymentRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {DEPLOYMENT_COLUMNS} FROM ({SYNCED_DEPLOYMENTS}) WHERE ?1 IS NULL OR prompt = ?1
             ORDER BY remote_seq IS NULL, remote_seq, id"
        ))?;
        let rows = stmt
            .query_map([prompt], deployment)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Appends a review request; returns its id.
    pub fn insert_review(&self, r: &ReviewRow) -> Result<i64, StoreError> {
        let reviewers = serde_json::to_string(&r.reviewers).expect("names serialise");
        self.conn.execute(
            "INSERT INTO reviews (prompt, version, content_hash, env, requested_by, reviewers, note, at, record_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                r.prompt,
                r.version,
                r.content_hash,
                r.env,
                r.requested_by,
                reviewers,
                r.note,
                r.at,
                uuid::Uuid::now_v7().to_string()
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// One review request.
    pub fn review(&self, id: i64) -> Result<Option<ReviewRow>, StoreError> {
        let raw = self
            .conn
            .prepare_cached(&format!(
                "SELECT {REVIEW_COLUMNS} FROM reviews WHERE id = ?1"
            ))?
            .query_row([id], review)
            .optional()?;
        raw.map(review_from_raw).transpose()
    }

    /// The record id of review `id`.
    pub fn review_record_id(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT record_id FROM reviews WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// Every review request, oldest first.
    pub fn reviews(&self) -> Result<Vec<ReviewRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {REVIEW_COLUMNS} FROM reviews ORDER BY id"))?;
        let raws = stmt.query_map([], review)?.collect::<Result<Vec<_>, _>>()?;
        raws.into_iter().map(review_from_raw).collect()
    }

    /// Appends a decision made on review `review_id` about `prompt`.
    pub fn insert_decision(
        &self,
        review_id: i64,
        prompt: &str,
        decision: &Decision,
        text: DecisionText<'_>,
    ) -> Result<(), StoreError> {
        let groups = serde_json::to_string(&decision.groups).expect("groups serialise");
        self.conn.execute(
            "INSERT INTO review_decisions (review_id, prompt, content_hash, reviewer, groups, kind, comment, at, record_id,
                                           statement, signature)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                review_id,
                prompt,
                decision.content_hash,
                decision.reviewer,
                groups,
                decision.kind.to_string(),
                text.comment,
                decision.at,
                uuid::Uuid::now_v7().to_string(),
                text.statement,
                text.signature
            ],
        )?;
        Ok(())
    }

    /// Every decision on `prompt` with content `hash`, oldest first (their signatures not yet
    /// checked: [`Decision::signature`] is `Unsigned` until the workspace checks it).
    pub fn decisions(&self, prompt: &str, hash: &str) -> Result<Vec<DecisionRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.review_id, d.reviewer, d.groups, d.kind, d.content_hash, d.at, d.comment,
                    r.record_id, d.statement, d.signature
             FROM review_decisions d JOIN reviews r ON r.id = d.review_id
             WHERE d.prompt = ?1 AND d.content_hash = ?2 ORDER BY d.id",
        )?;
        let raws = stmt
            .query_map([prompt, hash], |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ),
                    (
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                        r.get::<_, Option<String>>(9)?,
                    ),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raws.into_iter()
            .map(
                |(
                    (review_id, reviewer, groups, kind, content_hash),
                    (at, comment, review_record, statement, signature),
                )| {
                    Ok(DecisionRow {
                        review_id,
                        decision: Decision {
                            groups: serde_json::from_str(&groups)
                                .map_err(|e| corrupt(&format!("groups of {reviewer}"), e))?,
                            reviewer,
                            kind: kind_from(&kind)?,
                            content_hash,
                            at,
                            check: Default::default(),
                        },
                        comment,
                        review_record: review_record.unwrap_or_default(),
                        statement,
                        signature,
                        key: None,
                        verified: false,
                    })
                },
            )
            .collect()
    }

    /// The best pass rate of a finished eval run of `prompt` version `version` on `dataset`.
    pub fn best_pass_rate(
        &self,
        prompt: &str,
        version: u32,
        dataset: &str,
    ) -> Result<Option<f64>, StoreError> {
        Ok(self.conn.query_row(
            "SELECT max(rate) FROM (
                 SELECT CAST(sum(r.pass) AS REAL) / count(*) AS rate
                 FROM eval_runs e JOIN eval_results r ON r.run_id = e.id
                 WHERE e.prompt = ?1 AND e.dataset = ?2 AND r.version = ?3
                   AND e.status = 'completed'
                 GROUP BY e.id)",
            params![prompt, dataset, version],
            |r| r.get(0),
        )?)
    }
}
