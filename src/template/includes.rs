//! Snippets: other prompts a section pulls in with `{% include "snippets/tone" %}`.
//!
//! Includes are resolved before rendering, from the workspace, so that a cycle is reported by
//! name instead of hitting the engine's recursion limit, and so that rendering itself never
//! touches storage.

use std::collections::BTreeMap;

use crate::domain::{PromptContent, SectionKind};

use super::RenderError;

/// Snippet name → its template text (the snippet prompt's sections, compiled but not rendered).
pub type SnippetSet = BTreeMap<String, String>;

/// The names a template includes, imports or extends with a literal string.
pub fn referenced_templates(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        rest = &rest[start + 2..];
        let tag = rest.trim_start_matches(['-', '+']).trim_start();
        let Some(after_keyword) = ["include", "import", "from", "extends"]
            .iter()
            .find_map(|kw| {
                tag.strip_prefix(kw)
                    .filter(|r| r.starts_with(char::is_whitespace))
            })
        else {
            continue;
        };
        let arg = after_keyword.trim_start();
        let Some(quote) = arg.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        if let Some(end) = arg[1..].find(quote) {
            let name = &arg[1..1 + end];
            if !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// A snippet prompt's text as an include sees it: its sections' bodies joined (with headings
/// when a text prompt asks for them). Placeholders carry no text.
pub fn snippet_text(content: &PromptContent) -> String {
    let headings = content.headings && content.prompt_type == crate::domain::PromptType::Text;
    content
        .sections
        .iter()
        .filter(|s| s.kind != SectionKind::Placeholder && !s.body.trim().is_empty())
        .map(|s| {
            if headings {
                format!("## {}\n\n{}", s.title, s.body)
            } else {
                s.body.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Follows every include from `root` (whose section bodies are `bodies`) through `load`, which
/// returns the latest content of a prompt by name (or `None` when there is no such prompt).
pub fn resolve<E>(
    root: &str,
    bodies: &[(String, String)],
    mut load: impl FnMut(&str) -> Result<Option<PromptContent>, E>,
) -> Result<SnippetSet, ResolveError<E>> {
    let mut set = SnippetSet::new();
    let mut stack = vec![root.to_string()];
    for (section, body) in bodies {
        for name in referenced_templates(body) {
            visit(&name, section, &mut stack, &mut set, &mut load)?;
        }
    }
    Ok(set)
}

/// What went wrong while following includes: a render error or the loader's own failure.
#[derive(Debug)]
pub enum ResolveError<E> {
    Render(RenderError),
    Load(E),
}

fn visit<E>(
    name: &str,
    section: &str,
    stack: &mut Vec<String>,
    set: &mut SnippetSet,
    load: &mut impl FnMut(&str) -> Result<Option<PromptContent>, E>,
) -> Result<(), ResolveError<E>> {
    if let Some(pos) = stack.iter().position(|s| s == name) {
        let mut cycle = stack[pos..].to_vec();
        cycle.push(name.to_string());
        return Err(ResolveError::Render(RenderError::IncludeCycle { cycle }));
    }
    if set.contains_key(name) {
        return Ok(());
    }
    let content = load(name).map_err(ResolveError::Load)?.ok_or_else(|| {
        ResolveError::Render(RenderError::UnknownSnippet {
            name: name.to_string(),
            section: section.to_string(),
        })
    })?;
    let text = snippet_text(&content);
    stack.push(name.to_string());
    for inner in referenced_templates(&text) {
        visit(&inner, section, stack, set, load)?;
    }
    stack.pop();
    set.insert(name.to_string(), text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PromptType, Section};

    #[test]
    fn finds_literal_includes() {
        let src = r#"A {% include "snippets/tone" %} B {%- include 'x' -%} {% if a %}{% endif %}
{% from "macros" import m %}{% include "snippets/tone" %}{% include name %}"#;
        assert_eq!(referenced_templates(src), ["snippets/tone", "x", "macros"]);
    }

    fn prompt(body: &str) -> PromptContent {
        let mut c = PromptContent::blank(PromptType::Text);
        c.headings = false;
        c.sections = vec![Section::new(SectionKind::Custom, "Body", None, body)];
        c
    }

    #[test]
    fn resolves_nested_snippets_and_names_cycles() {
        let lib: BTreeMap<&str, PromptContent> = [
            ("a", prompt("A {% include \"b\" %}")),
            ("b", prompt("B")),
            ("loop1", prompt("{% include \"loop2\" %}")),
            ("loop2", prompt("{% include \"loop1\" %}")),
        ]
        .into_iter()
        .collect();
        let load = |n: &str| Ok::<_, ()>(lib.get(n).cloned());
        let set = resolve("root", &[("S".into(), "{% include \"a\" %}".into())], load).unwrap();
        assert_eq!(set.get("b").map(String::as_str), Some("B"));
        assert_eq!(set.len(), 2);

        let err = resolve(
            "root",
            &[("S".into(), "{% include \"loop1\" %}".into())],
            load,
        );
        match err {
            Err(ResolveError::Render(RenderError::IncludeCycle { cycle })) => {
                assert_eq!(cycle, ["loop1", "loop2", "loop1"])
            }
            other => panic!("{other:?}"),
        }
        let err = resolve(
            "root",
            &[("S".into(), "{% include \"root\" %}".into())],
            load,
        );
        assert!(matches!(
            err,
            Err(ResolveError::Render(RenderError::IncludeCycle { .. }))
        ));
        let err = resolve(
            "root",
            &[("Intro".into(), "{% include \"nope\" %}".into())],
            load,
        );
        match err {
            Err(ResolveError::Render(e)) => assert!(e.to_string().contains("`nope`")),
            other => panic!("{other:?}"),
        }
    }
}
