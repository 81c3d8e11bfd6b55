//! Drawing the whole screen from the app state: tabs, the prompt list, the main view, the status
//! bar, and any overlay. Works from 80×24 up.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::app::{App, Areas, Focus, View};
use super::components::edit_view::pane;
use super::components::history::HistoryRows;
use super::keymap::Context;

/// Draws everything.
pub fn draw(app: &mut App, frame: &mut Frame) {
    let area = frame.area();
    let theme = app.theme;
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_tabs(app, frame, tabs);
    // The Review and Deploy views are about every prompt: they take the whole width.
    if matches!(app.view, View::Review | View::Deploy) && !app.is_welcome() {
        app.areas = Areas::default();
        if app.view == View::Review {
            app.areas.reviews = app.reviews.draw(frame, body, theme, app.focus);
        } else {
            app.areas.deploy = body;
            app.deploys
                .draw(frame, body, theme, app.focus == Focus::Deploy);
        }
        draw_status(app, frame, status);
        draw_overlays(app, frame, body);
        return;
    }
    let list_width = if area.width >= 120 { 32 } else { 24 };
    let [list_area, main] =
        Layout::horizontal([Constraint::Length(list_width), Constraint::Min(20)]).areas(body);
    app.areas = Areas {
        list: list_area,
        ..Areas::default()
    };
    app.list
        .draw(frame, list_area, theme, app.focus == Focus::List);

    if app.is_welcome() {
        draw_welcome(app, frame, main);
    } else if app.open.is_none() {
        let text = if app.list.is_loaded() {
            "Select a prompt in the list (↑↓, Enter)"
        } else {
            "Loading…"
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.dim())
                .block(pane(String::new(), theme, false)),
            main,
        );
    } else {
        match app.view {
            View::Edit => draw_edit(app, frame, main),
            View::History => {
                app.areas.history = main;
                let focused = app.focus == Focus::History;
                let user = app.user.clone();
                if let Some(open) = &app.open {
                    let has_draft = open.has_draft || open.dirty;
                    let rows = HistoryRows {
                        versions: &open.versions,
                        has_draft,
                        user: &user,
                        served: app.list.served(&open.name),
                    };
                    app.history.draw(frame, main, rows, theme, focused);
                }
            }
            View::Diff => {
                app.areas.diff = main;
                app.diff.draw(frame, main, theme, app.focus == Focus::Diff);
            }
            View::Evals => {
                app.areas.evals = app.evals.draw(frame, main, theme, app.focus);
            }
            View::Monitor => {
                app.areas.monitor = main;
                app.monitor
                    .draw(frame, main, theme, app.focus == Focus::Monitor);
            }
            View::Review | View::Deploy => {}
        }
    }
    draw_status(app, frame, status);
    draw_overlays(app, frame, body);
}

/// Popups, dialogs, the palette and help, over `body`.
fn draw_overlays(app: &mut App, frame: &mut Frame, body: Rect) {
    let theme = app.theme;
    let context = app.context();
    if let Some(confirm) = &mut app.deploy_confirm {
        confirm.draw(frame, body, theme);
    }
    if let Some(setup) = &app.eval_setup {
        setup.draw(frame, body, theme);
    }
    if let Some(popup) = &mut app.popup {
        popup.draw(frame, body, theme);
    }
    if let Some(palette) = &app.palette {
        palette.draw(frame, body, &app.keymap, context, theme);
    }
    if let Some(help) = &app.help {
        help.draw(frame, body, &app.keymap, context, theme);
    }
}

