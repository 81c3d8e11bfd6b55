//! The open review: a summary (status, the policy's verdict and what is missing, the version in
//! every environment, the eval evidence, the decisions), the diff against what the environment
//! serves, and the comment threads on the version.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::domain::policy::SignatureCheck;
use crate::tui::app::Focus;
use crate::tui::components::edit_view::pane;
use crate::tui::components::env_badges::abbreviation;
use crate::tui::components::evals::percent;
use crate::tui::theme::Theme;
use crate::workspace::{CommentThread, ReviewDetail};

use super::{ReviewsView, decision_label, signature_label, status_label};

impl ReviewsView {
    /// Draws the open review in `area`; returns where the diff and the threads went.
    pub(super) fn draw_detail(
        &mut self,
        frame: &mut Frame,
        area: Rect,
        theme: Theme,
        focus: Focus,
    ) -> (Rect, Rect) {
        let Some(detail) = &self.detail else {
            return (Rect::default(), Rect::default());
        };
        let width = area.width.saturating_sub(2).max(1) as usize;
        let rows = |lines: &[Line]| -> usize {
            lines.iter().map(|l| l.width().max(1).div_ceil(width)).sum()
        };
        let cap = (area.height / 3).max(3);
        let mut summary = summary_lines(detail, theme, false);
        if rows(&summary) + 1 > cap as usize {
            // Short of room (80×24): every decision in one line, kept near the top.
            summary = summary_lines(detail, theme, true);
        }
        let summary_rows = rows(&summary);
        let threads = thread_lines(&detail.threads, self.thread, width, theme);
        let summary_height = (summary_rows as u16 + 2).min(cap + 1);
        let threads_height = (threads.len() as u16 + 2).clamp(3, cap);
        let [top, diff, bottom] = Layout::vertical([
            Constraint::Length(summary_height),
            Constraint::Min(4),
            Constraint::Length(threads_height),
        ])
        .areas(area);
        let review = &detail.info.review;
        let title = format!(
            " Review #{} · {} v{} → {} ",
            review.id, review.prompt, review.version, review.env
        );
        frame.render_widget(
            Paragraph::new(summary)
                .wrap(Wrap { trim: false })
                .block(pane(title, theme, false)),
            top,
        );
        self.diff
            .draw(frame, diff, theme, focus == Focus::ReviewDiff);
        let open = detail.threads.iter().filter(|t| !t.resolved).count();
        let count = detail.threads.len();
        let plural = if count == 1 { "" } else { "s" };
        let title = format!(" Comments ({count} thread{plural}, {open} open) ");
        let focused = focus == Focus::ReviewThreads;
        // Keep the selected thread in view: start from it when it would fall below.
        let selected_line = thread_start(&detail.threads, self.thread, width);
        let inner_height = threads_height.saturating_sub(2) as usize;
        let scroll = (selected_line + 1).saturating_sub(inner_height);
        let lines: Vec<Line> = threads
            .into_iter()
            .map(|(line, thread)| {
                if thread == Some(self.thread) && focused {
                    line.style(theme.selected())
                } else {
                    line
                }
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines)
                .scroll((scroll as u16, 0))
                .block(pane(title, theme, focused)),
            bottom,
        );
        (diff, bottom)
    }
}

/// The summary above the diff: status, what the policy still misses, the version's standing per
/// environment, the eval evidence and the decisions (`compact`: all on one line, second).
fn summary_lines(detail: &ReviewDetail, theme: Theme, compact: bool) -> Vec<Line<'static>> {
    let info = &detail.info;
    let review = &info.review;
    let signed = info.policy.require_signatures;
    let (glyph, word, style) = status_label(&info.status, theme);
    let mut first = vec![
        Span::styled(format!("{glyph} {word}"), style),
        Span::raw(format!(
            " · v{} by {} · asked by {}",
            review.version, info.author, review.requested_by
        )),
    ];
    if !review.reviewers.is_empty() {
        first.push(Span::raw(format!(
            " · reviewers {}",
            review.reviewers.join(", ")
        )));
    }
    let note = (!review.note.is_empty())
        .then(|| Span::styled(format!(" · “{}”", review.note), theme.dim()));
    if let Some(note) = note.clone().filter(|_| !compact) {
        first.push(note);
    }
    let mut lines = vec![Line::from(first)];
    if compact && !info.decisions.is_empty() {
        let mut spans = vec![Span::raw("Decisions: ")];
        for (i, d) in info.decisions.iter().enumerate() {
            let (glyph, verb, style) = decision_label(d.decision.kind, theme);
            if i > 0 {
                spans.push(Span::raw(", "));
            }
            spans.push(Span::styled(
                format!("{glyph} {} {verb}", d.decision.reviewer),
                style,
            ));
            let (badge, badge_style) = signature_label(&d.decision.check, signed, theme);
            spans.push(Span::raw(" "));
            spans.push(Span::styled(badge, badge_style));
        }
        lines.push(Line::from(spans));
    }
    lines.push(if info.verdict.allowed {
        Line::from(vec![
            Span::styled("✓ policy met", theme.ok()),
            Span::raw(format!(": {} may serve v{}", review.env, review.version)),
        ])
    } else {
        Line::from(vec![
            Span::styled("✗ still missing", theme.error()),
            Span::raw(format!(": {}", info.verdict.missing.join("; "))),
        ])
    });
    let envs: Vec<String> = detail
        .envs
        .iter()
        .map(|e| {
            let served = e.served.map_or("nothing".to_string(), |v| format!("v{v}"));
            // The version's standing there: its review's status, else what the policy says.
            let standing = match &e.review {
                Some(status) => {
                    let (glyph, word, _) = status_label(status, theme);
                    format!("{glyph} {word}")
                }
                None if e.allowed => "✓ allowed".to_string(),
                None => "✗ not allowed".to_string(),
            };
            format!("{} {standing} (serves {served})", abbreviation(&e.env))
        })
        .collect();
    lines.push(Line::raw(format!(
        "v{} in {}",
        review.version,
        envs.join(" │ ")
    )));
    lines.push(evidence_line(detail, theme));
    if compact {
        // The requester's note goes last: what the policy says and the evidence come first.
        lines.extend(note.map(|n| Line::from(vec![Span::raw("Note"), n])));
        return lines;
    }
    for d in &info.decisions {
        let (glyph, verb, style) = decision_label(d.decision.kind, theme);
        let groups = if d.decision.groups.is_empty() {
            String::new()
        } else {
            format!(" ({})", d.decision.groups.join(", "))
        };
        let (badge, badge_style) = signature_label(&d.decision.check, signed, theme);
        let mut spans = vec![
            Span::styled(
                format!("{glyph} {}{groups} {verb}", d.decision.reviewer),
                style,
            ),
            Span::raw(" "),
            Span::styled(badge, badge_style),
        ];
        if let SignatureCheck::Bad(why) = &d.decision.check {
            spans.push(Span::styled(format!(" ({why})"), theme.dim()));
        }
        spans.push(Span::raw(format!(": {}", d.comment)));
        lines.push(Line::from(spans));
    }
    lines
}

