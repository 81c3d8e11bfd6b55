//! Comment threads on versions, and their resolutions.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{StoreError, Tx};

/// One immutable comment. A thread is a root comment (`parent` is `None`) and its replies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommentRow {
    pub id: i64,
    pub prompt: String,
    pub version: u32,
    pub content_hash: String,
    /// The section's title, when anchored to one.
    pub section: Option<String>,
    /// The section's 1-based number, when anchored to one.
    pub section_number: Option<u32>,
    /// The 1-based line of the section's body, when anchored to one.
    pub line: Option<u32>,
    /// The thread's root, for a reply.
    pub parent: Option<i64>,
    pub author: String,
    pub body: String,
    pub at: String,
    /// Who resolved the thread and when (set on its root only).
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
}

const COLUMNS: &str = "c.id, c.prompt, c.version, c.content_hash, c.section, c.section_index, \
     c.line, c.parent, c.author, c.body, c.at, r.resolved_by, r.at";

fn comment(r: &Row<'_>) -> rusqlite::Result<CommentRow> {
    Ok(CommentRow {
        id: r.get(0)?,
        prompt: r.get(1)?,
        version: r.get(2)?,
        content_hash: r.get(3)?,
        section: r.get(4)?,
        section_number: r.get(5)?,
        line: r.get(6)?,
        parent: r.get(7)?,
        author: r.get(8)?,
        body: r.get(9)?,
        at: r.get(10)?,
        resolved_by: r.get(11)?,
        resolved_at: r.get(12)?,
    })
}

impl Tx<'_> {
    /// Appends a comment; returns its id.
    pub fn insert_comment(&self, c: &CommentRow) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO comments (prompt, version, content_hash, section, section_index, line,
                                   parent, author, body, at, record_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                c.prompt,
                c.version,
                c.content_hash,
                c.section,
                c.section_number,
                c.line,
                c.parent,
                c.author,
                c.body,
                c.at,
                uuid::Uuid::now_v7().to_string()
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// One comment, with its resolution if it is a resolved root.
    pub fn comment(&self, id: i64) -> Result<Option<CommentRow>, StoreError> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM comments c
                 LEFT JOIN comment_resolutions r ON r.comment_id = c.id WHERE c.id = ?1"
            ))?
            .query_row([id], comment)
            .optional()?)
    }

    /// Every comment on `prompt` (on version `version`, when given), oldest first.
    pub fn comments(
        &self,
        prompt: &str,
        version: Option<u32>,
    ) -> Result<Vec<CommentRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM comments c
             LEFT JOIN comment_resolutions r ON r.comment_id = c.id
             WHERE c.prompt = ?1 AND (?2 IS NULL OR c.version = ?2) ORDER BY c.id"
        ))?;
        let rows = stmt
            .query_map(params![prompt, version], comment)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Records that the thread rooted at `root` was resolved.
    pub fn resolve_comment(&self, root: i64, by: &str, at: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO comment_resolutions (comment_id, resolved_by, at, record_id)
             VALUES (?1, ?2, ?3, ?4)",
            params![root, by, at, uuid::Uuid::now_v7().to_string()],
        )?;
        Ok(())
    }
}
