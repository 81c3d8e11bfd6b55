//! Workspace sync, the client's side: remotes, `sync` (pull then push, by pages of
//! [`MAX_BATCH`]), and a cheap, offline [`Workspace::sync_status`]. The server's side (what it
//! accepts, what it serves) is in `accept.rs`; storing received records in `apply.rs`.
//!
//! Everything works offline: a sync that cannot reach its remote changes no record and says so
//! in one line; it only notes the error for `sync status`.

mod accept;
mod accept_signed;
mod apply;
mod forgery;
mod monitor;
mod push;

pub use forgery::PushError;

use serde::Serialize;

use crate::store::{MonitorCursorRow, RemoteRow};
use crate::sync::SyncError;
use crate::sync::client::SyncClient;
use crate::sync::records::Record;
use crate::sync::wire::{MAX_BATCH, PullReply};

use super::{Result, Workspace, WorkspaceError, now};

/// Which way a sync goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncDirection {
    /// Pull, then push.
    Both,
    Pull,
    Push,
}

/// Where a remote stands, as this workspace last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteStatus {
    pub name: String,
    pub url: String,
    pub key_env: String,
    /// Local records the remote has not acknowledged (nor refused).
    pub ahead: i64,
    /// Records the remote had, at the last contact, that were not pulled yet.
    pub behind: i64,
    /// Records the remote refused (kept here, not sent again).
    pub rejected: i64,
    pub last_sync: Option<String>,
    pub last_error: Option<String>,
    /// How far production monitoring data (rollups and samples) was pulled from the remote.
    pub monitor: MonitorStatus,
}

/// How far a remote's monitoring data was pulled, as this workspace last saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonitorStatus {
    /// The remote's change position pulled up to, and its newest at the last contact.
    pub cursor: i64,
    pub head: i64,
    /// The start of the newest bucket pulled (RFC 3339), if any.
    pub through: Option<String>,
    /// Buckets and samples received over every pull.
    pub rollups: i64,
    pub samples: i64,
    /// How many worst observations of each kind per day a sync asks for.
    pub samples_per_day: i64,
}

impl From<MonitorCursorRow> for MonitorStatus {
    fn from(row: MonitorCursorRow) -> Self {
        Self {
            cursor: row.cursor,
            head: row.head,
            through: row.last_bucket_ms.and_then(|ms| {
                jiff::Timestamp::from_millisecond(ms)
                    .ok()
                    .map(|t| t.to_string())
            }),
            rollups: row.rollups,
            samples: row.samples,
            samples_per_day: row.sample_count,
        }
    }
}

/// A record the remote did not take, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub id: String,
    /// `version 4 of support/triage`.
    pub record: String,
    pub reason: String,
    /// True when pulling and pushing again can fix it (`conflict`); false when the server's
    /// rules refuse it (`rejected`).
    pub retry: bool,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub remote: String,
    pub pulled: usize,
    pub pushed: usize,
    /// Records the remote already had.
    pub already_there: usize,
    pub refused: Vec<Refused>,
    /// What the sync changed here besides adding records (renumbered versions).
    pub notes: Vec<String>,
    /// Monitoring buckets replaced with the remote's, and sample observations new or changed.
    pub rollups: usize,
    pub samples: usize,
    pub ahead: i64,
    pub behind: i64,
}

/// Where a cursor goes after a page of a remote's log ending at `last` (none when empty) with
/// the remote's head `head`: `None` when there is nothing after `cursor`; an error when the
/// remote holds less than was pulled from it, or announced more but sent nothing new.
fn next_position(
    remote: &str,
    cursor: i64,
    head: i64,
    last: Option<i64>,
) -> std::result::Result<Option<i64>, SyncError> {
    let error = |shrunk: bool| {
        let remote = remote.to_string();
        Err(if shrunk {
            SyncError::Shrunk {
                remote,
                cursor,
                head,
            }
        } else {
            SyncError::Stalled {
                remote,
                cursor,
                head,
            }
        })
    };
    match last {
        _ if head < cursor => error(true),
        None if head > cursor => error(false),
        None => Ok(None),
        Some(last) if last <= cursor => error(false),
        Some(last) => Ok(Some(last)),
    }
}

