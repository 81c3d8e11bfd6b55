//! People's registered SSH keys and their revocations (immutable records), and the workspace's
//! id that every signed statement names.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{StoreError, Tx};

/// One key registration: `added_by` vouched, by signing `statement`, that `public_key` is
/// `user`'s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserKeyRow {
    #[serde(skip)]
    pub id: i64,
    pub record_id: String,
    pub user: String,
    pub fingerprint: String,
    pub public_key: String,
    pub added_by: String,
    pub at: String,
    pub statement: String,
    pub signature: Option<String>,
}

/// One revocation: from `at` on, the key `fingerprint` of `user` signs nothing that counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRevocationRow {
    #[serde(skip)]
    pub id: i64,
    pub record_id: String,
    pub user: String,
    pub fingerprint: String,
    pub revoked_by: String,
    pub at: String,
    pub statement: String,
    pub signature: Option<String>,
}

const KEY_COLUMNS: &str =
    "id, record_id, user_name, fingerprint, public_key, added_by, at, statement, signature";
const REVOCATION_COLUMNS: &str =
    "id, record_id, user_name, fingerprint, revoked_by, at, statement, signature";

fn key_row(r: &Row<'_>) -> rusqlite::Result<UserKeyRow> {
    Ok(UserKeyRow {
        id: r.get(0)?,
        record_id: r.get(1)?,
        user: r.get(2)?,
        fingerprint: r.get(3)?,
        public_key: r.get(4)?,
        added_by: r.get(5)?,
        at: r.get(6)?,
        statement: r.get(7)?,
        signature: r.get(8)?,
    })
}

fn revocation_row(r: &Row<'_>) -> rusqlite::Result<KeyRevocationRow> {
    Ok(KeyRevocationRow {
        id: r.get(0)?,
        record_id: r.get(1)?,
        user: r.get(2)?,
        fingerprint: r.get(3)?,
        revoked_by: r.get(4)?,
        at: r.get(5)?,
        statement: r.get(6)?,
        signature: r.get(7)?,
    })
}

impl Tx<'_> {
    /// Appends a key registration; returns its row id.
    pub fn insert_user_key(&self, k: &UserKeyRow) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO user_keys (record_id, user_name, fingerprint, public_key, added_by, at,
                                        statement, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                k.record_id,
                k.user,
                k.fingerprint,
                k.public_key,
                k.added_by,
                k.at,
                k.statement,
                k.signature
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every key registration, oldest first.
    pub fn user_keys(&self) -> Result<Vec<UserKeyRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM user_keys ORDER BY id"))?;
        let rows = stmt.query_map([], key_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Whether any key was ever registered.
    pub fn has_user_keys(&self) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM user_keys LIMIT 1")?
            .query_row([], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Appends a key revocation.
    pub fn insert_key_revocation(&self, k: &KeyRevocationRow) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO key_revocations (record_id, user_name, fingerprint, revoked_by, at,
                                              statement, signature)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                k.record_id,
                k.user,
                k.fingerprint,
                k.revoked_by,
                k.at,
                k.statement,
                k.signature
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every key revocation, oldest first.
    pub fn key_revocations(&self) -> Result<Vec<KeyRevocationRow>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {REVOCATION_COLUMNS} FROM key_revocations ORDER BY id"
        ))?;
        let rows = stmt
            .query_map([], revocation_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }
}
