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

/// One piece of a template's text as the inliner sees it.
enum Piece<'a> {
    /// Text kept as it is (including tags other than include, import, from and extends).
    Text(&'a str),
    /// `{% include "name" %}` with a literal name.
    Include(&'a str),
    /// An include, import, from or extends tag that names no single literal template.
    Other(&'a str),
}

/// Splits `text` into [`Piece`]s.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{%") {
        let tag = &rest[start..];
        let Some(end) = tag.find("%}") else {
            break;
        };
        let inner = tag[2..end].trim_matches(['-', '+']).trim();
        let keyword = inner.split_whitespace().next().unwrap_or_default();
        if !["include", "import", "from", "extends"].contains(&keyword) {
            out.push(Piece::Text(&rest[..start + end + 2]));
            rest = &tag[end + 2..];
            continue;
        }
        out.push(Piece::Text(&rest[..start]));
        let literal = inner
            .strip_prefix("include")
            .map(str::trim)
            .filter(|a| a.len() >= 2)
            .filter(|a| {
                let (first, last) = (a.as_bytes()[0], a.as_bytes()[a.len() - 1]);
                first == last
                    && (first == b'"' || first == b'\'')
                    && !a[1..a.len() - 1].contains(first as char)
            })
            .map(|a| &a[1..a.len() - 1]);
        out.push(match literal {
            Some(name) => Piece::Include(name),
            None => Piece::Other(&tag[..end + 2]),
        });
        rest = &tag[end + 2..];
    }
    out.push(Piece::Text(rest));
    out
}

/// Why a template cannot be inlined for a client that only substitutes variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineError {
    /// The inlined text would pass this many bytes.
    TooLarge(usize),
    /// A tag that names no single snippet (a dynamic include, `import`, `from`, `extends`), or
    /// a snippet that is not in the set.
    NotInlinable(String),
    /// Snippets that include each other.
    Cycle(String),
}

/// The size of `text` with every literal include inlined (other tags count as written), or
/// `None` once it passes `limit`. Each snippet's size is worked out once, so a chain of
/// snippets that each include the previous one twice costs one step per snippet.
pub fn inlined_size(text: &str, snippets: &SnippetSet, limit: usize) -> Option<usize> {
    let mut sizes = BTreeMap::new();
    size_of(text, snippets, limit, &mut sizes, 0).ok()
}

fn size_of<'s>(
    text: &str,
    snippets: &'s SnippetSet,
    limit: usize,
    sizes: &mut BTreeMap<&'s str, usize>,
    depth: usize,
) -> Result<usize, InlineError> {
    // Deeper than the number of snippets means a snippet includes itself.
    if depth > snippets.len() {
        return Err(InlineError::Cycle(text.chars().take(60).collect()));
    }
    let mut total: usize = 0;
    for piece in pieces(text) {
        let size = match piece {
            Piece::Text(t) | Piece::Other(t) => t.len(),
            Piece::Include(name) => match snippets.get_key_value(name) {
                Some((key, body)) => match sizes.get(key.as_str()) {
                    Some(size) => *size,
                    None => {
                        let size = size_of(body, snippets, limit, sizes, depth + 1)?;
                        sizes.insert(key.as_str(), size);
                        size
                    }
                },
                None => name.len() + 16,
            },
        };
        total = total.saturating_add(size);
        if total > limit {
            return Err(InlineError::TooLarge(limit));
        }
    }
    Ok(total)
}

/// `text` with every `{% include "name" %}` replaced by the snippet's text, all the way down,
/// refusing past `limit` bytes (checked before anything is built) and refusing any tag it
/// cannot inline, so a client never receives a literal include.
pub fn inline_includes(
    text: &str,
    snippets: &SnippetSet,
    limit: usize,
) -> Result<String, InlineError> {
    let mut sizes = BTreeMap::new();
    let size = size_of(text, snippets, limit, &mut sizes, 0)?;
    let mut out = String::with_capacity(size);
    write_inlined(text, snippets, &mut out)?;
    Ok(out)
}

fn write_inlined(text: &str, snippets: &SnippetSet, out: &mut String) -> Result<(), InlineError> {
    for piece in pieces(text) {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Other(tag) => return Err(InlineError::NotInlinable(tag.to_string())),
            Piece::Include(name) => match snippets.get(name) {
                Some(body) => write_inlined(body, snippets, out)?,
                None => {
                    return Err(InlineError::NotInlinable(format!(
                        "{{% include \"{name}\" %}}"
                    )));
                }
            },
        }
    }
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

    #[test]
    fn includes_are_inlined_all_the_way_down_or_refused() {
        let mut s = SnippetSet::new();
        s.insert("tone".into(), "Be brief. {% include 'sig' %}".into());
        s.insert("sig".into(), "-- {{ team }}{% if x %}!{% endif %}".into());
        let text = inline_includes("A {%- include \"tone\" %} B", &s, 1000).unwrap();
        assert_eq!(text, "A Be brief. -- {{ team }}{% if x %}!{% endif %} B");
        // Ten levels deep is inlined completely.
        let mut deep = SnippetSet::new();
        deep.insert("s0".into(), "end".into());
        for i in 1..=10 {
            deep.insert(format!("s{i}"), format!("{{% include \"s{}\" %}}", i - 1));
        }
        assert_eq!(
            inline_includes("{% include 's10' %}", &deep, 100),
            Ok("end".into())
        );
        for text in [
            "{% include name %}",
            "{% from 'tone' import m %}",
            "{% include 'nope' %}",
        ] {
            assert!(matches!(
                inline_includes(text, &s, 1000),
                Err(InlineError::NotInlinable(_))
            ));
        }
        let mut looped = SnippetSet::new();
        looped.insert("a".into(), "{% include 'a' %}".into());
        assert!(matches!(
            inline_includes("{% include 'a' %}", &looped, 1000),
            Err(InlineError::Cycle(_))
        ));
    }

    #[test]
    fn a_doubling_chain_is_measured_without_being_built() {
        let mut s = SnippetSet::new();
        s.insert("p0".into(), "x".into());
        for i in 1..=30 {
            let prev = format!("p{}", i - 1);
            s.insert(
                format!("p{i}"),
                format!("{{% include '{prev}' %}}{{% include '{prev}' %}}"),
            );
        }
        assert_eq!(inlined_size("{% include 'p10' %}", &s, 1 << 20), Some(1024));
        assert_eq!(inlined_size("{% include 'p30' %}", &s, 1 << 20), None);
        assert_eq!(
            inline_includes("{% include 'p30' %}", &s, 1 << 20),
            Err(InlineError::TooLarge(1 << 20))
        );
    }
}
