use serde_json::json;

use super::*;
use crate::domain::{PromptType, Section, SectionKind, VersionRef};
use crate::template::{RenderError, Rendered};

fn open(dir: &tempfile::TempDir, user: &str) -> Workspace {
    Workspace::open(&dir.path().join("ws.db"), user).unwrap()
}

fn name(s: &str) -> PromptName {
    PromptName::parse(s).unwrap()
}

impl Workspace {
    fn latest_of(&self, n: &PromptName) -> u32 {
        self.summary(n).unwrap().latest_version.unwrap()
    }
}

fn text_prompt(body: &str) -> PromptContent {
    let mut c = PromptContent::blank(PromptType::Text);
    c.headings = false;
    c.sections = vec![Section::new(SectionKind::Instructions, "Task", None, body)];
    c
}

#[test]
fn create_edit_commit_and_log() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir, "ada");
    let n = name("support/triage");
    let v1 = ws
        .create_prompt(
            &n,
            PromptContent::blank(PromptType::Chat),
            &["b".into(), "a".into()],
            "start",
        )
        .unwrap();
    assert_eq!((v1.number, v1.parent), (1, None));
    assert_eq!(ws.summary(&n).unwrap().tags, ["a", "b"]);
    assert!(matches!(
        ws.create_prompt(&n, text_prompt("x"), &[], "again"),
        Err(WorkspaceError::PromptExists(_))
    ));

    // No draft yet: nothing to commit.
    assert!(matches!(
        ws.commit(&n, "m", false),
        Err(WorkspaceError::NoDraft(_))
    ));
    ws.set_section_body(&n, "role", "You triage tickets.")
        .unwrap();
    assert!(ws.summary(&n).unwrap().has_draft);
    let v2 = ws.commit(&n, "Say what the role is", false).unwrap();
    assert_eq!((v2.number, v2.parent), (2, Some(1)));
    assert!(
        !ws.summary(&n).unwrap().has_draft,
        "commit consumes the draft"
    );
    let log = ws.log(&n).unwrap();
    assert_eq!(log.iter().map(|v| v.number).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(log[0].message, "Say what the role is");

    // A draft identical to the latest version is refused.
    ws.set_section_body(&n, "role", "You triage tickets!")
        .unwrap();
    ws.set_section_body(&n, "role", "You triage tickets.")
        .unwrap();
    assert!(
        !ws.summary(&n).unwrap().has_draft,
        "reverting an edit drops the draft"
    );
    // A draft that ends up identical to the latest version (someone committed the same text) is
    // refused.
    ws.set_section_body(&n, "context", "Tickets come from email.")
        .unwrap();
    let mut bob = Workspace::open(ws.path(), "bob").unwrap();
    bob.set_section_body(&n, "context", "Tickets come from email.")
        .unwrap();
    bob.commit(&n, "same idea", false).unwrap();
    let err = ws.commit(&n, "noop", false).unwrap_err();
    assert!(
        matches!(err, WorkspaceError::NothingToCommit { version: 3, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("identical to version 3"));

    let audit = ws.audit(Some("support/triage"), 10).unwrap();
    let actions: Vec<_> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "prompt.create",
            "version.commit",
            "version.commit",
            "version.commit"
        ]
    );
    assert_eq!(
        audit.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(),
        ["ada", "ada", "ada", "bob"]
    );
}

#[test]
fn stale_drafts_need_force() {
    let dir = tempfile::tempdir().unwrap();
    let n = name("p");
    let mut ada = open(&dir, "ada");
    ada.create_prompt(&n, text_prompt("one"), &[], "v1")
        .unwrap();
    let mut bob = open(&dir, "bob");
    ada.set_section_body(&n, "task", "ada's edit").unwrap();
    bob.set_section_body(&n, "task", "bob's edit").unwrap();
    bob.commit(&n, "bob first", false).unwrap();
    let err = ada.commit(&n, "ada second", false).unwrap_err();
    assert!(
        err.to_string()
            .contains("bob has since committed version 2"),
        "{err}"
    );
    let v3 = ada.commit(&n, "ada second", true).unwrap();
    assert_eq!((v3.number, v3.parent), (3, Some(1)));
}

