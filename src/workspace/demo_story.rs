//! The demo's story clock: when the replay's records are dated.

use super::{Result, Workspace, WorkspaceError};

/// The demo's story clock: the replay's records are dated along a timeline that ends before
/// today (UTC), so `galley demo` writes the history its traffic tells. It starts
/// [`STORY_DAYS`] before today, moves [`STEP_MINUTES`] on after each record, jumps forward at an
/// `at` step, and dates the deployments of the traffic's prompt at the starts of its phases (the
/// first phase of that environment, and version, not used yet that starts no earlier than the
/// clock; the next record may share that instant).
/// On a workspace whose audit log already has entries it stays off (records at the real time,
/// so the log's times never go back).
pub(super) struct Story {
    clock: Option<super::StoryClock>,
    pub(super) at: jiff::Timestamp,
    today: jiff::Timestamp,
    /// The traffic's phase starts, and which ones a deployment used.
    schedule: Vec<(super::demo_traffic::PhaseStart, bool)>,
    prompt: Option<String>,
}

/// The time the demo takes as now when pinned (tests only: see [`pin_demo_now`]).
static PINNED_NOW: std::sync::Mutex<Option<jiff::Timestamp>> = std::sync::Mutex::new(None);

/// For tests only: later demos in this process take `at` as now, so their story and traffic
/// end on a fixed day and snapshots of them stay the same whatever day the tests run.
#[doc(hidden)]
pub fn pin_demo_now(at: jiff::Timestamp) {
    *PINNED_NOW.lock().unwrap_or_else(|e| e.into_inner()) = Some(at);
}

/// The time the demo takes as now: the pinned time, else the real one.
pub(super) fn demo_now() -> jiff::Timestamp {
    let pinned = *PINNED_NOW.lock().unwrap_or_else(|e| e.into_inner());
    pinned.unwrap_or_else(jiff::Timestamp::now)
}

/// How many days before today the story starts.
const STORY_DAYS: i64 = 44;
/// How far the clock moves after each record of the story.
const STEP_MINUTES: i64 = 9;

impl Story {
    pub(super) fn new(
        ws: &Workspace,
        now_ms: i64,
        traffic: Option<&super::demo_traffic::DemoTraffic>,
    ) -> Result<Self> {
        let day = crate::domain::metrics::BucketSize::Day;
        let today = jiff::Timestamp::from_millisecond(day.start_of(now_ms))
            .map_err(|e| WorkspaceError::Refused(e.to_string()))?;
        let at = today - jiff::SignedDuration::from_hours(24 * STORY_DAYS);
        let fresh = ws
            .store
            .read()
            .audit_entries(&crate::store::AuditQuery {
                limit: Some(1),
                ..Default::default()
            })?
            .is_empty();
        Ok(Self {
            clock: fresh.then(|| super::StoryClock::start(at)),
            at,
            today,
            schedule: traffic
                .map(|t| t.schedule(now_ms).into_iter().map(|p| (p, false)).collect())
                .unwrap_or_default(),
            prompt: traffic.map(|t| t.prompt().to_string()),
        })
    }

    /// Moves the clock to `to`, never back.
    pub(super) fn jump(&mut self, to: jiff::Timestamp) -> Result<()> {
        if to < self.at {
            return Err(WorkspaceError::Refused(format!(
                "the demo script goes back in time: {to} is before {}",
                self.at
            )));
        }
        self.at = to;
        if let Some(clock) = &self.clock {
            clock.set(to);
        }
        Ok(())
    }

    pub(super) fn days_ago(&mut self, days: f64) -> Result<()> {
        let millis = (days * 86_400_000.0).round() as i64;
        self.jump(self.today - jiff::SignedDuration::from_millis(millis))
    }

    /// After a record: the clock moves on a little.
    pub(super) fn tick(&mut self) -> Result<()> {
        self.jump(self.at + jiff::SignedDuration::from_mins(STEP_MINUTES))
    }

    /// Before a deployment (or rollback, `version` None) of `prompt` to `env`: when the traffic
    /// has a phase of it not yet used, the clock moves to its start. Returns the phase's version.
    pub(super) fn deployment(
        &mut self,
        prompt: &str,
        env: &str,
        version: Option<u32>,
    ) -> Result<Option<u32>> {
        if self.prompt.as_deref() != Some(prompt) {
            return Ok(None);
        }
        let at = self.at.as_millisecond();
        let Some((phase, used)) = self.schedule.iter_mut().find(|(p, used)| {
            !*used && p.env == env && p.at_ms >= at && version.is_none_or(|v| v == p.version)
        }) else {
            return Ok(None);
        };
        *used = true;
        let (to, version) = (phase.at_ms, phase.version);
        self.jump(
            jiff::Timestamp::from_millisecond(to)
                .map_err(|e| WorkspaceError::Refused(e.to_string()))?,
        )?;
        Ok(Some(version))
    }
}
