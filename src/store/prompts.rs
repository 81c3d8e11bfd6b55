//! Prompts, versions and drafts.

use rusqlite::{OptionalExtension, Row, params};

use crate::domain::{PromptContent, PromptName, PromptSummary, PromptType, VersionInfo};

use super::{StoreError, Tx};

/// A prompt's row.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptRow {
    pub id: i64,
    pub name: PromptName,
    pub prompt_type: PromptType,
    pub description: String,
    pub tags: Vec<String>,
    pub created_at: String,
    pub created_by: String,
    pub updated_at: String,
    pub latest_version: Option<u32>,
    pub latest_hash: Option<String>,
}

/// A version's row, with its content.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    pub id: String,
    pub info: VersionInfo,
    pub content: PromptContent,
}

/// A draft's row.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftRow {
    pub base_version: Option<u32>,
    pub updated_at: String,
    pub content: PromptContent,
}

fn corrupt(what: &str, err: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {err}"))
}

fn parse_content(json: &str) -> Result<PromptContent, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt("prompt content", e))
}

const PROMPT_COLUMNS: &str = "id, name, prompt_type, description, tags, created_at, created_by, \
                              updated_at, latest_version, latest_hash";

type RawPrompt = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
);

fn raw_prompt(r: &Row<'_>) -> rusqlite::Result<RawPrompt> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn prompt_from_raw(raw: RawPrompt) -> Result<PromptRow, StoreError> {
    let (id, name, ty, description, tags, created_at, created_by, updated_at, latest, hash) = raw;
    Ok(PromptRow {
        id,
        name: PromptName::stored(&name).map_err(|e| corrupt("prompt name", e))?,
        prompt_type: ty.parse().map_err(|e: String| corrupt("prompt type", e))?,
        description,
        tags: serde_json::from_str(&tags).map_err(|e| corrupt("tags", e))?,
        created_at,
        created_by,
        updated_at,
        latest_version: latest.map(|v| v as u32),
        latest_hash: hash,
    })
}

