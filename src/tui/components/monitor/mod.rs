//! The Monitor view: one prompt's production calls in one environment over a range — charts of
//! error rate, latency percentiles, cost and feedback with the version changes marked on the
//! time axis, the versions side by side, breaches in words, and the worst calls, one of which
//! opens to be read, made into a test case, or fixed in the editor.

mod charts;
mod observations;
mod table;
mod timeline;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::observation::{Observation, WorstKind};
use crate::tui::event::{MonitorData, MonitorQuery};
use crate::tui::theme::Theme;
use crate::workspace::CaseFromObservation;

use super::edit_view::pane;

/// The ranges `t` cycles through: hours and label.
pub const RANGES: [(u32, &str); 4] = [
    (24, "24h"),
    (7 * 24, "7d"),
    (30 * 24, "30d"),
    (90 * 24, "90d"),
];

/// The worst-call lists `w` cycles through.
pub const WORST: [WorstKind; 3] = [WorstKind::Errors, WorstKind::Feedback, WorstKind::Slow];

/// The Monitor view's state.
#[derive(Debug)]
pub struct MonitorView {
    pub data: Option<MonitorData>,
    /// The environment asked for (`None`: production, or the first with calls).
    pub env: Option<String>,
    /// Index into [`RANGES`].
    pub range: usize,
    /// Index into [`WORST`].
    pub worst: usize,
    /// The selected call of the worst list.
    pub selected: usize,
    /// Whether the selected call is open.
    pub detail: bool,
    pub detail_scroll: u16,
    /// The end of the range; `None`: now. Tests pin it.
    pub until: Option<jiff::Timestamp>,
    /// The last test case made from a call, shown until the next load.
    pub created: Option<CaseFromObservation>,
    /// Where the worst list was drawn last and its first row shown, for the mouse.
    list_at: std::cell::Cell<(Rect, usize)>,
}

impl Default for MonitorView {
    fn default() -> Self {
        Self {
            data: None,
            env: None,
            range: 2,
            worst: 0,
            selected: 0,
            detail: false,
            detail_scroll: 0,
            until: None,
            created: None,
            list_at: Default::default(),
        }
    }
}

impl MonitorView {
    /// What to load for `prompt` with the current choices.
    pub fn query(&self, prompt: crate::domain::PromptName) -> MonitorQuery {
        MonitorQuery {
            prompt,
            env: self.env.clone(),
            hours: RANGES[self.range].0,
            until: self.until,
            worst: WORST[self.worst],
        }
    }

    /// Takes loaded data; the selection stays on the same call when it is still listed.
    pub fn set_data(&mut self, data: MonitorData) {
        let before = self.selected_call().map(|o| o.id.clone());
        let kept = before.and_then(|id| data.worst.iter().position(|o| o.id == id));
        self.selected = kept.unwrap_or(0);
        if kept.is_none() {
            self.detail = false;
        }
        self.env = data.query.env.clone();
        self.data = Some(data);
    }

    /// Forgets what was shown (another prompt).
    pub fn reset(&mut self) {
        self.data = None;
        self.env = None;
        self.selected = 0;
        self.detail = false;
        self.created = None;
    }

    /// The environment `step` places after the shown one, among those with calls.
    pub fn cycle_env(&mut self, step: isize) -> bool {
        let Some(data) = &self.data else { return false };
        let envs = &data.series.envs;
        if envs.is_empty() {
            return false;
        }
        let at = envs
            .iter()
            .position(|e| Some(e) == data.query.env.as_ref())
            .unwrap_or(0) as isize;
        let next = (at + step).rem_euclid(envs.len() as isize) as usize;
        self.env = Some(envs[next].clone());
        true
    }

    pub fn selected_call(&self) -> Option<&Observation> {
        self.data.as_ref()?.worst.get(self.selected)
    }

    /// Moves the worst list's selection (or scrolls the open call).
    pub fn move_selection(&mut self, step: isize) {
        if self.detail {
            self.detail_scroll = (self.detail_scroll as isize + step).clamp(0, 10_000) as u16;
            return;
        }
        let count = self.data.as_ref().map_or(0, |d| d.worst.len());
        if count > 0 {
            self.selected = (self.selected as isize + step).clamp(0, count as isize - 1) as usize;
        }
    }

    /// Selects the worst call drawn at (`column`, `row`) of the screen, if one is there.
    pub fn click(&mut self, column: u16, row: u16) -> bool {
        let (area, offset) = self.list_at.get();
        let count = self.data.as_ref().map_or(0, |d| d.worst.len());
        if self.detail || !area.contains(ratatui::layout::Position::new(column, row)) {
            return false;
        }
        let index = offset + usize::from(row - area.y);
        if index >= count {
            return false;
        }
        self.selected = index;
        true
    }

