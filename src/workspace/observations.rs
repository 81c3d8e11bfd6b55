//! Production observations: ingestion of batches (the server's `POST /v1/observations` and
//! `galley observe import`), feedback that arrives later, reading them back, and turning a bad
//! one into a test case: the refine step of the loop.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::domain::PromptName;
use crate::domain::eval::{AssertionSpec, TestCase};
use crate::domain::metrics::{Rollup, RollupKey, roll_up};
use crate::domain::observation::{
    BatchAnswer, CallStatus, KeepLimits, Observation, Rejection, WorstKind, parse_feedback,
    parse_observation,
};
use crate::store::Tx;

use super::observation_targets::Targets;
use super::{Result, Workspace, WorkspaceError};

/// How many observations one transaction of an import holds: big enough to amortise the
/// commit, small enough that a long file does not hold the write lock for long.
const IMPORT_CHUNK: usize = 2_000;

/// A test case made from an observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseFromObservation {
    pub observation: String,
    pub dataset: String,
    /// The dataset version that holds the new case.
    pub version: u32,
    pub case: TestCase,
}

impl Workspace {
    /// Validates each item of a batch and stores the good ones in one transaction, rollups
    /// included; the bad ones come back with every problem named. A re-sent id is accepted and
    /// changes nothing. The answer's indexes are positions in `items`. Times are checked
    /// against the clock's window ([`KeepLimits::window`]).
    pub fn ingest(&mut self, items: &[Json], limits: &KeepLimits) -> Result<BatchAnswer> {
        self.ingest_at(items, limits, jiff::Timestamp::now().as_millisecond())
    }

    /// [`Workspace::ingest`] with the clock reading `now_ms`. Beyond each item's own fields,
    /// an item is refused when its time is outside the window or (unless
    /// `limits.accept_unknown`) it names a prompt, version, content hash or environment the
    /// workspace does not hold; those checks run in the transaction that stores the batch.
    pub fn ingest_at(
        &mut self,
        items: &[Json],
        limits: &KeepLimits,
        now_ms: i64,
    ) -> Result<BatchAnswer> {
        let mut answer = BatchAnswer::default();
        let mut parsed = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match parse_observation(item, limits) {
                Ok(obs) => parsed.push((index, obs)),
                Err((id, reason)) => answer.rejected.push(Rejection { index, id, reason }),
            }
        }
        let (accepted, duplicates, refused) = self.store.write(|tx| -> Result<_> {
            let mut targets = Targets::new(tx, limits.accept_unknown)?;
            let mut good = Vec::with_capacity(parsed.len());
            let mut refused = Vec::new();
            for (index, mut obs) in parsed {
                let mut problems: Vec<String> =
                    limits.time_problem(&obs, now_ms).into_iter().collect();
                targets.check(tx, &mut obs, &mut problems)?;
                if problems.is_empty() {
                    good.push(obs);
                } else {
                    refused.push(Rejection {
                        index,
                        id: Some(obs.id),
                        reason: problems.join("; "),
                    });
                }
            }
            let duplicates = store_batch(tx, &good)?;
            Ok((good.len(), duplicates, refused))
        })?;
        answer.accepted = accepted;
        answer.duplicates = duplicates;
        if !refused.is_empty() {
            answer.rejected.extend(refused);
            answer.rejected.sort_by_key(|r| r.index);
        }
        Ok(answer)
    }

    /// [`Workspace::ingest`] of a batch in its wire form, `{"observations": [...]}`.
    pub fn ingest_batch(&mut self, batch: &Json, limits: &KeepLimits) -> Result<BatchAnswer> {
        match batch.get("observations").and_then(Json::as_array) {
            Some(items) => self.ingest(items, limits),
            None => Err(WorkspaceError::Refused(
                "a batch is a JSON object {\"observations\": [...]}".into(),
            )),
        }
    }

    /// Ingests the JSON Lines file at `path` (see [`Workspace::import_observations`]), refused
    /// before it is read when it is above the import limit.
    pub fn import_observations_file(
        &mut self,
        path: &std::path::Path,
        limits: &KeepLimits,
    ) -> Result<BatchAnswer> {
        self.import_limits.check_size(path)?;
        let file = std::fs::File::open(path).map_err(|e| WorkspaceError::io(path, e))?;
        self.import_observations(std::io::BufReader::new(file), limits)
    }

    /// Ingests JSON Lines read from `input`, one observation a line (blank lines skipped), in
    /// transactions of a few thousand, so a file of any size is streamed. The answer's indexes
    /// are 0-based line numbers; a line that is not JSON is rejected like a malformed
    /// observation. A line above the import limit ends the import with an error; the
    /// lines before it are stored.
    pub fn import_observations(
        &mut self,
        mut input: impl std::io::BufRead,
        limits: &KeepLimits,
    ) -> Result<BatchAnswer> {
        let mut answer = BatchAnswer::default();
        let mut items = Vec::with_capacity(IMPORT_CHUNK);
        let mut line_of = Vec::with_capacity(IMPORT_CHUNK);
        let mut bytes = Vec::new();
        for line in 0.. {
            match self
                .import_limits
                .read_line(&mut input, &mut bytes, line + 1)
            {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    // What came before the line is kept, as a re-run would keep it.
                    self.import_chunk(&mut items, &mut line_of, limits, &mut answer)?;
                    return Err(e);
                }
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Json>(&bytes) {
                Ok(item) => {
                    items.push(item);
                    line_of.push(line);
                }
                Err(e) => {
                    answer.rejected.push(Rejection {
                        index: line,
                        id: None,
                        reason: format!("not JSON: {e}"),
                    });
                    answer.bound_rejections(BatchAnswer::LISTED);
                }
            }
            if items.len() == IMPORT_CHUNK {
                self.import_chunk(&mut items, &mut line_of, limits, &mut answer)?;
            }
        }
        self.import_chunk(&mut items, &mut line_of, limits, &mut answer)?;
        answer.rejected.sort_by_key(|r| r.index);
        answer.bound_rejections(0);
        Ok(answer)
    }

    fn import_chunk(
        &mut self,
        items: &mut Vec<Json>,
        line_of: &mut Vec<usize>,
        limits: &KeepLimits,
        answer: &mut BatchAnswer,
    ) -> Result<()> {
        let part = self.ingest(items, limits)?;
        answer.accepted += part.accepted;
        answer.duplicates += part.duplicates;
        answer
            .rejected
            .extend(part.rejected.into_iter().map(|r| Rejection {
                index: line_of[r.index],
                ..r
            }));
        answer.bound_rejections(BatchAnswer::LISTED);
        items.clear();
        line_of.clear();
        Ok(())
    }

    /// Records feedback that arrived after its call (`{score, comment, scale}`), replacing any
    /// earlier feedback; the rollups move with it.
    pub fn add_feedback(&mut self, id: &str, feedback: &Json) -> Result<Observation> {
        let feedback = parse_feedback(feedback).map_err(WorkspaceError::Refused)?;
        self.store.write(|tx| {
            let mut obs = tx.observation(id)?.ok_or_else(|| not_found(id))?;
            let old = obs.feedback.replace(feedback.clone());
            tx.update_observation_feedback(&obs)?;
            for key in roll_up([&obs]).into_keys() {
                tx.update_rollup(&key, |r| {
                    if let Some(old) = &old {
                        r.remove_feedback(old);
                    }
                    r.add_feedback(&feedback);
                })?;
            }
            Ok(obs)
        })
    }

    /// Whether an observation with `id` is stored (the server answers 404 for feedback on an
    /// unknown one).
    pub fn has_observation(&self, id: &str) -> Result<bool> {
        Ok(self.store.read().observation(id)?.is_some())
    }

    /// One observation.
    pub fn observation(&self, id: &str) -> Result<Observation> {
        self.store
            .read()
            .observation(id)?
            .ok_or_else(|| not_found(id))
    }

    /// Up to `limit` of a prompt's observations since `since` (in `env` when given), the worst
    /// of `kind` first.
    pub fn worst(
        &self,
        prompt: &PromptName,
        env: Option<&str>,
        kind: WorstKind,
        since: Option<jiff::Timestamp>,
        limit: usize,
    ) -> Result<Vec<Observation>> {
        let since_ms = since.map_or(i64::MIN, |t| t.as_millisecond());
        Ok(self
            .store
            .read()
            .worst_observations(prompt.as_str(), env, kind, since_ms, limit)?)
    }

    /// Appends a test case made from observation `id` to `dataset` (created when missing), as a
    /// new dataset version: the call's variables, and its output as a negative example (a
    /// `not-equals` assertion), tagged `needs-rubric` until someone adds an `llm-rubric` saying
    /// what a good answer does.
    pub fn observation_to_case(&mut self, id: &str, dataset: &str) -> Result<CaseFromObservation> {
        let obs = self.observation(id)?;
        let case = case_from(&obs);
        if self.store.read().dataset(dataset, None)?.is_none() {
            self.create_dataset(dataset, "Cases from production observations")?;
        }
        let version = self.add_case(dataset, case.clone())?;
        Ok(CaseFromObservation {
            observation: obs.id,
            dataset: dataset.to_string(),
            version,
            case,
        })
    }
}