#[test]
fn renders_versions_drafts_and_snippets() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir, "ada");
    ws.create_prompt(
        &name("snippets/tone"),
        text_prompt("Be warm to {{ customer }}."),
        &[],
        "tone",
    )
    .unwrap();
    let n = name("reply");
    ws.create_prompt(
        &n,
        text_prompt("{% include \"snippets/tone\" %} Answer: {{ q }}"),
        &[],
        "v1",
    )
    .unwrap();
    let vars = |v: serde_json::Value| v.as_object().unwrap().clone();
    let out = ws
        .render(
            &n,
            VersionRef::Latest,
            &vars(json!({"customer": "Ada", "q": "hi"})),
        )
        .unwrap();
    assert_eq!(
        out.rendered,
        Rendered::Text("Be warm to Ada. Answer: hi".into())
    );
    assert_eq!(out.version, Some(1));
    let uses = ws
        .variables(&n, &ws.working_copy(&n).unwrap().content)
        .unwrap();
    assert_eq!(
        uses.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["customer", "q"]
    );

    let err = ws
        .render(&n, VersionRef::Latest, &vars(json!({"q": "hi"})))
        .unwrap_err();
    assert!(
        err.to_string().contains("missing variable `customer`"),
        "{err}"
    );
    assert!(matches!(
        ws.render(&n, VersionRef::Draft, &vars(json!({}))),
        Err(WorkspaceError::NoDraft(_))
    ));
    assert!(matches!(
        ws.render(&n, VersionRef::Number(7), &vars(json!({}))),
        Err(WorkspaceError::VersionNotFound {
            number: 7,
            latest: 1,
            ..
        })
    ));

    // A cycle through the workspace is named. Committing one is refused, but prompts created
    // one by one (an import, in name order) can still close one.
    ws.create_prompt(
        &name("loop/a"),
        text_prompt("{% include \"loop/b\" %}"),
        &[],
        "a",
    )
    .unwrap();
    ws.create_prompt(
        &name("loop/b"),
        text_prompt("{% include \"loop/a\" %}"),
        &[],
        "b",
    )
    .unwrap();
    let err = ws
        .render(&name("loop/a"), VersionRef::Latest, &vars(json!({})))
        .unwrap_err();
    assert!(
        matches!(&err, WorkspaceError::Render(RenderError::IncludeCycle { cycle }) if cycle.len() == 3),
        "{err}"
    );
    assert_eq!(err.to_string(), "include cycle: loop/a → loop/b → loop/a");
}

#[test]
fn commit_refuses_includes_that_cannot_be_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir, "ada");
    let tone = name("snippets/tone");
    let main = name("main");
    ws.create_prompt(&tone, text_prompt("Be warm."), &[], "tone")
        .unwrap();
    ws.create_prompt(
        &main,
        text_prompt("{% include \"snippets/tone\" %} Hi."),
        &[],
        "v1",
    )
    .unwrap();

    // Closing a cycle: the snippet includes the prompt that includes it.
    ws.set_section_body(&tone, "task", "{% include \"main\" %}")
        .unwrap();
    let err = ws.commit(&tone, "loop", false).unwrap_err();
    assert!(
        matches!(
            &err,
            WorkspaceError::Render(RenderError::IncludeCycle { .. })
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "include cycle: snippets/tone → main → snippets/tone"
    );
    // Including itself is a cycle too; `force` does not override a broken include.
    ws.set_section_body(&tone, "task", "{% include \"snippets/tone\" %}")
        .unwrap();
    assert!(matches!(
        ws.commit(&tone, "self", true),
        Err(WorkspaceError::Render(RenderError::IncludeCycle { .. }))
    ));
    assert_eq!(ws.log(&tone).unwrap().len(), 1, "nothing was committed");
    assert!(ws.summary(&tone).unwrap().has_draft, "the draft is kept");

    // An unknown snippet.
    ws.set_section_body(&main, "task", "{% include \"snippets/none\" %}")
        .unwrap();
    let err = ws.commit(&main, "typo", false).unwrap_err();
    assert!(
        err.to_string()
            .contains("includes `snippets/none`, which is not a prompt"),
        "{err}"
    );
    // Everything still renders.
    let out = ws
        .render(&main, VersionRef::Latest, &Default::default())
        .unwrap();
    assert_eq!(out.rendered, Rendered::Text("Be warm. Hi.".into()));

    // Nested snippets that resolve are fine.
    ws.create_prompt(&name("snippets/sign"), text_prompt("Bye."), &[], "sign")
        .unwrap();
    ws.set_section_body(&tone, "task", "Be warm. {% include \"snippets/sign\" %}")
        .unwrap();
    assert_eq!(ws.commit(&tone, "sign off", false).unwrap().number, 2);
    let out = ws
        .render(&main, VersionRef::Latest, &Default::default())
        .unwrap();
    assert_eq!(out.rendered, Rendered::Text("Be warm. Bye. Hi.".into()));
}

