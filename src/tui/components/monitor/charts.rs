//! The Monitor view's pictures of time: a row that names the version serving along the range
//! (version changes and deployments marked), `Chart`s of error rate, latency percentiles and
//! feedback, a `BarChart` of cost per bucket, and `Sparkline` rows where the screen is small.
//! Series are told apart by their marker and named in the legend: never by colour alone.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::Span;
use ratatui::widgets::{
    Axis, Bar, BarChart, BarGroup, Block, Borders, Chart, Dataset, GraphType, Paragraph, Sparkline,
};

use crate::domain::metrics::{BucketSize, Metrics};
use crate::domain::thresholds::{format_ms, format_share, format_usd};
use crate::tui::event::MonitorData;
use crate::tui::theme::Theme;

use super::timeline::change_times;

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

/// One metric per bucket across the whole range, `None` where there was no call: bars and
/// sparklines keep time evenly spaced.
fn per_bucket(data: &MonitorData, f: impl Fn(&Metrics) -> Option<f64>) -> Vec<Option<f64>> {
    let size = data.series.bucket.millis();
    let n = ((data.series.to_ms - data.series.from_ms).max(1) + size - 1) / size;
    let mut out = vec![None; n as usize];
    for p in &data.series.totals {
        let i = ((p.start_ms - data.series.from_ms) / size) as usize;
        if let Some(slot) = out.get_mut(i) {
            *slot = f(&p.metrics);
        }
    }
    out
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

/// Vertical dotted lines at the deployments in the range (at the version changes of the
/// traffic when none was recorded there), up to `top`.
fn change_marks(data: &MonitorData, top: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    for at in change_times(data) {
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

/// Cost per bucket as bars, or a line when there are more buckets than the bars have room.
fn draw_cost(frame: &mut Frame, area: Rect, data: &MonitorData, theme: Theme) {
    let costs: Vec<f64> = per_bucket(data, |m| Some(m.cost_usd))
        .into_iter()
        .map(|c| c.unwrap_or(0.0))
        .collect();
    let max = costs.iter().copied().fold(0.0_f64, f64::max);
    let total: f64 = costs.iter().sum();
    let title = format!(
        "Cost per {} · max {} · total {}",
        bucket_word(data.series.bucket),
        format_usd(max),
        format_usd(total)
    );
    if costs.len() * 2 + 2 > area.width as usize {
        let points = series(data, |m| Some(m.cost_usd));
        let lines = vec![("⣿ cost", Marker::Braille, points)];
        line_chart(
            frame,
            area,
            data,
            (&title, f64::MAX),
            format_usd,
            lines,
            theme,
        );
        return;
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(false))
        .title(Span::styled(format!(" {title} "), theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let bars: Vec<Bar> = costs
        .iter()
        .map(|c| {
            Bar::default()
                .value((c * 1e6).round() as u64)
                .text_value("")
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .data(BarGroup::default().bars(&bars))
            .bar_width(1)
            .bar_gap(1)
            .bar_style(theme.text()),
        inner,
    );
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
        let values: Vec<f64> = per_bucket(data, &f)
            .into_iter()
            .map(|v| v.unwrap_or(0.0))
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