fn not_found(id: &str) -> WorkspaceError {
    WorkspaceError::Refused(format!(
        "no observation `{id}` in this workspace (see `galley observe list PROMPT`)"
    ))
}

/// Stores new observations (their content hashes already resolved to version numbers) and
/// adds them to their rollups; returns how many were already stored.
fn store_batch(tx: &Tx<'_>, batch: &[Observation]) -> Result<usize> {
    let mut fresh = Vec::with_capacity(batch.len());
    let mut duplicates = 0;
    for obs in batch {
        if tx.insert_observation(obs)? {
            fresh.push(obs);
        } else {
            duplicates += 1;
        }
    }
    // One read and one write per rollup touched, however many calls it gained.
    let rollups: BTreeMap<RollupKey, Rollup> = roll_up(fresh);
    for (key, delta) in &rollups {
        tx.update_rollup(key, |r| r.merge(delta))?;
    }
    Ok(duplicates)
}

/// The test case an observation becomes.
fn case_from(obs: &Observation) -> TestCase {
    let version = obs
        .version
        .map_or("unknown version".into(), |v| format!("v{v}"));
    let what = match (&obs.status, &obs.error, &obs.feedback) {
        (CallStatus::Error, Some(e), _) => format!("error {}", e.kind),
        (_, _, Some(f)) if f.is_negative() => match &f.comment {
            Some(c) => format!(
                "negative feedback: {}",
                crate::domain::observation::cut(c, 80)
            ),
            None => "negative feedback".into(),
        },
        _ => "production call".into(),
    };
    let assertions = obs
        .output
        .as_ref()
        .map(|bad| vec![AssertionSpec::new("not-equals", Some(json!(bad)))])
        .unwrap_or_default();
    TestCase {
        id: uuid::Uuid::now_v7().to_string(),
        description: format!(
            "From {} ({} {version}, {}): {what}. TODO: add an llm-rubric saying what a good answer does",
            obs.id, obs.env, obs.timestamp
        ),
        vars: obs.variables.clone(),
        expected: None,
        assertions,
        tags: vec!["from-production".into(), "needs-rubric".into()],
        threshold: None,
    }
}
