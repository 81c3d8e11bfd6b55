//! The review and deploy loop from the workbench, by two people on one workspace file: alice
//! (author) commits and asks for a review, cannot approve her own version nor deploy it to
//! production; bob (compliance reviewer) reads the diff, comments on a line and approves; alice
//! deploys and rolls back. Checked through the workspace API and the audit log.

use galley::domain::people::Role;
use galley::tui::app::{Focus, View};
use galley::workspace::{AuditFilter, PolicyChange, Workspace};
use ratatui::crossterm::event::{KeyCode, KeyModifiers};

use crate::harness::Harness;

const P: &str = "support/router";

/// ada (admin) adds alice (author) and bob (reviewer, compliance); production needs an approval
/// from compliance, not by the author. alice writes v1, which production serves.
fn setup(path: &std::path::Path) {
    let mut ada = Workspace::open(path, "ada").unwrap();
    ada.add_user("ada", Role::Admin, &[]).unwrap();
    ada.add_user("alice", Role::Author, &[]).unwrap();
    ada.add_user("bob", Role::Reviewer, &["compliance".to_string()])
        .unwrap();
    let change = PolicyChange {
        required_groups: Some(vec!["compliance".into()]),
        ..PolicyChange::default()
    };
    ada.set_policy("production", &change).unwrap();
    let mut alice = Workspace::open(path, "alice").unwrap();
    let name = Harness::name(P);
    alice
        .create_from_starter(&name, "classifier", &[], None)
        .unwrap();
    let review = alice
        .request_review(&name, 1, "production", &["bob".into()], "")
        .unwrap();
    let mut bob = Workspace::open(path, "bob").unwrap();
    bob.decide(
        review.review.id,
        galley::domain::policy::DecisionKind::Approve,
        "ok",
    )
    .unwrap();
    alice.deploy(&name, 1, "production").unwrap();
}

