use serde_json::json;

use super::*;
use crate::domain::{PromptType, VarType, VariableSpec};

fn prompt(bodies: &[&str]) -> PromptContent {
    let mut p = PromptContent::blank(PromptType::Text);
    for (section, body) in p.sections.iter_mut().zip(bodies) {
        section.body = body.to_string();
    }
    p
}

fn custom(title: &str, body: &str) -> Section {
    Section::new(SectionKind::Custom, title, None, body)
}

fn titles(diff: &PromptDiff) -> Vec<(&str, ChangeStatus)> {
    diff.sections
        .iter()
        .map(|s| (s.title.as_str(), s.status))
        .collect()
}

#[test]
fn unchanged_prompts_give_an_empty_diff() {
    let p = prompt(&["You are a support agent.", "Ticket: {{ ticket }}\nBe kind."]);
    let diff = diff_prompts(&p, &p.clone());
    assert!(diff.is_empty());
    assert!(diff.fields.is_empty());
    assert_eq!(diff.stats, DiffStats::default());
    assert_eq!(diff.sections.len(), 5);
    assert!(diff.sections.iter().all(|s| !s.is_changed()));
    assert_eq!(diff.sections[1].lines.len(), 2);
    assert!(
        diff.sections[1]
            .lines
            .iter()
            .all(|l| l.tag == LineTag::Equal)
    );
}

#[test]
fn an_edited_line_is_a_delete_insert_pair_with_the_word_emphasized() {
    let old = prompt(&[
        "",
        "",
        "Answer in a friendly tone.\nCite the ticket.\nSign off.",
    ]);
    let new = prompt(&[
        "",
        "",
        "Answer in a formal tone.\nCite the ticket.\nSign off.",
    ]);
    let diff = diff_prompts(&old, &new);
    assert!(!diff.is_empty());
    let s = &diff.sections[2];
    assert_eq!(s.status, ChangeStatus::Modified);
    assert_eq!((s.added, s.removed), (1, 1));
    assert!(s.renamed_from.is_none() && !s.moved);
    let tags: Vec<_> = s.lines.iter().map(|l| l.tag).collect();
    use LineTag::*;
    assert_eq!(tags, [Delete, Insert, Equal, Equal]);
    let (del, ins) = (&s.lines[0], &s.lines[1]);
    assert_eq!((del.old_line, del.new_line), (Some(1), None));
    assert_eq!((ins.old_line, ins.new_line), (None, Some(1)));
    assert_eq!(del.text(), "Answer in a friendly tone.");
    assert_eq!(ins.text(), "Answer in a formal tone.");
    let emphasized: Vec<_> = ins.segments.iter().filter(|s| s.emphasized).collect();
    assert_eq!(emphasized.len(), 1);
    assert_eq!(emphasized[0].text, "formal");
    assert!(
        del.segments
            .iter()
            .any(|s| s.emphasized && s.text == "friendly")
    );
    assert_eq!(
        (s.lines[3].old_line, s.lines[3].new_line),
        (Some(3), Some(3))
    );
    assert_eq!(diff.stats.sections_modified, 1);
    assert_eq!((diff.stats.lines_added, diff.stats.lines_removed), (1, 1));
    // Segment text never carries the newline.
    assert!(
        s.lines
            .iter()
            .flat_map(|l| &l.segments)
            .all(|g| !g.text.contains('\n'))
    );
}

#[test]
fn added_removed_and_renamed_sections_are_named() {
    let mut old = prompt(&["Role.", "Context."]);
    old.sections.push(custom(
        "Notes",
        "Escalate refunds above 100 EUR to a human.",
    ));
    old.sections
        .push(custom("Legacy", "Old rule nobody follows."));
    let mut new = prompt(&["Role.", "Context."]);
    new.sections.push(custom(
        "Escalation",
        "Escalate refunds above 200 EUR to a human.",
    ));
    new.sections.push(custom("Tone", "Warm and short."));
    let diff = diff_prompts(&old, &new);

    let renamed = diff
        .sections
        .iter()
        .find(|s| s.title == "Escalation")
        .unwrap();
    assert_eq!(renamed.renamed_from.as_deref(), Some("Notes"));
    assert_eq!(renamed.status, ChangeStatus::Modified);
    assert_eq!((renamed.old_index, renamed.new_index), (Some(5), Some(5)));
    assert!(!renamed.moved);

    let added = diff.sections.iter().find(|s| s.title == "Tone").unwrap();
    assert_eq!(added.status, ChangeStatus::Added);
    assert_eq!((added.old_index, added.new_index), (None, Some(6)));
    assert_eq!(added.lines[0].tag, LineTag::Insert);

    let removed = diff.sections.iter().find(|s| s.title == "Legacy").unwrap();
    assert_eq!(removed.status, ChangeStatus::Removed);
    assert_eq!((removed.old_index, removed.new_index), (Some(6), None));
    assert_eq!((removed.added, removed.removed), (0, 1));

    // New order, the removed section after its old predecessor (the renamed one).
    let order: Vec<_> = diff.sections.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        order[4..],
        ["Output format", "Escalation", "Legacy", "Tone"]
    );
    let st = diff.stats;
    assert_eq!(
        (st.sections_added, st.sections_removed, st.sections_renamed),
        (1, 1, 1)
    );
    assert_eq!(st.sections_moved, 0);
}

