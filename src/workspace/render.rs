//! Rendering a prompt from the workspace (snippets resolved from the latest versions of other
//! prompts), the variables it uses, and diffs between versions.

use serde::Serialize;

use crate::diff::{PromptDiff, diff_prompts};
use crate::domain::{PromptContent, PromptName, VariableUse, VersionRef};
use crate::store::{StoreError, Tx};
use crate::template::{
    self, RenderBudget, RenderError, Rendered, ResolveError, SnippetSet, Template, VarInputs,
};

use super::{Resolved, Result, Source, Workspace, WorkspaceError, version_of};

/// A rendered prompt with what it was rendered from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderOutput {
    pub name: PromptName,
    /// The version number, or `None` for a draft.
    pub version: Option<u32>,
    pub source: Source,
    pub hash: String,
    #[serde(rename = "type")]
    pub prompt_type: crate::domain::PromptType,
    #[serde(flatten)]
    pub rendered: Rendered,
    /// The values the render used, after defaults.
    pub variables: VarInputs,
}

impl Workspace {
    /// Sets what every render through this workspace may cost (`[render]` in the config or the
    /// serve settings).
    pub fn set_render_budget(&mut self, budget: RenderBudget) {
        self.render_budget = budget;
    }

    /// What every render through this workspace may cost.
    pub fn render_budget(&self) -> RenderBudget {
        self.render_budget
    }

