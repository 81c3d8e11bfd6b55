//! The Review view's actions and answers: the queue, opening a review, decisions with a
//! comment, comment threads (new on a diff line, reply, resolve), asking for a review from
//! History, and diffs against what an environment serves.

use crate::domain::policy::DecisionKind;
use crate::tui::action::Action;
use crate::tui::components::popup::{Popup, Purpose};
use crate::tui::event::{BoardReply, BoardRequest, Effect, Request};
use crate::workspace::{CommentTarget, ReviewInfo};

use super::{App, Focus, View};

fn board(request: BoardRequest) -> Request {
    Request::Board(request)
}

/// `#3 support/triage v4 → staging`
fn review_label(info: &ReviewInfo) -> String {
    let r = &info.review;
    format!("#{} {} v{} → {}", r.id, r.prompt, r.version, r.env)
}

impl App {
    /// Reloads the review queue, and the open review.
    pub(super) fn reviews_effects(&mut self) -> Vec<Effect> {
        let mut effects = vec![self.request(board(BoardRequest::ReviewQueue))];
        if let Some(id) = self.reviews.detail.as_ref().map(|d| d.info.review.id) {
            effects.push(self.request(board(BoardRequest::ReviewDetail(id))));
        }
        effects
    }

    /// Actions in the Review view; `None` when the action is not the view's.
    pub(super) fn review_action(&mut self, action: Action, step: isize) -> Option<Vec<Effect>> {
        let effects = match (self.focus, action) {
            (Focus::ReviewQueue, _) if step != 0 => {
                self.reviews.move_selection(step);
                Vec::new()
            }
            (Focus::ReviewQueue, Action::Open) => match self.reviews.selected_review() {
                Some(info) => {
                    let id = info.review.id;
                    self.focus = Focus::ReviewDiff;
                    vec![self.request(board(BoardRequest::ReviewDetail(id)))]
                }
                None => Vec::new(),
            },
            (Focus::ReviewDiff, _) if step != 0 => {
                self.reviews.diff.handle(action);
                Vec::new()
            }
            (
                Focus::ReviewDiff,
                Action::DiffNextChange
                | Action::DiffPrevChange
                | Action::DiffToggleFold
                | Action::DiffToggleUnified,
            ) => {
                self.reviews.diff.handle(action);
                Vec::new()
            }
            (Focus::ReviewThreads, _) if step != 0 => {
                self.reviews.move_thread(step);
                Vec::new()
            }
            (_, Action::ReviewApprove) => self.ask_decision(DecisionKind::Approve),
            (_, Action::ReviewReject) => self.ask_decision(DecisionKind::Reject),
            (_, Action::ReviewRequestChanges) => self.ask_decision(DecisionKind::RequestChanges),
            (_, Action::CommentAdd) => self.ask_comment(),
            (_, Action::CommentReply) => self.ask_reply(),
            (_, Action::CommentResolve) => self.resolve_thread(),
            (_, Action::ReviewDiffEnv) => self.ask_review_diff_env(),
            _ => return None,
        };
        Some(effects)
    }

    /// The review the decision and comment keys act on: the open one, else the selected one.
    pub(super) fn acted_review(&self) -> Option<&ReviewInfo> {
        match &self.reviews.detail {
            Some(detail) if self.focus != Focus::ReviewQueue => Some(&detail.info),
            _ => self.reviews.selected_review(),
        }
    }

    fn ask_decision(&mut self, kind: DecisionKind) -> Vec<Effect> {
        let Some(info) = self.acted_review() else {
            self.fail("No review selected: the queue is empty");
            return Vec::new();
        };
        if let Some(why) = info.refusal(kind) {
            let why = why.to_string();
            self.fail(&why);
            return Vec::new();
        }
        let verb = match kind {
            DecisionKind::Approve => "Approve",
            DecisionKind::Reject => "Reject",
            DecisionKind::RequestChanges => "Request changes to",
        };
        let title = format!("{verb} {}: your comment", review_label(info));
        let review = info.review.id;
        self.popup = Some(Popup::input(&title, "", Purpose::Decision { review, kind }));
        Vec::new()
    }

