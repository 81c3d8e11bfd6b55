use proptest::prelude::*;

use super::*;
use crate::domain::observation::{CallError, FeedbackScale};

fn obs(id: usize, version: u32, env: &str, epoch_s: i64) -> Observation {
    Observation {
        id: format!("o{id}"),
        prompt: "p".into(),
        version: Some(version),
        hash: None,
        env: env.into(),
        timestamp: jiff::Timestamp::from_second(epoch_s)
            .unwrap()
            .strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string(),
        latency_ms: None,
        input_tokens: None,
        output_tokens: None,
        cost_usd: None,
        status: CallStatus::Ok,
        error: None,
        feedback: None,
        variables: Default::default(),
        output: None,
        trace_id: None,
    }
}

#[test]
fn buckets_hold_their_values_within_the_stated_error() {
    for us in [
        0u64,
        1,
        63,
        64,
        65,
        127,
        128,
        129,
        1000,
        12_345,
        2_300_000,
        86_400_000_000,
    ] {
        let b = latency_bucket(us);
        let (lo, hi) = bucket_bounds(b);
        assert!(lo <= us && us < hi, "{us} in {lo}..{hi}");
        let value_us = bucket_value_ms(b) * 1000.0;
        let error = (value_us - us as f64).abs() / (us.max(1) as f64);
        assert!(error <= 1.0 / 128.0 + 1e-12, "{us}: {error}");
    }
    // Buckets are contiguous and ordered.
    for b in 0..3000u16 {
        assert_eq!(bucket_bounds(b).1, bucket_bounds(b + 1).0, "{b}");
    }
}

#[test]
fn nearest_rank_percentiles_on_a_known_set() {
    let mut h = LatencyHistogram::default();
    assert_eq!(h.percentile(500), None);
    for us in 1..=100 {
        h.add(us * 10); // 10 µs … 1000 µs, exact below 64 µs
    }
    assert_eq!(nearest_rank(100, 500), Some(50));
    assert_eq!(nearest_rank(100, 950), Some(95));
    assert_eq!(nearest_rank(3, 990), Some(3));
    assert_eq!(nearest_rank(1, 500), Some(1));
    assert_eq!(
        h.percentile(500),
        Some(bucket_value_ms(latency_bucket(500)))
    );
    assert_eq!(
        h.percentile(990),
        Some(bucket_value_ms(latency_bucket(990)))
    );
    assert_eq!(LatencyHistogram::decode(&h.encode()).unwrap(), h);
    assert!(LatencyHistogram::decode(&[1, 2, 3]).is_err());
}

#[test]
fn metrics_of_a_known_set() {
    let mut r = Rollup::default();
    let thumbs = |score| Feedback {
        score,
        scale: FeedbackScale::Thumbs,
        comment: None,
    };
    for i in 0..4 {
        let mut o = obs(i, 1, "production", 0);
        o.latency_ms = Some(100.0 * (i + 1) as f64);
        o.cost_usd = Some(0.01);
        o.input_tokens = Some(10);
        o.output_tokens = Some(5);
        if i == 3 {
            o.status = CallStatus::Error;
            o.error = Some(CallError {
                kind: "timeout".into(),
                message: String::new(),
            });
        }
        o.feedback = Some(thumbs(if i < 3 { 1 } else { -1 }));
        r.add(&o);
    }
    let m = r.metrics();
    assert_eq!((m.count, m.errors, m.error_rate), (4, 1, 0.25));
    assert_eq!((m.input_tokens, m.output_tokens), (40, 20));
    assert!((m.cost_usd - 0.04).abs() < 1e-12);
    assert!((m.cost_per_call_usd.unwrap() - 0.01).abs() < 1e-12);
    assert_eq!(m.latency_mean_ms, Some(250.0));
    assert_eq!(m.mean_feedback, Some(0.5)); // (3 × +1 − 1) / 4
    assert_eq!(m.negative_feedback_share, Some(0.25));
    let p95 = m.latency_p95_ms.unwrap();
    assert!((p95 - 400.0).abs() / 400.0 <= 1.0 / 128.0, "{p95}");
    r.remove_feedback(&thumbs(-1));
    r.add_feedback(&thumbs(1));
    assert_eq!(r.metrics().negative_feedback_share, Some(0.0));
    let empty = Rollup::default().metrics();
    assert_eq!(
        (empty.error_rate, empty.latency_p50_ms, empty.mean_feedback),
        (0.0, None, None)
    );
}

#[test]
fn buckets_start_on_utc_hours_and_days() {
    assert_eq!(BucketSize::Hour.start_of(3_600_000 + 5), 3_600_000);
    assert_eq!(BucketSize::Day.start_of(86_400_000 * 3 + 7), 86_400_000 * 3);
    assert_eq!(BucketSize::Day.start_of(-1), -86_400_000);
}

