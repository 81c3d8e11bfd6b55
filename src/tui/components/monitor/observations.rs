//! The worst calls of the range (errors, negative feedback or the slowest), and one call opened:
//! its variables, output, error and feedback, with the keys that turn it into a test case or
//! open the prompt in the editor.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};

use crate::domain::observation::{CallStatus, Observation, WorstKind, cut};
use crate::domain::thresholds::format_ms;
use crate::tui::theme::Theme;

use super::{MonitorView, WORST, ago};

fn kind_title(kind: WorstKind) -> &'static str {
    match kind {
        WorstKind::Errors => "errors",
        WorstKind::Feedback => "negative feedback",
        WorstKind::Slow => "slowest",
        WorstKind::Recent => "recent",
    }
}

/// `[errors] negative feedback  slowest` (w cycles).
fn tabs(view: &MonitorView, theme: Theme) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(" Worst: ", theme.title())];
    for (i, kind) in WORST.iter().enumerate() {
        let name = kind_title(*kind);
        if i == view.worst {
            spans.push(Span::styled(format!("[{name}]"), theme.selected()));
        } else {
            spans.push(Span::styled(format!(" {name} "), theme.dim()));
        }
    }
    spans.push(Span::raw(" "));
    spans
}

/// What a call's row says after its age and version: the error, the feedback or the latency.
fn summary(o: &Observation) -> String {
    let latency = o.latency_ms.map_or("-".into(), format_ms);
    let feedback = o.feedback.as_ref().map(|f| {
        let comment = f
            .comment
            .as_deref()
            .map_or(String::new(), |c| format!(" “{c}”"));
        format!("fb {:+}{comment}", f.score)
    });
    let output = o
        .output
        .as_deref()
        .map_or(String::new(), |out| format!(" → {}", cut(out, 40)));
    match (&o.status, &o.error, feedback) {
        (CallStatus::Error, Some(e), _) => format!("✗ {} {latency} · {}", e.kind, e.message),
        (_, _, Some(f)) => format!("{f}{output} · {latency}"),
        _ => format!("{latency}{output}"),
    }
}

/// The list, with the case just made (if any) on its last line; returns where its rows are
/// and the first one shown.
pub fn draw_list(
    frame: &mut Frame,
    area: Rect,
    view: &MonitorView,
    theme: Theme,
    focused: bool,
) -> (Rect, usize) {
    let Some(data) = &view.data else {
        return (Rect::default(), 0);
    };
    let mut title = tabs(view, theme);
    title.push(Span::styled(
        format!("({}) ", data.worst.len()),
        theme.dim(),
    ));
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border(focused))
        .title(Line::from(title));
    let to_ms = data.series.to_ms;
    let mut items: Vec<ListItem> = data
        .worst
        .iter()
        .map(|o| {
            let version = o.version.map_or("v?".into(), |v| format!("v{v}"));
            ListItem::new(Line::from(vec![
                Span::styled(format!("{:<11}", ago(o.epoch_ms(), to_ms)), theme.dim()),
                Span::raw(format!("{version:<4}")),
                Span::raw(summary(o)),
            ]))
        })
        .collect();
    if items.is_empty() {
        items.push(ListItem::new(Line::styled(
            format!("No {} in this range.", kind_title(WORST[view.worst])),
            theme.dim(),
        )));
    }
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (list_area, note_area) = match &view.created {
        Some(_) if inner.height > 2 => {
            let [l, n] = ratatui::layout::Layout::vertical([
                ratatui::layout::Constraint::Min(1),
                ratatui::layout::Constraint::Length(1),
            ])
            .areas(inner);
            (l, n)
        }
        _ => (inner, Rect::default()),
    };
    let list = List::new(items).highlight_style(if focused {
        theme.selected()
    } else {
        theme.selected_dim()
    });
    let mut state = ListState::default();
    if !data.worst.is_empty() {
        state.select(Some(view.selected));
    }
    frame.render_stateful_widget(list, list_area, &mut state);
    if let Some(created) = &view.created {
        frame.render_widget(
            Paragraph::new(Line::styled(created_line(created), theme.ok())),
            note_area,
        );
    }
    (list_area, state.offset())
}

