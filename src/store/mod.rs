//! Storage: the only module that speaks SQL. One SQLite file per workspace (WAL, foreign keys,
//! busy timeout), embedded migrations, and typed functions with bound parameters.

mod audit;
mod busy;
mod comments;
mod evals;
mod keys;
mod migrations;
mod observations;
mod people;
mod prompts;
mod reviews;
mod signatures;
mod sync;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, TransactionBehavior};

pub use audit::{
    AuditEntry, AuditQuery, BreakKind, ChainBreak, ChainHead, ChainReport, CheckpointRow,
    GENESIS_HASH, NewCheckpoint, canonical_json, chain_hash,
};
pub use busy::LockHolder;
pub use comments::CommentRow;
pub use evals::RunSpecRow;
pub use keys::KeyRow;
pub use migrations::latest as latest_schema;
pub use prompts::{DraftRow, PromptRow, VersionRow};
pub use reviews::{DecisionRow, DecisionText, DeploymentRow, ReviewRow};
pub use signatures::{KeyRevocationRow, UserKeyRow};
pub use sync::{
    LocalTable, LogEntry, MonitorCursorRow, MonitorPage, NumberHolder, RejectedRow, RemoteRow,
};

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path} was written by a newer galley (schema {found}; this galley knows up to {known}): upgrade galley to open it"
    )]
    NewerSchema {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    // Causes are fields named `cause`, not `source`: thiserror would also report a `source` as
    // the error's source, and `{err:#}` would then print the cause twice.
    #[error("cannot open {path}: {cause}")]
    Open {
        path: PathBuf,
        cause: rusqlite::Error,
    },
    #[error("cannot create the folder for {path}: {cause}")]
    CreateDir {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path} is not a galley workspace (it is not an SQLite database)")]
    NotADatabase { path: PathBuf },
    #[error(
        "{path} is an SQLite database but not a galley workspace (it holds another application's \
         tables); it was left untouched"
    )]
    ForeignDatabase { path: PathBuf },
    /// Another process held the write lock for longer than the busy timeout.
    #[error("the workspace {path} is busy: another process{} holds its write lock; try again",
        holder.as_ref().map(|h| format!(" ({h})")).unwrap_or_default())]
    Busy {
        path: PathBuf,
        /// Who holds the lock, where the OS tells.
        holder: Option<LockHolder>,
    },
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("cannot write the output: {0}")]
    Output(std::io::Error),
}

impl StoreError {
    /// Whether another process's write lock made this fail (worth retrying).
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Busy { .. })
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(err: rusqlite::Error) -> Self {
        Self::Sqlite(err)
    }
}

/// An open workspace file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A view of the database for typed queries: the plain connection for reads, or a transaction
/// inside [`Store::write`].
pub struct Tx<'c> {
    conn: &'c Connection,
}

impl Store {
    /// Opens (creating if needed) the workspace file at `path` and brings its schema up to date.
    /// A file from a newer galley, or another application's SQLite database, is refused before
    /// anything is written.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|cause| StoreError::CreateDir {
                path: path.to_path_buf(),
                cause,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|cause| StoreError::Open {
            path: path.to_path_buf(),
            cause,
        })?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
        };
        store
            .conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| store.classify(e))?;
        // Checked before `configure`, which switches the file to WAL: that is a write.
        store.check_is_ours()?;
        store.configure().map_err(|e| store.classify(e))?;
        store.migrate()?;
        Ok(store)
    }

    /// The file this store reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Refuses, without writing, a file galley must not migrate: one from a newer galley, or an
    /// SQLite database with no galley schema that already holds something else.
    fn check_is_ours(&self) -> Result<(), StoreError> {
        // One statement, so both numbers come from the same snapshot even while another process
        // is creating the schema.
        let (found, objects): (i64, i64) = self
            .conn
            .query_row(
                "SELECT (SELECT user_version FROM pragma_user_version),
                        (SELECT count(*) FROM sqlite_master)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.classify(e))?;
        let known = migrations::latest();
        if found as u32 > known {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found: found as u32,
                known,
            });
        }
        if found == 0 && objects > 0 {
            return Err(StoreError::ForeignDatabase {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    fn configure(&self) -> Result<(), rusqlite::Error> {
        // journal_mode answers with a row, so it is read rather than executed.
        let _mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        self.conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;",
        )?;
        // Memory-mapped reads spare a system call per page when listing big workspaces. The
        // pragma answers with a row, so it is read like journal_mode.
        let _mmap: i64 = self
            .conn
            .query_row("PRAGMA mmap_size = 2147418112", [], |r| r.get(0))?;
        Ok(())
    }

    fn classify(&self, err: rusqlite::Error) -> StoreError {
        match err.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => StoreError::NotADatabase {
                path: self.path.clone(),
            },
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                busy_or(&self.path, err)
            }
            _ => StoreError::Open {
                path: self.path.clone(),
                cause: err,
            },
        }
    }

    fn schema_version(&self) -> Result<u32, StoreError> {
        let v: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.classify(e))?;
        Ok(v as u32)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let known = migrations::latest();
        let found = self.schema_version()?;
        if found > known {
            return Err(StoreError::NewerSchema {
                path: self.path.clone(),
                found,
                known,
            });
        }
        if found == known {
            return Ok(());
        }
        let path = &self.path;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| busy_or(path, e))?;
        // Another process may have migrated while we waited for the lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in migrations::MIGRATIONS.iter().enumerate().skip(now as usize) {
            tx.execute_batch(sql)?;
            migrations::after(&tx, (i + 1) as u32)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Caps how much of the file is memory-mapped (0: none). Mapped pages count towards the
    /// process's resident memory, so a long-lived process (the workbench) maps none, while a
    /// short command maps the whole file to spare a system call per page.
    pub fn set_memory_map(&self, bytes: u64) -> Result<(), StoreError> {
        let _mapped: i64 =
            self.conn
                .query_row(&format!("PRAGMA mmap_size = {bytes}"), [], |r| r.get(0))?;
        Ok(())
    }

    /// Reads outside a transaction.
    pub fn read(&self) -> Tx<'_> {
        Tx { conn: &self.conn }
    }

    /// Runs `f` in one write transaction, taken immediately so two processes queue on the busy
    /// timeout instead of failing; commits when `f` succeeds, rolls back otherwise.
    pub fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let path = &self.path;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| busy_or(path, e))?;
        let out = f(&Tx { conn: &tx })?;
        tx.commit().map_err(|e| busy_or(path, e))?;
        Ok(out)
    }

    /// How long a write waits for another process's lock before failing with
    /// [`StoreError::Busy`] (10 s unless set).
    pub fn set_busy_timeout(&self, timeout: Duration) -> Result<(), StoreError> {
        Ok(self.conn.busy_timeout(timeout)?)
    }
}

/// [`StoreError::Busy`], naming the lock's holder, when `err` says the file is locked;
/// otherwise the plain SQLite error.
fn busy_or(path: &Path, err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Busy {
                path: path.to_path_buf(),
                holder: busy::write_lock_holder(path),
            }
        }
        _ => StoreError::Sqlite(err),
    }
}

#[cfg(test)]
mod tests;
