//! The Edit view: the open prompt's sections, the focused section's text in an editor, the
//! variables it uses, and a live preview with sample values.

use std::time::Instant;

use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Block, Borders, List, ListItem, ListState, Paragraph, Wrap};
use ratatui_textarea::TextArea;
use serde_json::Value as Json;

use crate::domain::{
    MessageRole, PromptContent, PromptName, PromptType, Section, SectionKind, VarType,
    VariableSpec, VariableUse, VersionInfo,
};
use crate::template::{Rendered, VarInputs};
use crate::tui::event::LoadedPrompt;
use crate::tui::theme::Theme;
use crate::workspace::Source;

/// The prompt open in the workbench, with its editing state.
pub struct OpenPrompt {
    pub name: PromptName,
    pub content: PromptContent,
    pub source: Source,
    pub versions: Vec<VersionInfo>,
    pub has_draft: bool,
    /// The selected section.
    pub section: usize,
    editor: TextArea<'static>,
    /// Changed since the last save.
    pub dirty: bool,
    /// Counts edits, so a save's answer can tell whether newer edits are still unsaved.
    pub edit_seq: u64,
    pub last_edit: Option<Instant>,
    pub variables: Vec<VariableUse>,
    pub var_selected: usize,
    /// Sample values the user set for the preview (over declared examples and defaults).
    pub samples: VarInputs,
    pub preview: Option<Result<Rendered, String>>,
    pub preview_scroll: u16,
    pub search: Option<String>,
}

impl OpenPrompt {
    /// Opens a loaded prompt on its first section.
    pub fn new(loaded: LoadedPrompt, theme: Theme) -> Self {
        let mut open = Self {
            name: loaded.summary.name.clone(),
            has_draft: loaded.summary.has_draft,
            content: loaded.working.content,
            source: loaded.working.source,
            versions: loaded.versions,
            section: 0,
            editor: TextArea::default(),
            dirty: false,
            edit_seq: 0,
            last_edit: None,
            variables: Vec::new(),
            var_selected: 0,
            samples: VarInputs::new(),
            preview: None,
            preview_scroll: 0,
            search: None,
        };
        open.load_editor(theme);
        open
    }

    /// Replaces the content after a reload, keeping the selected section when it still exists.
    pub fn reload(&mut self, loaded: LoadedPrompt, theme: Theme) {
        self.content = loaded.working.content;
        self.source = loaded.working.source;
        self.versions = loaded.versions;
        self.has_draft = loaded.summary.has_draft;
        self.dirty = false;
        self.section = self
            .section
            .min(self.content.sections.len().saturating_sub(1));
        self.load_editor(theme);
    }

    /// Puts the selected section's body in the editor.
    pub fn load_editor(&mut self, theme: Theme) {
        let body = self
            .content
            .sections
            .get(self.section)
            .map(|s| s.body.clone())
            .unwrap_or_default();
        let mut editor = TextArea::new(body.split('\n').map(str::to_string).collect());
        editor.set_line_number_style(theme.dim());
        editor.set_cursor_line_style(Style::new());
        editor.set_max_histories(500);
        editor.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
        if let Some(pattern) = &self.search {
            let _ = editor.set_search_pattern(regex_escape(pattern));
        }
        self.editor = editor;
    }

    /// The selected section.
    pub fn current(&self) -> Option<&Section> {
        self.content.sections.get(self.section)
    }

    /// The version this working copy was read from (a draft's own base, or the version).
    pub fn base(&self) -> Option<u32> {
        match self.source {
            Source::Draft { base } => base,
            Source::Version { number } => Some(number),
        }
    }

    /// Feeds a key to the editor; true when the text changed. Ctrl-Z/Ctrl-Y undo and redo,
    /// Ctrl-X/Alt-C/Ctrl-V cut, copy and paste (Ctrl-C always quits).
    pub fn editor_input(&mut self, key: KeyEvent, now: Instant) -> bool {
        use ratatui::crossterm::event::{KeyCode, KeyModifiers};
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let changed = match key.code {
            KeyCode::Char('z') if ctrl => self.editor.undo(),
            KeyCode::Char('y') if ctrl => self.editor.redo(),
            KeyCode::Char('v') if ctrl => self.editor.paste(),
            KeyCode::Char('c') if alt => {
                self.editor.copy();
                false
            }
            _ => self.editor.input(key),
        };
        self.after_edit(changed, now)
    }

