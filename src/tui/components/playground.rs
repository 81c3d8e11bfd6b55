//! The playground pane of the Edit view: the draft's answer on the sample values, streamed in as
//! it arrives, and beside it a committed version's answer on the same input, each with its
//! latency, tokens and cost.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Wrap};

use crate::template::VarInputs;
use crate::tui::event::RequestId;
use crate::tui::theme::Theme;
use crate::workspace::PlaygroundAnswer;

use super::edit_view::pane;

/// Where an answer is.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum AnswerState {
    /// Not asked yet.
    #[default]
    Empty,
    Streaming {
        since: Instant,
    },
    Done(Box<PlaygroundAnswer>),
    Failed(String),
}

/// One side of the playground.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    /// `draft` or `v4`.
    pub label: String,
    /// The request streaming into this side (older answers are dropped).
    pub request: Option<RequestId>,
    pub text: String,
    pub state: AnswerState,
    pub provider: String,
}

impl Answer {
    /// Starts a new answer from `provider` under `label`.
    pub fn start(&mut self, request: RequestId, label: String, provider: String, now: Instant) {
        *self = Self {
            label,
            request: Some(request),
            text: String::new(),
            state: AnswerState::Streaming { since: now },
            provider,
        };
    }

    /// Whether it is still coming.
    pub fn is_streaming(&self) -> bool {
        matches!(self.state, AnswerState::Streaming { .. })
    }

    fn footer(&self, theme: Theme) -> Line<'static> {
        match &self.state {
            AnswerState::Empty => Line::raw(""),
            AnswerState::Streaming { since } => Line::styled(
                format!(
                    "◌ streaming from {}… {:.1}s",
                    self.provider,
                    since.elapsed().as_secs_f64()
                ),
                theme.accent(),
            ),
            AnswerState::Failed(_) => Line::styled("✗ failed", theme.error()),
            AnswerState::Done(a) => {
                let est = if a.tokens_estimated { "~" } else { "" };
                let cost = match a.cost_usd {
                    Some(c) => format!("${c:.4}"),
                    None => "no price".into(),
                };
                Line::from(vec![
                    Span::styled("✓", theme.ok()),
                    Span::raw(format!(
                        " {}ms · {est}{}→{est}{} tok · {cost}",
                        a.latency_ms, a.input_tokens, a.output_tokens
                    )),
                ])
            }
        }
    }
}

/// The playground's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Playground {
    /// Shown in the Edit view (from the first run until closed).
    pub visible: bool,
    /// The provider picked by the user (else the default).
    pub provider: Option<String>,
    pub draft: Answer,
    pub version: Answer,
    /// The values the last draft run used: a saved case's variables.
    pub inputs: VarInputs,
    pub scroll: u16,
}

impl Playground {
    /// Which side `request` streams into.
    pub fn side_mut(&mut self, request: RequestId) -> Option<&mut Answer> {
        if self.draft.request == Some(request) {
            Some(&mut self.draft)
        } else if self.version.request == Some(request) {
            Some(&mut self.version)
        } else {
            None
        }
    }

    /// The requests still streaming.
    pub fn streaming(&self) -> Vec<RequestId> {
        [&self.draft, &self.version]
            .into_iter()
            .filter(|a| a.is_streaming())
            .filter_map(|a| a.request)
            .collect()
    }

    /// Draws the pane.
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        provider: &str,
        version_hint: &str,
        theme: Theme,
        focused: bool,
    ) {
        let block = pane(format!(" Playground · {provider} "), theme, focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let sides = if inner.width >= 60 {
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .spacing(1)
                .split(inner)
        } else {
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).split(inner)
        };
        let hints = [
            (
                "draft",
                "press p to run the draft on the sample values".to_string(),
            ),
            (
                version_hint,
                format!("press P to run {version_hint} on the same input"),
            ),
        ];
        for ((answer, (default_label, hint)), rect) in [&self.draft, &self.version]
            .into_iter()
            .zip(hints)
            .zip(sides.iter())
        {
            self.draw_side(frame, *rect, answer, default_label, &hint, theme);
        }
    }

    fn draw_side(
        &self,
        frame: &mut Frame,
        area: Rect,
        answer: &Answer,
        default_label: &str,
        hint: &str,
        theme: Theme,
    ) {
        let [head, body, foot] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let label = if answer.label.is_empty() {
            default_label
        } else {
            &answer.label
        };
        frame.render_widget(
            Line::from(vec![
                Span::styled(format!("▌{label}"), theme.accent()),
                Span::styled(
                    match (&answer.state, answer.provider.is_empty()) {
                        (_, true) => String::new(),
                        (AnswerState::Done(a), false) => match &a.model {
                            Some(m) if *m != a.provider => format!(" · {} · {m}", a.provider),
                            _ => format!(" · {}", a.provider),
                        },
                        _ => format!(" · {}", answer.provider),
                    },
                    theme.dim(),
                ),
            ]),
            head,
        );
        let text = match &answer.state {
            AnswerState::Empty => Text::styled(hint.to_string(), theme.dim()),
            AnswerState::Failed(e) => Text::styled(format!("✗ {e}"), theme.error()),
            AnswerState::Streaming { .. } if answer.text.is_empty() => {
                Text::styled("waiting for the first words…", theme.dim())
            }
            _ => Text::raw(answer.text.clone()),
        };
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0)),
            body,
        );
        frame.render_widget(answer.footer(theme), foot);
    }
}