#[test]
fn titles_match_case_insensitively_and_duplicates_pair_in_order() {
    let mut old = prompt(&[]);
    old.sections.push(custom("Notes", "first"));
    old.sections.push(custom("Notes", "second"));
    let mut new = old.clone();
    new.sections[5].title = "NOTES".into();
    let diff = diff_prompts(&old, &new);
    assert_eq!(diff.sections.len(), 7);
    assert_eq!(diff.sections[5].renamed_from.as_deref(), Some("Notes"));
    assert_eq!(diff.sections[5].old_index, Some(5));
    assert_eq!(diff.sections[6].old_index, Some(6));
    assert_eq!(diff.sections[6].status, ChangeStatus::Unchanged);
    assert_eq!(diff.stats.sections_moved, 0);
}

#[test]
fn a_removed_first_section_leads_and_an_unrelated_body_is_no_rename() {
    let old = prompt(&["You are a pirate."]);
    let mut new = prompt(&[]);
    new.sections.remove(0);
    new.sections.insert(
        0,
        Section::new(
            SectionKind::Role,
            "Persona",
            None,
            "Totally unrelated words here.",
        ),
    );
    let diff = diff_prompts(&old, &new);
    // Role "Role" -> Role "Persona": unrelated bodies, so removed + added, removed first.
    assert_eq!(
        titles(&diff)[..2],
        [
            ("Role", ChangeStatus::Removed),
            ("Persona", ChangeStatus::Added)
        ]
    );
}

#[test]
fn moving_one_section_among_five_marks_exactly_one_moved() {
    let old = prompt(&["a", "b", "c", "d", "e"]);
    let mut new = old.clone();
    let guardrails = new.sections.remove(3);
    new.sections.insert(1, guardrails);
    let diff = diff_prompts(&old, &new);
    let moved: Vec<_> = diff.changed_sections().map(|s| s.title.as_str()).collect();
    assert_eq!(moved, ["Guardrails"]);
    let g = &diff.sections[1];
    assert!(g.moved);
    assert_eq!(g.status, ChangeStatus::Unchanged);
    assert_eq!((g.old_index, g.new_index), (Some(3), Some(1)));
    assert_eq!(diff.stats.sections_moved, 1);
    assert!(!diff.is_empty());
}

#[test]
fn kind_and_role_changes_are_flagged() {
    let mut old = PromptContent::blank(PromptType::Chat);
    old.sections[4].body = "JSON only.".into();
    let mut new = old.clone();
    new.sections[4].kind = SectionKind::Guardrails;
    new.sections[4].body = "Reply in JSON. Never in prose.".into();
    new.sections[1].role = Some(MessageRole::User);
    let diff = diff_prompts(&old, &new);
    let s = &diff.sections[4];
    assert_eq!(s.title, "Output format");
    assert_eq!(
        s.kind_changed,
        Some((SectionKind::OutputFormat, SectionKind::Guardrails))
    );
    assert_eq!(s.old_index, Some(4));
    assert_eq!(s.status, ChangeStatus::Modified);
    let c = &diff.sections[1];
    assert_eq!(
        c.role_changed,
        Some((Some(MessageRole::System), Some(MessageRole::User)))
    );
    assert_eq!(c.status, ChangeStatus::Modified);
    assert!(c.lines.is_empty());
    assert_eq!(diff.stats.sections_modified, 2);
}

#[test]
fn config_and_variable_changes_are_field_changes() {
    let mut old = prompt(&["Role."]);
    old.config = json!({"model": "m1", "temperature": 0.2});
    old.variables
        .insert("ticket".into(), VariableSpec::default());
    old.variables.insert("gone".into(), VariableSpec::default());
    let mut new = old.clone();
    new.config = json!({"temperature": 0.2, "model": "m2"});
    new.description = "Support replies".into();
    new.variables.remove("gone");
    new.variables.get_mut("ticket").unwrap().var_type = VarType::Object;
    new.variables.insert("lang".into(), VariableSpec::default());
    let diff = diff_prompts(&old, &new);

    let names: Vec<_> = diff
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.status))
        .collect();
    assert_eq!(
        names,
        [
            ("description", ChangeStatus::Modified),
            ("config", ChangeStatus::Modified),
            ("variables.gone", ChangeStatus::Removed),
            ("variables.lang", ChangeStatus::Added),
            ("variables.ticket", ChangeStatus::Modified),
        ]
    );
    let config = &diff.fields[1];
    assert_eq!((config.added, config.removed), (1, 1));
    let changed: Vec<_> = config
        .lines
        .iter()
        .filter(|l| l.tag != LineTag::Equal)
        .collect();
    assert_eq!(changed[0].text().trim(), r#""model": "m1","#);
    assert_eq!(changed[1].text().trim(), r#""model": "m2","#);
    let ticket = &diff.fields[4];
    assert!(
        ticket
            .lines
            .iter()
            .any(|l| l.tag == LineTag::Insert && l.text().contains("object"))
    );
    assert!(
        diff.fields[3]
            .lines
            .iter()
            .all(|l| l.tag == LineTag::Insert)
    );
    assert!(diff.sections.iter().all(|s| !s.is_changed()));
    assert!(!diff.is_empty());

    // Key order is not a change; neither is a null config against an empty one.
    let mut reordered = old.clone();
    reordered.config = json!({"temperature": 0.2, "model": "m1"});
    assert!(diff_prompts(&old, &reordered).is_empty());
    let mut a = prompt(&[]);
    a.config = serde_json::Value::Null;
    assert!(diff_prompts(&a, &prompt(&[])).is_empty());
}

#[test]
fn type_and_headings_changes_are_field_changes() {
    let old = prompt(&[]);
    let mut new = old.clone();
    new.prompt_type = PromptType::Chat;
    new.headings = false;
    let diff = diff_prompts(&old, &new);
    let fields: Vec<_> = diff.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["type", "headings"]);
    assert_eq!(diff.fields[0].lines[0].text(), "text");
    assert_eq!(diff.fields[0].lines[1].text(), "chat");
}