    /// Inserts pasted text at the cursor.
    pub fn paste_text(&mut self, text: &str, now: Instant) -> bool {
        let changed = self
            .editor
            .insert_str(text.replace("\r\n", "\n").replace('\r', "\n"));
        self.after_edit(changed, now)
    }

    fn after_edit(&mut self, changed: bool, now: Instant) -> bool {
        if changed && let Some(section) = self.content.sections.get_mut(self.section) {
            section.body = self.editor.lines().join("\n");
            self.touch(now);
        }
        changed
    }

    /// Searches the section for `pattern` (literal text) and moves to the first match.
    pub fn search(&mut self, pattern: &str) -> bool {
        self.search = Some(pattern.to_string()).filter(|p| !p.is_empty());
        let _ = self.editor.set_search_pattern(regex_escape(pattern));
        self.editor.search_forward(true)
    }

    /// The next (or previous) search match.
    pub fn search_step(&mut self, forward: bool) -> bool {
        if forward {
            self.editor.search_forward(false)
        } else {
            self.editor.search_back(false)
        }
    }

    /// Marks the content as edited now.
    pub fn touch(&mut self, now: Instant) {
        self.dirty = true;
        self.edit_seq += 1;
        self.last_edit = Some(now);
    }

    /// Selects another section by `delta` (clamped).
    pub fn move_selection(&mut self, delta: isize, theme: Theme) {
        let last = self.content.sections.len().saturating_sub(1) as isize;
        let next = (self.section as isize + delta).clamp(0, last.max(0)) as usize;
        if next != self.section {
            self.section = next;
            self.load_editor(theme);
        }
    }

    /// Selects section `index`.
    pub fn select(&mut self, index: usize, theme: Theme) {
        if index < self.content.sections.len() && index != self.section {
            self.section = index;
            self.load_editor(theme);
        }
    }

    fn default_role(&self) -> Option<MessageRole> {
        match self.content.prompt_type {
            PromptType::Text => None,
            PromptType::Chat => self
                .current()
                .and_then(|s| s.role)
                .or(Some(MessageRole::System)),
        }
    }

    /// Adds an empty section of `kind` after the selected one and selects it.
    pub fn add_section(&mut self, kind: SectionKind, now: Instant, theme: Theme) {
        let at = if self.content.sections.is_empty() {
            0
        } else {
            self.section + 1
        };
        let section = Section::blank(kind, self.default_role());
        self.content.sections.insert(at, section);
        self.section = at;
        self.load_editor(theme);
        self.touch(now);
    }

    /// Deletes the selected section.
    pub fn delete_section(&mut self, now: Instant, theme: Theme) -> Option<String> {
        if self.section >= self.content.sections.len() {
            return None;
        }
        let removed = self.content.sections.remove(self.section);
        self.section = self
            .section
            .min(self.content.sections.len().saturating_sub(1));
        self.load_editor(theme);
        self.touch(now);
        Some(removed.title)
    }

    /// Renames the selected section.
    pub fn rename_section(&mut self, title: &str, now: Instant) {
        if let Some(s) = self.content.sections.get_mut(self.section) {
            s.title = crate::domain::section::normalize_title(title);
            self.touch(now);
        }
    }

    /// Moves the selected section up (`-1`) or down (`1`).
    pub fn move_section(&mut self, delta: isize, now: Instant) -> bool {
        let to = self.section as isize + delta;
        if to < 0 || to as usize >= self.content.sections.len() {
            return false;
        }
        self.content.sections.swap(self.section, to as usize);
        self.section = to as usize;
        self.touch(now);
        true
    }

    /// Changes the selected section's kind.
    pub fn set_kind(&mut self, kind: SectionKind, now: Instant) {
        if let Some(s) = self.content.sections.get_mut(self.section) {
            s.kind = kind;
            self.touch(now);
        }
    }

