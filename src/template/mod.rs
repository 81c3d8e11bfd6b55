//! Rendering: minijinja templates in section bodies, strict about variables, with errors that
//! name the section, line and column.

mod budget;
mod includes;
mod inputs;

use std::collections::BTreeSet;

use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::domain::{MessageRole, PromptContent, PromptType, SectionKind, variable_uses};

pub use budget::{OverBudget, RenderBudget};
pub use includes::{
    InlineError, ResolveError, SnippetSet, inline_includes, inlined_size, referenced_templates,
    resolve, snippet_text,
};
pub use inputs::{VarInputs, check_types, parse_var_args, parse_var_args_typed};

/// Names the engine provides itself; they are never prompt variables.
const ENGINE_GLOBALS: [&str; 5] = ["range", "dict", "namespace", "debug", "loop"];

/// Why a prompt could not be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    #[error("template error in section `{section}`{}: {message}", at(*line, *column))]
    Syntax {
        section: String,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error(
        "missing variable `{name}` (used in section `{section}`); pass it with --var {name}=..."
    )]
    MissingVariable { name: String, section: String },
    #[error("variable `{name}` {problem}")]
    WrongType { name: String, problem: String },
    #[error("render error in section `{section}`{}: {message}", at(*line, *column))]
    Runtime {
        section: String,
        line: Option<usize>,
        column: Option<usize>,
        message: String,
    },
    #[error("include cycle: {}", cycle.join(" → "))]
    IncludeCycle { cycle: Vec<String> },
    #[error("section `{section}` includes `{name}`, which is not a prompt in this workspace")]
    UnknownSnippet { name: String, section: String },
    #[error("prompt `{prompt}` is over its render budget: {over}")]
    OverBudget { prompt: String, over: OverBudget },
    #[error(
        "prompt `{prompt}` cannot be served with its includes inlined: `{tag}` names no single \
         prompt to inline (include prompts by their literal name, or fetch it rendered)"
    )]
    NotInlinable { prompt: String, tag: String },
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" (line {l}, column {c})"),
        (Some(l), None) => format!(" (line {l})"),
        _ => String::new(),
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatMessage {
    pub role: MessageRole,
    pub content: String,
}

/// A rendered prompt.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rendered {
    Text(String),
    Messages(Vec<ChatMessage>),
}

/// A prompt ready to render: its content, with its snippets resolved, and the budget its
/// renders run within.
pub struct Template<'a> {
    content: &'a PromptContent,
    snippets: SnippetSet,
    env: Environment<'static>,
    /// The prompt's name, for errors that name it.
    prompt: String,
    budget: RenderBudget,
}

impl<'a> Template<'a> {
    /// Compiles every section body (and the snippets); a syntax error names its section, line
    /// and column.
    /// Renders run within the default [`RenderBudget`] until [`Self::budgeted`] sets another.
    pub fn compile(content: &'a PromptContent, snippets: &SnippetSet) -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.set_fuel(Some(RenderBudget::default().fuel));
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_formatter(budget::print_bounded);
        for (name, text) in snippets {
            env.add_template_owned(name.clone(), text.clone())
                .map_err(|e| syntax_error(&format!("included {name}"), text, &e))?;
        }
        for (i, section) in content.sections.iter().enumerate() {
            if section.kind == SectionKind::Placeholder {
                continue;
            }
            env.add_template_owned(section_key(i), section.body.clone())
                .map_err(|e| syntax_error(&section.title, &section.body, &e))?;
        }
        Ok(Self {
            content,
            snippets: snippets.clone(),
            env,
            prompt: String::new(),
            budget: RenderBudget::default(),
        })
    }

    /// Renders of this template (prompt `prompt`) run within `budget`; exceeding it is
    /// [`RenderError::OverBudget`] naming the prompt.
    pub fn budgeted(mut self, prompt: &str, budget: RenderBudget) -> Self {
        self.env.set_fuel(Some(budget.fuel));
        self.prompt = prompt.to_string();
        self.budget = budget;
        self
    }

    fn over(&self, over: OverBudget) -> RenderError {
        RenderError::OverBudget {
            prompt: self.prompt.clone(),
            over,
        }
    }

