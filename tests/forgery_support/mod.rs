//! For the forgery suite: a server workspace with people, keys and a deployment history, and
//! `curl` (the real binary) pushing hand-made records to the real `galley serve`.

#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use galley::domain::keys::Scope;
use galley::domain::people::Role;
use galley::workspace::{PolicyChange, Workspace};
use serde_json::{Value, json};

/// What curl got back: the status and the body as JSON (null when it is not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

/// `curl` with `args`, the secret as a bearer token, answering with the status on its own last
/// line. Bounded by curl's `--max-time`.
pub fn curl(secret: &str, args: &[&str]) -> Answer {
    let out = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "20",
            "--noproxy",
            "*",
            "-w",
            "\n%{http_code}",
        ])
        .args(["-H", &format!("Authorization: Bearer {secret}")])
        .args(args)
        .output()
        .expect("run curl (install it: apt-get install -y curl)");
    assert!(out.status.success(), "curl failed: {out:?}");
    let all = String::from_utf8_lossy(&out.stdout).to_string();
    let (text, status) = all.rsplit_once('\n').expect("status line");
    Answer {
        status: status.trim().parse().expect("status"),
        body: serde_json::from_str(text).unwrap_or(Value::Null),
        text: text.to_string(),
    }
}

/// `POST /v1/sync/push` of `records` with curl.
pub fn push(base: &str, secret: &str, records: &[Value]) -> Answer {
    let body = json!({ "records": records }).to_string();
    curl(
        secret,
        &[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            &body,
            &format!("{base}/v1/sync/push"),
        ],
    )
}

/// Every record the server's log holds, through `GET /v1/sync/pull` with curl.
pub fn pulled(base: &str, secret: &str) -> Vec<Value> {
    let answer = curl(secret, &[&format!("{base}/v1/sync/pull?after=0&limit=500")]);
    assert_eq!(answer.status, 200, "{answer:?}");
    answer.body["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["record"].clone())
        .collect()
}

/// A fresh UUIDv7, as galley writes ids.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// The secrets of the server's keys.
pub struct Keys {
    /// grace (reviewer), write.
    pub grace: String,
    /// root (admin), admin: reads the log.
    pub root: String,
}

pub const P: &str = "support/triage";

/// The server's workspace: root (admin), ada (author), grace (reviewer). ada wrote versions 1-3
/// of `support/triage`; production served 1, 2 and 3 while it was open, then got its default
/// policy back (one approval, not by the author). Version 2 has a review by ada for
/// production, and a comment by ada.
pub fn prepare(db: &Path) -> Keys {
    let mut ws = Workspace::open(db, "root").expect("server workspace");
    ws.add_user("root", Role::Admin, &[]).expect("root");
    ws.add_user("ada", Role::Author, &[]).expect("ada");
    ws.add_user("grace", Role::Reviewer, &[]).expect("grace");
    let open = PolicyChange {
        min_approvals: Some(0),
        allow_self_approval: Some(true),
        ..Default::default()
    };
    ws.set_policy("production", &open).expect("open production");
    let keys = Keys {
        grace: ws
            .create_key("grace", Scope::Write, Some("grace"))
            .expect("key")
            .secret,
        root: ws
            .create_key("root", Scope::Admin, Some("root"))
            .expect("key")
            .secret,
    };
    let mut ada = Workspace::open(db, "ada").expect("as ada");
    let name = galley::domain::PromptName::parse(P).expect("name");
    let mut content = galley::domain::PromptContent::blank(galley::domain::PromptType::Text);
    content.sections = vec![galley::domain::Section::new(
        galley::domain::SectionKind::Instructions,
        "Task",
        None,
        "Classify the ticket.",
    )];
    ada.create_prompt(&name, content.clone(), &[], "v1")
        .expect("create");
    for (i, body) in [
        "Classify the ticket carefully.",
        "Classify it, and say why.",
    ]
    .iter()
    .enumerate()
    {
        content.sections[0].body = body.to_string();
        ada.save_draft(&name, content.clone()).expect("draft");
        ada.commit(&name, &format!("v{}", i + 2), false)
            .expect("commit");
    }
    for v in 1..=3 {
        ada.deploy(&name, v, "production").expect("deploy");
    }
    let protect = PolicyChange {
        min_approvals: Some(1),
        allow_self_approval: Some(false),
        ..Default::default()
    };
    ws.set_policy("production", &protect)
        .expect("protect production");
    ada.request_review(&name, 2, "production", &["grace".to_string()], "please")
        .expect("review");
    ada.add_comment(
        &name,
        &galley::workspace::CommentTarget {
            version: Some(2),
            section: None,
            line: None,
            reply_to: None,
        },
        "Is this clear?",
    )
    .expect("comment");
    keys
}
