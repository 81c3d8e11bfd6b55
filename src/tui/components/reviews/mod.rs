//! The Review view: the queue of review requests (awaiting me, mine awaiting others, the rest)
//! and, for the one opened, the diff against what its environment serves, the policy's verdict,
//! the eval evidence, the decisions and the comment threads. It draws what the worker loaded.

mod detail;
mod status;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::tui::app::Focus;
use crate::tui::theme::Theme;
use crate::workspace::{CommentThread, ReviewDetail, ReviewInfo, ReviewQueue};

use super::diff_view::DiffView;
use super::edit_view::pane;

pub use status::{decision_label, signature_label, status_label};

/// At this width and wider the queue stays beside the open review.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 120;
const QUEUE_WIDTH: u16 = 50;

/// Where the view's panes were drawn, for the mouse.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReviewAreas {
    pub queue: Rect,
    pub diff: Rect,
    pub threads: Rect,
}

/// The Review view's state.
#[derive(Debug, Default)]
pub struct ReviewsView {
    pub queue: Option<ReviewQueue>,
    /// The selected request, as an index into `ReviewQueue::all`.
    pub selected: usize,
    offset: usize,
    /// The request opened.
    pub detail: Option<ReviewDetail>,
    pub diff: DiffView,
    /// The selected comment thread, as an index into the detail's threads.
    pub thread: usize,
    /// The request to select when the queue next arrives (one just made).
    pub follow: Option<i64>,
    /// Whether the user moved the selection: until then it stays on the first request.
    chosen: bool,
}

impl ReviewsView {
    /// Shows `queue`, keeping the selection on the same request when it is still listed.
    pub fn set_queue(&mut self, queue: ReviewQueue) {
        let kept = self
            .selected_review()
            .map(|r| r.review.id)
            .filter(|_| self.chosen);
        let keep = self.follow.take().or(kept);
        self.selected = keep
            .and_then(|id| queue.all().position(|r| r.review.id == id))
            .unwrap_or(0);
        self.queue = Some(queue);
    }

    /// The selected request.
    pub fn selected_review(&self) -> Option<&ReviewInfo> {
        self.queue.as_ref()?.all().nth(self.selected)
    }

    /// How many requests await the acting user.
    pub fn awaiting_me(&self) -> usize {
        self.queue.as_ref().map_or(0, |q| q.awaiting_me.len())
    }

    /// Moves the selection; true when it changed.
    pub fn move_selection(&mut self, step: isize) -> bool {
        let count = self.queue.as_ref().map_or(0, |q| q.all().count());
        let before = self.selected;
        let last = count.saturating_sub(1) as isize;
        self.selected = (self.selected as isize + step).clamp(0, last) as usize;
        self.chosen = true;
        before != self.selected
    }

    /// Shows an opened review: its diff goes to the diff pane.
    pub fn set_detail(&mut self, detail: ReviewDetail) {
        self.chosen = true;
        let same = self.detail.as_ref().map(|d| d.info.review.id) == Some(detail.info.review.id);
        let review = &detail.info.review;
        let from = match detail.info.served {
            Some(v) => format!("{} v{v}", review.env),
            None => format!("{} (nothing)", review.env),
        };
        let to = format!("v{}", review.version);
        if !same || self.diff.labels() != Some((from.as_str(), to.as_str())) {
            self.diff.set_diff(from, to, detail.diff.clone());
        }
        if !same {
            self.thread = 0;
        }
        self.thread = self.thread.min(detail.threads.len().saturating_sub(1));
        self.detail = Some(detail);
    }

    /// The selected comment thread of the open review.
    pub fn selected_thread(&self) -> Option<&CommentThread> {
        self.detail.as_ref()?.threads.get(self.thread)
    }

    pub fn move_thread(&mut self, step: isize) {
        let count = self.detail.as_ref().map_or(0, |d| d.threads.len());
        let last = count.saturating_sub(1) as isize;
        self.thread = (self.thread as isize + step).clamp(0, last) as usize;
    }

    /// Draws the queue and, when a review is open, its detail.
    pub fn draw(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        theme: Theme,
        focus: Focus,
    ) -> ReviewAreas {
        let mut areas = ReviewAreas::default();
        let detail_shown = self.detail.is_some();
        let wide = area.width >= SIDE_BY_SIDE_MIN_WIDTH;
        let (queue, rest) = match (detail_shown, wide) {
            (false, _) => (area, Rect::default()),
            (true, true) => {
                let [q, r] =
                    Layout::horizontal([Constraint::Length(QUEUE_WIDTH), Constraint::Min(20)])
                        .areas(area);
                (q, r)
            }
            (true, false) if focus == Focus::ReviewQueue => (area, Rect::default()),
            (true, false) => (Rect::default(), area),
        };
        if queue.area() > 0 {
            self.draw_queue(frame, queue, theme, focus == Focus::ReviewQueue);
            areas.queue = queue;
        }
        if rest.area() > 0 {
            let (diff, threads) = self.draw_detail(frame, rest, theme, focus);
            areas.diff = diff;
            areas.threads = threads;
        }
        areas
    }

    fn draw_queue(&mut self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let block = pane(" Reviews ".into(), theme, focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let Some(queue) = &self.queue else {
            frame.render_widget(Paragraph::new("Loading…").style(theme.dim()), inner);
            return;
        };
        let width = inner.width as usize;
        let mut lines = Vec::new();
        let mut selected_line = 0;
        let mut index = 0;
        for (title, group) in [
            ("Awaiting me", &queue.awaiting_me),
            ("Mine, awaiting others", &queue.mine),
            ("Other requests", &queue.others),
        ] {
            lines.push(Line::styled(
                format!("{title} ({})", group.len()),
                theme.title(),
            ));
            if group.is_empty() {
                lines.push(Line::styled("  (none)", theme.dim()));
            }
            for info in group {
                let here = index == self.selected;
                if here {
                    selected_line = lines.len();
                }
                lines.push(queue_row(info, here, focused, width, theme));
                index += 1;
            }
        }
        if index == 0 {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "No review requests yet. Ask for one from History (2, then R).",
                theme.dim(),
            ));
        }
        let height = inner.height as usize;
        if selected_line < self.offset + 1 {
            self.offset = selected_line.saturating_sub(1);
        } else if height > 0 && selected_line >= self.offset + height {
            self.offset = selected_line + 1 - height;
        }
        frame.render_widget(Paragraph::new(lines).scroll((self.offset as u16, 0)), inner);
    }
}

/// `▸ ✓ #3   support/triage v4 → staging  approved · by grace`: the glyph leads, so a narrow
/// pane still shows the status.
fn queue_row(
    info: &ReviewInfo,
    selected: bool,
    focused: bool,
    width: usize,
    theme: Theme,
) -> Line<'static> {
    let review = &info.review;
    let (glyph, word, style) = status_label(&info.status, theme);
    let mut spans = vec![
        Span::raw(if selected { "▸ " } else { "  " }),
        Span::styled(format!("{glyph} "), style),
        Span::raw(format!(
            "#{:<3} {} v{} → {}  ",
            review.id, review.prompt, review.version, review.env
        )),
        Span::styled(word, style),
        Span::styled(format!(" · by {}", review.requested_by), theme.dim()),
    ];
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    if used < width {
        spans.push(Span::raw(" ".repeat(width - used)));
    }
    let line = Line::from(spans);
    match (selected, focused) {
        (true, true) => line.style(theme.selected()),
        (true, false) => line.style(theme.selected_dim()),
        _ => line,
    }
}