fn evidence_line(detail: &ReviewDetail, theme: Theme) -> Line<'static> {
    let version = detail.info.review.version;
    let ev = &detail.evidence;
    let mut spans = vec![Span::raw("Eval: ")];
    if let Some((dataset, min, best)) = &ev.required {
        match best {
            Some(best) if best >= min => spans.push(Span::styled(
                format!(
                    "✓ best {} on {dataset} (needs {})",
                    percent(*best),
                    percent(*min)
                ),
                theme.ok(),
            )),
            Some(best) => spans.push(Span::styled(
                format!(
                    "✗ best {} on {dataset} (needs {})",
                    percent(*best),
                    percent(*min)
                ),
                theme.error(),
            )),
            None => spans.push(Span::styled(
                format!(
                    "✗ no completed run of v{version} on {dataset} (needs {})",
                    percent(*min)
                ),
                theme.error(),
            )),
        }
        spans.push(Span::raw(" · "));
    }
    if ev.runs.is_empty() {
        spans.push(Span::styled(
            format!("no runs of v{version} yet"),
            theme.dim(),
        ));
    } else {
        let runs: Vec<String> = ev
            .runs
            .iter()
            .map(|r| {
                format!(
                    "{} {}/{} passed",
                    r.dataset, r.summary.passed, r.summary.total
                )
            })
            .collect();
        spans.push(Span::raw(format!("latest runs: {}", runs.join(", "))));
    }
    Line::from(spans)
}

/// The anchor of a thread: `Context:3`, `Context`, or `v4` for the whole version.
fn anchor(thread: &CommentThread) -> String {
    let root = &thread.root;
    match (&root.section, root.line) {
        (Some(section), Some(line)) => format!("{section}:{line}"),
        (Some(section), None) => section.clone(),
        _ => format!("v{}", root.version),
    }
}

/// Each thread's lines, tagged with the thread's index (none for the empty-state line).
fn thread_lines(
    threads: &[CommentThread],
    selected: usize,
    width: usize,
    theme: Theme,
) -> Vec<(Line<'static>, Option<usize>)> {
    if threads.is_empty() {
        return vec![(
            Line::styled(
                "No comments. c comments on the diff's top line.",
                theme.dim(),
            ),
            None,
        )];
    }
    let mut lines = Vec::new();
    for (i, t) in threads.iter().enumerate() {
        let mark = if i == selected { "▸" } else { " " };
        let state = if t.resolved {
            Span::styled("✓ resolved ", theme.ok())
        } else {
            Span::styled("● open ", theme.warning())
        };
        let head = format!("#{} [{}] {}: ", t.root.id, anchor(t), t.root.author);
        let room = width.saturating_sub(head.chars().count() + 14);
        lines.push((
            Line::from(vec![
                Span::raw(format!("{mark} ")),
                state,
                Span::styled(head, theme.title()),
                Span::raw(cut(&t.root.body, room)),
            ]),
            Some(i),
        ));
        for r in &t.replies {
            let head = format!("    ↳ {}: ", r.author);
            let room = width.saturating_sub(head.chars().count());
            lines.push((
                Line::from(vec![
                    Span::styled(head, theme.dim()),
                    Span::raw(cut(&r.body, room)),
                ]),
                Some(i),
            ));
        }
    }
    lines
}

/// The line the thread `index` starts on.
fn thread_start(threads: &[CommentThread], index: usize, _width: usize) -> usize {
    threads
        .iter()
        .take(index)
        .map(|t| 1 + t.replies.len())
        .sum()
}

/// The first line of `text`, cut to `room` characters (an ellipsis says more follows).
fn cut(text: &str, room: usize) -> String {
    let first = text.lines().next().unwrap_or("");
    if text.contains('\n') && first.chars().count() < room {
        return format!("{first}…");
    }
    crate::tui::components::prompt_list::cut(first, room)
}