/// Every version of a pulled page still hashes to its stated hash; otherwise the page is not
/// stored and the first mismatch is named.
fn check_pulled_hashes(remote: &str, page: &PullReply) -> std::result::Result<(), SyncError> {
    for pulled in &page.records {
        if let Record::Version(v) = &pulled.record {
            let actual = v.content.content_hash();
            if actual != v.content_hash {
                return Err(SyncError::ContentMismatch {
                    remote: remote.to_string(),
                    prompt: v.prompt.clone(),
                    version: v.number,
                    stated: v.content_hash.clone(),
                    actual,
                });
            }
        }
    }
    Ok(())
}

fn refused(msg: impl Into<String>) -> WorkspaceError {
    WorkspaceError::Refused(msg.into())
}

fn is_env_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Workspace {
    /// Adds remote `name` at `url`; its key's secret is read from the environment variable
    /// `key_env` at each sync, never stored.
    pub fn add_remote(&mut self, name: &str, url: &str, key_env: &str) -> Result<RemoteRow> {
        crate::domain::people::check_label("remote name", name).map_err(refused)?;
        if !is_env_var_name(key_env) {
            return Err(refused(format!(
                "--key-env takes the name of an environment variable (like GALLEY_KEY), not \
                 `{key_env}`: the secret itself is never stored"
            )));
        }
        SyncClient::new(name, url, key_env, "").map_err(|e| refused(e.to_string()))?;
        let url = url.trim().trim_end_matches('/').to_string();
        self.store.write(|tx| {
            if !tx.add_remote(name, &url, key_env, &now())? {
                return Err(refused(format!("remote `{name}` already exists")));
            }
            Ok(tx.remote(name)?.expect("the remote was just added"))
        })
    }

    /// Every remote, by name.
    pub fn remotes(&self) -> Result<Vec<RemoteRow>> {
        Ok(self.store.read().remotes()?)
    }

    /// Where each remote stands, from what this workspace knows: no network, a few indexed
    /// queries (cheap enough for the workbench's status bar).
    pub fn sync_status(&self) -> Result<Vec<RemoteStatus>> {
        let tx = self.store.read();
        let mut out = Vec::new();
        for r in tx.remotes()? {
            out.push(RemoteStatus {
                monitor: tx.monitor_cursor(&r.name)?.into(),
                ahead: tx.unpushed_count(&r.name, r.pushed_through)?,
                behind: tx.behind(&r)?,
                rejected: tx.rejected(&r.name)?.len() as i64,
                name: r.name,
                url: r.url,
                key_env: r.key_env,
                last_sync: r.last_sync,
                last_error: r.last_error,
            });
        }
        Ok(out)
    }

    /// The records remote `name` refused, with their reasons.
    pub fn sync_rejections(&self, name: &str) -> Result<Vec<crate::store::RejectedRow>> {
        Ok(self.store.read().rejected(name)?)
    }

    /// The remote a sync uses: `name`, or the only one.
    pub fn sync_remote(&self, name: Option<&str>) -> std::result::Result<RemoteRow, SyncError> {
        let tx = self.store.read();
        match name {
            Some(n) => tx
                .remote(n)?
                .ok_or_else(|| SyncError::NoRemote(n.to_string())),
            None => {
                let mut all = tx.remotes()?;
                match all.len() {
                    0 => Err(SyncError::NoRemotes),
                    1 => Ok(all.remove(0)),
                    _ => Err(SyncError::WhichRemote(
                        all.iter()
                            .map(|r| r.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    )),
                }
            }
        }
    }

    /// Syncs with remote `name` (or the only one): pull, then push, or one of them. The key's
    /// secret comes from the remote's environment variable. A failure is noted for `sync
    /// status` and leaves every record as it was; running the sync again resumes it.
    pub async fn sync(
        &mut self,
        name: Option<&str>,
        direction: SyncDirection,
    ) -> std::result::Result<SyncReport, SyncError> {
        let remote = self.sync_remote(name)?;
        let secret = std::env::var(&remote.key_env)
            .ok()
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| SyncError::MissingKey {
                remote: remote.name.clone(),
                var: remote.key_env.clone(),
            })?;
        let client = SyncClient::new(&remote.name, &remote.url, &remote.key_env, secret.trim())?;
        let mut report = SyncReport {
            remote: remote.name.clone(),
            ..SyncReport::default()
        };
        let outcome = self
            .sync_with(&client, &remote, direction, &mut report)
            .await;
        let error = outcome.as_ref().err().map(|e| e.to_string());
        self.store
            .write(|tx| tx.note_sync(&remote.name, &now(), error.as_deref()))?;
        outcome?;
        if let Some(status) = self
            .sync_status()?
            .into_iter()
            .find(|s| s.name == remote.name)
        {
            report.ahead = status.ahead;
            report.behind = status.behind;
        }
        Ok(report)
    }

    async fn sync_with(
        &mut self,
        client: &SyncClient,
        remote: &RemoteRow,
        direction: SyncDirection,
        report: &mut SyncReport,
    ) -> std::result::Result<(), SyncError> {
        if direction != SyncDirection::Push {
            self.pull_from(client, &remote.name, report).await?;
            // After the records, so the buckets' version numbers are the server's here too.
            self.pull_monitor(client, &remote.name, report).await?;
        }
        if direction != SyncDirection::Pull {
            self.push_to(client, &remote.name, report).await?;
        }
        Ok(())
    }

    async fn pull_from(
        &mut self,
        client: &SyncClient,
        remote: &str,
        report: &mut SyncReport,
    ) -> std::result::Result<(), SyncError> {
        let mut cursor = self
            .store
            .read()
            .remote(remote)?
            .map_or(0, |r| r.pull_cursor);
        loop {
            let page = client.pull(cursor, MAX_BATCH).await?;
            let last = page.records.last().map(|r| r.seq);
            if last.is_none() && page.head >= cursor {
                self.store
                    .write(|tx| tx.set_pull_cursor(remote, cursor, page.head))?;
            }
            let Some(last) = next_position(remote, cursor, page.head, last)? else {
                return Ok(());
            };
            check_pulled_hashes(remote, &page)?;
            let (pulled, notes) = self.apply_pull_page(remote, &page)?;
            report.pulled += pulled;
            report.notes.extend(notes);
            cursor = last;
            if cursor >= page.head {
                return Ok(());
            }
        }
    }

    /// Stores one page of a remote's log, in one transaction with the new cursor; returns how
    /// many records were new here and the notes of renumbered versions.
    fn apply_pull_page(&mut self, remote: &str, page: &PullReply) -> Result<(usize, Vec<String>)> {
        self.store.write(|tx| {
            let mut fresh = 0;
            let mut notes = Vec::new();
            let mut cursor = 0;
            for pulled in &page.records {
                let record = &pulled.record;
                cursor = pulled.seq;
                if tx.log_position(record.id())?.is_none() {
                    match record {
                        Record::Version(r) => {
                            notes.extend(apply::make_room_for_version(tx, remote, r)?)
                        }
                        Record::DatasetVersion(r) => {
                            notes.extend(apply::make_room_for_dataset_version(tx, remote, r)?)
                        }
                        _ => {}
                    }
                    apply::store(tx, record, None)?;
                    fresh += 1;
                }
                tx.mark_known(remote, record.id(), pulled.seq)?;
            }
            tx.set_pull_cursor(remote, cursor, page.head)?;
            // Pulled records are logged here too; keep the push watermark past them.
            tx.advance_pushed_through(remote)?;
            Ok((fresh, notes))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_moves_only_forward_within_the_remotes_head() {
        assert_eq!(next_position("o", 5, 9, Some(7)).unwrap(), Some(7));
        assert_eq!(next_position("o", 9, 9, None).unwrap(), None);
        assert!(matches!(
            next_position("o", 9, 4, None),
            Err(SyncError::Shrunk { .. })
        ));
        assert!(matches!(
            next_position("o", 5, 9, None),
            Err(SyncError::Stalled { .. })
        ));
        assert!(matches!(
            next_position("o", 5, 9, Some(5)),
            Err(SyncError::Stalled { .. })
        ));
    }
}
