//! The audit log: an append-only record of every change to shared state.

use rusqlite::params;
use serde::Serialize;
use serde_json::Value;

use super::{StoreError, Tx};

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub id: String,
    pub actor: String,
    pub at: String,
    pub action: String,
    pub target: String,
    pub details: Value,
}

impl Tx<'_> {
    /// Appends an entry (the database refuses to change or remove one).
    pub fn append_audit(
        &self,
        actor: &str,
        at: &str,
        action: &str,
        target: &str,
        details: &Value,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO audit_log (id, actor, at, action, target, details) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![uuid::Uuid::now_v7().to_string(), actor, at, action, target, details.to_string()],
        )?;
        Ok(())
    }

    /// The newest `limit` entries, oldest first; only those about `target` when given.
    pub fn audit_entries(
        &self,
        target: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, id, actor, at, action, target, details FROM (
                SELECT * FROM audit_log WHERE ?1 IS NULL OR target = ?1 ORDER BY seq DESC LIMIT ?2
             ) ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![target, limit as i64], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                id: r.get(1)?,
                actor: r.get(2)?,
                at: r.get(3)?,
                action: r.get(4)?,
                target: r.get(5)?,
                details: serde_json::from_str(&r.get::<_, String>(6)?).unwrap_or(Value::Null),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Tries to rewrite an entry; exists so tests can show the database refuses it.
    #[cfg(test)]
    pub fn tamper_with_audit(&self) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .execute("UPDATE audit_log SET actor = 'mallory'", [])?)
    }
}
