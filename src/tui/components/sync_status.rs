//! The sync state in the status bar: `⇅ origin ↑3 ↓0 · synced 2m ago`, `⇅ origin ⟳ syncing`,
//! `⇅ origin ✗ unreachable`; and when the next background sync is due.

use std::time::{Duration, Instant};

use crate::tui::event::RequestId;
use crate::workspace::sync::RemoteStatus;

/// How often the workbench syncs in the background when a remote is set.
pub const SYNC_EVERY: Duration = Duration::from_secs(45);

/// The remotes as last read, and the background sync.
#[derive(Debug, Default)]
pub struct SyncBar {
    pub remotes: Vec<RemoteStatus>,
    /// The sync running now.
    pub running: Option<RequestId>,
    /// When the next sync is due; `None`: at the next tick (when a remote is set).
    pub next_at: Option<Instant>,
    /// The last background sync's failure, in one line.
    pub error: Option<String>,
}

impl SyncBar {
    /// Whether a background sync should start at `now`: one remote set (with several, a sync
    /// must name one: `galley sync --remote`), none running, and it is due.
    pub fn due(&self, now: Instant) -> bool {
        self.remotes.len() == 1 && self.running.is_none() && self.next_at.is_none_or(|t| now >= t)
    }

    /// Asks for a sync at the next tick (after a commit, a decision, a deployment).
    pub fn soon(&mut self) {
        self.next_at = None;
    }

    /// The status bar's segment, or `None` without a remote. `now` is the wall clock.
    pub fn segment(&self, now: jiff::Timestamp) -> Option<String> {
        let r = self.remotes.first()?;
        let more = match self.remotes.len() {
            1 => String::new(),
            n => format!(" +{}", n - 1),
        };
        let counts = format!("↑{} ↓{}", r.ahead, r.behind);
        let refused = if r.rejected > 0 {
            format!(" ✗{} refused", r.rejected)
        } else {
            String::new()
        };
        let state = if self.running.is_some() {
            "⟳ syncing".to_string()
        } else if let Some(error) = self.error.as_ref().or(r.last_error.as_ref()) {
            format!("✗ {}", short_error(error))
        } else {
            match r
                .last_sync
                .as_deref()
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            {
                Some(at) => format!("synced {}", since(at, now)),
                None => "never synced".into(),
            }
        };
        Some(format!("⇅ {}{more} {counts}{refused} · {state}", r.name))
    }
}

/// A sync error in a word or two (the whole line goes to the status message).
fn short_error(error: &str) -> &'static str {
    if error.contains("cannot reach") {
        "unreachable"
    } else if error.contains("is not set") {
        "no key"
    } else if error.contains("refused the key") || error.contains("key") {
        "key refused"
    } else {
        "failed"
    }
}

fn since(at: jiff::Timestamp, now: jiff::Timestamp) -> String {
    let seconds = (now.as_second() - at.as_second()).max(0);
    match seconds {
        0..60 => "just now".into(),
        60..3600 => format!("{}m ago", seconds / 60),
        3600..86_400 => format!("{}h ago", seconds / 3600),
        _ => format!("{}d ago", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(last_sync: Option<&str>, last_error: Option<&str>) -> RemoteStatus {
        RemoteStatus {
            name: "origin".into(),
            url: "http://127.0.0.1:9".into(),
            key_env: "K".into(),
            ahead: 3,
            behind: 0,
            rejected: 0,
            last_sync: last_sync.map(str::to_string),
            last_error: last_error.map(str::to_string),
            monitor: Default::default(),
        }
    }

    #[test]
    fn the_segment_says_where_the_remote_stands() {
        let now: jiff::Timestamp = "2026-03-01T10:00:00Z".parse().unwrap();
        let mut bar = SyncBar::default();
        assert_eq!(bar.segment(now), None);
        bar.remotes = vec![remote(Some("2026-03-01T09:58:00Z"), None)];
        assert_eq!(bar.segment(now).unwrap(), "⇅ origin ↑3 ↓0 · synced 2m ago");
        bar.remotes = vec![remote(None, Some("cannot reach remote `origin` at …"))];
        assert_eq!(bar.segment(now).unwrap(), "⇅ origin ↑3 ↓0 · ✗ unreachable");
        bar.running = Some(7);
        assert_eq!(bar.segment(now).unwrap(), "⇅ origin ↑3 ↓0 · ⟳ syncing");
    }
}