impl Tx<'_> {
    /// The prompt called `name`, if any.
    pub fn prompt(&self, name: &PromptName) -> Result<Option<PromptRow>, StoreError> {
        let sql = format!("SELECT {PROMPT_COLUMNS} FROM prompts WHERE name = ?1");
        let raw = self
            .conn
            .query_row(&sql, [name.as_str()], raw_prompt)
            .optional()?;
        raw.map(prompt_from_raw).transpose()
    }

    /// Every prompt, by name, with whether `user` has a draft of it. `prefix` keeps only the
    /// names that start with it.
    pub fn list_prompts(
        &self,
        user: &str,
        prefix: Option<&str>,
    ) -> Result<Vec<PromptSummary>, StoreError> {
        // The user's drafts are few: one set lookup per row beats a subquery per row.
        let mut drafts = self
            .conn
            .prepare_cached("SELECT prompt_id FROM drafts WHERE user_name = ?1")?;
        let drafted: std::collections::HashSet<i64> = drafts
            .query_map([user], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, prompt_type, description, tags, latest_version, latest_hash, updated_at, id
             FROM prompts
             WHERE ?1 IS NULL OR substr(name, 1, length(?1)) = ?1
             ORDER BY name",
        )?;
        let mut rows = stmt.query(params![prefix])?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let text = |i: usize| -> Result<&str, StoreError> {
                r.get_ref(i)?.as_str().map_err(|e| corrupt("prompt row", e))
            };
            let name = text(0)?;
            let tags = text(3)?;
            out.push(PromptSummary {
                name: PromptName::stored(name).map_err(|e| corrupt("prompt name", e))?,
                prompt_type: text(1)?
                    .parse()
                    .map_err(|e: String| corrupt("prompt type", e))?,
                description: r.get(2)?,
                tags: if tags == "[]" {
                    Vec::new()
                } else {
                    serde_json::from_str(tags).map_err(|e| corrupt("tags", e))?
                },
                latest_version: r.get::<_, Option<i64>>(4)?.map(|v| v as u32),
                latest_hash: r.get(5)?,
                updated_at: r.get(6)?,
                has_draft: drafted.contains(&r.get::<_, i64>(7)?),
            });
        }
        Ok(out)
    }

    /// Adds a prompt without versions; returns its id.
    pub fn insert_prompt(
        &self,
        name: &PromptName,
        content: &PromptContent,
        tags: &[String],
        actor: &str,
        now: &str,
    ) -> Result<i64, StoreError> {
        self.conn.execute(
            "INSERT INTO prompts (name, prompt_type, description, tags, created_at, created_by, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5)",
            params![
                name.as_str(),
                content.prompt_type.as_str(),
                content.description,
                serde_json::to_string(tags).expect("tags serialise"),
                now,
                actor
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        refresh_listing(self.conn, id)?;
        Ok(id)
    }

    /// Replaces a prompt's tags.
    pub fn set_tags(&self, prompt_id: i64, tags: &[String], now: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE prompts SET tags = ?2, updated_at = ?3 WHERE id = ?1",
            params![
                prompt_id,
                serde_json::to_string(tags).expect("tags serialise"),
                now
            ],
        )?;
        refresh_listing(self.conn, prompt_id)?;
        Ok(())
    }

    /// Stores a new version and makes it the prompt's latest.
    pub fn insert_version(&self, prompt_id: i64, row: &VersionRow) -> Result<(), StoreError> {
        let info = &row.info;
        self.conn.execute(
            "INSERT INTO versions (id, prompt_id, number, content_hash, content, author, created_at, message, parent)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                row.id,
                prompt_id,
                info.number,
                info.content_hash,
                row.content.canonical_json(),
                info.author,
                info.created_at,
                info.message,
                info.parent
            ],
        )?;
        self.conn.execute(
            "UPDATE prompts SET latest_version = ?2, latest_hash = ?3, prompt_type = ?4,
                    description = ?5, updated_at = ?6
             WHERE id = ?1",
            params![
                prompt_id,
                info.number,
                info.content_hash,
                row.content.prompt_type.as_str(),
                row.content.description,
                info.created_at
            ],
        )?;
        refresh_listing(self.conn, prompt_id)?;
        Ok(())
    }

    /// Version `number` of a prompt, with its content.
    pub fn version(&self, prompt_id: i64, number: u32) -> Result<Option<VersionRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, number, content_hash, author, created_at, message, parent, content
             FROM versions WHERE prompt_id = ?1 AND number = ?2",
        )?;
        let raw = stmt
            .query_row(params![prompt_id, number], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    version_info(r)?,
                    r.get::<_, String>(7)?,
                ))
            })
            .optional()?;
        raw.map(|(id, info, content)| {
            Ok(VersionRow {
                id,
                info,
                content: parse_content(&content)?,
            })
        })
        .transpose()
    }

    /// A prompt's versions, newest first, without their content.
    pub fn versions(&self, prompt_id: i64) -> Result<Vec<VersionInfo>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, number, content_hash, author, created_at, message, parent
             FROM versions WHERE prompt_id = ?1 ORDER BY number DESC",
        )?;
        let rows = stmt.query_map([prompt_id], version_info)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// `user`'s draft of a prompt.
    pub fn draft(&self, prompt_id: i64, user: &str) -> Result<Option<DraftRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT base_version, updated_at, content FROM drafts WHERE prompt_id = ?1 AND user_name = ?2",
        )?;
        let raw = stmt
            .query_row(params![prompt_id, user], |r| {
                Ok((
                    r.get::<_, Option<i64>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .optional()?;
        raw.map(|(base, updated_at, content)| {
            Ok(DraftRow {
                base_version: base.map(|b| b as u32),
                updated_at,
                content: parse_content(&content)?,
            })
        })
        .transpose()
    }

    /// Creates or replaces `user`'s draft of a prompt.
    pub fn save_draft(
        &self,
        prompt_id: i64,
        user: &str,
        draft: &DraftRow,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO drafts (prompt_id, user_name, base_version, content, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (prompt_id, user_name) DO UPDATE SET
                base_version = excluded.base_version, content = excluded.content,
                updated_at = excluded.updated_at",
            params![
                prompt_id,
                user,
                draft.base_version,
                serde_json::to_string(&draft.content).expect("content serialises"),
                draft.updated_at
            ],
        )?;
        Ok(())
    }

    /// Removes `user`'s draft of a prompt; true when there was one.
    pub fn delete_draft(&self, prompt_id: i64, user: &str) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "DELETE FROM drafts WHERE prompt_id = ?1 AND user_name = ?2",
            params![prompt_id, user],
        )?;
        Ok(n > 0)
    }
}

