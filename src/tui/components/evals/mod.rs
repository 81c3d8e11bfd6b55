//! The Evals view: the open prompt's run history, the results of the selected run (sortable,
//! filtered to failures), a case's detail, the comparison of two runs or two versions, and the
//! gauge of a run in progress. It draws what the worker loaded; it never computes a run.

mod compare;
mod detail;
mod format;
mod results;
mod runs;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::domain::PromptName;
use crate::domain::eval::{CaseResult, RunInfo};
use crate::eval::compare::Comparison;
use crate::tui::app::Focus;
use crate::tui::event::RequestId;
use crate::tui::theme::Theme;
use crate::workspace::{Progress, RunReport};

pub use format::{cost, effective_pass, latency, percent, verdict};
pub use results::SortBy;

/// Below this width the detail replaces the results table instead of sitting beside it.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 110;

/// A run started from the workbench, while it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveRun {
    pub request: RequestId,
    /// What runs: `triage-golden · v4 · echo`.
    pub label: String,
    pub progress: Progress,
    pub cancelling: bool,
}

/// A comparison on show, with the labels people read for its sides.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareView {
    pub comparison: Comparison,
    pub before: String,
    pub after: String,
    pub scroll: u16,
}

/// Where the view's panes were drawn, for the mouse.
#[derive(Debug, Default, Clone, Copy)]
pub struct EvalAreas {
    pub runs: Rect,
    pub results: Rect,
    pub detail: Rect,
    pub compare: Rect,
}

/// The Evals view's state.
#[derive(Debug, Default)]
pub struct EvalsView {
    /// Whose runs are listed.
    pub prompt: Option<PromptName>,
    pub runs: Vec<RunInfo>,
    pub loaded: bool,
    pub run_selected: usize,
    run_offset: usize,
    /// The run marked for a comparison (its id).
    pub marked: Option<String>,
    pub report: Option<RunReport>,
    pub sort: SortBy,
    pub failures_only: bool,
    /// The selected result, as an index into the report's results.
    pub result: Option<usize>,
    result_offset: usize,
    pub detail_scroll: u16,
    pub comparison: Option<CompareView>,
    pub live: Option<LiveRun>,
    /// How the last run started here ended, until the next one starts.
    pub last: Option<String>,
    /// The run to select when the list next arrives (one that just finished).
    pub follow: Option<String>,
    /// The labels of the comparison on its way.
    pub pending_labels: Option<(String, String)>,
}

impl EvalsView {
    /// Lists `runs` of `prompt`, keeping the selection on the same run when it is still there.
    /// Returns the run whose report should be loaded, if it is not the one on show.
    pub fn set_runs(&mut self, prompt: PromptName, runs: Vec<RunInfo>) -> Option<String> {
        let keep = (self.prompt.as_ref() == Some(&prompt))
            .then(|| self.selected_run().map(|r| r.id.clone()))
            .flatten();
        if self.prompt.as_ref() != Some(&prompt) {
            self.report = None;
            self.marked = None;
            self.comparison = None;
            self.result = None;
        }
        self.prompt = Some(prompt);
        self.runs = runs;
        self.loaded = true;
        self.run_selected = keep
            .and_then(|id| self.runs.iter().position(|r| r.id == id))
            .unwrap_or(0);
        self.wanted_report()
    }

    /// Selects the run `id` (a run just finished) if listed.
    pub fn select_run(&mut self, id: &str) {
        if let Some(i) = self.runs.iter().position(|r| r.id == id) {
            self.run_selected = i;
        }
    }

    /// The report the selection needs, when another one (or none) is on show.
    pub fn wanted_report(&self) -> Option<String> {
        let run = self.selected_run()?;
        match &self.report {
            Some(report) if report.run.id == run.id => None,
            _ => Some(run.id.clone()),
        }
    }

    /// Forgets everything (another prompt is open).
    pub fn reset(&mut self) {
        let live = self.live.take();
        let last = self.last.take();
        *self = Self {
            live,
            last,
            ..Self::default()
        };
    }

    pub fn selected_run(&self) -> Option<&RunInfo> {
        self.runs.get(self.run_selected)
    }

    /// How people name a run: `#N`, counting the prompt's runs from the oldest.
    pub fn run_label(&self, id: &str) -> String {
        match self.runs.iter().position(|r| r.id == id) {
            Some(i) => format!("#{}", self.runs.len() - i),
            None => crate::workspace::runs::short(id),
        }
    }

    /// Moves the run selection; true when it changed.
    pub fn move_run(&mut self, step: isize) -> bool {
        let before = self.run_selected;
        let last = self.runs.len().saturating_sub(1) as isize;
        self.run_selected = (self.run_selected as isize + step).clamp(0, last.max(0)) as usize;
        before != self.run_selected
    }

    /// Selects the run drawn at `row` of the table body; true when it changed.
    pub fn click_run(&mut self, row: usize) -> bool {
        let index = self.run_offset + row;
        if index < self.runs.len() && index != self.run_selected {
            self.run_selected = index;
            return true;
        }
        false
    }

    /// Marks (or unmarks) the selected run for a comparison.
    pub fn toggle_mark(&mut self) -> Option<String> {
        let id = self.selected_run()?.id.clone();
        self.marked = if self.marked.as_deref() == Some(&id) {
            None
        } else {
            Some(id)
        };
        self.marked.clone()
    }

    /// Shows a run's report, keeping the selected result when it is the same run.
    pub fn set_report(&mut self, report: RunReport) {
        let same = self
            .report
            .as_ref()
            .is_some_and(|r| r.run.id == report.run.id);
        let count = report.results.len();
        self.report = Some(report);
        if !(same && self.result.is_some_and(|i| i < count)) {
            self.result = None;
            self.detail_scroll = 0;
            self.result_offset = 0;
        }
        self.keep_result_visible();
    }

