//! The application API: every use case, for every front end (CLI, TUI, server). Each loads
//! through the store, applies the domain's rules, and writes its result with an audit entry in
//! one transaction. No front end holds a business rule or a line of SQL.

mod audit;
mod boards;
mod comments;
mod datasets;
mod delivery;
mod delivery_signatures;
mod demo;
mod demo_people;
mod demo_script;
mod demo_story;
mod demo_traffic;
mod demo_workflow;
mod deploy;
mod deploy_many;
mod deploy_preview;
mod drafts;
mod environments;
mod error;
mod exchange;
mod import_limits;
mod keyring;
#[cfg(test)]
mod keyring_tests;
mod keys;
mod monitor;
mod monitor_series;
mod observation_targets;
mod observations;
mod people;
mod playground;
mod providers;
mod render;
mod reviews;
pub mod runs;
pub mod settings;
mod signature_audit;
mod signed_records;
pub mod starters;
pub mod sync;
mod user_keys;

use std::path::Path;

use serde_json::json;

use crate::domain::{PromptContent, PromptName, PromptSummary, Version, VersionInfo, VersionRef};
use crate::store::{PromptRow, Store, StoreError, Tx, VersionRow};

pub use audit::{AuditEntry, AuditFilter, BreakKind, ChainBreak, ChainReport};
pub use boards::{
    BoardCell, BoardRow, DeployBoard, EnvStatus, Evidence, ReviewDetail, ReviewQueue,
    ServedVersions,
};
pub use comments::{CommentTarget, CommentThread};
pub use datasets::{DatasetImport, ImportMode};
pub use delivery::{DeliveredPrompt, DeliveryError, Listing, Pick, ServedPrompt};
pub use demo::DemoReport;
pub use demo_story::pin_demo_now;
pub use demo_traffic::SeededRng;
pub use deploy::{DeployKind, EnvMatrix, ServedRow};
pub use deploy_preview::{DeployMove, DeployPreview};
pub use drafts::DraftChange;
pub use environments::{EnvironmentInfo, PolicyChange};
pub use error::{Result, WorkspaceError};
pub use exchange::{ImportOutcome, ImportReport};
pub use import_limits::ImportLimits;
pub use keyring::{KeyRing, KeyStanding};
pub use keys::CreatedKey;
pub use monitor::{Alert, GroupBy, MetricsQuery, MetricsReport, MetricsRow};
pub use monitor_series::{MetricSeries, SeriesPoint, VersionTotal};
pub use observations::CaseFromObservation;
pub use people::Access;
pub use playground::{PlaygroundAnswer, PlaygroundCall};
pub use providers::ProviderCheck;
pub use render::RenderOutput;
pub use reviews::ReviewInfo;
pub use runs::{EvalOptions, Progress, RunReport};
pub use settings::{Config, Identity, OsAccountError, os_account};
pub use signature_audit::{SignatureProblem, SignatureReport};
pub use user_keys::{KeyListing, UserKeyInfo};

/// An open workspace, acting as one user.
pub struct Workspace {
    store: Store,
    user: String,
    /// The OS account the process runs as, when known (see [`Workspace::open_as`]).
    account: Option<String>,
    /// Where the user's signing key comes from (nowhere until a front end sets it); shared
    /// with the workspaces a front end opens on other threads (see [`Workspace::share_signer`]).
    signer: std::sync::Arc<crate::signer::KeySource>,
    /// What every render through this workspace may cost (`[render]` in the config).
    render_budget: crate::template::RenderBudget,
    /// How large a file imports read (`[import]` in the config).
    import_limits: ImportLimits,
}

/// Where a working copy came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The user's draft, started from the given version.
    Draft { base: Option<u32> },
    /// A committed version.
    Version { number: u32 },
}

/// Content picked by a [`VersionRef`], with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub name: PromptName,
    pub source: Source,
    pub content: PromptContent,
    /// The version's record when `source` is a version.
    pub version: Option<VersionInfo>,
}

impl Resolved {
    /// The version this content was derived from: the draft's base, or the version itself. Pass
    /// it to [`Workspace::save_draft_from`] when saving an edit of this content.
    pub fn base(&self) -> Option<u32> {
        match self.source {
            Source::Draft { base } => base,
            Source::Version { number } => Some(number),
        }
    }
}

thread_local! {
    /// The demo's story clock: while `galley demo` replays its script, the time its records
    /// carry (set only through [`StoryClock`], never from user input).
    static STORY_CLOCK: std::cell::Cell<Option<jiff::Timestamp>> =
        const { std::cell::Cell::new(None) };
}