    fn ask_comment(&mut self) -> Vec<Effect> {
        let Some(review) = self.reviews.detail.as_ref().map(|d| d.info.review.id) else {
            self.fail("Open a review first (Enter on the queue), then scroll its diff to the line");
            return Vec::new();
        };
        let Some((section, line)) = self.reviews.diff.top_anchor() else {
            self.fail(
                "No line of the new version in view: scroll the diff to the line to comment on",
            );
            return Vec::new();
        };
        let title = self
            .reviews
            .detail
            .as_ref()
            .and_then(|d| {
                d.diff
                    .sections
                    .iter()
                    .find(|s| s.new_index == Some(section as usize - 1))
            })
            .map_or_else(|| format!("section {section}"), |s| s.title.clone());
        self.popup = Some(Popup::input(
            &format!("Comment on {title}, line {line}"),
            "",
            Purpose::CommentNew {
                review,
                section,
                line,
            },
        ));
        Vec::new()
    }

    fn ask_reply(&mut self) -> Vec<Effect> {
        let (Some(review), Some(thread)) = (
            self.reviews.detail.as_ref().map(|d| d.info.review.id),
            self.reviews.selected_thread(),
        ) else {
            self.fail("Select a comment thread first (Tab to the comments)");
            return Vec::new();
        };
        let title = format!("Reply to {} (#{})", thread.root.author, thread.root.id);
        let comment = thread.root.id;
        self.popup = Some(Popup::input(
            &title,
            "",
            Purpose::CommentReply { review, comment },
        ));
        Vec::new()
    }

    fn resolve_thread(&mut self) -> Vec<Effect> {
        let (Some(review), Some(comment)) = (
            self.reviews.detail.as_ref().map(|d| d.info.review.id),
            self.reviews.selected_thread().map(|t| t.root.id),
        ) else {
            self.fail("Select a comment thread first (Tab to the comments)");
            return Vec::new();
        };
        vec![self.request(board(BoardRequest::Resolve { review, comment }))]
    }

    fn ask_review_diff_env(&mut self) -> Vec<Effect> {
        let Some(info) = self.acted_review() else {
            return Vec::new();
        };
        let version = info.review.version;
        self.ask_env(
            &format!("Diff v{version} against what which environment serves?"),
            Purpose::DiffEnv { version },
        );
        Vec::new()
    }

    /// Answers of the Review popups.
    pub(super) fn on_submit_review(
        &mut self,
        purpose: Purpose,
        value: String,
        popup: Option<Popup>,
    ) -> Vec<Effect> {
        let request = match purpose {
            Purpose::Decision { review, kind } => BoardRequest::Decide {
                review,
                kind,
                comment: value,
            },
            Purpose::CommentNew {
                review,
                section,
                line,
            } => {
                let Some(detail) = &self.reviews.detail else {
                    return Vec::new();
                };
                let Ok(name) = crate::domain::PromptName::parse(&detail.info.review.prompt) else {
                    return Vec::new();
                };
                BoardRequest::Comment {
                    review,
                    name,
                    target: CommentTarget {
                        version: Some(detail.info.review.version),
                        section: Some(section.to_string()),
                        line: Some(line),
                        reply_to: None,
                    },
                    body: value,
                }
            }
            Purpose::CommentReply { review, comment } => {
                let Some(name) = self.board_prompt() else {
                    return Vec::new();
                };
                BoardRequest::Comment {
                    review,
                    name,
                    target: CommentTarget {
                        reply_to: Some(comment),
                        ..CommentTarget::default()
                    },
                    body: value,
                }
            }
            Purpose::RequestReviewEnv { version } => {
                self.popup = Some(Popup::input(
                    &format!("Reviewers for v{version} → {value} (comma-separated, or none)"),
                    "",
                    Purpose::RequestReviewers {
                        version,
                        env: value,
                    },
                ));
                return Vec::new();
            }
            Purpose::RequestReviewers { version, env } => {
                let reviewers = value
                    .split([',', ' '])
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
                    .collect();
                self.popup = Some(Popup::input(
                    &format!("A note for the reviewers of v{version} → {env} (optional)"),
                    "",
                    Purpose::RequestReviewNote {
                        version,
                        env,
                        reviewers,
                    },
                ));
                return Vec::new();
            }
            Purpose::RequestReviewNote {
                version,
                env,
                reviewers,
            } => {
                let Some(name) = self.board_prompt() else {
                    return Vec::new();
                };
                BoardRequest::RequestReview {
                    name,
                    version,
                    env,
                    reviewers,
                    note: value,
                }
            }
            Purpose::DiffEnv { version } => {
                let Some(name) = self.board_prompt() else {
                    return Vec::new();
                };
                BoardRequest::DiffEnv {
                    name,
                    version,
                    env: value,
                }
            }
            _ => return Vec::new(),
        };
        // Keep the text popups open until the answer, to show a refusal in place.
        let keep = matches!(
            request,
            BoardRequest::Decide { .. }
                | BoardRequest::Comment { .. }
                | BoardRequest::RequestReview { .. }
        );
        let effect = self.request(board(request));
        if keep && let Effect::Request(id, _) = &effect {
            self.popup = popup;
            self.popup_request = Some(*id);
        }
        vec![effect]
    }

