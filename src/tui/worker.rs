//! The worker: owns the workspace on its own thread and answers requests in order, so the UI
//! thread never waits on the database.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::JoinHandle;

use crate::domain::{PromptName, VersionRef};
use crate::template::Rendered;
use crate::workspace::{Workspace, WorkspaceError};

use super::event::{Event, LoadedPrompt, PreviewResult, Reply, Request, RequestId};

/// Answers one request against the workspace.
pub fn handle(ws: &mut Workspace, request: Request) -> Reply {
    match run(ws, request) {
        Ok(reply) => reply,
        Err(err) => Reply::Failed(err.to_string()),
    }
}

fn run(ws: &mut Workspace, request: Request) -> Result<Reply, WorkspaceError> {
    Ok(match request {
        Request::ListPrompts => Reply::Prompts(ws.list(None)?),
        Request::LoadPrompt(name) => Reply::Loaded(Box::new(load(ws, &name)?)),
        Request::SaveDraft {
            name,
            content,
            base,
        } => {
            let change = ws.save_draft_from(&name, content, base)?;
            Reply::Saved { name, change }
        }
        Request::Preview {
            name,
            content,
            samples,
        } => {
            let variables = ws.variables(&name, &content).map_err(|e| e.to_string());
            let inputs = match &variables {
                Ok(uses) => crate::tui::components::edit_view::preview_inputs(uses, &samples),
                Err(_) => samples,
            };
            let resolved = crate::workspace::Resolved {
                name: name.clone(),
                source: crate::workspace::Source::Draft { base: None },
                content,
                version: None,
            };
            let rendered: Result<Rendered, String> = ws
                .render_resolved(&resolved, &inputs)
                .map(|out| out.rendered)
                .map_err(|e| e.to_string());
            Reply::Preview(Box::new(PreviewResult {
                variables,
                rendered,
            }))
        }
        Request::Commit {
            name,
            content,
            base,
            message,
        } => {
            ws.save_draft_from(&name, content, base)?;
            let version = ws.commit(&name, &message, false)?;
            Reply::Committed {
                name,
                version: version.number,
            }
        }
        Request::CommitSummary { name, content } => {
            let latest = ws.resolve(&name, VersionRef::Latest)?;
            Reply::CommitSummary(Box::new(crate::diff::diff_prompts(
                &latest.content,
                &content,
            )))
        }
        Request::Diff {
            name,
            from,
            to,
            ignore_whitespace,
        } => {
            let diff = ws.diff_with(&name, from, to, ignore_whitespace)?;
            Reply::Diff {
                from,
                to,
                diff: Box::new(diff),
            }
        }
        Request::Create { name, template } => {
            ws.create_from_starter(&name, &template, &[], None)?;
            Reply::Created(name)
        }
        Request::Import(path) => Reply::Imported(ws.import_path(&path)?),
        Request::LoadDemo => Reply::Demo(ws.load_demo()?),
        Request::Restore { name, version } => {
            let content = ws.resolve(&name, VersionRef::Number(version))?.content;
            ws.save_draft(&name, content)?;
            Reply::Restored { name, version }
        }
        Request::Discard(name) => {
            ws.discard_draft(&name)?;
            Reply::Discarded(name)
        }
    })
}

fn load(ws: &Workspace, name: &PromptName) -> Result<LoadedPrompt, WorkspaceError> {
    Ok(LoadedPrompt {
        summary: ws.summary(name)?,
        working: ws.working_copy(name)?,
        versions: ws.log(name)?,
    })
}

/// A request with its id.
type Job = (RequestId, Request);

/// The worker thread and the way to send it requests.
pub struct Worker {
    requests: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker; its replies arrive on `events`.
    pub fn spawn(mut ws: Workspace, events: Sender<Event>) -> Self {
        let (tx, rx): (Sender<Job>, Receiver<Job>) = channel();
        let thread = std::thread::Builder::new()
            .name("galley-worker".into())
            .spawn(move || {
                for (id, request) in rx {
                    let reply = handle(&mut ws, request);
                    if events.send(Event::Reply(id, reply)).is_err() {
                        break;
                    }
                }
            })
            .expect("start the worker thread");
        Self {
            requests: Some(tx),
            thread: Some(thread),
        }
    }

    /// Queues a request.
    pub fn send(&self, id: RequestId, request: Request) {
        if let Some(tx) = &self.requests {
            let _ = tx.send((id, request));
        }
    }

    /// Finishes every queued request (a final draft save among them), then stops.
    pub fn finish(mut self) {
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
