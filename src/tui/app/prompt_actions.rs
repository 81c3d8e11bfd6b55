//! Actions on the open prompt: section edits, config and variables, commit, discard, and the
//! answers of popups.

use std::time::Instant;

use crate::domain::{MessageRole, PromptName, PromptType, SectionKind, VersionRef};
use crate::tui::action::Action;
use crate::tui::components::popup::{Popup, Purpose};
use crate::tui::event::{Effect, Request};

use super::{App, Focus, View};

fn kind_items() -> Vec<(String, String)> {
    SectionKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.default_title().to_string()))
        .collect()
}

impl App {
    /// Actions that change or act on the open prompt.
    pub(super) fn prompt_action(&mut self, action: Action, now: Instant) -> Vec<Effect> {
        let Some(open) = self.open.as_mut() else {
            return Vec::new();
        };
        match action {
            Action::SectionAdd => {
                let mut items = kind_items();
                if open.content.prompt_type == PromptType::Text {
                    items.retain(|(k, _)| k != "placeholder");
                }
                let at = items.iter().position(|(k, _)| k == "custom").unwrap_or(0);
                self.popup = Some(Popup::choice(
                    "Add a section of kind",
                    items,
                    at,
                    Purpose::AddSectionKind,
                ));
            }
            Action::SectionDelete => {
                if let Some(section) = open.current() {
                    let message = format!(
                        "Delete section \"{}\"? Committed versions keep it.",
                        section.title
                    );
                    self.popup = Some(Popup::confirm(&message, Purpose::DeleteSection));
                }
            }
            Action::SectionRename => {
                if let Some(section) = open.current() {
                    self.popup = Some(Popup::input(
                        "Rename the section",
                        &section.title.clone(),
                        Purpose::RenameSection,
                    ));
                }
            }
            Action::SectionMoveUp | Action::SectionMoveDown => {
                let delta = if action == Action::SectionMoveUp {
                    -1
                } else {
                    1
                };
                if open.move_section(delta, now) {
                    return self.preview_effects();
                }
            }
            Action::SectionKind => {
                let current = open.current().map(|s| s.kind);
                let items = kind_items();
                let at = items
                    .iter()
                    .position(|(k, _)| Some(k.as_str()) == current.map(|c| c.as_str()))
                    .unwrap_or(0);
                self.popup = Some(Popup::choice(
                    "Section kind",
                    items,
                    at,
                    Purpose::SectionKind,
                ));
            }
            Action::SectionRole => {
                if open.content.prompt_type == PromptType::Text {
                    self.fail("Text prompts have no message roles (only chat prompts do)");
                    return Vec::new();
                }
                let roles = [
                    MessageRole::System,
                    MessageRole::User,
                    MessageRole::Assistant,
                ];
                let current = open.current().and_then(|s| s.role);
                let at = roles.iter().position(|r| Some(*r) == current).unwrap_or(0);
                let items = roles
                    .iter()
                    .map(|r| (r.as_str().to_string(), format!("{r} message")))
                    .collect();
                self.popup = Some(Popup::choice(
                    "Message role",
                    items,
                    at,
                    Purpose::SectionRole,
                ));
            }
            Action::EditConfig => {
                let text = serde_json::to_string_pretty(&open.content.config)
                    .unwrap_or_else(|_| "{}".into());
                self.popup = Some(Popup::text_edit(
                    "Model config (JSON)",
                    &text,
                    Purpose::Config,
                ));
            }
            Action::EditVariable => {
                if let Some(var) = open.selected_variable() {
                    let name = var.name.clone();
                    let text = open.declaration_text(&name);
                    self.popup = Some(Popup::text_edit(
                        &format!(
                            "Declare `{name}` (TOML: type, required, default, description, example)"
                        ),
                        &text,
                        Purpose::Declaration { variable: name },
                    ));
                }
            }
            Action::EditSample => {
                if let Some(var) = open.selected_variable() {
                    let name = var.name.clone();
                    let current = crate::tui::components::edit_view::preview_inputs(
                        &open.variables,
                        &open.samples,
                    )
                    .get(&name)
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .unwrap_or_default();
                    self.popup = Some(Popup::input(
                        &format!("Preview value of `{name}` ({})", var.spec.var_type),
                        &current,
                        Purpose::Sample { variable: name },
                    ));
                }
            }
            Action::Search => {
                let current = open.search.clone().unwrap_or_default();
                self.popup = Some(Popup::input(
                    "Search in this section",
                    &current,
                    Purpose::Search,
                ));
            }
            Action::SearchNext | Action::SearchPrev
                if !open.search_step(action == Action::SearchNext) =>
            {
                self.say("No more matches");
            }
            Action::Commit => {
                let request = Request::CommitSummary {
                    name: open.name.clone(),
                    content: open.content.clone(),
                };
                let mut effects = self.save_effects();
                self.popup = Some(Popup::commit());
                effects.push(self.request(request));
                return effects;
            }
            Action::DiscardDraft => {
                if open.has_draft || open.dirty {
                    self.popup = Some(Popup::confirm(
                        "Throw away your draft? Its changes are lost; committed versions stay.",
                        Purpose::DiscardDraft,
                    ));
                } else {
                    self.say("You have no draft of this prompt");
                }
            }
            Action::DiffDraft => {
                if !(open.has_draft || open.dirty) {
                    self.say("No draft: your working copy is the latest version");
                    return Vec::new();
                }
                self.view = View::Diff;
                self.focus = Focus::Diff;
                return self.show_diff(VersionRef::Latest, VersionRef::Draft);
            }
            _ => {}
        }
        Vec::new()
    }