    /// `content` (as prompt `name`) compiled with `snippets`, its renders within the budget.
    pub(super) fn budgeted_template<'c>(
        &self,
        name: &PromptName,
        content: &'c PromptContent,
        snippets: &SnippetSet,
    ) -> Result<Template<'c>> {
        Ok(Template::compile(content, snippets)?.budgeted(name.as_str(), self.render_budget))
    }

    /// Refuses `content` (about to be committed as prompt `name`) when rendering it with its
    /// declared examples or defaults, or inlining its includes, exceeds the render budget. A
    /// render that fails for another reason (a variable with neither) is no budget matter.
    pub(super) fn check_render_budget(
        &self,
        name: &PromptName,
        content: &PromptContent,
    ) -> Result<()> {
        // Includes that do not resolve yet (a prompt imported before the one it includes) are
        // left to the commit's own checks: they are no budget matter.
        match self.snippets_for(name, content) {
            Ok(snippets) => within_budget(name, content, &snippets, self.render_budget),
            Err(WorkspaceError::Render(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Follows the includes of `content` (rendered as prompt `name`) through the latest versions
    /// of the prompts they name.
    pub fn snippets_for(&self, name: &PromptName, content: &PromptContent) -> Result<SnippetSet> {
        snippets_in(&self.store.read(), name, content)
    }

    /// Renders a version (or the draft) of `name` with `inputs`.
    pub fn render(
        &self,
        name: &PromptName,
        which: VersionRef,
        inputs: &VarInputs,
    ) -> Result<RenderOutput> {
        let resolved = self.resolve(name, which)?;
        self.render_resolved(&resolved, inputs)
    }

    /// Renders already-resolved content.
    pub fn render_resolved(&self, resolved: &Resolved, inputs: &VarInputs) -> Result<RenderOutput> {
        let snippets = self.snippets_for(&resolved.name, &resolved.content)?;
        let template = self.budgeted_template(&resolved.name, &resolved.content, &snippets)?;
        let rendered = template.render(inputs)?;
        let mut variables = inputs.clone();
        for (var, spec) in &resolved.content.variables {
            if let (false, Some(default)) = (variables.contains_key(var), &spec.default) {
                variables.insert(var.clone(), default.clone());
            }
        }
        Ok(RenderOutput {
            name: resolved.name.clone(),
            version: resolved.version.as_ref().map(|v| v.number),
            source: resolved.source,
            // A version carries its hash; only a draft needs it computed.
            hash: resolved
                .version
                .as_ref()
                .map(|v| v.content_hash.clone())
                .unwrap_or_else(|| resolved.content.content_hash()),
            prompt_type: resolved.content.prompt_type,
            rendered,
            variables,
        })
    }

    /// The variables a prompt's content declares and uses (undeclared ones as required strings).
    pub fn variables(
        &self,
        name: &PromptName,
        content: &PromptContent,
    ) -> Result<Vec<VariableUse>> {
        let snippets = self.snippets_for(name, content)?;
        Ok(Template::compile(content, &snippets)?.variable_uses())
    }

    /// Parses `k=v` arguments for a render of `content` (as prompt `name`), typing each by how
    /// the prompt uses it (see [`Self::variables`]): its declaration, a list for a message
    /// placeholder, else a string.
    pub fn parse_inputs(
        &self,
        name: &PromptName,
        content: &PromptContent,
        args: &[String],
    ) -> Result<VarInputs> {
        if args.is_empty() {
            return Ok(VarInputs::new());
        }
        let uses = self.variables(name, content)?;
        Ok(template::parse_var_args_typed(
            |var| uses.iter().find(|u| u.name == var).map(|u| u.spec.var_type),
            args,
        )?)
    }

    /// The section-aware diff between two versions (or a version and the draft).
    pub fn diff(&self, name: &PromptName, from: VersionRef, to: VersionRef) -> Result<PromptDiff> {
        self.diff_with(name, from, to, false)
    }

    /// The diff, optionally ignoring white space: runs of spaces and tabs count as one space
    /// and trailing white space is dropped on both sides before comparing.
    pub fn diff_with(
        &self,
        name: &PromptName,
        from: VersionRef,
        to: VersionRef,
        ignore_whitespace: bool,
    ) -> Result<PromptDiff> {
        let mut old = self.resolve(name, from)?.content;
        let mut new = self.resolve(name, to)?.content;
        if ignore_whitespace {
            for content in [&mut old, &mut new] {
                for section in &mut content.sections {
                    section.body = collapse_whitespace(&section.body);
                }
            }
        }
        Ok(diff_prompts(&old, &new))
    }
}

/// `Ok` unless rendering `content` (prompt `name`, with `snippets`) with its declared examples
/// or defaults, or inlining its includes, exceeds `budget`.
pub(super) fn within_budget(
    name: &PromptName,
    content: &PromptContent,
    snippets: &SnippetSet,
    budget: RenderBudget,
) -> Result<()> {
    // A template that does not compile here (an include of a prompt not there yet) is left to
    // the commit's own checks, which decide what they refuse.
    let Ok(template) = Template::compile(content, snippets) else {
        return Ok(());
    };
    let template = template.budgeted(name.as_str(), budget);
    let samples: VarInputs = content
        .variables
        .iter()
        .filter_map(|(var, spec)| spec.sample().map(|v| (var.clone(), v.clone())))
        .collect();
    // Only the budget refuses a commit here: a missing variable or a dynamic include is not
    // its matter (the commit's compile checks the rest).
    for outcome in [
        template.render(&samples).map(drop),
        template.inlined().map(drop),
    ] {
        if let Err(e @ RenderError::OverBudget { .. }) = outcome {
            return Err(e.into());
        }
    }
    Ok(())
}

/// The snippets `content` (rendered as prompt `name`) includes, read through `tx`: inside a
/// write transaction, they are the versions the write sees.
pub(super) fn snippets_in(
    tx: &Tx<'_>,
    name: &PromptName,
    content: &PromptContent,
) -> Result<SnippetSet> {
    let bodies: Vec<(String, String)> = content
        .sections
        .iter()
        .map(|s| (s.title.clone(), s.body.clone()))
        .collect();
    let load = |snippet: &str| -> Result<Option<PromptContent>> {
        let Ok(snippet_name) = PromptName::parse(snippet) else {
            return Ok(None);
        };
        let Some(row) = tx.prompt(&snippet_name)? else {
            return Ok(None);
        };
        let latest = row.latest_version.ok_or_else(|| {
            StoreError::Corrupt(format!("prompt `{snippet_name}` has no versions"))
        })?;
        Ok(Some(version_of(tx, &row, latest)?.content))
    };
    template::resolve(name.as_str(), &bodies, load).map_err(|e| match e {
        ResolveError::Render(r) => WorkspaceError::Render(r),
        ResolveError::Load(l) => l,
    })
}

fn collapse_whitespace(text: &str) -> String {
    text.lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}
