use serde_json::json;

use super::*;
use crate::domain::{PromptContent, PromptName, PromptType, VersionInfo};

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("nested/ws.db")).unwrap();
    (dir, store)
}

#[test]
fn creates_and_migrates_a_new_file() {
    let (dir, store) = temp_store();
    assert_eq!(store.schema_version().unwrap(), latest_schema());
    drop(store);
    // Reopening an up-to-date file changes nothing.
    let again = Store::open(&dir.path().join("nested/ws.db")).unwrap();
    assert_eq!(again.schema_version().unwrap(), latest_schema());
}

#[test]
fn refuses_a_newer_schema_without_writing() {
    let (dir, store) = temp_store();
    store.conn.pragma_update(None, "user_version", 99).unwrap();
    drop(store);
    let path = dir.path().join("nested/ws.db");
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("newer galley"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn refuses_a_file_that_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.db");
    std::fs::write(&path, "this is not sqlite, just some text that is long enough to matter....................................................................").unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err:?}");
}

#[test]
fn versions_round_trip_and_are_immutable() {
    let (_dir, mut store) = temp_store();
    let name = PromptName::parse("a/b").unwrap();
    let content = PromptContent::blank(PromptType::Chat);
    let row = VersionRow {
        id: "v1".into(),
        info: VersionInfo {
            number: 1,
            content_hash: content.content_hash(),
            author: "ada".into(),
            created_at: "2026-01-01T00:00:00Z".into(),
            message: "first".into(),
            parent: None,
        },
        content: content.clone(),
    };
    let id = store
        .write(|tx| {
            let id = tx.insert_prompt(
                &name,
                &content,
                &["x".into()],
                "ada",
                "2026-01-01T00:00:00Z",
            )?;
            tx.insert_version(id, &row)?;
            tx.append_audit("ada", "now", "prompt.create", "a/b", &json!({}))?;
            Ok::<_, StoreError>(id)
        })
        .unwrap();
    let read = store.read();
    assert_eq!(read.version(id, 1).unwrap().unwrap(), row);
    assert_eq!(read.prompt(&name).unwrap().unwrap().latest_version, Some(1));
    let listed = read.list_prompts("ada", None).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].tags, ["x"]);
    assert!(read.list_prompts("ada", Some("b")).unwrap().is_empty());
    let err = store
        .conn
        .execute("UPDATE versions SET message = 'x'", [])
        .unwrap_err();
    assert!(err.to_string().contains("immutable"));
    let err = store.read().tamper_with_audit().unwrap_err();
    assert!(err.to_string().contains("append-only"));
}

#[test]
fn a_failed_write_leaves_nothing_behind() {
    let (_dir, mut store) = temp_store();
    let name = PromptName::parse("x").unwrap();
    let content = PromptContent::blank(PromptType::Text);
    let res: Result<(), StoreError> = store.write(|tx| {
        tx.insert_prompt(&name, &content, &[], "ada", "t")?;
        Err(StoreError::Corrupt("boom".into()))
    });
    assert!(res.is_err());
    assert!(store.read().prompt(&name).unwrap().is_none());
}

#[test]
fn refuses_another_applications_database_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().unwrap();
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("is an SQLite database but not a galley workspace"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file was changed"
    );
    assert!(!dir.path().join("other.sqlite-wal").exists());

    // An empty file is a new workspace.
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, "").unwrap();
    let store = Store::open(&empty).unwrap();
    assert_eq!(store.schema_version().unwrap(), latest_schema());
}

#[test]
fn an_open_error_names_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let err = Store::open(dir.path()).err().unwrap();
    assert!(matches!(err, StoreError::Open { .. }), "{err:?}");
    // The cause is part of the message, so it must not also be the error's source: a chain
    // printer (`{err:#}`) would repeat it.
    assert!(std::error::Error::source(&err).is_none());
    let chain = format!("{:#}", anyhow::Error::from(err));
    assert_eq!(
        chain.matches("unable to open database file").count(),
        1,
        "{chain}"
    );
}

#[test]
fn stored_list_entries_match_the_summaries() {
    let (_dir, mut store) = temp_store();
    let content = PromptContent::blank(PromptType::Text);
    store
        .write(|tx| {
            for (name, tags) in [
                ("b/one", vec!["x".to_string(), "y \"q\"".to_string()]),
                ("a", vec![]),
            ] {
                let name = PromptName::parse(name).unwrap();
                let id = tx.insert_prompt(&name, &content, &tags, "ada", "2026-01-01T00:00:00Z")?;
                let row = VersionRow {
                    id: format!("v-{id}"),
                    info: VersionInfo {
                        number: 1,
                        content_hash: content.content_hash(),
                        author: "ada".into(),
                        created_at: "2026-01-02T00:00:00Z".into(),
                        message: "m".into(),
                        parent: None,
                    },
                    content: content.clone(),
                };
                tx.insert_version(id, &row)?;
            }
            let id = tx.prompt(&PromptName::parse("a").unwrap())?.unwrap().id;
            tx.save_draft(
                id,
                "ada",
                &DraftRow {
                    base_version: Some(1),
                    updated_at: "t".into(),
                    content: content.clone(),
                },
            )?;
            tx.set_tags(id, &["new".to_string()], "2026-01-03T00:00:00Z")?;
            Ok::<_, StoreError>(())
        })
        .unwrap();
    let read = store.read();
    let expected = serde_json::to_value(read.list_prompts("ada", None).unwrap()).unwrap();
    let mut out = Vec::new();
    read.write_list_json("ada", None, None, &mut out).unwrap();
    let streamed: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(streamed, expected);
    let mut tagged = Vec::new();
    read.write_list_json("ada", Some("b/"), Some("x"), &mut tagged)
        .unwrap();
    let tagged: serde_json::Value = serde_json::from_slice(&tagged).unwrap();
    assert_eq!(tagged.as_array().unwrap().len(), 1);
    assert_eq!(tagged[0]["name"], "b/one");
}