#[test]
fn the_model_serialises_to_plain_json() {
    let old = prompt(&["", "", "Be kind."]);
    let new = prompt(&["", "", "Be brief."]);
    let value = serde_json::to_value(diff_prompts(&old, &new)).unwrap();
    let section = &value["sections"][2];
    assert_eq!(section["status"], "modified");
    assert_eq!(section["kind"], "instructions");
    assert_eq!(section["lines"][0]["tag"], "delete");
    assert_eq!(section["lines"][1]["tag"], "insert");
    assert_eq!(value["stats"]["lines_added"], 1);
}

#[test]
fn a_long_body_with_scattered_edits_diffs_exactly() {
    let old_lines: Vec<String> = (0..2000)
        .map(|i| {
            format!(
                "Line {i}: keep the answer short and cite the source {}",
                i % 7
            )
        })
        .collect();
    let mut new_lines = old_lines.clone();
    for i in (50..2000).step_by(200) {
        new_lines[i] = format!("Line {i}: EDITED the answer");
    }
    new_lines.insert(1000, "An inserted line".into());
    new_lines.remove(1500);
    let old = prompt(&["", "", &old_lines.join("\n")]);
    let new = prompt(&["", "", &new_lines.join("\n")]);
    let diff = diff_prompts(&old, &new);
    let s = &diff.sections[2];
    assert_eq!(s.added, 10 + 1);
    assert_eq!(s.removed, 10 + 1);
    let olds = s.lines.iter().filter(|l| l.tag != LineTag::Insert).count();
    let news = s.lines.iter().filter(|l| l.tag != LineTag::Delete).count();
    assert_eq!((olds, news), (2000, 2000));
    let numbered: Vec<_> = s.lines.iter().filter_map(|l| l.new_line).collect();
    assert_eq!(numbered, (1..=2000).collect::<Vec<_>>());
    assert_eq!(hunks(&s.lines, 3).len(), 12);
}

#[test]
fn a_missing_final_newline_is_not_a_change() {
    assert!(
        diff_text("a\nb", "a\nb\n")
            .iter()
            .all(|l| l.tag == LineTag::Equal)
    );
    let lines = diff_text("a\r\nb\r\n", "a\r\nc\r\n");
    assert_eq!(lines[1].text(), "b");
    assert_eq!(lines[2].text(), "c");
    assert_eq!(diff_text("a\n\nb", "a\n\nb")[1].segments, []);
}

fn terminated(text: &str) -> String {
    if text.is_empty() || text.ends_with('\n') {
        text.to_string()
    } else {
        format!("{text}\n")
    }
}

proptest::proptest! {
    // Failures are reported, not saved: the regressions folder is not this module's to write.
    #![proptest_config(proptest::test_runner::Config {
        failure_persistence: None,
        ..Default::default()
    })]

    /// Setting one-sided lines aside never costs a match: the diff rebuilds both texts and
    /// keeps as many lines as similar's own line diff does.
    #[test]
    fn line_diffs_rebuild_both_texts_minimally(
        old in proptest::collection::vec("[abc]{0,2}", 0..40),
        new in proptest::collection::vec("[abcd]{0,2}", 0..40),
    ) {
        let (old, new) = (old.join("\n"), new.join("\n"));
        let lines = diff_text(&old, &new);
        let side = |skip: LineTag| -> Vec<String> {
            lines.iter().filter(|l| l.tag != skip).map(DiffLine::text).collect()
        };
        proptest::prop_assert_eq!(side(LineTag::Insert), old.lines().collect::<Vec<_>>());
        proptest::prop_assert_eq!(side(LineTag::Delete), new.lines().collect::<Vec<_>>());
        let kept = lines.iter().filter(|l| l.tag == LineTag::Equal).count();
        let reference = similar::TextDiff::from_lines(&terminated(&old), &terminated(&new))
            .iter_all_changes()
            .filter(|c| c.tag() == similar::ChangeTag::Equal)
            .count();
        proptest::prop_assert_eq!(kept, reference);
    }
}
