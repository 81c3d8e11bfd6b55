//! Import and export of prompts as Markdown files, for offline authoring and git.

use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::domain::{PromptName, VersionRef};
use crate::prompt_file::{self, PromptFile};

use super::drafts::DraftChange;
use super::{Result, Workspace, WorkspaceError};

/// What importing one file did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    /// A new prompt, committed as version 1.
    Created { name: PromptName, version: u32 },
    /// An existing prompt: the file became the user's draft.
    DraftUpdated { name: PromptName },
    /// An existing prompt whose working copy already matches the file.
    Unchanged { name: PromptName },
}

/// What importing a file or folder did, file by file.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub imported: Vec<(PathBuf, ImportOutcome)>,
    /// Prompt files that could not be imported, with why; nothing of them was written.
    pub skipped: Vec<(PathBuf, String)>,
    /// Files in an imported folder that are not prompt files (`.md`).
    pub ignored: Vec<PathBuf>,
}

impl Workspace {
    /// A version (or the draft) of `name` as a prompt file.
    pub fn export(&self, name: &PromptName, which: VersionRef) -> Result<String> {
        let resolved = self.resolve(name, which)?;
        let tags = self.summary(name)?.tags;
        Ok(prompt_file::write(&PromptFile {
            name: Some(name.clone()),
            tags,
            content: resolved.content,
        })?)
    }

    /// Writes the latest version of every prompt under `dir`, one file per prompt, folders as
    /// directories. Returns the files written.
    pub fn export_all(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        let mut written = Vec::new();
        for summary in self.list(None)? {
            let path = path_for(dir, &summary.name)?;
            let text = self.export(&summary.name, VersionRef::Latest)?;
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| WorkspaceError::io(parent, e))?;
            }
            std::fs::write(&path, text).map_err(|e| WorkspaceError::io(&path, e))?;
            written.push(path);
        }
        Ok(written)
    }

    /// Imports a prompt file, or every `.md` file under a folder (the path inside the folder
    /// names a prompt whose file has no `name`). Each file is its own transaction: a file that
    /// cannot be parsed is reported and nothing of it is written.
    pub fn import_path(&mut self, path: &Path) -> Result<ImportReport> {
        let meta = std::fs::metadata(path).map_err(|e| WorkspaceError::io(path, e))?;
        let mut report = ImportReport::default();
        if meta.is_dir() {
            let mut files = Vec::new();
            collect_files(path, &mut files).map_err(|e| WorkspaceError::io(path, e))?;
            files.sort();
            for file in files {
                let fallback = file.strip_prefix(path).ok().and_then(|rel| {
                    rel.with_extension("")
                        .to_str()
                        .map(|s| s.replace('\\', "/"))
                });
                self.import_one(&file, fallback, &mut report);
            }
        } else {
            let fallback = path
                .file_stem()
                .and_then(|s| s.to_str())
                .map(str::to_string);
            self.import_one(path, fallback, &mut report);
        }
        Ok(report)
    }

    fn import_one(&mut self, path: &Path, fallback: Option<String>, report: &mut ImportReport) {
        if path.extension().and_then(|e| e.to_str()) != Some("md") {
            report.ignored.push(path.to_path_buf());
            return;
        }
        let outcome = self
            .import_limits
            .read_text(path)
            .map_err(|e| e.to_string())
            .and_then(|text| {
                self.import_text(&text, fallback.as_deref())
                    .map_err(|e| e.to_string())
            });
        match outcome {
            Ok(outcome) => report.imported.push((path.to_path_buf(), outcome)),
            Err(reason) => report.skipped.push((path.to_path_buf(), reason)),
        }
    }

    /// Imports one prompt file's text: creates the prompt, or makes the file its draft.
    pub fn import_text(
        &mut self,
        text: &str,
        fallback_name: Option<&str>,
    ) -> Result<ImportOutcome> {
        let file = prompt_file::parse(text)?;
        let name = match (&file.name, fallback_name) {
            (Some(name), _) => name.clone(),
            (None, Some(fallback)) => PromptName::parse(fallback)?,
            (None, None) => {
                return Err(WorkspaceError::Refused(
                    "the file has no `name` in its front matter".into(),
                ));
            }
        };
        let exists = match self.summary(&name) {
            Ok(_) => true,
            Err(WorkspaceError::PromptNotFound(_)) => false,
            Err(e) => return Err(e),
        };
        if !exists {
            let version = self.create_prompt(&name, file.content, &file.tags, "Imported")?;
            return Ok(ImportOutcome::Created {
                name,
                version: version.number,
            });
        }
        let tags_changed = self.summary(&name)?.tags != file.tags;
        if tags_changed {
            self.set_tags(&name, &file.tags)?;
        }
        Ok(match self.save_draft(&name, file.content)? {
            DraftChange::Saved => ImportOutcome::DraftUpdated { name },
            _ if tags_changed => ImportOutcome::DraftUpdated { name },
            DraftChange::Unchanged | DraftChange::MatchesLatest => {
                ImportOutcome::Unchanged { name }
            }
        })
    }

    /// Stores an edited prompt file (from `galley edit`) as the draft of `name`; the file may not
    /// rename the prompt. `base` is the version the text was exported from, taken before the
    /// editor ran (see [`Workspace::save_draft_from`]).
    pub fn apply_edit(
        &mut self,
        name: &PromptName,
        text: &str,
        base: Option<u32>,
    ) -> Result<DraftChange> {
        let file = prompt_file::parse(text)?;
        if let Some(other) = file.name.as_ref().filter(|n| *n != name) {
            return Err(WorkspaceError::Refused(format!(
                "the file renames `{name}` to `{other}`; renaming is not done by editing"
            )));
        }
        self.set_tags(name, &file.tags)?;
        self.save_draft_from(name, file.content, base)
    }
}

/// `dir/<name>.md`, checked to stay inside `dir` whatever the name says.
fn path_for(dir: &Path, name: &PromptName) -> Result<PathBuf> {
    let relative = PathBuf::from(format!("{}.md", name.as_str()));
    if !relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return Err(WorkspaceError::Refused(format!(
            "prompt name `{name}` would write outside {}",
            dir.display()
        )));
    }
    Ok(dir.join(relative))
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            collect_files(&path, out)?;
        } else if kind.is_file() {
            out.push(path);
        }
    }
    Ok(())
}