fn draw_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    // Narrow screens keep the tabs and the prompt's name and version, not the brand.
    let wide = area.width >= 100;
    let mut spans = if wide {
        vec![Span::styled(" galley ", theme.accent())]
    } else {
        Vec::new()
    };
    for (key, view, name) in [
        ("1", View::Edit, "Edit"),
        ("2", View::History, "History"),
        ("3", View::Diff, "Diff"),
        ("4", View::Evals, "Evals"),
        ("5", View::Review, "Review"),
        ("6", View::Deploy, "Deploy"),
        ("7", View::Monitor, "Monitor"),
    ] {
        // A run in progress shows on its tab from every view, and so do reviews awaiting me.
        let live = match (&app.evals.live, view) {
            (Some(live), View::Evals) => {
                format!(" ▶{}/{}", live.progress.done, live.progress.total)
            }
            (_, View::Review) if app.reviews.awaiting_me() > 0 => {
                format!(" ●{}", app.reviews.awaiting_me())
            }
            _ => String::new(),
        };
        // Narrow screens space the tabs by one column, so the prompt's name still fits.
        let label = match (app.view == view, wide) {
            (true, true) => format!("[{key} {name}{live}]"),
            (false, true) => format!(" {key} {name}{live} "),
            (true, false) => format!(" [{key} {name}{live}]"),
            (false, false) => format!(" {key} {name}{live}"),
        };
        spans.push(Span::styled(
            label,
            if app.view == view {
                theme.selected()
            } else {
                theme.dim()
            },
        ));
        if wide {
            spans.push(Span::raw(" "));
        }
    }
    if let Some(open) = &app.open {
        let source = match open.source {
            crate::workspace::Source::Version { number } if !open.has_draft && !open.dirty => {
                format!("v{number}")
            }
            _ => {
                let base = open
                    .versions
                    .first()
                    .map(|v| format!(" on v{}", v.number))
                    .unwrap_or_default();
                format!("draft{base}")
            }
        };
        let state = if open.dirty {
            " · editing…"
        } else if open.has_draft {
            " · saved"
        } else {
            ""
        };
        spans.push(Span::styled(format!(" {} ", open.name), theme.title()));
        let kind = if wide {
            format!("{} · ", open.content.prompt_type)
        } else {
            String::new()
        };
        spans.push(Span::styled(format!("{kind}{source}{state}"), theme.dim()));
    }
    frame.render_widget(Line::from(spans), area);
}

fn draw_edit(app: &mut App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let focus = app.focus;
    let provider = app.playground_provider();
    let version_hint = app
        .playground_version()
        .map_or_else(|| "the latest version".to_string(), |n| format!("v{n}"));
    let Some(open) = &mut app.open else { return };
    let wide = area.width >= 110;
    let side_width = if wide { 30 } else { 24 };
    let [side, rest] =
        Layout::horizontal([Constraint::Length(side_width), Constraint::Min(10)]).areas(area);
    let [sections, variables] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(side);
    let playground_shown = app.playground.visible;
    // With the playground open, a wide screen keeps the editor and the preview above it; a
    // narrow one gives it the preview's place.
    let (top, playground) = match (playground_shown, wide) {
        (false, _) => (rest, Rect::default()),
        (true, true) => {
            let [t, p] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(rest);
            (t, p)
        }
        (true, false) => {
            let [t, p] = Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)])
                .areas(rest);
            (t, p)
        }
    };
    let (editor, preview) = if wide {
        let [e, p] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
        (e, p)
    } else if playground_shown {
        (top, Rect::default())
    } else {
        let [e, p] =
            Layout::vertical([Constraint::Percentage(58), Constraint::Percentage(42)]).areas(top);
        (e, p)
    };
    open.draw_sections(frame, sections, theme, focus == Focus::Sections);
    open.draw_variables(frame, variables, theme, focus == Focus::Variables);
    open.draw_editor(frame, editor, theme, focus == Focus::Editor);
    if preview.area() > 0 {
        open.draw_preview(frame, preview, theme, focus == Focus::Preview);
    }
    if playground_shown {
        app.playground.draw(
            frame,
            playground,
            &provider,
            &version_hint,
            theme,
            focus == Focus::Playground,
        );
    }
    app.areas.sections = sections;
    app.areas.variables = variables;
    app.areas.editor = editor;
    app.areas.preview = preview;
    app.areas.playground = playground;
}

