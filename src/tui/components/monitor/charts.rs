//! The Monitor view's pictures of time: a row that names the version serving along the range
//! (version changes and deployments marked), `Chart`s of error rate, latency percentiles and
//! feedback, a `BarChart` of cost per bucket, and `Sparkline` rows where the screen is small.
//! Series are told apart by their marker and named in the legend: never by colour alone.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Block, Borders, Chart, Dataset, GraphType, Paragraph, Sparkline,
};

use crate::domain::metrics::{BucketSize, Metrics};
use crate::domain::thresholds::{format_ms, format_share, format_usd};
use crate::tui::event::MonitorData;
use crate::tui::theme::Theme;

/// `day` or `hour`.
pub fn bucket_word(bucket: BucketSize) -> &'static str {
    match bucket {
        BucketSize::Day => "day",
        BucketSize::Hour => "hour",
    }
}

/// A point's x: buckets before the end of the range (negative), at the bucket's middle.
fn x_of(data: &MonitorData, at_ms: i64) -> f64 {
    (at_ms - data.series.to_ms) as f64 / data.series.bucket.millis() as f64
}

fn x_bounds(data: &MonitorData) -> [f64; 2] {
    [x_of(data, data.series.from_ms), 0.0]
}

/// `-30d`, `-15d`, `now` (or hours).
fn x_labels(data: &MonitorData) -> Vec<Span<'static>> {
    let [lo, _] = x_bounds(data);
    let unit = match data.series.bucket {
        BucketSize::Day => "d",
        BucketSize::Hour => "h",
    };
    vec![
        Span::raw(format!("{:.0}{unit}", lo)),
        Span::raw(format!("{:.0}{unit}", lo / 2.0)),
        Span::raw("now"),
    ]
}

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

/// `versions v2──────v3─────v4─v3──▲`: who served when, across the row; `▲` a deployment.
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
    for (at, v) in version_changes(data) {
        let start = col(at).min(cols.saturating_sub(1));
        for (i, ch) in format!("v{v}").chars().enumerate() {
            if let Some(c) = row.get_mut(start + i) {
                *c = ch;
            }
        }
    }
    for (at, _) in deployments_in_range(data) {
        let c = col(at).min(cols - 1);
        row[c] = '▲';
    }
    let mut spans = vec![
        Span::styled(prefix, theme.dim()),
        Span::raw(row.into_iter().collect::<String>()),
    ];
    if !deployments_in_range(data).is_empty() {
        spans.push(Span::styled(" ▲ deployed", theme.dim()));
    }
    Line::from(spans)
}

/// A series of one metric over time (buckets without calls are skipped).
fn series(data: &MonitorData, f: impl Fn(&Metrics) -> Option<f64>) -> Vec<(f64, f64)> {
    let half = 0.5;
    data.series
        .totals
        .iter()
        .filter_map(|p| Some((x_of(data, p.start_ms) + half, f(&p.metrics)?)))
        .collect()
}

/// Vertical dotted lines at the version changes (after the first), up to `top`.
fn change_marks(data: &MonitorData, top: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for (at, _) in version_changes(data).into_iter().skip(1) {
        let x = x_of(data, at);
        for i in 0..=8 {
            out.push((x, top * f64::from(i) / 8.0));
        }
    }
    out
}

fn peak(points: &[&[(f64, f64)]]) -> f64 {
    points
        .iter()
        .flat_map(|p| p.iter().map(|(_, y)| *y))
        .fold(0.0_f64, f64::max)
}

