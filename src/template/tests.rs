use serde_json::json;

use super::*;
use crate::domain::{Section, VarType, VariableSpec};

fn text_prompt(bodies: &[(&str, &str)]) -> PromptContent {
    let mut c = PromptContent::blank(PromptType::Text);
    c.sections = bodies
        .iter()
        .map(|(title, body)| Section::new(SectionKind::Custom, title, None, body))
        .collect();
    c
}

fn vars(v: Json) -> VarInputs {
    v.as_object().unwrap().clone()
}

#[test]
fn renders_text_with_headings_and_skips_empty_sections() {
    let c = text_prompt(&[
        ("Role", "You help {{ name }}."),
        ("Empty", ""),
        ("Task", "{% if urgent %}Hurry.{% endif %}Go"),
    ]);
    let t = Template::compile(&c, &SnippetSet::new()).unwrap();
    let out = t
        .render(&vars(json!({"name": "Ada", "urgent": true})))
        .unwrap();
    assert_eq!(
        out,
        Rendered::Text("## Role\n\nYou help Ada.\n\n## Task\n\nHurry.Go".into())
    );
    let mut plain = c.clone();
    plain.headings = false;
    let t = Template::compile(&plain, &SnippetSet::new()).unwrap();
    let out = t
        .render(&vars(json!({"name": "Ada", "urgent": false})))
        .unwrap();
    assert_eq!(out, Rendered::Text("You help Ada.\n\nGo".into()));
}

#[test]
fn missing_variable_names_variable_and_section() {
    let c = text_prompt(&[("Intro", "Hi"), ("Question", "Q: {{ question }}")]);
    let t = Template::compile(&c, &SnippetSet::new()).unwrap();
    let err = t.render(&VarInputs::new()).unwrap_err();
    assert_eq!(
        err,
        RenderError::MissingVariable {
            name: "question".into(),
            section: "Question".into()
        }
    );
    assert!(err.to_string().contains("--var question="));
}

#[test]
fn syntax_error_names_section_line_and_column() {
    let c = text_prompt(&[
        ("Fine", "ok"),
        ("Broken", "line one\n  {% if x %}never closed"),
    ]);
    let err = Template::compile(&c, &SnippetSet::new()).err().unwrap();
    match &err {
        RenderError::Syntax { section, line, .. } => {
            assert_eq!(section, "Broken");
            assert_eq!(*line, Some(2));
        }
        other => panic!("{other:?}"),
    }
    let c = text_prompt(&[("Bad", "a\nb {{ x + }}")]);
    let err = Template::compile(&c, &SnippetSet::new()).err().unwrap();
    let shown = err.to_string();
    assert!(shown.contains("section `Bad` (line 2, column"), "{shown}");
}

#[test]
fn typed_variables_are_checked() {
    let mut c = text_prompt(&[("T", "{% if flag %}yes{% endif %} {{ n }}")]);
    c.headings = false;
    c.variables.insert(
        "flag".into(),
        VariableSpec {
            var_type: VarType::Boolean,
            ..Default::default()
        },
    );
    c.variables.insert(
        "n".into(),
        VariableSpec {
            var_type: VarType::Number,
            required: false,
            default: Some(json!(5)),
            ..Default::default()
        },
    );
    let t = Template::compile(&c, &SnippetSet::new()).unwrap();
    let err = t.render(&vars(json!({"flag": 3}))).unwrap_err();
    assert_eq!(
        err.to_string(),
        "variable `flag` expects a boolean, got a number `3`"
    );
    assert_eq!(
        t.render(&vars(json!({"flag": true}))).unwrap(),
        Rendered::Text("yes 5".into())
    );
    let args = parse_var_args(&c.variables, &["flag=3".into()]).unwrap_err();
    assert_eq!(
        args.to_string(),
        "variable `flag` expects a boolean, got `3`"
    );
    let ok = parse_var_args(
        &c.variables,
        &["flag=false".into(), "n=2.5".into(), "s=a=b".into()],
    )
    .unwrap();
    assert_eq!(
        Json::Object(ok),
        json!({"flag": false, "n": 2.5, "s": "a=b"})
    );
}