#[test]
fn a_commit_needs_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir, "ada");
    let n = name("p");
    ws.create_prompt(&n, text_prompt("one"), &[], "v1").unwrap();
    ws.set_section_body(&n, "task", "two").unwrap();
    for message in ["", "   ", "\n\t "] {
        let err = ws.commit(&n, message, true).unwrap_err();
        assert!(matches!(err, WorkspaceError::EmptyMessage), "{err}");
        assert_eq!(
            err.to_string(),
            "a commit needs a message: say what changed and why"
        );
    }
    assert!(ws.summary(&n).unwrap().has_draft, "the draft is kept");
    let v2 = ws.commit(&n, "  Say two  ", false).unwrap();
    assert_eq!(v2.message, "Say two");
}

#[test]
fn a_draft_is_based_on_the_version_it_was_read_from() {
    let dir = tempfile::tempdir().unwrap();
    let n = name("p");
    let mut ada = open(&dir, "ada");
    ada.create_prompt(&n, text_prompt("one"), &[], "v1")
        .unwrap();
    let mut bob = open(&dir, "bob");

    // Ada reads v1; bob commits v2 before she saves her edit of it.
    let working = ada.working_copy(&n).unwrap();
    assert_eq!(working.base(), Some(1));
    bob.set_section_body(&n, "task", "bob's two").unwrap();
    bob.commit(&n, "bob", false).unwrap();
    let base = working.base();
    let mut content = working.content;
    content.sections[0].body = "ada's two".into();
    assert_eq!(
        ada.save_draft_from(&n, content, base).unwrap(),
        DraftChange::Saved
    );
    assert_eq!(
        ada.working_copy(&n).unwrap().source,
        Source::Draft { base: Some(1) }
    );
    let err = ada.commit(&n, "ada", false).unwrap_err();
    assert!(
        matches!(
            err,
            WorkspaceError::StaleDraft {
                base: 1,
                latest: 2,
                ..
            }
        ),
        "{err}"
    );
    // A later save keeps the draft's own base, whatever it is given.
    let mut content = ada.working_copy(&n).unwrap().content;
    content.sections[0].body = "ada's two, again".into();
    ada.save_draft_from(&n, content, Some(2)).unwrap();
    assert_eq!(
        ada.working_copy(&n).unwrap().source,
        Source::Draft { base: Some(1) }
    );
    assert!(matches!(
        ada.commit(&n, "ada", false),
        Err(WorkspaceError::StaleDraft { .. })
    ));
    let v3 = ada.commit(&n, "ada", true).unwrap();
    assert_eq!((v3.number, v3.parent), (3, Some(1)));

    // The same through `edit_draft`: bob commits while the edit runs.
    ada.edit_draft(&n, |content| {
        bob.set_section_body(&n, "task", "bob's four").unwrap();
        bob.commit(&n, "bob again", true).unwrap();
        content.sections[0].body = "ada's four".into();
        Ok(())
    })
    .unwrap();
    assert_eq!(ada.latest_of(&n), 4);
    assert!(matches!(
        ada.commit(&n, "ada", false),
        Err(WorkspaceError::StaleDraft {
            base: 3,
            latest: 4,
            ..
        })
    ));
    ada.discard_draft(&n).unwrap();

    // An edit that changed nothing of what it read is not a draft, even after newer versions.
    let v3 = ada.resolve(&n, VersionRef::Number(3)).unwrap();
    assert_eq!(
        ada.save_draft_from(&n, v3.content, Some(3)).unwrap(),
        DraftChange::Unchanged
    );
    assert!(!ada.summary(&n).unwrap().has_draft);
    // A base that is not a version is refused.
    assert!(matches!(
        ada.save_draft_from(&n, text_prompt("x"), Some(9)),
        Err(WorkspaceError::VersionNotFound { number: 9, .. })
    ));

    // `save_draft` (an import) is based on the latest version at the time it is saved.
    ada.save_draft(&n, text_prompt("imported")).unwrap();
    assert_eq!(
        ada.working_copy(&n).unwrap().source,
        Source::Draft { base: Some(4) }
    );
    assert_eq!(ada.commit(&n, "import", false).unwrap().number, 5);
}

