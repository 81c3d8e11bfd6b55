use proptest::prelude::*;
use serde_json::json;

use super::*;

fn sample() -> PromptFile {
    let mut content = PromptContent::blank(PromptType::Chat);
    content.description = "Routes a ticket".into();
    content.sections[0].body = "You are a triage assistant.\n\n## Not a section\nText".into();
    content.sections[2].body =
        "Ticket: {{ ticket }}\n## Fake {kind=role}\n\\## Fake {kind=role}".into();
    content.sections.push(Section::new(
        SectionKind::Placeholder,
        "history",
        Some(MessageRole::User),
        "",
    ));
    content.config = json!({"model": "gpt-4o-mini", "temperature": 0.2, "tools": [{"name": "x"}]});
    content.variables.insert(
        "ticket".into(),
        VariableSpec {
            description: "The message".into(),
            example: Some(json!("Hi")),
            ..Default::default()
        },
    );
    content.variables.insert(
        "limit".into(),
        VariableSpec {
            var_type: VarType::Number,
            required: false,
            default: Some(json!(3)),
            ..Default::default()
        },
    );
    PromptFile {
        name: Some(PromptName::parse("support/triage").unwrap()),
        tags: vec!["support".into()],
        content,
    }
}

#[test]
fn round_trip_is_exact() {
    let file = sample();
    let text = write(&file).unwrap();
    assert!(text.contains("## Role {kind=role role=system}"), "{text}");
    assert!(
        text.contains("\\## Fake {kind=role}\n\\\\## Fake {kind=role}"),
        "{text}"
    );
    let back = parse(&text).unwrap();
    assert_eq!(back, file);
    assert_eq!(back.content.content_hash(), file.content.content_hash());
}

#[test]
fn null_in_config_falls_back_to_json() {
    let mut file = sample();
    file.content.config = json!({"response_format": null});
    let text = write(&file).unwrap();
    assert!(text.contains("config_json"), "{text}");
    assert_eq!(parse(&text).unwrap().content.config, file.content.config);
}

#[test]
fn file_without_front_matter_is_a_text_prompt() {
    let parsed = parse("## Task {kind=instructions}\n\nSay hi to {{ name }}.\n").unwrap();
    assert_eq!(parsed.content.prompt_type, PromptType::Text);
    assert_eq!(parsed.content.sections[0].body, "Say hi to {{ name }}.");
    assert_eq!(parsed.name, None);
}

#[test]
fn errors_name_the_line() {
    let err = parse("+++\ntype = \"chat\"\nbogus = 1\n+++\n").unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    assert!(err.message.contains("bogus"), "{err}");

    let err = parse("+++\ntype = \"text\"\n+++\n\nstray words\n## A {kind=role}\n").unwrap_err();
    assert_eq!(err.line, 5, "{err}");

    let err = parse("## A {kind=nope}\n").unwrap_err();
    assert_eq!(err.line, 1);
    assert!(err.message.contains("nope"));

    let err = parse("+++\ntype = \"text\"\n").unwrap_err();
    assert!(err.message.contains("never closed"));

    let err = parse("+++\nname = \"Bad Name\"\n+++\n").unwrap_err();
    assert!(err.message.contains("Bad Name"));
}

fn arb_body() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9 {}%#\\\\=.]{0,30}",
            Just("## Heading {kind=role}".to_string()),
            Just("\\\\## Heading {kind=custom role=user}".to_string()),
            Just(String::new()),
            Just("+++".to_string()),
        ],
        0..8,
    )
    .prop_map(|lines| lines.join("\n"))
}

fn arb_section(chat: bool) -> impl Strategy<Value = Section> {
    (0usize..7, "[A-Za-z ]{0,20}", arb_body(), 0usize..3).prop_map(move |(k, title, body, r)| {
        let role = chat.then(|| {
            [
                MessageRole::System,
                MessageRole::User,
                MessageRole::Assistant,
            ][r]
        });
        Section::new(SectionKind::ALL[k], &title, role, &body)
    })
}

fn arb_json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        (-1e6f64..1e6).prop_map(Json::from),
        "[a-z\n\"' ]{0,12}".prop_map(Json::from),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Json::Array),
            prop::collection::btree_map("[a-z_]{1,6}", inner, 0..3)
                .prop_map(|m| Json::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_variable() -> impl Strategy<Value = VariableSpec> {
    let typed_value = prop_oneof![
        "[a-z \n\"]{0,10}".prop_map(|s| (VarType::String, Json::from(s))),
        any::<i32>().prop_map(|n| (VarType::Number, Json::from(n))),
        (-1e3f64..1e3).prop_map(|f| (VarType::Number, Json::from(f))),
        any::<bool>().prop_map(|b| (VarType::Boolean, Json::from(b))),
        prop::collection::vec(any::<u8>(), 0..3).prop_map(|v| (VarType::List, Json::from(v))),
        arb_json().prop_filter_map("objects only", |v| v
            .is_object()
            .then_some((VarType::Object, v))),
    ];
    (
        typed_value,
        any::<bool>(),
        any::<bool>(),
        "[a-zA-Z .]{0,20}",
        any::<bool>(),
    )
        .prop_map(
            |((var_type, value), required, has_default, description, has_example)| VariableSpec {
                var_type,
                required,
                default: has_default.then(|| value.clone()),
                description,
                example: has_example.then_some(value),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn export_then_import_keeps_the_hash(
        chat in any::<bool>(),
        headings in any::<bool>(),
        description in "[a-zA-Z \n\"]{0,40}",
        sections in prop::collection::vec(arb_section(true), 0..6),
        config in prop::collection::btree_map("[a-z_]{1,8}", arb_json(), 0..4),
        tags in prop::collection::vec("[a-z]{1,6}", 0..3),
        variables in prop::collection::btree_map("[a-z_][a-z0-9_]{0,8}", arb_variable(), 0..4),
    ) {
        let prompt_type = if chat { PromptType::Chat } else { PromptType::Text };
        let mut content = PromptContent {
            prompt_type,
            description,
            headings,
            sections,
            variables,
            config: Json::Object(config.into_iter().collect()),
        };
        content.normalize();
        let file = PromptFile { name: None, tags, content };
        let text = write(&file).unwrap();
        let back = parse(&text).unwrap();
        prop_assert_eq!(back.content.content_hash(), file.content.content_hash());
        prop_assert_eq!(back, file);
    }
}