/// `✓ case 0193… added to from-production v2 (not-equals "how_to"; add an llm-rubric)`.
pub fn created_line(c: &crate::workspace::CaseFromObservation) -> String {
    let negative = c
        .case
        .assertions
        .iter()
        .find_map(|a| a.value.as_ref().map(|v| format!("{} {v}", a.kind)))
        .unwrap_or_else(|| "no output to assert against".into());
    format!(
        "✓ {} → test case in {} v{} ({negative}; tagged needs-rubric)",
        c.observation, c.dataset, c.version
    )
}

/// One call in full.
pub fn draw_detail(
    frame: &mut Frame,
    area: Rect,
    o: &Observation,
    view: &MonitorView,
    theme: Theme,
) {
    let to_ms = view.data.as_ref().map_or(0, |d| d.series.to_ms);
    let version = o
        .version
        .map_or("unknown version".into(), |v| format!("v{v}"));
    let title = format!(" Call {} · {version} · {} ", o.id, ago(o.epoch_ms(), to_ms));
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.accent()));
    let heading = |text: &str| Line::styled(text.to_string(), theme.title());
    let mut lines = vec![Line::from(vec![
        Span::styled("c", theme.title()),
        Span::styled(" → test case  ", theme.dim()),
        Span::styled("e", theme.title()),
        Span::styled(" edit the prompt  ", theme.dim()),
        Span::styled("Esc", theme.title()),
        Span::styled(" back", theme.dim()),
    ])];
    let tokens = match (o.input_tokens, o.output_tokens) {
        (Some(i), Some(out)) => format!("{i}→{out} tokens"),
        (Some(i), None) => format!("{i} tokens in"),
        _ => "tokens -".into(),
    };
    // The time of day only: the age is in the title, and a date would not say more.
    let clock = jiff::Timestamp::from_millisecond(o.epoch_ms())
        .map(|t| t.strftime("%H:%M UTC").to_string())
        .unwrap_or_default();
    lines.push(Line::raw(format!(
        "{} · {clock} · {} · {} · {tokens} · {}",
        o.env,
        o.status.as_str(),
        o.latency_ms.map_or("-".into(), format_ms),
        o.cost_usd
            .map_or("-".into(), crate::domain::thresholds::format_usd)
    )));
    if let Some(e) = &o.error {
        lines.push(Line::styled(
            format!("✗ error {}: {}", e.kind, e.message),
            theme.error(),
        ));
    }
    match &o.feedback {
        Some(f) => lines.push(Line::raw(format!(
            "Feedback: {:+}{}{}",
            f.score,
            if f.is_negative() { " (negative)" } else { "" },
            f.comment
                .as_deref()
                .map_or(String::new(), |c| format!(" “{c}”"))
        ))),
        None => lines.push(Line::styled("Feedback: none", theme.dim())),
    }
    lines.push(heading("Variables"));
    if o.variables.is_empty() {
        lines.push(Line::styled("  (none sent)", theme.dim()));
    }
    for (name, value) in &o.variables {
        let text = value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_string);
        lines.push(Line::raw(format!("  {name}: {text}")));
    }
    lines.push(heading("Output"));
    match &o.output {
        Some(out) => lines.extend(out.lines().map(|l| Line::raw(format!("  {l}")))),
        None => lines.push(Line::styled("  (none)", theme.dim())),
    }
    if let Some(trace) = &o.trace_id {
        lines.push(Line::styled(format!("trace {trace}"), theme.dim()));
    }
    if let Some(created) = &view.created {
        lines.push(Line::styled(created_line(created), theme.ok()));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((view.detail_scroll, 0)),
        area,
    );
}
