//! Checkpoints of the audit chain: records pinning the head as it was (entry `seq` had `hash`),
//! so a later rewrite of the history before it shows, even with the chain recomputed.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::store::{StoreError, Tx};

/// The `workspace_meta` key of the workspace's id (set by migration 14).
const WORKSPACE_ID_KEY: &str = "workspace_id";

/// One checkpoint as stored. `statement`, `signature` and `key` are `None` until a signer
/// provides them (`statement` is filled for checkpoints recorded by this galley).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointRow {
    pub id: i64,
    /// The audit entry the checkpoint pins.
    pub seq: i64,
    /// That entry's hash when the checkpoint was taken.
    pub hash: String,
    pub actor: String,
    pub at: String,
    /// The exact text signed (see `domain::checkpoint::checkpoint_statement`).
    pub statement: Option<String>,
    /// The armored SSH signature over `statement`, once signing exists.
    pub signature: Option<String>,
    /// The fingerprint of the key that signed.
    pub key: Option<String>,
}

/// What [`Tx::insert_checkpoint`] stores (the id is assigned).
#[derive(Debug, Clone, Copy)]
pub struct NewCheckpoint<'a> {
    pub seq: i64,
    pub hash: &'a str,
    pub actor: &'a str,
    pub at: &'a str,
    pub statement: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub key: Option<&'a str>,
}

impl Tx<'_> {
    /// Records a checkpoint; returns its id. The caller appends its audit entry.
    pub fn insert_checkpoint(&self, c: &NewCheckpoint<'_>) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO audit_checkpoints (seq, hash, actor, at, statement, signature, key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                c.seq,
                c.hash,
                c.actor,
                c.at,
                c.statement,
                c.signature,
                c.key
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every checkpoint, oldest first.
    pub fn checkpoints(&self) -> Result<Vec<CheckpointRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, seq, hash, actor, at, statement, signature, key
             FROM audit_checkpoints ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(CheckpointRow {
                id: r.get(0)?,
                seq: r.get(1)?,
                hash: r.get(2)?,
                actor: r.get(3)?,
                at: r.get(4)?,
                statement: r.get(5)?,
                signature: r.get(6)?,
                key: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The workspace's id, named in checkpoint statements.
    pub fn workspace_id(&self) -> Result<String, StoreError> {
        self.conn
            .prepare_cached("SELECT value FROM workspace_meta WHERE key = ?1")?
            .query_row([WORKSPACE_ID_KEY], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::Corrupt("the workspace has no id in workspace_meta".into()))
    }
}
