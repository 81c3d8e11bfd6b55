//! The times ingestion accepts: a window around the clock (`[monitor] max_past_days`,
//! `max_future_hours`), so a clock at zero, a mistyped year or one far ahead is refused instead
//! of opening rollup buckets nobody reads. Years 0000 and 9999 are refused alike, with the same
//! words. The clock comes in as an argument.

use super::{KeepLimits, Observation};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

impl KeepLimits {
    /// The first and the last millisecond accepted when the clock reads `now_ms`.
    pub fn window(&self, now_ms: i64) -> (i64, i64) {
        (
            now_ms.saturating_sub(i64::from(self.max_past_days) * DAY_MS),
            now_ms.saturating_add(i64::from(self.max_future_hours) * HOUR_MS),
        )
    }

    /// Why `obs`'s time is refused when the clock reads `now_ms`, if it is.
    pub fn time_problem(&self, obs: &Observation, now_ms: i64) -> Option<String> {
        let (from, to) = self.window(now_ms);
        let at = obs
            .timestamp
            .parse::<jiff::Timestamp>()
            .ok()?
            .as_millisecond();
        (at < from || at > to)
            .then(|| format!("timestamp: {}", self.outside_window(&obs.timestamp)))
    }

    /// `text` (a time) is outside the window, said with the window's settings.
    pub(super) fn outside_window(&self, text: &str) -> String {
        format!(
            "`{text}` is outside the accepted window, {} day(s) before now to {} hour(s) after \
             ([monitor] max_past_days, max_future_hours)",
            self.max_past_days, self.max_future_hours
        )
    }
}