/// A named series: its name (with its marker's glyph), its marker and its points.
type Series = (&'static str, Marker, Vec<(f64, f64)>);

/// A line chart of `lines` (name, marker, points) with the version changes marked; the
/// series are named in the title (a legend would hide the newest days), up to `cap` high.
fn line_chart(
    frame: &mut Frame,
    area: Rect,
    data: &MonitorData,
    (title, cap): (&str, f64),
    unit: impl Fn(f64) -> String,
    lines: Vec<Series>,
    theme: Theme,
) {
    let top = (peak(&lines.iter().map(|l| l.2.as_slice()).collect::<Vec<_>>()) * 1.1)
        .min(cap)
        .max(1e-9);
    let marks = change_marks(data, top);
    let mut datasets: Vec<Dataset> = lines
        .iter()
        .map(|(name, marker, points)| {
            Dataset::default()
                .name(*name)
                .marker(*marker)
                .graph_type(GraphType::Line)
                .style(theme.text())
                .data(points)
        })
        .collect();
    let mut names: Vec<&str> = lines.iter().map(|l| l.0).collect();
    if !marks.is_empty() {
        names.push("• version change");
        datasets.push(
            Dataset::default()
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(theme.dim())
                .data(&marks),
        );
    }
    let chart = Chart::new(datasets)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border(false))
                .title(Span::styled(
                    format!(" {title} · {} ", names.join("  ")),
                    theme.title(),
                )),
        )
        .x_axis(
            Axis::default()
                .bounds(x_bounds(data))
                .labels(x_labels(data))
                .style(theme.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .labels([Span::raw(unit(0.0)), Span::raw(unit(top))])
                .style(theme.dim()),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
}

/// Four charts: error rate, latency p50/p95/p99, cost per bucket, feedback.
pub fn draw_charts(frame: &mut Frame, area: Rect, data: &MonitorData, theme: Theme) {
    let [top, bottom] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(area);
    let [errors, latency] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(top);
    let [cost, feedback] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    let share = |x: f64| format_share(x / 100.0);
    line_chart(
        frame,
        errors,
        data,
        ("Error rate", 100.0),
        share,
        vec![(
            "⣿ errors %",
            Marker::Braille,
            series(data, |m| (m.count > 0).then_some(m.error_rate * 100.0)),
        )],
        theme,
    );
    line_chart(
        frame,
        latency,
        data,
        ("Latency", f64::MAX),
        format_ms,
        vec![
            ("⣿ p50", Marker::Braille, series(data, |m| m.latency_p50_ms)),
            (
                "▚ p95",
                Marker::Quadrant,
                series(data, |m| m.latency_p95_ms),
            ),
            ("▄ p99", Marker::Bar, series(data, |m| m.latency_p99_ms)),
        ],
        theme,
    );
    draw_cost(frame, cost, data, theme);
    line_chart(
        frame,
        feedback,
        data,
        ("Feedback", 100.0),
        share,
        vec![
            (
                "⣿ negative %",
                Marker::Braille,
                series(data, |m| m.negative_feedback_share.map(|s| s * 100.0)),
            ),
            (
                "▚ satisfaction %",
                Marker::Quadrant,
                series(data, |m| m.mean_feedback.map(|f| (f + 1.0) * 50.0)),
            ),
        ],
        theme,
    );
}

/// Cost per bucket as bars (a sparkline when there are more buckets than columns).
fn draw_cost(frame: &mut Frame, area: Rect, data: &MonitorData, theme: Theme) {
    let costs: Vec<f64> = data
        .series
        .totals
        .iter()
        .map(|p| p.metrics.cost_usd)
        .collect();
    let max = costs.iter().copied().fold(0.0_f64, f64::max);
    let total: f64 = costs.iter().sum();
    let title = format!(
        " Cost per {} · max {} · total {} ",
        bucket_word(data.series.bucket),
        format_usd(max),
        format_usd(total)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(false))
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let scaled: Vec<u64> = costs.iter().map(|c| (c * 1e6).round() as u64).collect();
    if scaled.len() * 2 <= inner.width as usize {
        let bars: Vec<Bar> = scaled
            .iter()
            .map(|v| Bar::default().value(*v).text_value(""))
            .collect();
        frame.render_widget(
            BarChart::default()
                .data(BarGroup::default().bars(&bars))
                .bar_width(1)
                .bar_gap(1)
                .bar_style(theme.text()),
            inner,
        );
    } else {
        frame.render_widget(
            Sparkline::default().data(&scaled).style(theme.text()),
            inner,
        );
    }
}

/// One row per metric: its name, a sparkline over the range, its latest and worst values.
pub fn draw_sparklines(frame: &mut Frame, area: Rect, data: &MonitorData, theme: Theme) {
    let last = |f: &dyn Fn(&Metrics) -> Option<f64>| {
        data.series.totals.iter().rev().find_map(|p| f(&p.metrics))
    };
    type Row<'a> = (
        &'a str,
        Box<dyn Fn(&Metrics) -> Option<f64>>,
        fn(f64) -> String,
    );
    let rows: [Row; 4] = [
        (
            "errors",
            Box::new(|m: &Metrics| (m.count > 0).then_some(m.error_rate)),
            format_share,
        ),
        ("p95", Box::new(|m: &Metrics| m.latency_p95_ms), format_ms),
        ("cost", Box::new(|m: &Metrics| Some(m.cost_usd)), format_usd),
        (
            "neg fb",
            Box::new(|m: &Metrics| m.negative_feedback_share),
            format_share,
        ),
    ];
    let areas = Layout::vertical([Constraint::Length(1); 4]).split(area);
    for ((name, f, show), row) in rows.into_iter().zip(areas.iter()) {
        let values: Vec<f64> = data
            .series
            .totals
            .iter()
            .map(|p| f(&p.metrics).unwrap_or(0.0))
            .collect();
        let worst = values.iter().copied().fold(0.0_f64, f64::max);
        let scaled: Vec<u64> = values
            .iter()
            .map(|v| (v / worst.max(1e-12) * 1000.0).round() as u64)
            .collect();
        let summary = format!(
            " now {} max {}",
            last(&*f).map_or("-".into(), show),
            show(worst)
        );
        let [label, spark, text] = Layout::horizontal([
            Constraint::Length(7),
            Constraint::Min(8),
            Constraint::Length(summary.chars().count() as u16),
        ])
        .areas(*row);
        frame.render_widget(Paragraph::new(name).style(theme.title()), label);
        // The newest buckets matter most: a narrow row shows the end of the range.
        let skip = scaled.len().saturating_sub(spark.width as usize);
        frame.render_widget(
            Sparkline::default()
                .data(&scaled[skip..])
                .max(1000)
                .style(theme.text()),
            spark,
        );
        frame.render_widget(Paragraph::new(summary).style(theme.dim()), text);
    }
}
