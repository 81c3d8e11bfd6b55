//! What an observation may name: prompts, versions (or content hashes) and environments the
//! workspace holds. Ingestion refuses the others per item, with the reason, unless
//! `[monitor] accept_unknown` is on; so an ingest key cannot open rollups (prompt × version ×
//! env × bucket) for names nobody created. Looked up once per name per batch: a batch of 500
//! calls of one prompt costs three queries, not 1,500.

use std::collections::{HashMap, HashSet};

use crate::domain::observation::Observation;
use crate::store::Tx;

use super::Result;

/// The most environment names an unknown-environment refusal lists.
const NAMED_ENVS: usize = 8;

/// The prompts, versions and environments looked up so far for one batch.
pub(super) struct Targets {
    accept_unknown: bool,
    envs: Vec<String>,
    env_set: HashSet<String>,
    /// Prompt name → its latest version number (`None`: no such prompt).
    latest: HashMap<String, Option<u32>>,
    /// (prompt, hash) → the version with that content hash, if exactly one.
    hashes: HashMap<(String, String), Option<u32>>,
}

impl Targets {
    /// Reads the environments (one query); prompts and hashes are read as items name them.
    pub(super) fn new(tx: &Tx<'_>, accept_unknown: bool) -> Result<Self> {
        let envs = tx.environments()?;
        Ok(Self {
            accept_unknown,
            env_set: envs.iter().cloned().collect(),
            envs,
            latest: HashMap::new(),
            hashes: HashMap::new(),
        })
    }

    /// Resolves `obs`'s content hash to its version number and adds to `problems` every name
    /// it gives that the workspace does not hold (nothing, with `accept_unknown`).
    pub(super) fn check(
        &mut self,
        tx: &Tx<'_>,
        obs: &mut Observation,
        problems: &mut Vec<String>,
    ) -> Result<()> {
        if let (None, Some(hash)) = (obs.version, &obs.hash) {
            let key = (obs.prompt.clone(), hash.clone());
            obs.version = match self.hashes.get(&key) {
                Some(v) => *v,
                None => {
                    let v = tx.version_with_hash(&obs.prompt, hash)?;
                    self.hashes.insert(key, v);
                    v
                }
            };
            if obs.version.is_none() && !self.accept_unknown {
                problems.push(format!(
                    "hash: prompt `{}` has no version with content hash `{hash}`",
                    obs.prompt
                ));
            }
        }
        if self.accept_unknown {
            return Ok(());
        }
        if !self.env_set.contains(&obs.env) {
            problems.push(self.unknown_env(&obs.env));
        }
        let latest = match self.latest.get(&obs.prompt) {
            Some(latest) => *latest,
            None => {
                let latest = tx.latest_version_of(&obs.prompt)?;
                self.latest.insert(obs.prompt.clone(), latest);
                latest
            }
        };
        match (latest, obs.version) {
            (None, _) => problems.push(format!("prompt: unknown prompt `{}`", obs.prompt)),
            (Some(latest), Some(v)) if v > latest => problems.push(format!(
                "version: prompt `{}` has no version {v} (its latest is {latest})",
                obs.prompt
            )),
            _ => {}
        }
        Ok(())
    }

    fn unknown_env(&self, env: &str) -> String {
        let mut known = self
            .envs
            .iter()
            .take(NAMED_ENVS)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if self.envs.len() > NAMED_ENVS {
            known.push_str(", …");
        }
        format!("env: unknown environment `{env}` (this workspace has {known})")
    }
}
