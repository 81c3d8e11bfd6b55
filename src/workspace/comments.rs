//! Comment threads on a version, optionally anchored to a section and a line of its body.

use serde::Serialize;
use serde_json::json;

use crate::domain::PromptName;
use crate::store::CommentRow;

use super::{Result, Workspace, WorkspaceError, now, version_of};

/// Where a new comment goes: a fresh thread on a version, or a reply to a comment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommentTarget {
    /// The version (required for a new thread; checked against the thread for a reply).
    pub version: Option<u32>,
    /// A section title or 1-based number.
    pub section: Option<String>,
    /// A 1-based line of the section's body.
    pub line: Option<u32>,
    /// The comment replied to.
    pub reply_to: Option<i64>,
}

/// A thread: its root comment and its replies, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentThread {
    #[serde(flatten)]
    pub root: CommentRow,
    pub resolved: bool,
    pub replies: Vec<CommentRow>,
}

fn refused(msg: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Refused(msg.into())
}

impl Workspace {
    /// Adds a comment on `name` as the acting user: a new thread, or a reply to a thread.
    pub fn add_comment(
        &mut self,
        name: &PromptName,
        target: &CommentTarget,
        body: &str,
    ) -> Result<CommentRow> {
        let body = body.trim();
        if body.is_empty() {
            return Err(refused("a comment needs a text (-m)"));
        }
        if target.line.is_some() && target.section.is_none() {
            return Err(refused(
                "--line needs --section: lines are counted within a section",
            ));
        }
        let actor = self.user.clone();
        let id = self.store.write(|tx| {
            let row = tx
                .prompt(name)?
                .ok_or_else(|| WorkspaceError::PromptNotFound(name.clone()))?;
            let at = now();
            let comment = if let Some(parent) = target.reply_to {
                let replied = tx
                    .comment(parent)?
                    .filter(|c| c.prompt == name.as_str())
                    .ok_or_else(|| {
                        refused(format!(
                            "no comment {parent} on {name} (see `galley comment list {name}`)"
                        ))
                    })?;
                if target.section.is_some() || target.line.is_some() {
                    return Err(refused(
                        "a reply belongs to its thread's anchor: leave out --section and --line",
                    ));
                }
                if let Some(v) = target.version.filter(|v| *v != replied.version) {
                    return Err(refused(format!(
                        "comment {parent} is on version {} of {name}, not version {v}",
                        replied.version
                    )));
                }
                let root = match replied.parent {
                    Some(root) => tx
                        .comment(root)?
                        .ok_or_else(|| refused(format!("comment {root} is missing")))?,
                    None => replied,
                };
                CommentRow {
                    parent: Some(root.id),
                    author: actor.clone(),
                    body: body.to_string(),
                    at: at.clone(),
                    resolved_by: None,
                    resolved_at: None,
                    id: 0,
                    ..root
                }
            } else {
                let number = target
                    .version
                    .ok_or_else(|| refused("say which version the comment is on (--version N)"))?;
                let version = version_of(tx, &row, number)?;
                let (section, section_number) = match &target.section {
                    Some(s) => {
                        let i = version
                            .content
                            .find_section(s)
                            .map_err(|e| refused(format!("version {number} of {name}: {e}")))?;
                        (
                            Some(version.content.sections[i].title.clone()),
                            Some(i as u32 + 1),
                        )
                    }
                    None => (None, None),
                };
                if let (Some(line), Some(n)) = (target.line, section_number) {
                    let lines = version.content.sections[n as usize - 1]
                        .body
                        .lines()
                        .count();
                    if line == 0 || line as usize > lines {
                        return Err(refused(format!(
                            "there is no line {line} in section {n} ({}) of version {number} \
                             of {name}: it has {lines} line{}",
                            section.as_deref().unwrap_or_default(),
                            if lines == 1 { "" } else { "s" }
                        )));
                    }
                }
                CommentRow {
                    id: 0,
                    prompt: name.to_string(),
                    version: number,
                    content_hash: version.info.content_hash.clone(),
                    section,
                    section_number,
                    line: target.line,
                    parent: None,
                    author: actor.clone(),
                    body: body.to_string(),
                    at: at.clone(),
                    resolved_by: None,
                    resolved_at: None,
                }
            };
            let id = tx.insert_comment(&comment)?;
            tx.append_audit(
                &actor,
                &at,
                "comment.add",
                name.as_str(),
                &json!({"comment": id, "version": comment.version, "hash": comment.content_hash,
                        "section": comment.section, "line": comment.line,
                        "reply_to": comment.parent, "body": comment.body}),
            )?;
            Ok(id)
        })?;
        let tx = self.store.read();
        tx.comment(id)?
            .ok_or_else(|| refused(format!("comment {id} vanished")))
    }

    /// Resolves the thread that comment `id` belongs to.
    pub fn resolve_comment(&mut self, id: i64) -> Result<CommentRow> {
        let actor = self.user.clone();
        let root = self.store.write(|tx| {
            let c = tx
                .comment(id)?
                .ok_or_else(|| refused(format!("no comment {id}")))?;
            let root = match c.parent {
                Some(root) => tx
                    .comment(root)?
                    .ok_or_else(|| refused(format!("comment {root} is missing")))?,
                None => c,
            };
            if let Some(by) = &root.resolved_by {
                return Err(refused(format!(
                    "the thread of comment {id} was already resolved by {by}"
                )));
            }
            let at = now();
            tx.resolve_comment(root.id, &actor, &at)?;
            tx.append_audit(
                &actor,
                &at,
                "comment.resolve",
                &root.prompt,
                &json!({"comment": root.id, "version": root.version}),
            )?;
            Ok(root.id)
        })?;
        let tx = self.store.read();
        tx.comment(root)?
            .ok_or_else(|| refused(format!("comment {root} vanished")))
    }

    /// The comment threads on `name` (on version `version`, when given), oldest first; only
    /// unresolved ones when `unresolved`.
    pub fn comment_threads(
        &self,
        name: &PromptName,
        version: Option<u32>,
        unresolved: bool,
    ) -> Result<Vec<CommentThread>> {
        let tx = self.store.read();
        let row = self.prompt_row(&tx, name)?;
        if let Some(v) = version {
            version_of(&tx, &row, v)?;
        }
        let mut threads: Vec<CommentThread> = Vec::new();
        for c in tx.comments(name.as_str(), version)? {
            match c.parent {
                None => threads.push(CommentThread {
                    resolved: c.resolved_by.is_some(),
                    root: c,
                    replies: Vec::new(),
                }),
                Some(p) => {
                    if let Some(t) = threads.iter_mut().find(|t| t.root.id == p) {
                        t.replies.push(c);
                    }
                }
            }
        }
        if unresolved {
            threads.retain(|t| !t.resolved);
        }
        Ok(threads)
    }
}