fn draw_welcome(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    let key = |k: &str| Span::styled(format!(" {k} "), theme.selected());
    let lines = vec![
        Line::styled("Welcome to galley", theme.accent()),
        Line::raw(""),
        Line::raw("This workspace has no prompts yet. Start one of three ways:"),
        Line::raw(""),
        Line::from(vec![
            key("n"),
            Span::raw("  create a prompt from a template (support agent, classifier, …)"),
        ]),
        Line::from(vec![
            key("i"),
            Span::raw("  import a folder of prompt files (.md)"),
        ]),
        Line::from(vec![
            key("d"),
            Span::raw("  load the demo: a dozen prompts with real history"),
        ]),
        Line::raw(""),
        Line::from(vec![
            key("?"),
            Span::raw("  every key    "),
            key(":"),
            Span::raw("  every action    "),
            key("q"),
            Span::raw("  quit"),
        ]),
        Line::raw(""),
        Line::styled(format!("Workspace: {}", app.db_label), theme.dim()),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}

fn draw_status(app: &App, frame: &mut Frame, area: Rect) {
    let theme = app.theme;
    // The sync state leads the right side; on a narrow screen it replaces the workspace's name.
    let sync_failed = app.sync.running.is_none()
        && (app.sync.error.is_some()
            || app
                .sync
                .remotes
                .first()
                .is_some_and(|r| r.last_error.is_some()));
    let right = match app.sync.segment(jiff::Timestamp::now()) {
        Some(sync) if area.width >= 120 => {
            format!(" {sync} │ {} · {} ", shorten(&app.db_label, 28), app.user)
        }
        Some(sync) => format!(" {sync} "),
        None => format!(" {} · {} ", shorten(&app.db_label, 28), app.user),
    };
    let right_width = right.chars().count() as u16;
    let [left_area, right_area] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(right_width.min(area.width / 2)),
    ])
    .areas(area);
    let left = match &app.status {
        Some(status) if status.error => {
            Line::from(Span::styled(format!(" ✗ {}", status.text), theme.error()))
        }
        Some(status) => Line::from(Span::styled(format!(" ✓ {}", status.text), theme.ok())),
        None => hints(app, left_area.width as usize),
    };
    frame.render_widget(Paragraph::new(left).style(theme.status_bar()), left_area);
    frame.render_widget(
        Paragraph::new(Span::styled(
            right,
            if sync_failed {
                theme.error()
            } else {
                theme.dim()
            },
        ))
        .style(theme.status_bar()),
        right_area,
    );
}

/// The focused pane's key hints, from the keymap, as many as fit in `width` (help first).
fn hints(app: &App, width: usize) -> Line<'static> {
    let theme = app.theme;
    let context = app.context();
    let mut pairs: Vec<(String, String)> = Vec::new();
    if app.focus == Focus::List && app.list.is_filtering() {
        pairs.push(("type".into(), "filter".into()));
        pairs.push(("Enter".into(), "keep".into()));
        pairs.push(("Esc".into(), "clear".into()));
    } else {
        let mut seen = Vec::new();
        for (chord, action) in app.keymap.bindings(context) {
            if !seen.contains(&action) && pairs.len() < 6 {
                seen.push(action);
                pairs.push((
                    chord.to_string(),
                    action
                        .name()
                        .replace("section-", "")
                        .replace("history-", "")
                        .replace("diff-", "")
                        .replace("eval-", "")
                        .replace("playground-", "")
                        .replace("review-", "")
                        .replace("monitor-", ""),
                ));
            }
        }
        for action in [
            super::action::Action::Help,
            super::action::Action::Palette,
            super::action::Action::Quit,
        ] {
            if (context != Context::Editor || action == super::action::Action::Palette)
                && let Some(keys) = app.keymap.keys_for(context, action)
            {
                pairs.push((
                    keys.split('/').next().unwrap_or("").to_string(),
                    action.name().to_string(),
                ));
            }
        }
        if context == Context::Editor {
            pairs.insert(0, ("Esc".into(), "stop editing".into()));
        }
        if app.view == super::app::View::Evals && app.evals.live.is_some() {
            pairs.insert(0, ("Esc".into(), "cancel run".into()));
        }
    }
    // `? help` always shows: it leads to everything else.
    if let Some(i) = pairs.iter().position(|(_, what)| what == "help") {
        let help = pairs.remove(i);
        pairs.insert(0, help);
    }
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for (key, what) in pairs {
        let len = key.chars().count() + what.chars().count() + 3;
        if used + len > width {
            break;
        }
        used += len;
        spans.push(Span::styled(key, theme.title()));
        spans.push(Span::styled(format!(" {what}  "), theme.dim()));
    }
    Line::from(spans)
}

fn shorten(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        text.to_string()
    } else {
        format!(
            "…{}",
            text.chars().skip(count - max + 1).collect::<String>()
        )
    }
}