    /// Acts on a popup's answer.
    pub(super) fn on_submit(
        &mut self,
        purpose: Purpose,
        value: String,
        now: Instant,
    ) -> Vec<Effect> {
        let theme = self.theme;
        // Most popups close on submit; the ones with validation reopen with an error below.
        let popup = self.popup.take();
        match purpose {
            Purpose::NewPromptTemplate => {
                self.popup = Some(Popup::input(
                    &format!("Name for the new `{value}` prompt (folders: support/triage)"),
                    "",
                    Purpose::NewPromptName { template: value },
                ));
            }
            Purpose::NewPromptName { template } => match PromptName::parse(value.trim()) {
                Ok(name) => {
                    self.say(format!("Creating {name}…"));
                    let mut effects = self.save_effects();
                    effects.push(self.request(Request::Create { name, template }));
                    return effects;
                }
                Err(e) => self.reopen(popup, e.to_string()),
            },
            Purpose::ImportPath => {
                let path = expand_home(value.trim());
                self.say(format!("Importing {}…", path.display()));
                return vec![self.request(Request::Import(path))];
            }
            Purpose::Commit => {
                let message = value.trim().to_string();
                if message.is_empty() {
                    self.reopen(popup, "write a message: what changed and why".into());
                    return Vec::new();
                }
                let Some(open) = &self.open else {
                    return Vec::new();
                };
                let request = Request::Commit {
                    name: open.name.clone(),
                    content: open.content.clone(),
                    base: open.base(),
                    message,
                };
                // Keep the dialog until the commit answers, to show a refusal in place.
                self.popup = popup;
                return vec![self.request(request)];
            }
            Purpose::Decision { .. }
            | Purpose::CommentNew { .. }
            | Purpose::CommentReply { .. }
            | Purpose::RequestReviewEnv { .. }
            | Purpose::RequestReviewers { .. }
            | Purpose::RequestReviewNote { .. }
            | Purpose::DiffEnv { .. } => return self.on_submit_review(purpose, value, popup),
            Purpose::DeployVersion { .. } => return self.on_submit_deploy(purpose, value),
            Purpose::Passphrase { retry } => return self.on_submit_passphrase(retry, value),
            Purpose::ObservationCase { .. } | Purpose::ObservationCaseNew { .. } => {
                return self.on_submit_monitor(purpose, value);
            }
            Purpose::GradeVerdict | Purpose::GradeNote { .. } | Purpose::CompareVersion => {
                return self.on_submit_evals(purpose, value);
            }
            Purpose::PlaygroundProvider
            | Purpose::SaveCaseDataset
            | Purpose::SaveCaseNewDataset
            | Purpose::SaveCaseExpected { .. } => {
                return self.on_submit_playground(purpose, value, popup);
            }
            _ => return self.on_submit_open(purpose, value, popup, now, theme),
        }
        Vec::new()
    }

    fn on_submit_open(
        &mut self,
        purpose: Purpose,
        value: String,
        popup: Option<Popup>,
        now: Instant,
        theme: crate::tui::theme::Theme,
    ) -> Vec<Effect> {
        let Some(open) = self.open.as_mut() else {
            return Vec::new();
        };
        let mut result: Result<(), String> = Ok(());
        match purpose {
            Purpose::AddSectionKind => {
                if let Ok(kind) = value.parse::<SectionKind>() {
                    open.add_section(kind, now, theme);
                    self.focus = Focus::Editor;
                }
            }
            Purpose::DeleteSection => {
                if let Some(title) = open.delete_section(now, theme) {
                    self.say(format!("Deleted section \"{title}\""));
                }
            }
            Purpose::RenameSection => {
                if value.trim().is_empty() {
                    result = Err("a section needs a title".into());
                } else {
                    open.rename_section(&value, now);
                }
            }
            Purpose::SectionKind => {
                if let Ok(kind) = value.parse::<SectionKind>() {
                    if kind == SectionKind::Placeholder
                        && open.content.prompt_type == PromptType::Text
                    {
                        result = Err("only chat prompts can hold message placeholders".into());
                    } else {
                        open.set_kind(kind, now);
                    }
                }
            }
            Purpose::SectionRole => {
                if let Ok(role) = value.parse::<MessageRole>() {
                    open.set_role(role, now);
                }
            }
            Purpose::Config => result = open.set_config(&value, now),
            Purpose::Declaration { variable } => {
                result = open.set_declaration(&variable, &value, now)
            }
            Purpose::Sample { variable } => result = open.set_sample(&variable, &value),
            Purpose::Search => {
                if !open.search(&value) && !value.is_empty() {
                    self.say(format!("\"{value}\" is not in this section"));
                }
                return Vec::new();
            }
            Purpose::DiscardDraft => {
                let name = open.name.clone();
                open.dirty = false;
                return vec![self.request(Request::Discard(name))];
            }
            Purpose::Restore { version } => {
                let name = open.name.clone();
                open.dirty = false;
                return vec![self.request(Request::Restore { name, version })];
            }
            _ => {}
        }
        match result {
            Ok(()) => self.preview_effects(),
            Err(e) => {
                self.reopen(popup, e);
                Vec::new()
            }
        }
    }

    fn reopen(&mut self, popup: Option<Popup>, error: String) {
        if let Some(mut popup) = popup {
            popup.set_error(error);
            self.popup = Some(popup);
        } else {
            self.fail(error);
        }
    }
}

fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::PathBuf::from(home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}
