//! Drafts: the per-user working copy that editing changes, and committing it as a version.

use serde_json::json;

use crate::domain::{PromptContent, PromptName, Version};
use crate::store::{DraftRow, Tx};
use crate::template::Template;

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
    /// Stores `content` as the user's draft of `name` (started from the latest version when the
    /// user had no draft).
    pub fn save_draft(&mut self, name: &PromptName, content: PromptContent) -> Result<DraftChange> {
        let content = checked(name, content)?;
        let user = self.user.clone();
        self.store
            .write(|tx| save_draft_in(tx, name, &user, content))
    }

    /// Applies `edit` to the user's working copy of `name` and saves the result as the draft.
    pub fn edit_draft(
        &mut self,
        name: &PromptName,
        edit: impl FnOnce(&mut PromptContent) -> std::result::Result<(), String>,
    ) -> Result<DraftChange> {
        let mut content = self.working_copy(name)?.content;
        edit(&mut content).map_err(|message| WorkspaceError::Invalid {
            name: name.to_string(),
            message,
        })?;
        self.save_draft(name, content)
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

    /// Turns the user's draft into the next version. Refused when the draft equals the latest
    /// version, when its templates do not compile, or (unless `force`) when someone committed a
    /// newer version since the draft was started.
    pub fn commit(&mut self, name: &PromptName, message: &str, force: bool) -> Result<Version> {
        let user = self.user.clone();
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
/// latest version) is not written.
pub(super) fn save_draft_in(
    tx: &Tx<'_>,
    name: &PromptName,
    user: &str,
    content: PromptContent,
) -> Result<DraftChange> {
    let row = tx
        .prompt(name)?
        .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
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
        None => row.latest_version,
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
