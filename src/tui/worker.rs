//! The worker: owns the workspace on its own thread and answers requests in order, so the UI
//! thread never waits on the database. Long requests (an eval run, a playground call) each get
//! a thread and a workspace connection of their own, stream intermediate replies tagged with
//! their request id, and can be cancelled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use crate::domain::{PromptName, VersionRef};
use crate::eval::pricing::PriceTable;
use crate::eval::runner::Cancel;
use crate::signer::SignError;
use crate::template::Rendered;
use crate::workspace::{Config, Workspace, WorkspaceError};

use super::event::{Event, LoadedPrompt, PreviewResult, Reply, Request, RequestId};

/// What the worker takes from the config: prices and the eval defaults.
#[derive(Debug, Clone)]
pub struct Settings {
    pub prices: PriceTable,
    pub concurrency: usize,
    pub grader: Option<String>,
    /// The monitor's alert thresholds.
    pub thresholds: crate::domain::thresholds::ThresholdConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_config(&Config::default())
    }
}

impl Settings {
    /// The settings of `config` (concurrency 8 unless it says otherwise).
    pub fn from_config(config: &Config) -> Self {
        Self {
            prices: PriceTable::load(&config.prices),
            concurrency: config.eval.concurrency.unwrap_or(8).max(1),
            grader: config.eval.grader.clone(),
            thresholds: config.monitor.thresholds.clone(),
        }
    }
}

/// Answers one request against the workspace with the default settings (intermediate
/// replies are dropped).
pub fn handle(ws: &mut Workspace, request: Request) -> Reply {
    static DEFAULTS: OnceLock<Settings> = OnceLock::new();
    let settings = DEFAULTS.get_or_init(Settings::default);
    handle_streaming(ws, settings, request, &Cancel::default(), &mut |_| {})
}

/// Answers one request, handing intermediate replies (eval progress, pieces of a playground
/// answer) to `updates` as the work goes; returns the final reply. `cancel` stops a long one.
pub fn handle_streaming(
    ws: &mut Workspace,
    settings: &Settings,
    request: Request,
    cancel: &Cancel,
    updates: &mut dyn FnMut(Reply),
) -> Reply {
    // A decision or a deployment that finds the key file locked is asked again once the
    // passphrase is given; a passphrase just given that is wrong is one line.
    let retry = request.signs().then(|| Box::new(request.clone()));
    let ask_again = !matches!(
        request,
        Request::Unlock {
            passphrase: Some(_),
            ..
        }
    );
    let result = run(ws, settings, request, cancel, updates);
    match result {
        Ok(reply) => reply,
        Err(WorkspaceError::Sign(
            SignError::PassphraseNeeded { path } | SignError::WrongPassphrase { path },
        )) if ask_again => Reply::PassphraseNeeded { path, retry },
        Err(err) => Reply::Failed(err.to_string()),
    }
}

