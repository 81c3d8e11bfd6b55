//! Storing a record received from elsewhere, with its audit entry: shared by the server (a
//! pushed record it accepted) and the client (a pulled record). The client's rule for version
//! numbers that collide is here too.

use serde_json::json;

use crate::store::{KeyRevocationRow, LocalTable, StoreError, Tx, UserKeyRow};
use crate::sync::records::{
    DatasetVersionRecord, KeyRevocationRecord, Record, UserKeyRecord, VersionRecord,
};

use super::super::{Result, WorkspaceError, now};

fn missing(what: &str, id: &str, record: &Record) -> WorkspaceError {
    WorkspaceError::Refused(format!(
        "{} refers to {what} {id}, which this workspace does not hold",
        record.describe()
    ))
}

/// A received key registration as it is stored.
pub(super) fn user_key_row(r: &UserKeyRecord) -> UserKeyRow {
    UserKeyRow {
        id: 0,
        record_id: r.id.clone(),
        user: r.user.clone(),
        fingerprint: r.fingerprint.clone(),
        public_key: r.public_key.clone(),
        added_by: r.added_by.clone(),
        at: r.at.clone(),
        statement: r.statement.clone(),
        signature: r.signature.clone(),
    }
}

/// A received key revocation as it is stored.
pub(super) fn key_revocation_row(r: &KeyRevocationRecord) -> KeyRevocationRow {
    KeyRevocationRow {
        id: 0,
        record_id: r.id.clone(),
        user: r.user.clone(),
        fingerprint: r.fingerprint.clone(),
        revoked_by: r.revoked_by.clone(),
        at: r.at.clone(),
        statement: r.statement.clone(),
        signature: r.signature.clone(),
    }
}

/// Stores `record` (its references already checked) and appends its audit entry, as the
/// original action with `"via": "sync"` and, on the server, `"pushed_with"`: the public id of
/// the key that pushed it.
pub(super) fn store(tx: &Tx<'_>, record: &Record, pushed_with: Option<&str>) -> Result<()> {
    let at = now();
    let (actor, action, target, details) = match record {
        Record::Version(r) => {
            tx.store_version_record(r)?;
            (
                &r.author,
                "version.commit".to_string(),
                r.prompt.as_str(),
                json!({"version": r.number, "hash": r.content_hash, "message": r.message}),
            )
        }
        Record::Review(r) => {
            tx.ensure_environment(&r.env, &at)?;
            let id = tx.store_review_record(r)?;
            (
                &r.requested_by,
                "review.request".to_string(),
                r.prompt.as_str(),
                json!({"review": id, "version": r.version, "hash": r.content_hash, "env": r.env,
                       "reviewers": r.reviewers, "note": r.note}),
            )
        }
        Record::Decision(r) => {
            let review = tx
                .local_id(LocalTable::Reviews, &r.review)?
                .ok_or_else(|| missing("review", &r.review, record))?;
            tx.store_decision_record(r, review)?;
            (
                &r.reviewer,
                format!("review.{}", r.decision),
                r.prompt.as_str(),
                json!({"review": review, "hash": r.content_hash, "groups": r.groups,
                       "comment": r.comment}),
            )
        }
        Record::Comment(r) => {
            let parent = match &r.parent {
                Some(p) => Some(
                    tx.local_id(LocalTable::Comments, p)?
                        .ok_or_else(|| missing("comment", p, record))?,
                ),
                None => None,
            };
            tx.store_comment_record(r, parent)?;
            (
                &r.author,
                "comment.add".to_string(),
                r.prompt.as_str(),
                json!({"version": r.version, "hash": r.content_hash, "section": r.section,
                       "line": r.line, "body": r.body}),
            )
        }
        Record::Resolution(r) => {
            let comment = tx
                .local_id(LocalTable::Comments, &r.comment)?
                .ok_or_else(|| missing("comment", &r.comment, record))?;
            if tx.is_resolved(comment)? {
                // Resolved here too, by someone else: the thread is resolved either way.
                return Ok(());
            }
            tx.store_resolution_record(r, comment)?;
            let prompt = tx.comment(comment)?.map(|c| c.prompt).unwrap_or_default();
            let at = now();
            let mut details = json!({"comment": comment, "record": r.id, "via": "sync"});
            if let Some(key) = pushed_with {
                details["pushed_with"] = json!(key);
            }
            tx.append_audit(&r.resolved_by, &at, "comment.resolve", &prompt, &details)?;
            return Ok(());
        }
        Record::Deployment(r) => {
            tx.ensure_environment(&r.env, &at)?;
            tx.store_deployment_record(r)?;
            (
                &r.actor,
                format!("deployment.{}", r.deploy_kind),
                r.prompt.as_str(),
                json!({"env": r.env, "version": r.version, "hash": r.content_hash,
                       "previous_version": r.previous_version}),
            )
        }
        Record::DatasetVersion(r) => {
            tx.store_dataset_version_record(r)?;
            (
                &r.author,
                "dataset.version".to_string(),
                r.dataset.as_str(),
                json!({"version": r.version, "cases": r.case_count, "message": r.message}),
            )
        }
        Record::UserKey(r) => {
            tx.insert_user_key(&user_key_row(r))?;
            (
                &r.added_by,
                "user.key.add".to_string(),
                r.user.as_str(),
                json!({"fingerprint": r.fingerprint, "key": r.public_key}),
            )
        }
        Record::KeyRevocation(r) => {
            tx.insert_key_revocation(&key_revocation_row(r))?;
            (
                &r.revoked_by,
                "user.key.revoke".to_string(),
                r.user.as_str(),
                json!({"fingerprint": r.fingerprint}),
            )
        }
        Record::EvalRun(r) => {
            tx.store_eval_run_record(r)?;
            (
                &r.started_by,
                "eval.run".to_string(),
                r.prompt.as_str(),
                json!({"run": r.id, "dataset": r.dataset, "status": r.status,
                       "summary": r.summary}),
            )
        }
    };
    let mut details = details;
    details["record"] = json!(record.id());
    details["via"] = json!("sync");
    if let Some(key) = pushed_with {
        details["pushed_with"] = json!(key);
    }
    tx.append_audit(actor, &at, &action, target, &details)?;
    Ok(())
}