/// Sets the time [`now`] answers on this thread until it is dropped (the demo's replay only).
struct StoryClock(());

impl StoryClock {
    fn start(at: jiff::Timestamp) -> Self {
        STORY_CLOCK.with(|c| c.set(Some(at)));
        Self(())
    }

    fn set(&self, at: jiff::Timestamp) {
        STORY_CLOCK.with(|c| c.set(Some(at)));
    }
}

impl Drop for StoryClock {
    fn drop(&mut self) {
        STORY_CLOCK.with(|c| c.set(None));
    }
}

/// The time now, RFC 3339 in UTC with milliseconds.
pub(crate) fn now() -> String {
    // Always three fraction digits, so that timestamps sort as text (jiff's default drops a
    // zero fraction, and "…:56Z" would sort after "…:56.123Z").
    STORY_CLOCK
        .with(std::cell::Cell::get)
        .unwrap_or_else(jiff::Timestamp::now)
        .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl Workspace {
    /// Opens (creating and migrating if needed) the workspace file at `path`, acting as `user`.
    pub fn open(path: &Path, user: &str) -> Result<Self> {
        let store = Store::open(path)?;
        Ok(Self {
            store,
            user: user.to_string(),
            account: None,
            signer: Default::default(),
            render_budget: Default::default(),
            import_limits: Default::default(),
        })
    }

    /// Caps how much of the workspace file is memory-mapped (see `Store::set_memory_map`).
    pub fn set_memory_map(&self, bytes: u64) -> Result<()> {
        Ok(self.store.set_memory_map(bytes)?)
    }

    /// How long a write waits for another process's lock before failing as busy.
    pub fn set_busy_timeout(&self, timeout: std::time::Duration) -> Result<()> {
        Ok(self.store.set_busy_timeout(timeout)?)
    }

    /// The workspace file.
    pub fn path(&self) -> &Path {
        self.store.path()
    }

    /// Who is acting.
    pub fn user(&self) -> &str {
        &self.user
    }

    fn prompt_row(&self, tx: &Tx<'_>, name: &PromptName) -> Result<PromptRow> {
        tx.prompt(name)?
            .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))
    }

    /// Creates a prompt and commits `content` as its version 1.
    pub fn create_prompt(
        &mut self,
        name: &PromptName,
        content: PromptContent,
        tags: &[String],
        message: &str,
    ) -> Result<Version> {
        let content = checked(name, content)?;
        crate::template::Template::compile(&content, &Default::default())?;
        self.check_render_budget(name, &content)?;
        let user = self.user.clone();
        let tags = normalize_tags(tags);
        self.store.write(|tx| {
            if tx.prompt(name)?.is_some() {
                return Err(WorkspaceError::PromptExists(name.clone()));
            }
            let at = now();
            let id = tx.insert_prompt(name, &content, &tags, &user, &at)?;
            tx.append_audit(
                &user,
                &at,
                "prompt.create",
                name.as_str(),
                &json!({"type": content.prompt_type, "tags": tags}),
            )?;
            commit_version(tx, id, name, &content, &user, &at, message, 1, None)
        })
    }

    /// Every prompt (those whose name starts with `prefix`, when given), sorted by name.
    pub fn list(&self, prefix: Option<&str>) -> Result<Vec<PromptSummary>> {
        Ok(self.store.read().list_prompts(&self.user, prefix)?)
    }

    /// The same list as [`Workspace::list`] (filtered by `tag` too), written to `out` as one
    /// JSON array, streamed from stored entries: for scripts listing big workspaces.
    pub fn write_list_json(
        &self,
        prefix: Option<&str>,
        tag: Option<&str>,
        out: &mut dyn std::io::Write,
    ) -> Result<()> {
        Ok(self
            .store
            .read()
            .write_list_json(&self.user, prefix, tag, out)?)
    }

    /// One prompt's summary.
    pub fn summary(&self, name: &PromptName) -> Result<PromptSummary> {
        let tx = self.store.read();
        let row = self.prompt_row(&tx, name)?;
        let has_draft = tx.draft(row.id, &self.user)?.is_some();
        Ok(PromptSummary {
            name: row.name,
            prompt_type: row.prompt_type,
            description: row.description,
            tags: row.tags,
            latest_version: row.latest_version,
            latest_hash: row.latest_hash,
            updated_at: row.updated_at,
            has_draft,
        })
    }

    /// A prompt's versions, newest first.
    pub fn log(&self, name: &PromptName) -> Result<Vec<VersionInfo>> {
        let tx = self.store.read();
        let row = self.prompt_row(&tx, name)?;
        Ok(tx.versions(row.id)?)
    }

    /// One committed version, with its content.
    pub fn version(&self, name: &PromptName, number: u32) -> Result<Version> {
        let tx = self.store.read();
        let row = self.prompt_row(&tx, name)?;
        let v = version_of(&tx, &row, number)?;
        Ok(to_version(name, v))
    }

    /// The content a [`VersionRef`] points at. `Latest` is the newest version; `Draft` is the
    /// user's draft, or an error when there is none.
    pub fn resolve(&self, name: &PromptName, which: VersionRef) -> Result<Resolved> {
        let tx = self.store.read();
        let row = self.prompt_row(&tx, name)?;
        let number = match which {
            VersionRef::Draft => {
                let draft = tx
                    .draft(row.id, &self.user)?
                    .ok_or_else(|| WorkspaceError::NoDraft(name.clone()))?;
                return Ok(Resolved {
                    name: name.clone(),
                    source: Source::Draft {
                        base: draft.base_version,
                    },
                    content: draft.content,
                    version: None,
                });
            }
            VersionRef::Number(n) => n,
            VersionRef::Latest => row
                .latest_version
                .ok_or_else(|| StoreError::Corrupt(format!("prompt `{name}` has no versions")))?,
        };
        let v = version_of(&tx, &row, number)?;
        Ok(Resolved {
            name: name.clone(),
            source: Source::Version { number },
            content: v.content,
            version: Some(v.info),
        })
    }

    /// What the user is working on: the draft if there is one, else the latest version.
    pub fn working_copy(&self, name: &PromptName) -> Result<Resolved> {
        match self.resolve(name, VersionRef::Draft) {
            Err(WorkspaceError::NoDraft(_)) => self.resolve(name, VersionRef::Latest),
            other => other,
        }
    }

    /// Replaces a prompt's tags.
    pub fn set_tags(&mut self, name: &PromptName, tags: &[String]) -> Result<()> {
        let user = self.user.clone();
        let tags = normalize_tags(tags);
        self.store.write(|tx| {
            let row = tx
                .prompt(name)?
                .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
            if row.tags == tags {
                return Ok(());
            }
            let at = now();
            tx.set_tags(row.id, &tags, &at)?;
            tx.append_audit(
                &user,
                &at,
                "prompt.tags",
                name.as_str(),
                &json!({"tags": tags}),
            )?;
            Ok(())
        })
    }
}

