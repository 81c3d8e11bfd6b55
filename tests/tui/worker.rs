//! The worker thread itself: a long request (an eval run) goes to its own thread, streams its
//! progress tagged with its request id, does not hold up the requests behind it, and stops when
//! cancelled.

use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use galley::domain::PromptName;
use galley::domain::VersionRef;
use galley::domain::eval::{ProviderConfig, ProviderKind, RunStatus};
use galley::tui::event::{Event, Reply, Request};
use galley::tui::worker::{Settings, Worker};
use galley::workspace::Workspace;

/// A demo workspace with a `slow` provider: a command that waits before it answers.
fn workspace(dir: &tempfile::TempDir, wait: &str) -> Workspace {
    let mut ws = Workspace::open(&dir.path().join("ws.db"), "ada").unwrap();
    ws.load_demo().unwrap();
    let mut slow = ProviderConfig::new("slow", ProviderKind::Command);
    slow.command = Some(format!("sleep {wait}; cat"));
    ws.add_provider(slow, false).unwrap();
    ws
}

fn run_request() -> Request {
    Request::RunEval {
        prompt: PromptName::parse("support/triage").unwrap(),
        dataset: "triage-golden".into(),
        versions: vec![VersionRef::Latest],
        providers: vec!["slow".into()],
    }
}

fn next(events: &Receiver<Event>) -> (u64, Reply) {
    match events.recv_timeout(Duration::from_secs(30)) {
        Ok(Event::Reply(id, reply)) => (id, reply),
        other => panic!("expected a reply, got {other:?}"),
    }
}

#[test]
fn a_run_streams_progress_without_holding_up_other_requests() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(&dir, "0.5");
    let (tx, events) = channel();
    let worker = Worker::spawn(ws, Settings::default(), tx);
    worker.send(1, run_request());
    worker.send(2, Request::ListPrompts);

    let mut progress = 0;
    let mut order = Vec::new();
    loop {
        let (id, reply) = next(&events);
        match reply {
            Reply::Prompts(prompts) => {
                assert_eq!(id, 2);
                assert_eq!(prompts.len(), 12);
                order.push("prompts");
            }
            Reply::EvalProgress(p) => {
                assert_eq!(id, 1, "progress is tagged with the run's request");
                progress += 1;
                assert_eq!(p.done, progress);
            }
            Reply::EvalFinished(run) => {
                assert_eq!(id, 1);
                assert_eq!(run.status, RunStatus::Completed);
                assert_eq!(run.summary.total, 7);
                order.push("run");
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(progress, 7);
    assert_eq!(
        order,
        ["prompts", "run"],
        "the list answered while the run went on"
    );
    worker.finish();
}

#[test]
fn cancelling_a_run_keeps_it_as_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(&dir, "5");
    let path = ws.path().to_path_buf();
    let (tx, events) = channel();
    let worker = Worker::spawn(ws, Settings::default(), tx);
    worker.send(7, run_request());
    worker.cancel(7);
    let started = std::time::Instant::now();
    let run = loop {
        match next(&events) {
            (7, Reply::EvalFinished(run)) => break run,
            (7, Reply::EvalProgress(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(run.status, RunStatus::Cancelled);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the 5 s answers were abandoned"
    );
    worker.finish();
    let ws = Workspace::open(&path, "ada").unwrap();
    let stored = ws.runs(Some("support/triage"), 5).unwrap();
    assert_eq!(stored[0].status, RunStatus::Cancelled);
}