/// The client's conflict rule, run before storing a pulled version: when this workspace holds
/// another version with the same number that the remote never acknowledged, that version (and
/// every later unshared one of the prompt) moves after the prompt's newest number, so the
/// server's numbering wins and nothing local is lost. Returns one note per moved version.
pub(super) fn make_room_for_version(
    tx: &Tx<'_>,
    remote: &str,
    r: &VersionRecord,
) -> Result<Vec<String>> {
    let Some(holder) = tx.number_holder(&r.prompt, r.number)? else {
        return Ok(Vec::new());
    };
    if holder.id == r.id {
        return Ok(Vec::new());
    }
    let name = crate::domain::PromptName::parse(&r.prompt)?;
    let prompt = tx
        .prompt(&name)?
        .ok_or_else(|| StoreError::Corrupt(format!("prompt {} vanished", r.prompt)))?;
    let mut moving = Vec::new();
    for v in tx.versions(prompt.id)? {
        if v.number < r.number {
            continue;
        }
        let id = tx
            .number_holder(&r.prompt, v.number)?
            .map(|h| h.id)
            .unwrap_or_default();
        if !tx.known_to_a_remote(&id)? {
            moving.push((v.number, id));
        }
    }
    if !moving.iter().any(|(n, _)| *n == r.number) {
        return Err(WorkspaceError::Refused(format!(
            "remote `{remote}` sent version {} of {} ({}), but this workspace already shares \
             another version {} with it: the remote's log is inconsistent",
            r.number, r.prompt, r.id, r.number
        )));
    }
    moving.sort();
    let top = prompt.latest_version.unwrap_or(0).max(r.number);
    let moves: Vec<(u32, u32)> = moving
        .iter()
        .enumerate()
        .map(|(i, (from, _))| (*from, top + 1 + i as u32))
        .collect();
    tx.renumber_versions(&r.prompt, &moves)?;
    let at = now();
    let mut notes = Vec::new();
    for ((from, to), (_, id)) in moves.iter().zip(&moving) {
        tx.append_audit(
            "galley",
            &at,
            "version.renumber",
            &r.prompt,
            &json!({"from": from, "to": to, "record": id,
                    "reason": format!("remote {remote} already has a version {} by {}", r.number, r.author)}),
        )?;
        notes.push(format!(
            "{}: your unpushed version {from} is now version {to} (remote `{remote}` already has \
             a version {} by {}); push to share it",
            r.prompt, r.number, r.author
        ));
    }
    Ok(notes)
}

/// The same rule for dataset versions.
pub(super) fn make_room_for_dataset_version(
    tx: &Tx<'_>,
    remote: &str,
    r: &DatasetVersionRecord,
) -> Result<Vec<String>> {
    let Some(holder) = tx.dataset_version_holder(&r.dataset, r.version)? else {
        return Ok(Vec::new());
    };
    if holder == r.id || tx.known_to_a_remote(&holder)? {
        return Ok(Vec::new());
    }
    let to = tx.renumber_dataset_version(&r.dataset, r.version)?;
    tx.append_audit(
        "galley",
        &now(),
        "dataset.renumber",
        &r.dataset,
        &json!({"from": r.version, "to": to, "record": holder}),
    )?;
    Ok(vec![format!(
        "dataset {}: your unpushed version {} is now version {to} (remote `{remote}` already has \
         a version {} by {}); push to share it",
        r.dataset, r.version, r.version, r.author
    )])
}
