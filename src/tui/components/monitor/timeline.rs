//! Who served when: the version serving most calls in each bucket, where it changed, and the
//! row that names them across the range (`versions ▲2────▲3──▲4─▲3──`): `▲` and its version
//! where a deployment record (a rollback included) falls, `v3` where the traffic changed
//! version with no deployment recorded there (one made elsewhere, or before the range).

use ratatui::text::{Line, Span};

use crate::tui::event::MonitorData;
use crate::tui::theme::Theme;

/// The version serving most calls in each bucket that had calls, in time order.
fn dominant(data: &MonitorData) -> Vec<(i64, u32)> {
    let mut out: Vec<(i64, u32, u64)> = Vec::new();
    for p in &data.series.points {
        match out.last_mut() {
            Some(last) if last.0 == p.start_ms => {
                if p.metrics.count > last.2 {
                    *last = (p.start_ms, p.version, p.metrics.count);
                }
            }
            _ => out.push((p.start_ms, p.version, p.metrics.count)),
        }
    }
    out.into_iter().map(|(at, v, _)| (at, v)).collect()
}

/// Where the serving version changed: `(bucket start, new version)`, the first bucket included.
pub fn version_changes(data: &MonitorData) -> Vec<(i64, u32)> {
    let mut out: Vec<(i64, u32)> = Vec::new();
    for (at, v) in dominant(data) {
        if out.last().is_none_or(|(_, last)| *last != v) {
            out.push((at, v));
        }
    }
    out
}

/// The deployments to the environment inside the range: `(time, version)`.
fn deployments_in_range(data: &MonitorData) -> Vec<(i64, u32)> {
    data.deployments
        .iter()
        .filter_map(|d| {
            let at = d.at.parse::<jiff::Timestamp>().ok()?.as_millisecond();
            (data.series.from_ms..=data.series.to_ms)
                .contains(&at)
                .then_some((at, d.version))
        })
        .collect()
}

/// Where the chart marks a change: at the deployments recorded after the range's start, or
/// where the traffic changed version when none was recorded in the range.
pub fn change_times(data: &MonitorData) -> Vec<i64> {
    let deployments = deployments_in_range(data);
    if deployments.is_empty() {
        version_changes(data)
            .into_iter()
            .skip(1)
            .map(|(at, _)| at)
            .collect()
    } else {
        deployments
            .into_iter()
            .map(|(at, _)| at)
            .filter(|at| *at > data.series.from_ms)
            .collect()
    }
}

/// `versions ▲2──────▲3─────▲4─▲3──`: who served when, across the row; `▲` a deployment.
pub fn timeline(data: &MonitorData, width: usize, theme: Theme) -> Line<'static> {
    let prefix = "versions ";
    let cols = width.saturating_sub(prefix.len()).max(1);
    let (from, to) = (
        data.series.from_ms,
        data.series.to_ms.max(data.series.from_ms + 1),
    );
    let col = |at: i64| (((at - from) as f64 / (to - from) as f64) * cols as f64) as usize;
    let mut row = vec![' '; cols];
    for (at, _) in dominant(data) {
        let end = col(at + data.series.bucket.millis()).min(cols);
        for c in row.iter_mut().take(end).skip(col(at).min(cols)) {
            *c = '─';
        }
    }
    let deployments = deployments_in_range(data);
    let at_col = |at: i64| col(at).min(cols.saturating_sub(1));
    // A traffic change within two columns of a deployment is that deployment.
    let labels = version_changes(data)
        .into_iter()
        .filter(|(at, _)| {
            !deployments
                .iter()
                .any(|(d, _)| at_col(*d).abs_diff(at_col(*at)) <= 2)
        })
        .map(|(at, v)| (at_col(at), format!("v{v}")))
        .chain(
            deployments
                .iter()
                .map(|(at, v)| (at_col(*at), format!("▲{v}"))),
        )
        .collect::<Vec<_>>();
    for (start, label) in labels {
        for (i, ch) in label.chars().enumerate() {
            if let Some(c) = row.get_mut(start + i) {
                *c = ch;
            }
        }
    }
    let mut spans = vec![
        Span::styled(prefix, theme.dim()),
        Span::raw(row.into_iter().collect::<String>()),
    ];
    if !deployments.is_empty() {
        spans.push(Span::styled(" ▲ deployed", theme.dim()));
    }
    Line::from(spans)
}