    /// Draws the view in `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let title = match &self.data {
            Some(d) => format!(
                " Monitor · {} · {} · {} by {} ",
                d.query.prompt,
                d.series.env,
                RANGES[self.range].1,
                charts::bucket_word(d.series.bucket)
            ),
            None => " Monitor ".to_string(),
        };
        let block = pane(title, theme, focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let Some(data) = &self.data else {
            frame.render_widget(Paragraph::new("Loading…").style(theme.dim()), inner);
            return;
        };
        if data.series.points.is_empty() {
            let text = vec![
                header(data, self.range, inner.width, theme),
                Line::raw(""),
                Line::styled(
                    "No production calls in this range. Send some with `galley observe import \
                     FILE.jsonl` or the server's POST /v1/observations; t widens the range.",
                    theme.dim(),
                ),
            ];
            frame.render_widget(
                Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: false }),
                inner,
            );
            return;
        }
        let breach = breach_line(data, theme);
        let breach_rows = (breach.width() as u16)
            .div_ceil(inner.width.max(1))
            .clamp(1, 2);
        let [head, rest] =
            Layout::vertical([Constraint::Length(2 + breach_rows), Constraint::Min(1)])
                .areas(inner);
        let [top_line, breach_area, time_line] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(breach_rows),
            Constraint::Length(1),
        ])
        .areas(head);
        frame.render_widget(
            Paragraph::new(header(data, self.range, inner.width, theme)),
            top_line,
        );
        frame.render_widget(
            Paragraph::new(breach).wrap(ratatui::widgets::Wrap { trim: true }),
            breach_area,
        );
        frame.render_widget(
            Paragraph::new(timeline::timeline(data, head.width as usize, theme)),
            time_line,
        );
        if self.detail
            && let Some(call) = self.selected_call()
        {
            observations::draw_detail(frame, rest, call, self, theme);
            return;
        }
        let big = rest.height >= 30 && rest.width >= 100;
        let (chart_rows, table_rows) = if big { (rest.height / 2, 10) } else { (4, 6) };
        let [top, middle, bottom] = Layout::vertical([
            Constraint::Length(chart_rows),
            Constraint::Length(table_rows),
            Constraint::Min(3),
        ])
        .areas(rest);
        if big {
            charts::draw_charts(frame, top, data, theme);
        } else {
            charts::draw_sparklines(frame, top, data, theme);
        }
        table::draw(frame, middle, data, theme);
        self.list_at
            .set(observations::draw_list(frame, bottom, self, theme, focused));
    }
}

/// `env development [production] staging · 30d · 3289 calls` (`dev [prod] stg` when narrow).
fn header(data: &MonitorData, range: usize, width: u16, theme: Theme) -> Line<'static> {
    let mut spans = vec![Span::styled("env ", theme.dim())];
    let long: usize = data.series.envs.iter().map(|e| e.len() + 2).sum();
    for env in &data.series.envs {
        let shown = if long + 30 > width as usize {
            super::env_badges::abbreviation(env)
        } else {
            env.clone()
        };
        if *env == data.series.env {
            spans.push(Span::styled(format!("[{shown}]"), theme.selected()));
        } else {
            spans.push(Span::styled(format!(" {shown} "), theme.dim()));
        }
    }
    let calls: u64 = data.series.totals.iter().map(|p| p.metrics.count).sum();
    spans.push(Span::styled(
        format!(" · {} · {calls} calls", RANGES[range].1),
        theme.dim(),
    ));
    Line::from(spans)
}

/// The breaches of the range, per version, in words (`BREACH v4: p95 11.7 s > 5 s · …`); or
/// that none is breached.
fn breach_line(data: &MonitorData, theme: Theme) -> Line<'static> {
    let words: Vec<String> = data
        .series
        .versions
        .iter()
        .filter(|v| !v.breaches.is_empty())
        .map(|v| {
            let each: Vec<String> = v
                .breaches
                .iter()
                .map(|b| b.to_string().trim_start_matches("BREACH ").to_string())
                .collect();
            format!("BREACH v{}: {}", v.version, each.join(" · "))
        })
        .collect();
    if words.is_empty() {
        Line::styled("✓ no threshold breached in this range", theme.ok())
    } else {
        Line::styled(words.join(" · "), theme.error())
    }
}

/// A time relative to the end of the range: `3d 4h ago`, `25m ago`.
pub fn ago(at_ms: i64, to_ms: i64) -> String {
    let minutes = (to_ms - at_ms).max(0) / 60_000;
    match minutes {
        0..60 => format!("{minutes}m ago"),
        60..1440 => format!("{}h ago", minutes / 60),
        _ => format!("{}d {}h ago", minutes / 1440, minutes % 1440 / 60),
    }
}
