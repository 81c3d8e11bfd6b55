//! API keys of the delivery server: rows holding a hash of each secret, never the secret; and
//! the change counter the server watches to drop its caches.

use rusqlite::{OptionalExtension, Row, params};

use crate::domain::keys::{ApiKey, Scope};

use super::{StoreError, Tx};

const COLUMNS: &str =
    "id, name, scope, principal, created_at, created_by, revoked_at, revoked_by, secret_hash";

/// A stored key with the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub key: ApiKey,
    /// sha256 of the secret, 64 hex digits.
    pub secret_hash: String,
}

fn key_row(r: &Row<'_>) -> rusqlite::Result<(KeyRow, String)> {
    let scope: String = r.get(2)?;
    Ok((
        KeyRow {
            key: ApiKey {
                id: r.get(0)?,
                name: r.get(1)?,
                // Parsed below, where a bad value can become a store error.
                scope: Scope::Admin,
                principal: r.get(3)?,
                created_at: r.get(4)?,
                created_by: r.get(5)?,
                revoked_at: r.get(6)?,
                revoked_by: r.get(7)?,
            },
            secret_hash: r.get(8)?,
        },
        scope,
    ))
}

fn with_scope((mut row, scope): (KeyRow, String)) -> Result<KeyRow, StoreError> {
    row.key.scope = scope
        .parse()
        .map_err(|e| StoreError::Corrupt(format!("key {}: {e}", row.key.id)))?;
    Ok(row)
}

impl Tx<'_> {
    /// Stores a new key.
    pub fn insert_key(&self, key: &ApiKey, secret_hash: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO api_keys (id, name, scope, principal, secret_hash, created_at, created_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                key.id,
                key.name,
                key.scope.to_string(),
                key.principal,
                secret_hash,
                key.created_at,
                key.created_by
            ],
        )?;
        Ok(())
    }

    /// The key with public id `id`, revoked or not.
    pub fn key_by_id(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        self.conn
            .prepare_cached(&format!("SELECT {COLUMNS} FROM api_keys WHERE id = ?1"))?
            .query_row([id], key_row)
            .optional()?
            .map(with_scope)
            .transpose()
    }

    /// The key whose secret hashes to `hash`, revoked or not.
    pub fn key_by_secret_hash(&self, hash: &str) -> Result<Option<KeyRow>, StoreError> {
        self.conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM api_keys WHERE secret_hash = ?1"
            ))?
            .query_row([hash], key_row)
            .optional()?
            .map(with_scope)
            .transpose()
    }

    /// Every key, oldest first.
    pub fn keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM api_keys ORDER BY created_at, id"
        ))?;
        let rows = stmt
            .query_map([], key_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|r| with_scope(r).map(|k| k.key))
            .collect()
    }

    /// Marks key `id` revoked; false when it was not active.
    pub fn revoke_key(&self, id: &str, at: &str, by: &str) -> Result<bool, StoreError> {
        let n = self.conn.execute(
            "UPDATE api_keys SET revoked_at = ?2, revoked_by = ?3
             WHERE id = ?1 AND revoked_at IS NULL",
            params![id, at, by],
        )?;
        Ok(n == 1)
    }

    /// SQLite's `data_version`: it changes whenever another connection has committed a change
    /// to the file since this connection last asked. Ask on a connection that never writes.
    pub fn data_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("PRAGMA data_version")?
            .query_row([], |r| r.get(0))?)
    }

    /// A counter that moves with every change to what delivery reads (prompts, versions,
    /// deployments, environments, policies, API keys, people and their SSH keys), kept by
    /// triggers (migration 15); observations and other writes leave it alone.
    pub fn delivery_change_counter(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT n FROM delivery_changes WHERE id = 1")?
            .query_row([], |r| r.get(0))?)
    }
}
