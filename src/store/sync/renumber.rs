//! Moving a version that was never shared to another number, with everything local that refers
//! to it by number: the one change the sync makes to rows that are otherwise immutable (see the
//! conflict rule in the README's Sync section). The immutability triggers are lifted for the
//! updates and put back, unchanged, in the same transaction.

use rusqlite::params;

use crate::store::{StoreError, Tx};

/// The triggers lifted while renumbering.
const LIFTED: [&str; 3] = [
    "versions_are_immutable",
    "deployments_no_update",
    "comments_no_update",
];

impl Tx<'_> {
    /// Moves version `from` of dataset `name` after its newest version; returns the new
    /// number. Eval runs of this workspace that used it follow.
    pub fn renumber_dataset_version(&self, name: &str, from: u32) -> Result<u32, StoreError> {
        let (id, latest): (i64, u32) = self.conn.query_row(
            "SELECT id, latest_version FROM datasets WHERE name = ?1",
            [name],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let to = latest + 1;
        let sql: String = self.conn.query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger'
             AND name = 'dataset_versions_are_immutable'",
            [],
            |r| r.get(0),
        )?;
        self.conn
            .execute_batch("DROP TRIGGER dataset_versions_are_immutable")?;
        let moved = (|| -> Result<(), StoreError> {
            self.conn.execute(
                "UPDATE dataset_versions SET version = ?3 WHERE dataset_id = ?1 AND version = ?2",
                params![id, from, to],
            )?;
            self.conn.execute(
                "UPDATE eval_runs SET dataset_version = ?3 WHERE dataset = ?1 AND dataset_version = ?2",
                params![name, from, to],
            )?;
            self.conn.execute(
                "UPDATE datasets SET latest_version = ?2 WHERE id = ?1",
                params![id, to],
            )?;
            Ok(())
        })();
        self.conn.execute_batch(&sql)?;
        moved.map(|()| to)
    }

    /// Gives the versions of prompt `name` numbered `from` the numbers `to` (pairs of
    /// `(from, to)`; every `to` must be free), and follows them in parents, reviews, comments,
    /// deployments, eval results, drafts and the prompt's latest version.
    pub fn renumber_versions(&self, name: &str, moves: &[(u32, u32)]) -> Result<(), StoreError> {
        let mut saved = Vec::new();
        for trigger in LIFTED {
            let sql: String = self.conn.query_row(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                [trigger],
                |r| r.get(0),
            )?;
            self.conn
                .execute_batch(&format!("DROP TRIGGER {trigger}"))?;
            saved.push(sql);
        }
        let result = self.apply_moves(name, moves);
        for sql in saved {
            self.conn.execute_batch(&sql)?;
        }
        result
    }

    fn apply_moves(&self, name: &str, moves: &[(u32, u32)]) -> Result<(), StoreError> {
        let prompt_id: i64 =
            self.conn
                .query_row("SELECT id FROM prompts WHERE name = ?1", [name], |r| {
                    r.get(0)
                })?;
        for &(from, to) in moves {
            self.conn.execute(
                "UPDATE versions SET number = ?3 WHERE prompt_id = ?1 AND number = ?2",
                params![prompt_id, from, to],
            )?;
            for sql in [
                "UPDATE versions SET parent = ?3 WHERE prompt_id = ?1 AND parent = ?2",
                "UPDATE drafts SET base_version = ?3 WHERE prompt_id = ?1 AND base_version = ?2",
            ] {
                self.conn.execute(sql, params![prompt_id, from, to])?;
            }
            for sql in [
                "UPDATE reviews SET version = ?3 WHERE prompt = ?1 AND version = ?2",
                "UPDATE comments SET version = ?3 WHERE prompt = ?1 AND version = ?2",
                "UPDATE deployments SET version = ?3 WHERE prompt = ?1 AND version = ?2",
                "UPDATE deployments SET previous_version = ?3
                 WHERE prompt = ?1 AND previous_version = ?2",
                "UPDATE eval_results SET version = ?3 WHERE version = ?2
                 AND run_id IN (SELECT id FROM eval_runs WHERE prompt = ?1)",
            ] {
                self.conn.execute(sql, params![name, from, to])?;
            }
        }
        self.conn.execute(
            "UPDATE prompts SET (latest_version, latest_hash) =
                (SELECT number, content_hash FROM versions WHERE prompt_id = ?1
                 ORDER BY number DESC LIMIT 1)
             WHERE id = ?1",
            [prompt_id],
        )?;
        crate::store::prompts::refresh_listing(self.conn, prompt_id)
    }
}