fn run(
    ws: &mut Workspace,
    settings: &Settings,
    request: Request,
    cancel: &Cancel,
    updates: &mut dyn FnMut(Reply),
) -> Result<Reply, WorkspaceError> {
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
        Request::Board(request) => Reply::Board(boards::run(ws, request)?),
        Request::Monitor(request) => Reply::Monitor(monitor::run(ws, settings, request)?),
        Request::SyncStatus => Reply::SyncStatus(ws.sync_status()?),
        Request::Sync => monitor::sync(ws),
        Request::Unlock { passphrase, retry } => {
            if let Some(passphrase) = passphrase {
                ws.signer().set_passphrase(passphrase.into_inner());
            }
            if !ws.signer().is_configured() {
                return Err(SignError::NoKey.into());
            }
            ws.signer().unlock()?;
            match retry {
                Some(request) => run(ws, settings, *request, cancel, updates)?,
                None => Reply::SignerReady {
                    key_file: ws.signer().uses_key_file(),
                },
            }
        }
        other => evals::run(ws, settings, other, cancel, updates)?,
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

type Cancels = Arc<Mutex<HashMap<RequestId, Cancel>>>;

/// The worker thread and the way to send it requests.
pub struct Worker {
    requests: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    cancels: Cancels,
    /// Set when the workbench quits: long requests still queued are not started.
    stopping: Arc<AtomicBool>,
}

impl Worker {
    /// Starts the worker; its replies arrive on `events`.
    pub fn spawn(mut ws: Workspace, settings: Settings, events: Sender<Event>) -> Self {
        let (tx, rx): (Sender<Job>, Receiver<Job>) = channel();
        let cancels: Cancels = Arc::default();
        let shared = cancels.clone();
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let thread = std::thread::Builder::new()
            .name("galley-worker".into())
            .spawn(move || {
                let mut long = Vec::new();
                for (id, request) in rx {
                    if request.is_long() && stop.load(Ordering::SeqCst) {
                        continue;
                    }
                    if request.is_long() {
                        long.retain(|t: &JoinHandle<()>| !t.is_finished());
                        long.push(spawn_long(&ws, &settings, &shared, &events, id, request));
                        continue;
                    }
                    let reply = handle_streaming(
                        &mut ws,
                        &settings,
                        request,
                        &Cancel::default(),
                        &mut |_| {},
                    );
                    if events.send(Event::Reply(id, reply)).is_err() {
                        break;
                    }
                }
                for thread in long {
                    let _ = thread.join();
                }
            })
            .expect("start the worker thread");
        Self {
            requests: Some(tx),
            thread: Some(thread),
            cancels,
            stopping,
        }
    }

    /// Queues a request.
    pub fn send(&self, id: RequestId, request: Request) {
        if let Some(tx) = &self.requests {
            let _ = tx.send((id, request));
        }
    }

    /// Stops a long request if it is still running (finished results are kept).
    pub fn cancel(&self, id: RequestId) {
        // Recorded even before the request starts, so an early cancel is not lost.
        lock(&self.cancels).entry(id).or_default().cancel();
    }

    /// Finishes every queued request (a final draft save among them), stops the long ones
    /// (a running eval is marked cancelled), then stops.
    pub fn finish(mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        for cancel in lock(&self.cancels).values() {
            cancel.cancel();
        }
        self.requests.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(cancels: &Cancels) -> std::sync::MutexGuard<'_, HashMap<RequestId, Cancel>> {
    cancels.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs a long request on its own thread with its own connection to the workspace file.
fn spawn_long(
    ws: &Workspace,
    settings: &Settings,
    cancels: &Cancels,
    events: &Sender<Event>,
    id: RequestId,
    request: Request,
) -> JoinHandle<()> {
    let (path, user) = (ws.path().to_path_buf(), ws.user().to_string());
    let (budget, import_limits) = (ws.render_budget(), ws.import_limits());
    // The workbench's key (unlocked once) signs here too: a sync that carries a deployment to
    // a protected environment takes its checkpoint.
    let signer = ws.shared_signer();
    let (settings, cancels, events) = (settings.clone(), cancels.clone(), events.clone());
    let cancel = lock(&cancels).entry(id).or_default().clone();
    std::thread::Builder::new()
        .name("galley-long".into())
        .spawn(move || {
            let reply = match Workspace::open(&path, &user) {
                Ok(mut ws) => {
                    ws.set_render_budget(budget);
                    ws.set_import_limits(import_limits);
                    ws.share_signer(signer);
                    handle_streaming(&mut ws, &settings, request, &cancel, &mut |r| {
                        let _ = events.send(Event::Reply(id, r));
                    })
                }
                Err(e) => Reply::Failed(e.to_string()),
            };
            lock(&cancels).remove(&id);
            let _ = events.send(Event::Reply(id, reply));
        })
        .expect("start a worker thread")
}

mod boards;
mod evals;
mod monitor;
