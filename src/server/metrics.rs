//! Request metrics in Prometheus text format: counts and latency histograms by method, route and
//! status, and prompts served by environment. A small registry; each update takes one lock.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// Upper bounds (seconds) of the latency histogram's buckets.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    /// Per bucket, how many observations fell at or below its bound (not cumulative).
    buckets: [u64; BUCKETS.len()],
}

/// (method, route, status) of a request series.
type SeriesKey = (String, String, u16);

/// The server's counters.
#[derive(Default)]
pub struct Metrics {
    /// (method, route, status) and its series. A short list searched in place: a lookup
    /// allocates nothing, which matters at tens of thousands of requests a second.
    requests: Mutex<Vec<(SeriesKey, Series)>>,
    served: Mutex<BTreeMap<String, u64>>,
    /// Observations ingested, by environment: (accepted, rejected).
    observations: Mutex<BTreeMap<String, (u64, u64)>>,
}

/// The most environments the observation counters keep apart; the rest count as `other`, so
/// a client sending made-up environments cannot grow the registry without bound.
const MAX_OBSERVED_ENVS: usize = 64;

impl Metrics {
    /// Counts one answered request on `route` (the route's pattern, not the raw path).
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let found = requests
            .iter()
            .position(|((m, r, s), _)| *s == status && m == method && r == route);
        let i = found.unwrap_or_else(|| {
            requests.push((
                (method.to_string(), route.to_string(), status),
                Series::default(),
            ));
            requests.len() - 1
        });
        let series = &mut requests[i].1;
        series.count += 1;
        series.sum += seconds;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            series.buckets[i] += 1;
        }
    }

    /// Counts one prompt delivered from environment `env`.
    pub fn prompt_served(&self, env: &str) {
        let mut served = self.served.lock().unwrap_or_else(|p| p.into_inner());
        match served.get_mut(env) {
            Some(n) => *n += 1,
            None => {
                served.insert(env.to_string(), 1);
            }
        }
    }

    /// Counts observations ingested in environment `env` (`unknown` when an item had none).
    pub fn observations(&self, env: &str, accepted: u64, rejected: u64) {
        let mut counts = self.observations.lock().unwrap_or_else(|p| p.into_inner());
        let env = if counts.contains_key(env) || counts.len() < MAX_OBSERVED_ENVS {
            env
        } else {
            "other"
        };
        let entry = counts.entry(env.to_string()).or_default();
        entry.0 += accepted;
        entry.1 += rejected;
    }

    /// Everything, in Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut requests: Vec<(&SeriesKey, &Series)> = Vec::new();
        let guard = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        requests.extend(guard.iter().map(|(k, s)| (k, s)));
        requests.sort_by(|a, b| a.0.cmp(b.0));
        out.push_str("# HELP galley_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE galley_http_requests_total counter\n");
        for ((method, route, status), s) in requests.iter() {
            let labels = labels(method, route, *status);
            let _ = writeln!(out, "galley_http_requests_total{{{labels}}} {}", s.count);
        }
        out.push_str("# HELP galley_http_request_duration_seconds Time to answer HTTP requests.\n");
        out.push_str("# TYPE galley_http_request_duration_seconds histogram\n");
        for ((method, route, status), s) in requests.iter() {
            let labels = labels(method, route, *status);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "galley_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "galley_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "galley_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "galley_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        drop(requests);
        drop(guard);
        let served = self.served.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str("# HELP galley_prompts_served_total Prompts delivered, by environment.\n");
        out.push_str("# TYPE galley_prompts_served_total counter\n");
        for (env, n) in served.iter() {
            let _ = writeln!(
                out,
                "galley_prompts_served_total{{environment=\"{}\"}} {n}",
                escape(env)
            );
        }
        drop(served);
        let counts = self.observations.lock().unwrap_or_else(|p| p.into_inner());
        for (name, help, pick) in [
            ("accepted", "stored (re-sends included)", 0),
            ("rejected", "refused with a reason", 1),
        ] {
            let _ = writeln!(
                out,
                "# HELP galley_observations_{name}_total Observations {help}, by environment."
            );
            let _ = writeln!(out, "# TYPE galley_observations_{name}_total counter");
            for (env, n) in counts.iter() {
                let n = if pick == 0 { n.0 } else { n.1 };
                let _ = writeln!(
                    out,
                    "galley_observations_{name}_total{{environment=\"{}\"}} {n}",
                    escape(env)
                );
            }
        }
        out
    }
}

fn labels(method: &str, route: &str, status: u16) -> String {
    format!(
        "method=\"{}\",route=\"{}\",status=\"{status}\"",
        escape(method),
        escape(route)
    )
}

/// A label value escaped as the text format requires.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = Metrics::default();
        m.observe("GET", "/v1/prompts/{*name}", 200, 0.0007);
        m.observe("GET", "/v1/prompts/{*name}", 200, 0.02);
        m.observe("GET", "/x\"y", 404, 20.0);
        m.prompt_served("production");
        m.observations("production", 3, 1);
        let text = m.render();
        assert!(text.contains("galley_observations_accepted_total{environment=\"production\"} 3"));
        assert!(text.contains("galley_observations_rejected_total{environment=\"production\"} 1"));
        let labels = r#"method="GET",route="/v1/prompts/{*name}",status="200""#;
        assert!(text.contains(&format!("galley_http_requests_total{{{labels}}} 2")));
        assert!(text.contains(&format!(
            "galley_http_request_duration_seconds_bucket{{{labels},le=\"0.001\"}} 1"
        )));
        assert!(text.contains(&format!(
            "galley_http_request_duration_seconds_bucket{{{labels},le=\"0.025\"}} 2"
        )));
        assert!(text.contains(r#"route="/x\"y",status="404",le="+Inf"} 1"#));
        assert!(text.contains("galley_prompts_served_total{environment=\"production\"} 1"));
    }
}