fn version_info(r: &Row<'_>) -> rusqlite::Result<VersionInfo> {
    Ok(VersionInfo {
        number: r.get::<_, i64>(1)? as u32,
        content_hash: r.get(2)?,
        author: r.get(3)?,
        created_at: r.get(4)?,
        message: r.get(5)?,
        parent: r.get::<_, Option<i64>>(6)?.map(|p| p as u32),
    })
}

/// A prompt's list entry as JSON, without the per-user `has_draft`: the same fields, names and
/// order as `PromptSummary` serialises, so `list --json` can stream it as is.
#[derive(serde::Serialize)]
struct ListingEntry<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    prompt_type: &'a str,
    description: &'a str,
    tags: &'a serde_json::value::RawValue,
    latest_version: Option<i64>,
    latest_hash: Option<&'a str>,
    updated_at: &'a str,
}

/// Rewrites the stored list entry of prompt `id` from its columns.
pub(super) fn refresh_listing(conn: &rusqlite::Connection, id: i64) -> Result<(), StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, prompt_type, description, tags, latest_version, latest_hash, updated_at
         FROM prompts WHERE id = ?1",
    )?;
    let row = stmt.query_row([id], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<i64>>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, String>(6)?,
        ))
    })?;
    let (name, ty, description, tags, latest, hash, updated_at) = row;
    let tags = serde_json::value::RawValue::from_string(tags).map_err(|e| corrupt("tags", e))?;
    let entry = ListingEntry {
        name: &name,
        prompt_type: &ty,
        description: &description,
        tags: &tags,
        latest_version: latest,
        latest_hash: hash.as_deref(),
        updated_at: &updated_at,
    };
    let json = serde_json::to_string(&entry).expect("list entries serialise");
    conn.prepare_cached("UPDATE prompts SET listing = ?2 WHERE id = ?1")?
        .execute(params![id, json])?;
    Ok(())
}

/// Fills in every prompt's list entry (migration 6).
pub fn refresh_all_listings(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM prompts")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in ids {
        refresh_listing(conn, id)?;
    }
    Ok(())
}

impl Tx<'_> {
    /// Writes the prompt list as a JSON array to `out`: every prompt (whose name starts with
    /// `prefix`, and that carries `tag`, when given), by name, with whether `user` has a draft.
    /// Streams the stored entries, so a big workspace lists in a few milliseconds.
    pub fn write_list_json(
        &self,
        user: &str,
        prefix: Option<&str>,
        tag: Option<&str>,
        out: &mut dyn std::io::Write,
    ) -> Result<(), StoreError> {
        let mut drafts = self
            .conn
            .prepare_cached("SELECT prompt_id FROM drafts WHERE user_name = ?1")?;
        let drafted: std::collections::HashSet<i64> = drafts
            .query_map([user], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT listing, id FROM prompts INDEXED BY prompts_listing
             WHERE (?1 IS NULL OR substr(name, 1, length(?1)) = ?1)
               AND (?2 IS NULL OR EXISTS (SELECT 1 FROM json_each(prompts.tags) WHERE value = ?2))
             ORDER BY name",
        )?;
        let mut rows = stmt.query(params![prefix, tag])?;
        let io = StoreError::Output;
        out.write_all(b"[").map_err(io)?;
        let mut first = true;
        while let Some(r) = rows.next()? {
            let entry = r
                .get_ref(0)?
                .as_str()
                .map_err(|e| corrupt("list entry", e))?;
            let body = entry
                .strip_suffix('}')
                .ok_or_else(|| corrupt("list entry", "not a JSON object"))?;
            if !first {
                out.write_all(b",").map_err(io)?;
            }
            first = false;
            out.write_all(body.as_bytes()).map_err(io)?;
            let draft: &[u8] = if drafted.contains(&r.get::<_, i64>(1)?) {
                b",\"has_draft\":true}"
            } else {
                b",\"has_draft\":false}"
            };
            out.write_all(draft).map_err(io)?;
        }
        out.write_all(b"]\n").map_err(io)?;
        Ok(())
    }
}
