//! Monitoring data in sync (protocol in `crate::sync::monitor`), pull only. The server serves
//! its rollup buckets by change position with samples of each changed day's worst
//! observations; the client replaces its buckets with the server's and stores the samples.
//!
//! The rules:
//! - The server is the authority for production data: a pulled bucket replaces the local one
//!   whole and is marked pulled. Observations this workspace imported itself (`observe import`)
//!   stay stored and listed, but a bucket the server has shows the server's numbers only: local
//!   ingestion no longer changes it. Buckets the server does not have keep counting local
//!   imports. So nothing is counted twice.
//! - Samples are stored by id and never added to any rollup (the buckets come from the server);
//!   pulling one again changes nothing, unless its feedback changed on the server.

use std::collections::{BTreeSet, HashSet};

use crate::domain::metrics::BucketSize;
use crate::domain::observation::WorstKind;
use crate::store::MonitorPage;
use crate::sync::SyncError;
use crate::sync::client::SyncClient;
use crate::sync::monitor::{MAX_ROLLUPS, MAX_SAMPLES, MonitorReply, WireRollup};

use super::{Result, SyncReport, Workspace, WorkspaceError, next_position, now, refused};

/// The kinds of worst observations a day sends.
const SAMPLE_KINDS: [WorstKind; 3] = [WorstKind::Errors, WorstKind::Feedback, WorstKind::Slow];

impl Workspace {
    /// The server's side of a monitoring pull: up to `limit` buckets changed after position
    /// `after`, and for each day bucket among them up to `samples` of each kind of worst
    /// observation of that prompt, environment and day.
    pub fn monitor_page(&self, after: i64, limit: usize, samples: usize) -> Result<MonitorReply> {
        let limit = limit.clamp(1, MAX_ROLLUPS);
        let samples = samples.min(MAX_SAMPLES);
        let tx = self.store.read();
        let head = tx.rollup_change_head()?;
        let changed = tx.rollups_changed_after(after, limit)?;
        let mut days = BTreeSet::new();
        let mut rollups = Vec::with_capacity(changed.len());
        for (seq, key, rollup) in &changed {
            if key.size == BucketSize::Day {
                days.insert((key.prompt.as_str(), key.env.as_str(), key.start));
            }
            rollups.push(WireRollup::new(*seq, key, rollup));
        }
        let mut seen = HashSet::new();
        let mut picked = Vec::new();
        if samples > 0 {
            for (prompt, env, start) in days {
                let day = start..start + BucketSize::Day.millis();
                for kind in SAMPLE_KINDS {
                    for obs in
                        tx.worst_observations_in(prompt, Some(env), kind, day.clone(), samples)?
                    {
                        if seen.insert(obs.id.clone()) {
                            picked.push(obs);
                        }
                    }
                }
            }
        }
        Ok(MonitorReply {
            rollups,
            samples: picked,
            head,
        })
    }

    /// Sets how many of each kind of worst observation per day a sync pulls from `remote`
    /// (kept for later syncs).
    pub fn set_monitor_samples(&mut self, remote: &str, count: usize) -> Result<()> {
        if count > MAX_SAMPLES {
            return Err(refused(format!(
                "at most {MAX_SAMPLES} samples of each kind per day (asked for {count})"
            )));
        }
        self.sync_remote(Some(remote))
            .map_err(|e| refused(e.to_string()))?;
        self.store
            .write(|tx| Ok::<_, WorkspaceError>(tx.set_monitor_samples(remote, count)?))
    }

    /// Pulls `remote`'s changed buckets and samples, page by page, each page in one transaction
    /// with the cursor.
    pub(super) async fn pull_monitor(
        &mut self,
        client: &SyncClient,
        remote: &str,
        report: &mut SyncReport,
    ) -> std::result::Result<(), SyncError> {
        let start = self.store.read().monitor_cursor(remote)?;
        let mut cursor = start.cursor;
        let samples = start.sample_count.max(0) as usize;
        loop {
            let page = client.pull_monitor(cursor, MAX_ROLLUPS, samples).await?;
            let last = page.rollups.last().map(|r| r.seq);
            if last.is_none() && page.head >= cursor {
                let note = MonitorPage {
                    cursor,
                    head: page.head,
                    ..MonitorPage::default()
                };
                self.store
                    .write(|tx| tx.advance_monitor_cursor(remote, &note, &now()))?;
            }
            let Some(last) = next_position(remote, cursor, page.head, last)? else {
                return Ok(());
            };
            let applied = self
                .apply_monitor_page(remote, &page)
                .map_err(|e| match e {
                    WorkspaceError::Refused(cause) => SyncError::BadReply {
                        remote: remote.to_string(),
                        cause,
                    },
                    other => other.into(),
                })?;
            report.rollups += applied.rollups;
            report.samples += applied.samples;
            cursor = last;
            if cursor >= page.head {
                return Ok(());
            }
        }
    }

    fn apply_monitor_page(&mut self, remote: &str, page: &MonitorReply) -> Result<MonitorPage> {
        let mut parts = Vec::with_capacity(page.rollups.len());
        for wire in &page.rollups {
            parts.push(wire.parts().map_err(WorkspaceError::Refused)?);
        }
        self.store.write(|tx| {
            let mut note = MonitorPage {
                head: page.head,
                ..MonitorPage::default()
            };
            for (wire, (key, rollup)) in page.rollups.iter().zip(&parts) {
                tx.replace_with_pulled_rollup(key, rollup)?;
                note.cursor = note.cursor.max(wire.seq);
                note.last_bucket_ms = note.last_bucket_ms.max(Some(key.start));
                note.rollups += 1;
            }
            for obs in &page.samples {
                if tx.store_pulled_sample(obs)? {
                    note.samples += 1;
                }
            }
            tx.advance_monitor_cursor(remote, &note, &now())?;
            Ok(note)
        })
    }
}
