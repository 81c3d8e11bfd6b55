//! When to try again: exponential backoff with full jitter, and the server's `Retry-After`.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

/// The first retry waits up to this long.
pub const BASE_DELAY: Duration = Duration::from_millis(250);
/// No backoff wait is longer than this.
pub const MAX_DELAY: Duration = Duration::from_secs(20);
/// A server asking for a longer wait than this is obeyed only this far: an eval run should
/// fail a case rather than hang for an hour.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);
/// Retries after the first attempt when the config does not say.
pub const DEFAULT_MAX_RETRIES: u32 = 4;

/// The backoff ceiling before retry number `attempt` (0 for the first retry):
/// `min(MAX_DELAY, BASE_DELAY * 2^attempt)`.
pub fn backoff_ceiling(attempt: u32) -> Duration {
    let factor = 1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX);
    BASE_DELAY.saturating_mul(factor).min(MAX_DELAY)
}

/// The wait before retry number `attempt`: full jitter (a uniform draw in
/// `[0, backoff_ceiling]`, `jitter` in `[0, 1]`), unless the server said how long to wait.
pub fn retry_delay(attempt: u32, retry_after: Option<Duration>, jitter: f64) -> Duration {
    match retry_after {
        Some(wait) => wait.min(MAX_RETRY_AFTER),
        None => backoff_ceiling(attempt).mul_f64(jitter.clamp(0.0, 1.0)),
    }
}

/// A uniform draw in `[0, 1)`, good enough to spread retries (not for secrets).
pub fn jitter() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    hasher.write_u64(nanos);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A `Retry-After` header's wait: delay-seconds (`"2"`, `"1.5"` from lenient servers) or an
/// HTTP date (a date in the past means now). Unreadable values count as absent.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let now_ms = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let wait_ms = when.as_millisecond().saturating_sub(now_ms).max(0);
    Some(Duration::from_millis(wait_ms as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_double_from_250ms_and_cap_at_20s() {
        let ms: Vec<u128> = (0..9).map(|a| backoff_ceiling(a).as_millis()).collect();
        assert_eq!(ms, [250, 500, 1000, 2000, 4000, 8000, 16000, 20000, 20000]);
        assert_eq!(backoff_ceiling(40), MAX_DELAY);
        assert_eq!(backoff_ceiling(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn full_jitter_spans_zero_to_ceiling() {
        assert_eq!(retry_delay(2, None, 0.0), Duration::ZERO);
        assert_eq!(retry_delay(2, None, 1.0), Duration::from_secs(1));
        assert_eq!(retry_delay(2, None, 0.5), Duration::from_millis(500));
        assert_eq!(retry_delay(2, None, 7.0), Duration::from_secs(1));
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }

    #[test]
    fn retry_after_wins_over_backoff_within_a_cap() {
        let wait = Some(Duration::from_secs(3));
        assert_eq!(retry_delay(0, wait, 0.1), Duration::from_secs(3));
        assert_eq!(
            retry_delay(0, Some(Duration::from_secs(99_999)), 0.1),
            MAX_RETRY_AFTER
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_770); // 1994-11-06 08:49:30 UTC
        assert_eq!(parse_retry_after("2", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after(" 0.5 ", now),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }
}