    /// Changes the selected section's chat role.
    pub fn set_role(&mut self, role: MessageRole, now: Instant) {
        if let Some(s) = self.content.sections.get_mut(self.section) {
            s.role = Some(role);
            self.touch(now);
        }
    }

    /// Replaces the model config with `text`, which must be a JSON object.
    pub fn set_config(&mut self, text: &str, now: Instant) -> Result<(), String> {
        let value: Json =
            serde_json::from_str(text).map_err(|e| format!("the config is not valid JSON: {e}"))?;
        if !value.is_object() {
            return Err("the config must be a JSON object ({ ... })".into());
        }
        self.content.config = value;
        self.touch(now);
        Ok(())
    }

    /// The selected variable.
    pub fn selected_variable(&self) -> Option<&VariableUse> {
        self.variables.get(self.var_selected)
    }

    /// Replaces a variable's declaration with `text` (TOML: type, required, default, ...).
    pub fn set_declaration(&mut self, name: &str, text: &str, now: Instant) -> Result<(), String> {
        let spec: VariableSpec = toml::from_str(text).map_err(|e| {
            format!(
                "declaration of `{name}`: {}",
                e.message().replace('\n', " ")
            )
        })?;
        for (what, value) in [("default", &spec.default), ("example", &spec.example)] {
            if let Some(v) = value
                && !spec.var_type.accepts(v)
            {
                return Err(format!(
                    "`{name}`: its {what} {v} is not a {}",
                    spec.var_type
                ));
            }
        }
        self.content.variables.insert(name.to_string(), spec);
        self.touch(now);
        Ok(())
    }

    /// The declaration of `name` as TOML text, for editing.
    pub fn declaration_text(&self, name: &str) -> String {
        let spec = self
            .content
            .variables
            .get(name)
            .cloned()
            .unwrap_or_else(|| {
                self.variables
                    .iter()
                    .find(|v| v.name == name)
                    .map(|v| v.spec.clone())
                    .unwrap_or_default()
            });
        toml::to_string(&spec).unwrap_or_default()
    }

    /// Sets the preview's sample for a variable from typed text (typed by its declaration).
    pub fn set_sample(&mut self, name: &str, text: &str) -> Result<(), String> {
        let var_type = self
            .variables
            .iter()
            .find(|v| v.name == name)
            .map_or(VarType::String, |v| v.spec.var_type);
        let value = var_type
            .parse_text(text)
            .map_err(|e| format!("`{name}` {e}"))?;
        self.samples.insert(name.to_string(), value);
        Ok(())
    }

