//! Drafts: the per-user working copy that editing changes, and committing it as a version.

use serde_json::json;

use crate::domain::{PromptContent, PromptName, Version};
use crate::store::{DraftRow, Tx};
use crate::template::Template;

use super::render::snippets_in;
use super::{Result, Workspace, WorkspaceError, checked, commit_version, now};

/// What a draft save did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftChange {
    /// The draft now holds new content.
    Saved,
    /// The content equals the working copy already stored: nothing was written.
    Unchanged,
    /// The content equals the latest version, so the draft was dropped: nothing to commit.
    MatchesLatest,
}

impl Workspace {
    /// Stores `content` as the user's draft of `name`, based on the latest version now when the
    /// user had no draft (an import: the file is not derived from any stored version). Content
    /// edited from a working copy read earlier goes through [`Self::save_draft_from`] instead.
    pub fn save_draft(&mut self, name: &PromptName, content: PromptContent) -> Result<DraftChange> {
        self.save_draft_from(name, content, None)
    }

    /// Stores `content` as the user's draft of `name`, where `base` is the version the edited
    /// content was derived from (see [`Resolved::base`](super::Resolved::base); `None` means the
    /// latest version now). `base` is recorded when the user has no draft yet; an existing draft
    /// keeps its own. If someone committed after `base`, the draft is stale: committing it is
    /// refused until forced, so their version is never undone silently.
    pub fn save_draft_from(
        &mut self,
        name: &PromptName,
        content: PromptContent,
        base: Option<u32>,
    ) -> Result<DraftChange> {
        let content = checked(name, content)?;
        let user = self.user.clone();
        self.store
            .write(|tx| save_draft_in(tx, name, &user, content, base))
    }

    /// Applies `edit` to the user's working copy of `name` and saves the result as the draft,
    /// based on the version that working copy came from.
    pub fn edit_draft(
        &mut self,
        name: &PromptName,
        edit: impl FnOnce(&mut PromptContent) -> std::result::Result<(), String>,
    ) -> Result<DraftChange> {
        let working = self.working_copy(name)?;
        let base = working.base();
        let mut content = working.content;
        edit(&mut content).map_err(|message| WorkspaceError::Invalid {
            name: name.to_string(),
            message,
        })?;
        self.save_draft_from(name, content, base)
    }

    /// Sets the body of one section (by number, title or kind) in the user's draft.
    pub fn set_section_body(
        &mut self,
        name: &PromptName,
        section: &str,
        body: &str,
    ) -> Result<DraftChange> {
        self.edit_draft(name, |content| {
            let i = content.find_section(section)?;
            content.sections[i].body = body.to_string();
            Ok(())
        })
    }

    /// Throws the user's draft away; true when there was one.
    pub fn discard_draft(&mut self, name: &PromptName) -> Result<bool> {
        let user = self.user.clone();
        self.store.write(|tx| {
            let row = tx
                .prompt(name)?
                .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
            let removed = tx.delete_draft(row.id, &user)?;
            if removed {
                tx.append_audit(&user, &now(), "draft.discard", name.as_str(), &json!({}))?;
            }
            Ok(removed)
        })
    }

    /// Turns the user's draft into the next version. Refused when the message is blank, when
    /// the draft equals the latest version, when its templates do not compile or its includes
    /// cannot be resolved (an unknown snippet, a cycle), or (unless `force`) when someone
    /// committed a newer version since the draft was started.
    pub fn commit(&mut self, name: &PromptName, message: &str, force: bool) -> Result<Version> {
        if message.trim().is_empty() {
            return Err(WorkspaceError::EmptyMessage);
        }
        let user = self.user.clone();
        let budget = self.render_budget;
        self.store.write(|tx| {
            let row = tx
                .prompt(name)?
                .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
            let draft = tx
                .draft(row.id, &user)?
                .ok_or_else(|| WorkspaceError::NoDraft(name.clone()))?;
            let latest = row.latest_version.unwrap_or(0);
            if row.latest_hash.as_deref() == Some(draft.content.content_hash().as_str()) {
                return Err(WorkspaceError::NothingToCommit {
                    name: name.clone(),
                    version: latest,
                });
            }
            if let Some(base) = draft.base_version
                && base < latest
                && !force
            {
                let author = tx
                    .version(row.id, latest)?
                    .map(|v| v.info.author)
                    .unwrap_or_default();
                return Err(WorkspaceError::StaleDraft {
                    name: name.clone(),
                    base,
                    latest,
                    author,
                });
            }
            Template::compile(&draft.content, &Default::default())?;
            // A version whose includes cannot be followed would make it (and every prompt that
            // includes it) impossible to render.
            let snippets = snippets_in(tx, name, &draft.content)?;
            Template::compile(&draft.content, &snippets)?;
            // A version that cannot be rendered within the budget with its own examples or
            // defaults is refused before anything is written.
            super::render::within_budget(name, &draft.content, &snippets, budget)?;
            let at = now();
            let version = commit_version(
                tx,
                row.id,
                name,
                &draft.content,
                &user,
                &at,
                message,
                latest + 1,
                draft.base_version.or(row.latest_version),
            )?;
            tx.delete_draft(row.id, &user)?;
            Ok(version)
        })
    }
}

/// Saves a draft inside a transaction; a draft equal to what is stored (or, with no draft, to the
/// latest version or to `base`) is not written. `base` (`None`: the latest version) is recorded
/// only when the user has no draft yet.
pub(super) fn save_draft_in(
    tx: &Tx<'_>,
    name: &PromptName,
    user: &str,
    content: PromptContent,
    base: Option<u32>,
) -> Result<DraftChange> {
    let row = tx
        .prompt(name)?
        .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
    let latest = row.latest_version.unwrap_or(0);
    if let Some(number) = base.filter(|b| *b == 0 || *b > latest) {
        return Err(WorkspaceError::VersionNotFound {
            name: name.clone(),
            number,
            latest,
        });
    }
    let existing = tx.draft(row.id, user)?;
    let hash = content.content_hash();
    let matches_latest = row.latest_hash.as_deref() == Some(hash.as_str());
    let base_version = match &existing {
        Some(draft) if draft.content.content_hash() == hash => return Ok(DraftChange::Unchanged),
        Some(draft) if matches_latest && draft.base_version == row.latest_version => {
            tx.delete_draft(row.id, user)?;
            return Ok(DraftChange::MatchesLatest);
        }
        Some(draft) => draft.base_version,
        None if matches_latest => return Ok(DraftChange::Unchanged),
        None => match base {
            // An edit that changed nothing of the version it was read from is not a draft,
            // even when newer versions exist.
            Some(number) if Some(number) != row.latest_version => {
                let unchanged = tx
                    .version(row.id, number)?
                    .is_some_and(|v| v.info.content_hash == hash);
                if unchanged {
                    return Ok(DraftChange::Unchanged);
                }
                Some(number)
            }
            _ => row.latest_version,
        },
    };
    tx.save_draft(
        row.id,
        user,
        &DraftRow {
            base_version,
            updated_at: now(),
            content,
        },
    )?;
    Ok(DraftChange::Saved)
}