    /// The results shown, filtered and sorted, as indices into the report's results.
    pub fn visible(&self) -> Vec<usize> {
        match &self.report {
            Some(report) => results::visible(report, self.sort, self.failures_only),
            None => Vec::new(),
        }
    }

    fn keep_result_visible(&mut self) {
        let visible = self.visible();
        if self.result.is_none_or(|r| !visible.contains(&r)) {
            self.result = visible.first().copied();
            self.detail_scroll = 0;
        }
    }

    /// The selected result.
    pub fn selected_result(&self) -> Option<&CaseResult> {
        self.report.as_ref()?.results.get(self.result?)
    }

    /// Moves the result selection by `step` within the visible rows.
    pub fn move_result(&mut self, step: isize) {
        let visible = self.visible();
        if visible.is_empty() {
            return;
        }
        let at = self
            .result
            .and_then(|r| visible.iter().position(|v| *v == r))
            .unwrap_or(0) as isize;
        let next = (at + step).clamp(0, visible.len() as isize - 1) as usize;
        if self.result != Some(visible[next]) {
            self.result = Some(visible[next]);
            self.detail_scroll = 0;
        }
    }

    /// Selects the result drawn at `row` of the table body.
    pub fn click_result(&mut self, row: usize) {
        let visible = self.visible();
        if let Some(index) = visible.get(self.result_offset + row) {
            self.result = Some(*index);
            self.detail_scroll = 0;
        }
    }

    /// Sorts by the next column.
    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.keep_result_visible();
    }

    /// Shows only failures and errors, or everything again.
    pub fn toggle_failures(&mut self) {
        self.failures_only = !self.failures_only;
        self.keep_result_visible();
    }

    /// Scrolls the detail or the comparison by `delta` lines.
    pub fn scroll(&mut self, comparison: bool, delta: i32) {
        let target = match (&mut self.comparison, comparison) {
            (Some(c), true) => &mut c.scroll,
            _ => &mut self.detail_scroll,
        };
        *target = (*target as i32 + delta).clamp(0, u16::MAX as i32) as u16;
    }

    /// Draws the view into `area`; returns where each pane went.
    pub fn draw(&mut self, frame: &mut Frame, area: Rect, theme: Theme, focus: Focus) -> EvalAreas {
        let mut areas = EvalAreas::default();
        let gauge_height = match (&self.live, &self.last) {
            (Some(_), _) => 2,
            (None, Some(_)) => 1,
            (None, None) => 0,
        };
        let runs_height = (self.runs.len() as u16 + 3).clamp(4, (area.height / 3).max(5));
        let [gauge, runs_area, rest] = Layout::vertical([
            Constraint::Length(gauge_height),
            Constraint::Length(runs_height),
            Constraint::Min(3),
        ])
        .areas(area);
        if gauge_height > 0 {
            frame.render_widget(Paragraph::new(self.gauge_lines(gauge.width, theme)), gauge);
        }
        let runs_focused = focus == Focus::EvalRuns;
        self.run_offset = runs::draw(self, frame, runs_area, theme, runs_focused, self.run_offset);
        areas.runs = runs_area;
        if let Some(view) = &self.comparison {
            compare::draw(view, frame, rest, theme, focus == Focus::EvalCompare);
            areas.compare = rest;
            return areas;
        }
        let wide = area.width >= SIDE_BY_SIDE_MIN_WIDTH;
        let (table, detail) = if wide {
            let [t, d] =
                Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(rest);
            (Some(t), Some(d))
        } else if focus == Focus::EvalDetail {
            (None, Some(rest))
        } else {
            (Some(rest), None)
        };
        if let Some(table) = table {
            let focused = focus == Focus::EvalResults;
            self.result_offset = results::draw(self, frame, table, theme, focused);
            areas.results = table;
        }
        if let Some(detail) = detail {
            detail::draw(self, frame, detail, theme, focus == Focus::EvalDetail);
            areas.detail = detail;
        }
        areas
    }

    /// The progress of the live run in words and a bar (two lines), or how the last one ended.
    fn gauge_lines(&self, width: u16, theme: Theme) -> Vec<Line<'static>> {
        let Some(live) = &self.live else {
            let last = self.last.clone().unwrap_or_default();
            return vec![Line::from(Span::styled(format!(" {last}"), theme.dim()))];
        };
        let p = live.progress;
        let state = if live.cancelling {
            "■ cancelling…"
        } else {
            "▶ running"
        };
        let counts = format!(
            " {}/{}  ✓ {} pass  ✗ {} fail  ! {} error",
            p.done, p.total, p.passed, p.failed, p.errors
        );
        let room = (width as usize).saturating_sub(counts.chars().count() + 1);
        let bar_width = room.min(40);
        let filled = (bar_width * p.done).checked_div(p.total).unwrap_or(0);
        vec![
            Line::from(vec![
                Span::styled(format!(" {state} "), theme.accent()),
                Span::raw(live.label.clone()),
                Span::styled("  Esc cancels", theme.dim()),
            ]),
            Line::from(vec![
                Span::raw(" "),
                Span::styled("█".repeat(filled), theme.ok()),
                Span::styled("░".repeat(bar_width - filled), theme.dim()),
                Span::raw(counts),
            ]),
        ]
    }
}

/// A one-line message in an empty pane.
fn empty(
    frame: &mut Frame,
    area: Rect,
    block: ratatui::widgets::Block<'static>,
    text: &str,
    theme: Theme,
) {
    frame.render_widget(
        Paragraph::new(text.to_string())
            .style(theme.dim())
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(block),
        area,
    );
}