#[test]
fn chat_groups_roles_and_fills_placeholders() {
    let mut c = PromptContent::blank(PromptType::Chat);
    c.sections = vec![
        Section::new(
            SectionKind::Role,
            "Role",
            Some(MessageRole::System),
            "You are {{ who }}.",
        ),
        Section::new(
            SectionKind::Guardrails,
            "Rules",
            Some(MessageRole::System),
            "Be brief.",
        ),
        Section::new(
            SectionKind::Placeholder,
            "history",
            Some(MessageRole::User),
            "",
        ),
        Section::new(
            SectionKind::Instructions,
            "Ask",
            Some(MessageRole::User),
            "{{ question }}",
        ),
    ];
    let t = Template::compile(&c, &SnippetSet::new()).unwrap();
    assert_eq!(t.used_variables(), ["history", "question", "who"]);
    let out = t
        .render(&vars(json!({
            "who": "a pilot", "question": "Why?",
            "history": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]
        })))
        .unwrap();
    let Rendered::Messages(m) = out else { panic!() };
    let pairs: Vec<_> = m
        .iter()
        .map(|m| (m.role.as_str(), m.content.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("system", "You are a pilot.\n\nBe brief."),
            ("user", "Hi"),
            ("assistant", "Hello"),
            ("user", "Why?")
        ]
    );
    let err = t
        .render(&vars(
            json!({"who": "x", "question": "q", "history": "nope"}),
        ))
        .unwrap_err();
    assert!(err.to_string().contains("list of {role, content}"), "{err}");
    // An unfilled placeholder adds no messages, unless it is declared required.
    let out = t
        .render(&vars(json!({"who": "x", "question": "q"})))
        .unwrap();
    assert!(matches!(out, Rendered::Messages(ref m) if m.len() == 2));
    let history = t
        .variable_uses()
        .into_iter()
        .find(|u| u.name == "history")
        .unwrap();
    assert_eq!(
        (history.spec.var_type, history.spec.required),
        (VarType::List, false)
    );
    let mut c = c.clone();
    c.variables.insert(
        "history".into(),
        VariableSpec {
            var_type: VarType::List,
            ..Default::default()
        },
    );
    let t = Template::compile(&c, &SnippetSet::new()).unwrap();
    let err = t
        .render(&vars(json!({"who": "x", "question": "q"})))
        .unwrap_err();
    assert!(matches!(err, RenderError::MissingVariable { ref name, .. } if name == "history"));
}

#[test]
fn includes_render_with_the_callers_variables() {
    let c = text_prompt(&[("Tone", "{% include \"snippets/tone\" %}")]);
    let snippets: SnippetSet = [(
        "snippets/tone".to_string(),
        "Be kind to {{ name }}.".to_string(),
    )]
    .into();
    let t = Template::compile(&c, &snippets).unwrap();
    assert_eq!(t.used_variables(), ["name"]);
    let err = t.render(&VarInputs::new()).unwrap_err();
    assert!(
        matches!(err, RenderError::MissingVariable { ref name, ref section } if name == "name" && section == "Tone")
    );
    let out = t.render(&vars(json!({"name": "Ada"}))).unwrap();
    assert_eq!(out, Rendered::Text("## Tone\n\nBe kind to Ada.".into()));
}

#[test]
fn loops_and_filters_work() {
    let c = text_prompt(&[(
        "Docs",
        "{% for d in docs %}[{{ loop.index }}] {{ d.title | upper }}\n{% endfor %}",
    )]);
    let t = Template::compile(&c, &SnippetSet::new()).unwrap();
    assert_eq!(t.used_variables(), ["docs"]);
    let out = t
        .render(&vars(json!({"docs": [{"title": "a"}, {"title": "b"}]})))
        .unwrap();
    assert_eq!(out, Rendered::Text("## Docs\n\n[1] A\n[2] B".into()));
}

#[test]
fn lists_and_maps_print_as_minijinja_prints_them() {
    let mut c = text_prompt(&[(
        "Task",
        "{{ [1, \"a\", [true, none]] }} {{ {\"k\": [2]} }} {{ items }} {{ 3 }}{{ \"s\" }}",
    )]);
    c.headings = false;
    let t = Template::compile(&c, &SnippetSet::new()).unwrap();
    let out = t.render(&vars(json!({"items": ["x", "y"]}))).unwrap();
    assert_eq!(
        out,
        Rendered::Text("[1, 'a', [True, None]] {'k': [2]} ['x', 'y'] 3s".into())
    );
}