    /// The prompt's sections with every include inlined (all sections together within the
    /// budget's `max_inlined_bytes`), for clients that fetch the template and only substitute
    /// variables.
    pub fn inlined(&self) -> Result<PromptContent, RenderError> {
        let mut content = self.content.clone();
        let mut room = self.budget.max_inlined_bytes;
        for section in content
            .sections
            .iter_mut()
            .filter(|s| s.kind != SectionKind::Placeholder)
        {
            section.body =
                inline_includes(&section.body, &self.snippets, room).map_err(|e| match e {
                    InlineError::TooLarge(_) => {
                        self.over(OverBudget::Inlined(self.budget.max_inlined_bytes))
                    }
                    InlineError::NotInlinable(tag) => RenderError::NotInlinable {
                        prompt: self.prompt.clone(),
                        tag,
                    },
                    InlineError::Cycle(_) => RenderError::IncludeCycle {
                        cycle: vec![self.prompt.clone(), section.title.clone()],
                    },
                })?;
            room -= section.body.len();
        }
        Ok(content)
    }

    /// Refuses a template whose sections, includes inlined, pass `max_inlined_bytes`.
    fn check_inlined_size(&self) -> Result<(), RenderError> {
        let limit = self.budget.max_inlined_bytes;
        let mut total: usize = 0;
        for section in &self.content.sections {
            let room = limit - total;
            total += inlined_size(&section.body, &self.snippets, room)
                .ok_or_else(|| self.over(OverBudget::Inlined(limit)))?;
        }
        Ok(())
    }