    /// Draws the section list.
    pub fn draw_sections(&self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let items: Vec<ListItem> = self
            .content
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let role = s
                    .role
                    .map(|r| format!("·{}", &r.as_str()[..1]))
                    .unwrap_or_default();
                let size = if s.body.is_empty() {
                    "empty".to_string()
                } else {
                    format!("{}L", s.body.lines().count())
                };
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{:>2} ", i + 1), theme.dim()),
                    Span::raw(s.title.clone()),
                    Span::styled(format!(" {}{role} {size}", kind_short(s.kind)), theme.dim()),
                ]))
            })
            .collect();
        let title = format!(" Sections ({}) ", self.content.sections.len());
        let list = List::new(items)
            .block(pane(title, theme, focused))
            .highlight_style(if focused {
                theme.selected()
            } else {
                theme.selected_dim()
            });
        let mut state = ListState::default().with_selected(Some(self.section));
        frame.render_stateful_widget(list, area, &mut state);
    }

    /// Draws the section editor.
    pub fn draw_editor(&mut self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let title = match self.current() {
            Some(s) => {
                let role = s.role.map(|r| format!(" · {r}")).unwrap_or_default();
                let mode = if focused { " · editing" } else { "" };
                format!(" {} [{}{role}]{mode} ", s.title, s.kind)
            }
            None => " No sections: press a to add one ".to_string(),
        };
        self.editor.set_block(pane(title, theme, focused));
        self.editor.set_cursor_style(if focused {
            theme.selected()
        } else {
            Style::new()
        });
        frame.render_widget(&self.editor, area);
    }

    /// Draws the variables panel.
    pub fn draw_variables(&self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let items: Vec<ListItem> = self
            .variables
            .iter()
            .map(|v| {
                let mut spans = vec![
                    Span::raw(v.name.clone()),
                    Span::styled(format!(" {}", v.spec.var_type), theme.dim()),
                ];
                if !v.spec.must_be_given() {
                    spans.push(Span::styled(" opt", theme.dim()));
                }
                if !v.declared {
                    spans.push(Span::styled(" ! undeclared", theme.warning()));
                } else if !v.used {
                    spans.push(Span::styled(" ! unused", theme.warning()));
                }
                if self.samples.contains_key(&v.name) {
                    spans.push(Span::styled(" =sample", theme.ok()));
                }
                ListItem::new(Line::from(spans))
            })
            .collect();
        let empty = items.is_empty();
        let list = List::new(items)
            .block(pane(
                format!(" Variables ({}) ", self.variables.len()),
                theme,
                focused,
            ))
            .highlight_style(if focused {
                theme.selected()
            } else {
                theme.selected_dim()
            });
        let mut state = ListState::default();
        if !empty {
            state.select(Some(self.var_selected.min(self.variables.len() - 1)));
        }
        frame.render_stateful_widget(list, area, &mut state);
    }

    /// Draws the live preview, or the render error.
    pub fn draw_preview(&self, frame: &mut Frame, area: Rect, theme: Theme, focused: bool) {
        let text = match &self.preview {
            None => Text::styled("rendering…", theme.dim()),
            Some(Err(error)) => {
                let mut lines = vec![Line::styled("✗ cannot render", theme.error())];
                lines.extend(error.lines().map(|l| Line::raw(l.to_string())));
                Text::from(lines)
            }
            Some(Ok(Rendered::Text(text))) => Text::raw(text.clone()),
            Some(Ok(Rendered::Messages(messages))) => {
                let mut lines = Vec::new();
                for m in messages {
                    lines.push(Line::styled(format!("── {} ──", m.role), theme.accent()));
                    lines.extend(m.content.lines().map(|l| Line::raw(l.to_string())));
                }
                Text::from(lines)
            }
        };
        let paragraph = Paragraph::new(text)
            .block(pane(" Preview ".into(), theme, focused))
            .wrap(Wrap { trim: false })
            .scroll((self.preview_scroll, 0));
        frame.render_widget(paragraph, area);
    }
}

/// The values a preview renders with: the user's samples, else declared examples and defaults,
/// else (for required strings) a visible stand-in such as `⟨ticket⟩`.
pub fn preview_inputs(variables: &[VariableUse], samples: &VarInputs) -> VarInputs {
    let mut inputs = VarInputs::new();
    for var in variables {
        let value = samples
            .get(&var.name)
            .cloned()
            .or_else(|| var.spec.sample().cloned())
            .or_else(|| {
                (var.spec.var_type == VarType::String && var.spec.must_be_given())
                    .then(|| Json::String(format!("⟨{}⟩", var.name)))
            });
        if let Some(value) = value {
            inputs.insert(var.name.clone(), value);
        }
    }
    inputs
}

/// A bordered pane with a title.
pub fn pane(title: String, theme: Theme, focused: bool) -> Block<'static> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Span::styled(
            title,
            if focused {
                theme.accent()
            } else {
                theme.title()
            },
        ))
}

fn kind_short(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Role => "role",
        SectionKind::Context => "ctx",
        SectionKind::Instructions => "instr",
        SectionKind::Guardrails => "guard",
        SectionKind::OutputFormat => "output",
        SectionKind::Examples => "ex",
        SectionKind::Custom => "custom",
        SectionKind::Placeholder => "slot",
    }
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            if "\\.+*?()|[]{}^$#&-~".contains(c) {
                vec!['\\', c]
            } else {
                vec![c]
            }
        })
        .collect()
}