    /// Answers about reviews.
    pub(super) fn on_review_reply(&mut self, reply: BoardReply) -> Vec<Effect> {
        match reply {
            BoardReply::ReviewQueue(queue) => self.reviews.set_queue(*queue),
            BoardReply::ReviewDetail(detail) => {
                self.reviews.set_detail(*detail);
                if self.focus == Focus::ReviewQueue && self.view == View::Review {
                    self.focus = Focus::ReviewDiff;
                }
            }
            BoardReply::Requested(info) => {
                self.close_popup_request();
                self.reviews.follow = Some(info.review.id);
                let (glyph, word, _) =
                    crate::tui::components::reviews::status_label(&info.status, self.theme);
                self.say(format!(
                    "Review {} requested: {glyph} {word}",
                    review_label(&info)
                ));
                return self.reviews_effects();
            }
            BoardReply::Decided(info) => {
                self.close_popup_request();
                self.sync.soon();
                let (glyph, word, _) =
                    crate::tui::components::reviews::status_label(&info.status, self.theme);
                let mut text = format!(
                    "Decision recorded on {}: {glyph} {word}",
                    review_label(&info)
                );
                if !info.verdict.missing.is_empty() {
                    text.push_str(&format!(
                        " (still missing: {})",
                        info.verdict.missing.join("; ")
                    ));
                }
                self.say(text);
                let mut effects = self.reviews_effects();
                effects.extend(self.deploy_effects());
                return effects;
            }
            BoardReply::Commented { review, what } => {
                self.close_popup_request();
                self.say(what);
                return vec![self.request(board(BoardRequest::ReviewDetail(review)))];
            }
            BoardReply::DiffEnv {
                env,
                served,
                version,
                diff,
            } => {
                let from = match served {
                    Some(v) => format!("{env} v{v}"),
                    None => format!("{env} (nothing)"),
                };
                if self.view == View::Review && self.reviews.detail.is_some() {
                    self.reviews
                        .diff
                        .set_diff(from, format!("v{version}"), *diff);
                    self.focus = Focus::ReviewDiff;
                } else {
                    self.diff.set_diff(from, format!("v{version}"), *diff);
                    self.diff_sides = None;
                    self.view = View::Diff;
                    self.focus = Focus::Diff;
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn close_popup_request(&mut self) {
        if self.popup_request.take().is_some() {
            self.popup = None;
        }
    }

    /// Shows a refusal inside the popup that asked for it; true when it did.
    pub(super) fn popup_refused(
        &mut self,
        id: crate::tui::event::RequestId,
        message: &str,
    ) -> bool {
        if self.popup_request != Some(id) {
            return false;
        }
        self.popup_request = None;
        match &mut self.popup {
            Some(popup) => {
                popup.set_error(message.to_string());
                true
            }
            None => false,
        }
    }
}