/// Metrics straight from raw rows, without rollups: what the rollups must agree with.
/// Percentiles are taken by nearest rank over the sorted raw latencies and then mapped through
/// the same bucketing, so the comparison is exact: the histogram loses only where inside its
/// bucket a latency lies, never which bucket the percentile's row falls in.
fn recompute(rows: &[&Observation]) -> Metrics {
    let mut latencies: Vec<u64> = rows.iter().filter_map(|o| o.latency_us()).collect();
    latencies.sort_unstable();
    let pct = |permille| {
        nearest_rank(latencies.len() as u64, permille)
            .map(|rank| bucket_value_ms(latency_bucket(latencies[rank as usize - 1])))
    };
    let count = rows.len() as u64;
    let errors = rows
        .iter()
        .filter(|o| o.status == CallStatus::Error)
        .count() as u64;
    let costs: Vec<u64> = rows.iter().filter_map(|o| o.cost_nanos()).collect();
    let feedback: Vec<&Feedback> = rows.iter().filter_map(|o| o.feedback.as_ref()).collect();
    let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
    let points: u64 = feedback.iter().map(|f| f.points()).sum();
    let negative = feedback.iter().filter(|f| f.is_negative()).count() as u64;
    Metrics {
        count,
        errors,
        error_rate: ratio(errors, count).unwrap_or(0.0),
        latency_p50_ms: pct(500),
        latency_p95_ms: pct(950),
        latency_p99_ms: pct(990),
        latency_mean_ms: ratio(latencies.iter().sum(), latencies.len() as u64).map(|u| u / 1000.0),
        input_tokens: rows.iter().filter_map(|o| o.input_tokens).sum(),
        output_tokens: rows.iter().filter_map(|o| o.output_tokens).sum(),
        cost_usd: costs.iter().sum::<u64>() as f64 / 1e9,
        cost_per_call_usd: ratio(costs.iter().sum(), costs.len() as u64).map(|n| n / 1e9),
        feedback_count: feedback.len() as u64,
        mean_feedback: ratio(points, feedback.len() as u64).map(|p| p / 2.0 - 1.0),
        negative_feedback_share: ratio(negative, feedback.len() as u64),
    }
}

fn arb_observation() -> impl Strategy<Value = Observation> {
    (
        (1u32..4, 0usize..2, 0i64..(5 * 86_400)),
        proptest::option::of(0u64..5_000_000),
        (
            proptest::option::of(0u64..5000),
            proptest::option::of(0u64..2_000_000),
        ),
        any::<bool>(),
        proptest::option::of((-1i64..=5).prop_filter("a valid score", |s| *s != 0)),
    )
        .prop_map(
            |((version, env, secs), latency_us, (tokens, cost), error, score)| {
                let mut o = obs(
                    0,
                    version,
                    ["staging", "production"][env],
                    1_767_225_600 + secs,
                );
                o.latency_ms = latency_us.map(|us| us as f64 / 1000.0);
                o.input_tokens = tokens;
                o.output_tokens = tokens.map(|t| t / 2);
                o.cost_usd = cost.map(|n| n as f64 / 1e9);
                if error {
                    o.status = CallStatus::Error;
                }
                o.feedback = score.map(|score| Feedback {
                    score,
                    scale: if score == -1 {
                        FeedbackScale::Thumbs
                    } else {
                        FeedbackScale::Rating
                    },
                    comment: None,
                });
                o
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Hour rollups merged into days, and days (or hours) merged into a range, give exactly the
    /// metrics recomputed from the raw rows of that range, per version × env and overall.
    #[test]
    fn merged_rollups_equal_metrics_recomputed_from_raw_rows(
        rows in proptest::collection::vec(arb_observation(), 0..300),
        cut_day in 0i64..5,
    ) {
        let rollups = roll_up(&rows);
        let since = 1_767_225_600_000 + cut_day * 86_400_000;
        let in_range = |o: &&Observation| o.epoch_ms() >= since;
        for size in [BucketSize::Hour, BucketSize::Day] {
            let mut per_group: BTreeMap<(u32, String), Rollup> = BTreeMap::new();
            let mut overall = Rollup::default();
            for (key, r) in rollups.iter().filter(|(k, _)| k.size == size && k.start >= since) {
                per_group.entry((key.version, key.env.clone())).or_default().merge(r);
                overall.merge(r);
            }
            let raw: Vec<&Observation> = rows.iter().filter(in_range).collect();
            prop_assert_eq!(overall.metrics(), recompute(&raw));
            for ((version, env), r) in &per_group {
                let raw: Vec<&Observation> = raw.iter().copied()
                    .filter(|o| o.version == Some(*version) && &o.env == env)
                    .collect();
                prop_assert_eq!(r.metrics(), recompute(&raw));
            }
        }
        // Hours of a day merge into that day's rollup, field for field.
        for (key, day) in rollups.iter().filter(|(k, _)| k.size == BucketSize::Day) {
            let mut hours = Rollup::default();
            for (_, r) in rollups.iter().filter(|(k, _)| {
                k.size == BucketSize::Hour && k.version == key.version && k.env == key.env
                    && BucketSize::Day.start_of(k.start) == key.start
            }) {
                hours.merge(r);
            }
            prop_assert_eq!(&hours, day);
        }
    }
}
