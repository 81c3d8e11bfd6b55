//! The `?` overlay: every binding of the focused pane and the global ones, generated from the
//! keymap so it can never drift from the real keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::tui::action::Action;
use crate::tui::keymap::{Context, Keymap};
use crate::tui::theme::Theme;

use super::edit_view::pane;
use super::popup::centered;

/// The help overlay's state.
#[derive(Debug, Default)]
pub struct Help {
    pub scroll: u16,
}

/// The lines of help for `context`: its own bindings, then the global ones it inherits.
pub fn help_lines(keymap: &Keymap, context: Context, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let section =
        |title: String, bindings: Vec<(String, Action)>, lines: &mut Vec<Line<'static>>| {
            if bindings.is_empty() {
                return;
            }
            lines.push(Line::styled(title, theme.accent()));
            for (keys, action) in bindings {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {keys:<14}"), theme.title()),
                    Span::raw(action.description().to_string()),
                ]));
            }
            lines.push(Line::raw(""));
        };
    let group = |ctx: Context| -> Vec<(String, Action)> {
        let mut by_action: Vec<(String, Action)> = Vec::new();
        for (chord, action) in keymap.bindings(ctx) {
            match by_action.iter_mut().find(|(_, a)| *a == action) {
                Some((keys, _)) => keys.push_str(&format!("/{chord}")),
                None => by_action.push((chord.to_string(), action)),
            }
        }
        by_action.sort_by_key(|(_, a)| Action::ALL.iter().position(|x| x == a));
        by_action
    };
    if context != Context::Global {
        section(
            format!("{} pane", capitalised(&context.name().replace('-', " "))),
            group(context),
            &mut lines,
        );
    }
    if matches!(
        context,
        Context::EvalRuns | Context::EvalResults | Context::EvalDetail | Context::EvalCompare
    ) {
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<14}", "Esc"), theme.title()),
            Span::raw("Cancel a running eval (finished results are kept)"),
        ]));
        lines.push(Line::raw(""));
    }
    if context == Context::Editor {
        lines.push(Line::styled("Editor keys", theme.accent()));
        for (keys, what) in [
            ("arrows", "Move the cursor"),
            ("Ctrl-Z / Ctrl-Y", "Undo / redo"),
            ("Shift-arrows", "Select"),
            ("Ctrl-X / Alt-C", "Cut / copy the selection"),
            ("Ctrl-V", "Paste"),
            ("Ctrl-C", "Quit (the draft is saved first)"),
        ] {
            lines.push(Line::from(vec![
                Span::styled(format!("  {keys:<14}"), theme.title()),
                Span::raw(what),
            ]));
        }
        lines.push(Line::raw(""));
    } else {
        section("Everywhere".to_string(), group(Context::Global), &mut lines);
    }
    lines
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

impl Help {
    /// Draws the overlay.
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        keymap: &Keymap,
        context: Context,
        theme: Theme,
    ) {
        let rect = centered(
            area,
            area.width.saturating_sub(6).min(76),
            area.height.saturating_sub(2),
        );
        frame.render_widget(Clear, rect);
        let block = pane(" Keys — ? or Esc to close ".into(), theme, true);
        let text = Paragraph::new(help_lines(keymap, context, theme))
            .block(block)
            .scroll((self.scroll, 0));
        frame.render_widget(text, rect);
    }
}
