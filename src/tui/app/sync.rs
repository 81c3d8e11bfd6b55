//! The background sync: when a remote is set, a sync runs on a timer and soon after a commit, a
//! decision or a deployment, on its own thread; its state shows in the status bar and a failure
//! as one line there, never a popup.

use std::time::Instant;

use crate::tui::components::sync_status::SYNC_EVERY;
use crate::tui::event::{Effect, Request, RequestId};

use super::App;

impl App {
    /// Starts a sync when one is due.
    pub(super) fn sync_tick(&mut self, now: Instant) -> Vec<Effect> {
        if !self.sync.due(now) {
            return Vec::new();
        }
        self.sync.next_at = Some(now + SYNC_EVERY);
        let effect = self.request(Request::Sync);
        if let Effect::Request(id, _) = &effect {
            self.sync.running = Some(*id);
        }
        vec![effect]
    }

    /// A sync ended: refresh what it may have changed, and the remotes' state.
    pub(super) fn on_synced(
        &mut self,
        id: RequestId,
        outcome: Result<(usize, usize), String>,
    ) -> Vec<Effect> {
        if self.sync.running == Some(id) {
            self.sync.running = None;
        }
        let mut effects = vec![self.request(Request::SyncStatus)];
        match outcome {
            Ok((pulled, _)) => {
                self.sync.error = None;
                if pulled > 0 {
                    effects.push(self.request(Request::ListPrompts));
                    effects.extend(self.deploy_effects());
                    if self.reviews.queue.is_some() {
                        effects.extend(self.reviews_effects());
                    }
                }
            }
            Err(message) => {
                // Said once, not every 45 seconds while the server stays down.
                if self.sync.error.as_ref() != Some(&message) {
                    self.fail(message.clone());
                }
                self.sync.error = Some(message);
            }
        }
        effects
    }
}
