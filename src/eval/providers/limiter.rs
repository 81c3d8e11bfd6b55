//! Requests per minute: a token bucket holding one token, refilled every `60 s / rpm`.
//!
//! With a bucket of one, requests are evenly spaced, so any 60-second window holds at most
//! `rpm` of them — a bigger bucket would allow a burst at the end of one minute and another at
//! the start of the next. Each caller reserves the next free slot under a lock and sleeps
//! until it outside the lock, so many tasks can wait at once and go out in arrival order.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Spaces requests so no more than `rpm` start in any minute. Share it (behind an `Arc`) among
/// every task that uses the same provider.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    /// When the next request may start.
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `rpm` requests per minute (`0` counts as 1).
    pub fn per_minute(rpm: u32) -> Self {
        Self {
            interval: Duration::from_secs(60) / rpm.max(1),
            next: Mutex::new(None),
        }
    }

    /// The spacing between two requests.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Reserves the first free slot at or after `now` and returns it.
    pub fn reserve(&self, now: Instant) -> Instant {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let slot = match *next {
            Some(free) if free > now => free,
            _ => now,
        };
        *next = Some(slot + self.interval);
        slot
    }

    /// Waits for this request's slot.
    pub async fn acquire(&self) {
        let slot = self.reserve(Instant::now());
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_spaced_by_the_interval() {
        let limiter = RateLimiter::per_minute(120);
        assert_eq!(limiter.interval(), Duration::from_millis(500));
        let t0 = Instant::now();
        let slots: Vec<Duration> = (0..4).map(|_| limiter.reserve(t0) - t0).collect();
        assert_eq!(slots, [0, 500, 1000, 1500].map(Duration::from_millis));
        // After a quiet spell the next request goes at once, and spacing resumes from there.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(limiter.reserve(later), later);
        assert_eq!(limiter.reserve(later), later + Duration::from_millis(500));
    }

    #[test]
    fn never_more_than_rpm_in_any_minute() {
        let limiter = RateLimiter::per_minute(60);
        let t0 = Instant::now();
        // 200 callers arriving at irregular times within two minutes.
        let mut slots: Vec<Instant> = (0..200u64)
            .map(|i| limiter.reserve(t0 + Duration::from_millis(i * i % 120_000)))
            .collect();
        slots.sort();
        for (i, start) in slots.iter().enumerate() {
            let in_window = slots[i..]
                .iter()
                .take_while(|s| **s < *start + Duration::from_secs(60))
                .count();
            assert!(in_window <= 60, "{in_window} requests in one minute");
        }
    }

    #[test]
    fn acquire_waits_for_the_slot() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let limiter = RateLimiter::per_minute(1200); // 50 ms apart
            let start = Instant::now();
            for _ in 0..4 {
                limiter.acquire().await;
            }
            assert!(start.elapsed() >= Duration::from_millis(150));
        });
    }
}