/// `content` in canonical form, or why it is not a valid prompt.
fn checked(name: &PromptName, mut content: PromptContent) -> Result<PromptContent> {
    content.normalize();
    content
        .validate()
        .map_err(|message| WorkspaceError::Invalid {
            name: name.to_string(),
            message,
        })?;
    Ok(content)
}

/// Version `number` of the prompt in `row`, or an error naming the latest one.
fn version_of(tx: &Tx<'_>, row: &PromptRow, number: u32) -> Result<VersionRow> {
    tx.version(row.id, number)?
        .ok_or_else(|| WorkspaceError::VersionNotFound {
            name: row.name.clone(),
            number,
            latest: row.latest_version.unwrap_or(0),
        })
}

fn normalize_tags(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tags
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    out.sort();
    out.dedup();
    out
}

fn to_version(name: &PromptName, row: VersionRow) -> Version {
    Version {
        id: row.id,
        prompt: name.clone(),
        number: row.info.number,
        content_hash: row.info.content_hash,
        author: row.info.author,
        created_at: row.info.created_at,
        message: row.info.message,
        parent: row.info.parent,
        content: row.content,
    }
}

/// Stores `content` as the next version of prompt `id`, with its audit entry.
#[allow(clippy::too_many_arguments)]
fn commit_version(
    tx: &Tx<'_>,
    id: i64,
    name: &PromptName,
    content: &PromptContent,
    author: &str,
    at: &str,
    message: &str,
    number: u32,
    parent: Option<u32>,
) -> Result<Version> {
    let row = VersionRow {
        id: uuid::Uuid::now_v7().to_string(),
        info: VersionInfo {
            number,
            content_hash: content.content_hash(),
            author: author.to_string(),
            created_at: at.to_string(),
            message: message.trim().to_string(),
            parent,
        },
        content: content.clone(),
    };
    tx.insert_version(id, &row)?;
    tx.append_audit(
        author,
        at,
        "version.commit",
        name.as_str(),
        &json!({"version": row.info.number, "hash": row.info.content_hash, "message": row.info.message}),
    )?;
    Ok(to_version(name, row))
}

#[cfg(test)]
mod tests;