#[test]
fn variables_given_as_text_are_typed_by_how_the_prompt_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir, "ada");
    let n = name("chat");
    let mut content = PromptContent::blank(PromptType::Chat);
    content.sections = vec![
        Section::new(
            SectionKind::Instructions,
            "System",
            Some(crate::domain::MessageRole::System),
            "Help {{ who }}.",
        ),
        Section::new(SectionKind::Placeholder, "history", None, ""),
    ];
    ws.create_prompt(&n, content.clone(), &[], "v1").unwrap();
    let args = [
        "who=Ann".to_string(),
        r#"history=[{"role": "user", "content": "hi"}]"#.to_string(),
    ];
    let inputs = ws.parse_inputs(&n, &content, &args).unwrap();
    assert_eq!(inputs["who"], json!("Ann"));
    assert_eq!(
        inputs["history"],
        json!([{"role": "user", "content": "hi"}])
    );
    let err = ws
        .parse_inputs(&n, &content, &["history=hi".to_string()])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "variable `history` expects a list, got `hi`"
    );
}

#[test]
fn broken_templates_cannot_be_committed_but_drafts_keep_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir, "ada");
    let n = name("p");
    assert!(
        ws.create_prompt(&n, text_prompt("{% if %}"), &[], "v1")
            .is_err()
    );
    ws.create_prompt(&n, text_prompt("fine"), &[], "v1")
        .unwrap();
    ws.set_section_body(&n, "task", "{{ broken").unwrap();
    let err = ws.commit(&n, "oops", false).unwrap_err();
    assert!(err.to_string().contains("section `Task`"), "{err}");
    assert_eq!(
        ws.resolve(&n, VersionRef::Draft).unwrap().content.sections[0].body,
        "{{ broken"
    );
}

#[test]
fn export_then_import_keeps_the_hash() {
    let dir = tempfile::tempdir().unwrap();
    let mut ws = open(&dir, "ada");
    for starter in starters::starters() {
        ws.create_from_starter(&name(&format!("t/{}", starter.id)), starter.id, &[], None)
            .unwrap();
    }
    let out = dir.path().join("export");
    let files = ws.export_all(&out).unwrap();
    assert_eq!(files.len(), starters::starters().len());
    assert!(out.join("t/support-agent.md").exists());

    let other = tempfile::tempdir().unwrap();
    let mut fresh = open(&other, "grace");
    std::fs::write(out.join("notes.txt"), "not a prompt").unwrap();
    std::fs::write(
        out.join("t/broken.md"),
        "+++\ntype = \"text\"\nnope = 1\n+++\n",
    )
    .unwrap();
    let report = fresh.import_path(&out).unwrap();
    assert_eq!(report.imported.len(), files.len());
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert_eq!(report.ignored, [out.join("notes.txt")]);
    assert!(
        report
            .skipped
            .iter()
            .any(|(p, why)| p.ends_with("t/broken.md") && why.starts_with("line 3:"))
    );
    assert!(
        fresh.summary(&name("t/broken")).is_err(),
        "nothing of a bad file is written"
    );
    for s in ws.list(None).unwrap() {
        assert_eq!(
            fresh.summary(&s.name).unwrap().latest_hash,
            s.latest_hash,
            "{}",
            s.name
        );
    }
    // Importing again changes nothing; an edited file becomes a draft.
    let again = fresh.import_path(&out.join("t/classifier.md")).unwrap();
    assert!(matches!(
        again.imported[0].1,
        ImportOutcome::Unchanged { .. }
    ));
    let text = std::fs::read_to_string(out.join("t/classifier.md"))
        .unwrap()
        .replace("## Role", "## Persona");
    assert!(matches!(
        fresh.import_text(&text, None).unwrap(),
        ImportOutcome::DraftUpdated { .. }
    ));
    assert!(fresh.summary(&name("t/classifier")).unwrap().has_draft);
}

#[test]
fn two_handles_write_to_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.db");
    open(&dir, "ada")
        .create_prompt(&name("p"), text_prompt("0"), &[], "v1")
        .unwrap();
    let threads: Vec<_> = ["ada", "bob"]
        .into_iter()
        .map(|user| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut ws = Workspace::open(&path, user).unwrap();
                for i in 0..20 {
                    ws.set_section_body(&name("p"), "task", &format!("{user} {i}"))
                        .unwrap();
                    ws.commit(&name("p"), &format!("{user} {i}"), true).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let ws = open(&dir, "ada");
    assert_eq!(ws.log(&name("p")).unwrap().len(), 41);
}