fn status(h: &Harness) -> String {
    h.app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

#[test]
fn author_and_reviewer_take_a_version_to_production_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ws.db");
    setup(&path);
    let name = Harness::name(P);

    // alice edits the first section and commits v2.
    let mut alice = Harness::open_as(&path, "alice");
    assert_eq!(alice.app.open.as_ref().unwrap().name, name);
    alice.key(KeyCode::Tab, KeyModifiers::NONE);
    alice.enter();
    alice.press("Route carefully. ");
    alice.esc();
    alice.ctrl('s');
    alice.press("Careful routing");
    alice.enter();
    assert_eq!(alice.ws.log(&name).unwrap().len(), 2);

    // History: e diffs v2 against what production serves; R asks for a review of v2 for
    // production (the third environment), by bob.
    alice.esc();
    alice.press("2");
    alice.press("e");
    alice.press("jj");
    alice.enter();
    assert_eq!(alice.app.view, View::Diff);
    assert_eq!(alice.app.diff.labels(), Some(("production v1", "v2")));
    alice.press("2");
    alice.press("R");
    alice.press("jj");
    alice.enter();
    alice.press("bob");
    alice.enter();
    alice.press("Tickets were misrouted");
    alice.enter();
    assert!(alice.app.popup.is_none(), "{}", status(&alice));
    let reviews = alice.ws.reviews(false).unwrap();
    let review = &reviews[0];
    assert_eq!(
        (
            review.review.version,
            review.review.env.as_str(),
            review.status.as_str()
        ),
        (2, "production", "pending")
    );
    let id = review.review.id;

    // The Review view lists it among alice's own; approving it herself is refused in place.
    alice.press("5");
    assert_eq!(alice.app.view, View::Review);
    let queue = alice.app.reviews.queue.as_ref().unwrap();
    assert_eq!(queue.mine.len(), 1);
    assert!(queue.awaiting_me.is_empty());
    alice.press("a");
    assert!(
        status(&alice).contains("does not let its author approve it"),
        "{}",
        status(&alice)
    );
    assert!(
        alice.app.popup.is_none(),
        "refused before a comment is asked for"
    );
    assert!(alice.ws.review(id).unwrap().decisions.is_empty());

    // The Deploy view: deploying v2 to production is blocked, and the dialog says why.
    alice.press("6");
    assert_eq!(alice.app.view, View::Deploy);
    assert_eq!(alice.app.focus, Focus::Deploy);
    alice.press("ll");
    assert_eq!(alice.app.deploys.selected_env(), Some("production"));
    alice.press("d");
    alice.enter(); // v2, the latest, comes first
    let confirm = alice
        .app
        .deploy_confirm
        .as_ref()
        .expect("the confirm dialog");
    assert!(!confirm.preview.allowed());
    let missing = confirm.preview.missing.join("; ");
    assert!(
        missing.contains("needs an approval from group compliance"),
        "{missing}"
    );
    assert!(missing.contains("needs 1 more approval"), "{missing}");
    alice.press("y");
    assert!(
        alice.app.deploy_confirm.is_some(),
        "a blocked deploy cannot be confirmed"
    );
    alice.esc();
    assert_eq!(alice.ws.served(&name, "production").unwrap(), Some(1));

    // bob opens the review awaiting him, comments on the diff's top line and approves.
    let mut bob = Harness::open_as(&path, "bob");
    bob.press("5");
    let queue = bob.app.reviews.queue.as_ref().unwrap();
    assert_eq!(queue.awaiting_me.len(), 1);
    bob.enter();
    assert_eq!(bob.app.focus, Focus::ReviewDiff);
    let detail = bob.app.reviews.detail.as_ref().unwrap();
    assert_eq!(detail.info.review.id, id);
    assert_eq!(bob.app.reviews.diff.labels(), Some(("production v1", "v2")));
    bob.press("n"); // to the first change
    bob.press("c");
    bob.press("Why careful?");
    bob.enter();
    let threads = bob.ws.comment_threads(&name, Some(2), false).unwrap();
    assert_eq!(threads.len(), 1, "{}", status(&bob));
    assert!(threads[0].root.section.is_some() && threads[0].root.line.is_some());
    assert_eq!(
        bob.app.reviews.detail.as_ref().unwrap().threads.len(),
        1,
        "the thread shows in the review"
    );
    bob.press("a");
    bob.press("Compliant");
    bob.enter();
    assert_eq!(bob.ws.review(id).unwrap().status, "approved");

    // alice replies to the thread and resolves it, then deploys and rolls back.
    alice.ctrl('r');
    alice.press("5");
    alice.enter();
    alice.key(KeyCode::Tab, KeyModifiers::NONE);
    assert_eq!(alice.app.focus, Focus::ReviewThreads);
    alice.press("r");
    alice.press("Tickets were misrouted.");
    alice.enter();
    alice.press("R");
    let threads = alice.ws.comment_threads(&name, Some(2), false).unwrap();
    assert_eq!(threads[0].replies.len(), 1);
    assert!(threads[0].resolved);

    alice.press("6");
    alice.press("d");
    alice.enter();
    assert!(alice.app.deploy_confirm.as_ref().unwrap().preview.allowed());
    alice.press("y");
    assert!(alice.app.deploy_confirm.is_none());
    assert_eq!(alice.ws.served(&name, "production").unwrap(), Some(2));
    assert!(
        status(&alice).contains("production now serves v2"),
        "{}",
        status(&alice)
    );
    alice.press("r");
    let confirm = alice.app.deploy_confirm.as_ref().unwrap();
    assert_eq!(
        (confirm.preview.current, confirm.preview.target),
        (Some(2), Some(1))
    );
    alice.press("y");
    assert_eq!(alice.ws.served(&name, "production").unwrap(), Some(1));
    let history = &alice.app.deploys.history.as_ref().unwrap().1;
    assert_eq!(history.last().unwrap().kind, "rollback");

    // Every step is in the audit log, by whoever took it.
    let log = alice
        .ws
        .audit_log(&AuditFilter {
            prompt: Some(name.clone()),
            ..AuditFilter::default()
        })
        .unwrap();
    let steps: Vec<(String, String)> = log
        .iter()
        .map(|e| (e.actor.clone(), e.action.clone()))
        .collect();
    for step in [
        ("alice", "review.request"),
        ("bob", "comment.add"),
        ("bob", "review.approve"),
        ("alice", "comment.add"),
        ("alice", "comment.resolve"),
        ("alice", "deployment.deploy"),
        ("alice", "deployment.rollback"),
    ] {
        assert!(
            steps.contains(&(step.0.to_string(), step.1.to_string())),
            "{step:?} missing from {steps:?}"
        );
    }
    assert!(
        alice.ws.verify_audit().unwrap().problem.is_none(),
        "the chain holds"
    );
}
