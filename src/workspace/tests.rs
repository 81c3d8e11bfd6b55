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

    // A cycle through the workspace is named.
    ws.set_section_body(&name("snippets/tone"), "task", "{% include \"reply\" %}")
        .unwrap();
    ws.commit(&name("snippets/tone"), "loop", false).unwrap();
    let err = ws
        .render(&n, VersionRef::Latest, &vars(json!({})))
        .unwrap_err();
    assert!(
        matches!(&err, WorkspaceError::Render(RenderError::IncludeCycle { cycle }) if cycle.len() == 3),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "include cycle: reply → snippets/tone → reply"
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
