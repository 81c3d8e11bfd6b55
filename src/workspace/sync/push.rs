//! Pushing: the records the remote has neither acknowledged nor refused, oldest first, in
//! batches of at most [`MAX_BATCH`] records and about [`MAX_PUSH_BYTES`]; each answer is noted
//! in one transaction, so a push cut off halfway keeps what the server acknowledged.

use crate::sync::SyncError;
use crate::sync::client::SyncClient;
use crate::sync::records::Record;
use crate::sync::wire::{MAX_BATCH, PushReply, PushRequest, RecordStatus};

use super::super::{Result, Workspace, WorkspaceError, now};
use super::{Refused, SyncReport};

/// The most bytes of records one push request carries (the server's default body limit is
/// 1 MiB).
const MAX_PUSH_BYTES: usize = 768 * 1024;

impl Workspace {
    pub(super) async fn push_to(
        &mut self,
        client: &SyncClient,
        remote: &str,
        report: &mut SyncReport,
    ) -> std::result::Result<(), SyncError> {
        let mut after = self
            .store
            .read()
            .remote(remote)?
            .map_or(0, |r| r.pushed_through);
        // One record at a time after the server found a batch too large, until that record
        // is dealt with; a single record the server cannot take is refused, not a blocker.
        let mut limit = MAX_BATCH;
        loop {
            let (batch, last) = self.next_push_batch(remote, after, limit)?;
            if batch.is_empty() {
                break;
            }
            let request = PushRequest {
                records: batch.clone(),
            };
            match client.push(&request).await {
                Ok(reply) => self.note_push_reply(remote, &batch, &reply, report)?,
                Err(SyncError::Server {
                    status: 413,
                    message,
                    ..
                }) => {
                    if batch.len() > 1 {
                        limit = 1;
                        continue;
                    }
                    self.note_too_large(remote, &batch[0], &message, report)?;
                    limit = MAX_BATCH;
                }
                Err(SyncError::Forged {
                    record: Some(id),
                    message,
                    ..
                }) if batch.iter().any(|r| r.id() == id) => {
                    // Refused for good; the rest of the batch goes again without it.
                    let record = batch.iter().find(|r| r.id() == id).expect("in the batch");
                    self.note_refused_for_good(remote, record, &message, report)?;
                    continue;
                }
                Err(err) => return Err(err),
            }
            after = last;
        }
        self.store.write(|tx| tx.advance_pushed_through(remote))?;
        Ok(())
    }

    /// The next records to push after local position `after` (at most `limit` and about
    /// [`MAX_PUSH_BYTES`]), and the position of the last one.
    fn next_push_batch(
        &self,
        remote: &str,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<Record>, i64)> {
        let tx = self.store.read();
        let mut batch = Vec::new();
        let mut bytes = 0;
        let mut last = after;
        for entry in tx.unpushed(remote, after, limit)? {
            let Some(record) = tx.load_record(&entry.kind, &entry.record_id)? else {
                last = entry.seq;
                continue;
            };
            let size = serde_json::to_vec(&record).map_or(0, |v| v.len());
            if !batch.is_empty() && bytes + size > MAX_PUSH_BYTES {
                break;
            }
            bytes += size;
            batch.push(record);
            last = entry.seq;
        }
        Ok((batch, last))
    }

    fn note_push_reply(
        &mut self,
        remote: &str,
        batch: &[Record],
        reply: &PushReply,
        report: &mut SyncReport,
    ) -> std::result::Result<(), SyncError> {
        if reply.results.len() != batch.len() {
            return Err(SyncError::BadReply {
                remote: remote.to_string(),
                cause: format!(
                    "{} results for {} records",
                    reply.results.len(),
                    batch.len()
                ),
            });
        }
        let at = now();
        self.store.write(|tx| {
            for (record, result) in batch.iter().zip(&reply.results) {
                let seq = result.seq.unwrap_or(0);
                let reason = result.reason.clone().unwrap_or_default();
                match result.status {
                    RecordStatus::Accepted => {
                        tx.mark_known(remote, record.id(), seq)?;
                        report.pushed += 1;
                    }
                    RecordStatus::Duplicate => {
                        tx.mark_known(remote, record.id(), seq)?;
                        report.already_there += 1;
                    }
                    RecordStatus::Rejected | RecordStatus::Conflict => {
                        let retry = result.status == RecordStatus::Conflict;
                        if !retry {
                            tx.mark_rejected(remote, record.id(), &reason, &at)?;
                        }
                        report.refused.push(Refused {
                            id: record.id().to_string(),
                            record: record.describe(),
                            reason,
                            retry,
                        });
                    }
                }
            }
            tx.set_server_head(remote, reply.head)?;
            tx.catch_up_pull_cursor(remote)?;
            Ok::<_, WorkspaceError>(())
        })?;
        // A deployment the server took: pin the history it extends with a signed checkpoint
        // (to a protected environment, when a key is at hand).
        let deployed: std::collections::BTreeSet<&str> = batch
            .iter()
            .zip(&reply.results)
            .filter(|(_, r)| r.status == RecordStatus::Accepted)
            .filter_map(|(record, _)| match record {
                Record::Deployment(d) => Some(d.env.as_str()),
                _ => None,
            })
            .collect();
        for env in deployed {
            self.checkpoint_after_deployment(env);
        }
        Ok(())
    }

    /// A record the server refuses for good (found forged, or too large), with its words.
    fn note_refused_for_good(
        &mut self,
        remote: &str,
        record: &Record,
        reason: &str,
        report: &mut SyncReport,
    ) -> std::result::Result<(), SyncError> {
        let at = now();
        self.store
            .write(|tx| tx.mark_rejected(remote, record.id(), reason, &at))?;
        report.refused.push(Refused {
            id: record.id().to_string(),
            record: record.describe(),
            reason: reason.to_string(),
            retry: false,
        });
        Ok(())
    }

    /// A single record larger than the server takes: refused for good, with the server's words.
    fn note_too_large(
        &mut self,
        remote: &str,
        record: &Record,
        message: &str,
        report: &mut SyncReport,
    ) -> std::result::Result<(), SyncError> {
        let reason = format!("too large for the server ({message})");
        self.note_refused_for_good(remote, record, &reason, report)
    }
}