    /// The variables the text uses (sections and included snippets, plus placeholder slots),
    /// sorted.
    pub fn used_variables(&self) -> Vec<String> {
        self.used_by_section()
            .into_iter()
            .map(|(name, _)| name)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// The variables this prompt declares and uses. Undeclared names count as required strings,
    /// except message placeholders: an unfilled slot adds no messages, so it is an optional list.
    pub fn variable_uses(&self) -> Vec<crate::domain::VariableUse> {
        self.variable_uses_of(&self.used_by_section())
    }

    /// `variable_uses` from an already computed (variable, section) list.
    fn variable_uses_of(&self, used: &[(String, String)]) -> Vec<crate::domain::VariableUse> {
        let mut names: Vec<String> = used.iter().map(|(n, _)| n.clone()).collect();
        names.sort();
        names.dedup();
        let mut uses = variable_uses(&self.content.variables, &names);
        for var in uses
            .iter_mut()
            .filter(|u| !u.declared && self.is_placeholder(&u.name))
        {
            var.spec.var_type = crate::domain::VarType::List;
            var.spec.required = false;
        }
        uses
    }

    fn is_placeholder(&self, name: &str) -> bool {
        self.content
            .sections
            .iter()
            .any(|s| s.kind == SectionKind::Placeholder && s.title == name)
    }

    /// (variable, first section using it), in section order.
    fn used_by_section(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut push = |name: String, section: &str| {
            if !ENGINE_GLOBALS.contains(&name.as_str()) && !out.iter().any(|(n, _)| *n == name) {
                out.push((name, section.to_string()));
            }
        };
        for (i, section) in self.content.sections.iter().enumerate() {
            if section.kind == SectionKind::Placeholder {
                push(section.title.clone(), &section.title);
                continue;
            }
            let Ok(tmpl) = self.env.get_template(&section_key(i)) else {
                continue;
            };
            let mut names: Vec<_> = tmpl.undeclared_variables(false).into_iter().collect();
            names.sort();
            for name in names {
                push(name, &section.title);
            }
            for snippet in referenced_templates(&section.body) {
                self.snippet_variables(&snippet, &section.title, &mut push, &mut Vec::new());
            }
        }
        out
    }

    fn snippet_variables(
        &self,
        snippet: &str,
        section: &str,
        push: &mut impl FnMut(String, &str),
        seen: &mut Vec<String>,
    ) {
        if seen.iter().any(|s| s == snippet) {
            return;
        }
        seen.push(snippet.to_string());
        let Ok(tmpl) = self.env.get_template(snippet) else {
            return;
        };
        let mut names: Vec<_> = tmpl.undeclared_variables(false).into_iter().collect();
        names.sort();
        for name in names {
            push(name, section);
        }
        for inner in referenced_templates(tmpl.source()) {
            self.snippet_variables(&inner, section, push, seen);
        }
    }

    /// Renders with `values`: declared defaults fill what is not given, every value is checked
    /// against its declared type, and a missing required variable is named with its section.
    ///
    /// The render runs within the budget: all sections together get its fuel and its output
    /// size, and the template with its includes inlined must fit `max_inlined_bytes`.
    pub fn render(&self, values: &Map<String, Json>) -> Result<Rendered, RenderError> {
        let context = self.context(values)?;
        self.check_inlined_size()?;
        let ctx = minijinja::Value::from(minijinja::value::Serde(&context));
        let mut parts: Vec<(Option<MessageRole>, Option<&str>, String)> = Vec::new();
        let (mut fuel_used, mut written) = (0u64, 0usize);
        for (i, section) in self.content.sections.iter().enumerate() {
            if section.kind == SectionKind::Placeholder {
                continue;
            }
            // Later sections get what the earlier ones left of the fuel.
            let refuelled;
            let env = if fuel_used == 0 {
                &self.env
            } else {
                let left = self.budget.fuel.saturating_sub(fuel_used);
                if left == 0 {
                    return Err(self.over(OverBudget::Fuel(self.budget.fuel)));
                }
                let mut env = self.env.clone();
                env.set_fuel(Some(left));
                refuelled = env;
                &refuelled
            };
            let tmpl = env
                .get_template(&section_key(i))
                .expect("compiled in compile()");
            let mut out = budget::CappedOutput::new(self.budget.max_output_bytes - written);
            match tmpl.render_captured_to(&ctx, &mut out) {
                Ok(captured) => {
                    fuel_used += captured.state().fuel_levels().map_or(0, |(used, _)| used);
                }
                Err(_) if out.overflowed => {
                    return Err(self.over(OverBudget::Output(self.budget.max_output_bytes)));
                }
                Err(e) if e.kind() == ErrorKind::OutOfFuel => {
                    return Err(self.over(OverBudget::Fuel(self.budget.fuel)));
                }
                Err(e) => return Err(self.runtime_error(i, &e, &context)),
            }
            written += out.text.len();
            // The engine writes whole `str` pieces and the cap refuses whole pieces.
            let text = String::from_utf8(out.text)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            parts.push((section.role, Some(&section.title), text));
        }
        match self.content.prompt_type {
            PromptType::Text => Ok(Rendered::Text(self.join_text(&parts))),
            PromptType::Chat => self.messages(parts, &context).map(Rendered::Messages),
        }
    }

    fn join_text(&self, parts: &[(Option<MessageRole>, Option<&str>, String)]) -> String {
        parts
            .iter()
            .filter(|(_, _, text)| !text.trim().is_empty())
            .map(|(_, title, text)| match title {
                Some(title) if self.content.headings => {
                    format!("## {title}\n\n{}", text.trim_end())
                }
                _ => text.trim_end().to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n\n")
    }

    fn messages(
        &self,
        parts: Vec<(Option<MessageRole>, Option<&str>, String)>,
        context: &Map<String, Json>,
    ) -> Result<Vec<ChatMessage>, RenderError> {
        let mut messages: Vec<ChatMessage> = Vec::new();
        let mut parts = parts.into_iter();
        // Messages from a placeholder are never merged with the sections around them.
        let mut last_from_placeholder = false;
        for section in &self.content.sections {
            if section.kind == SectionKind::Placeholder {
                let filled = placeholder_messages(&section.title, context.get(&section.title))?;
                last_from_placeholder |= !filled.is_empty();
                messages.extend(filled);
                continue;
            }
            let (role, _, text) = parts.next().expect("one part per non-placeholder section");
            let text = text.trim_end();
            if text.trim().is_empty() {
                continue;
            }
            let role = role.unwrap_or(MessageRole::System);
            match messages.last_mut() {
                // Consecutive sections of one role make one message.
                Some(last) if last.role == role && !last_from_placeholder => {
                    last.content.push_str("\n\n");
                    last.content.push_str(text);
                }
                _ => messages.push(ChatMessage {
                    role,
                    content: text.to_string(),
                }),
            }
            last_from_placeholder = false;
        }
        Ok(messages)
    }

    /// The render context: given values checked against declarations, defaults filled in,
    /// required ones present.
    fn context(&self, values: &Map<String, Json>) -> Result<Map<String, Json>, RenderError> {
        check_types(&self.content.variables, values)?;
        let mut context = values.clone();
        for (name, spec) in &self.content.variables {
            if !context.contains_key(name)
                && let Some(default) = &spec.default
            {
                context.insert(name.clone(), default.clone());
            }
        }
        let used = self.used_by_section();
        for var in self.variable_uses_of(&used) {
            if var.used && var.spec.must_be_given() && !context.contains_key(&var.name) {
                let section = used
                    .iter()
                    .find(|(n, _)| *n == var.name)
                    .map(|(_, s)| s.clone())
                    .unwrap_or_default();
                return Err(RenderError::MissingVariable {
                    name: var.name,
                    section,
                });
            }
        }
        Ok(context)
    }

    fn runtime_error(
        &self,
        index: usize,
        err: &minijinja::Error,
        context: &Map<String, Json>,
    ) -> RenderError {
        let section = &self.content.sections[index];
        if err.kind() == ErrorKind::UndefinedError {
            // Name the variable: the first one this section uses that has no value.
            if let Ok(tmpl) = self.env.get_template(&section_key(index)) {
                let mut names: Vec<_> = tmpl.undeclared_variables(false).into_iter().collect();
                names.sort();
                if let Some(name) = names
                    .into_iter()
                    .find(|n| !context.contains_key(n) && !ENGINE_GLOBALS.contains(&n.as_str()))
                {
                    return RenderError::MissingVariable {
                        name,
                        section: section.title.clone(),
                    };
                }
            }
        }
        let (line, column) = position(&section.body, err);
        let message = err.detail().map_or_else(
            || err.kind().to_string(),
            |d| format!("{}: {d}", err.kind()),
        );
        let section_name = match err.name() {
            Some(name) if name != section_key(index) => format!("{} (in {name})", section.title),
            _ => section.title.clone(),
        };
        RenderError::Runtime {
            section: section_name,
            line,
            column,
            message,
        }
    }
}

fn section_key(index: usize) -> String {
    format!("\u{0}section:{index}")
}

fn syntax_error(section: &str, source: &str, err: &minijinja::Error) -> RenderError {
    let (line, column) = position(source, err);
    let message = err.detail().map_or_else(
        || err.kind().to_string(),
        |d| format!("{}: {d}", err.kind()),
    );
    RenderError::Syntax {
        section: section.to_string(),
        line,
        column,
        message,
    }
}

/// Line and column (1-based, in characters) of an error inside `source`.
fn position(source: &str, err: &minijinja::Error) -> (Option<usize>, Option<usize>) {
    let line = err.line();
    let column = err.range().filter(|r| r.start <= source.len()).map(|r| {
        let before = &source[..r.start];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        before[line_start..].chars().count() + 1
    });
    (line, column)
}

fn placeholder_messages(slot: &str, value: Option<&Json>) -> Result<Vec<ChatMessage>, RenderError> {
    let wrong = |problem: String| RenderError::WrongType {
        name: slot.to_string(),
        problem,
    };
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let Json::Array(items) = value else {
        return Err(wrong(format!(
            "fills a message placeholder and must be a list of {{role, content}} messages, got {}",
            crate::domain::variable::json_kind(value)
        )));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let role = item.get("role").and_then(Json::as_str).unwrap_or_default();
            let role: MessageRole = role
                .parse()
                .map_err(|e: String| wrong(format!("message {}: {e}", i + 1)))?;
            let content = item
                .get("content")
                .and_then(Json::as_str)
                .ok_or_else(|| wrong(format!("message {} has no text `content`", i + 1)))?;
            Ok(ChatMessage {
                role,
                content: content.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
