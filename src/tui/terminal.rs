//! The real terminal: raw mode, the alternate screen, mouse capture and bracketed paste, an
//! input thread, signal handling, and restoring everything on every exit path (quit, error,
//! panic, SIGTERM, SIGHUP) after the open draft is saved.

use std::io::{Write, stdout};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use ratatui::crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::{Terminal, backend::CrosstermBackend};

use crate::domain::{PromptContent, PromptName};
use crate::signer::KeySource;
use crate::workspace::{Config, Workspace, settings};

use super::app::App;
use super::event::{Effect, Event};
use super::keymap::{Keymap, KeymapOverrides};
use super::theme::Theme;
use super::view;
use super::worker::{Settings, Worker};

type Unsaved = Arc<Mutex<Option<(PromptName, PromptContent)>>>;

/// How often time advances when nothing happens (autosave checks).
const TICK: Duration = Duration::from_millis(200);

/// Runs the workbench on the workspace at `path` as `user` until the user quits; decisions
/// and deployments are signed from `signer` (without a terminal prompt: the workbench asks for
/// a key file's passphrase in a popup).
pub fn run(
    path: &Path,
    user: &str,
    overrides: &KeymapOverrides,
    signer: KeySource,
) -> anyhow::Result<()> {
    let keymap = Keymap::load(overrides).map_err(|e| anyhow::anyhow!("config: {e}"))?;
    // Open before touching the terminal, so a refused file is reported as a plain error.
    let mut workspace = Workspace::open(path, user)?;
    workspace.set_signer(signer);
    // Prices, eval defaults and the render budget; a broken config file was already reported
    // by the caller.
    let config = Config::load().unwrap_or_default();
    workspace.set_render_budget(config.render);
    workspace.set_import_limits(config.import);
    // The workbench lives long: mapped file pages would count against its memory.
    workspace.set_memory_map(0)?;
    let mut app = App::new(
        keymap,
        Theme::from_env(),
        path.display().to_string(),
        user.to_string(),
    );
    let unsaved: Unsaved = Arc::new(Mutex::new(None));
    install_panic_hook(path.to_path_buf(), user.to_string(), unsaved.clone());

    let mut guard = TerminalGuard::enter()?;
    let (tx, rx) = channel();
    let stop = Arc::new(AtomicBool::new(false));
    spawn_input(tx.clone(), stop.clone());
    let signals = spawn_signals(tx.clone())?;
    let settings = Settings::from_config(&config);
    let worker = Worker::spawn(workspace, settings, tx);

    let mut effects = app.start();
    loop {
        if run_effects(&worker, effects) {
            break;
        }
        guard.terminal.draw(|frame| view::draw(&mut app, frame))?;
        let Ok(first) = rx.recv() else { break };
        let now = Instant::now();
        effects = app.update(first, now);
        // Drain what else is waiting before drawing again, so input never queues behind frames.
        while let Ok(next) = rx.try_recv() {
            let more = app.update(next, now);
            effects.extend(more);
        }
        *unsaved.lock().unwrap_or_else(|p| p.into_inner()) = app.unsaved();
    }
    stop.store(true, Ordering::Relaxed);
    signals.close();
    // Finishes the queued requests: the final draft save is among them.
    worker.finish();
    *unsaved.lock().unwrap_or_else(|p| p.into_inner()) = None;
    drop(guard);
    Ok(())
}

/// Sends requests to the worker; true when the app asked to quit.
fn run_effects(worker: &Worker, effects: Vec<Effect>) -> bool {
    let mut quit = false;
    for effect in effects {
        match effect {
            Effect::Request(id, request) => worker.send(id, request),
            Effect::Cancel(id) => worker.cancel(id),
            Effect::Quit => quit = true,
        }
    }
    quit
}

fn spawn_input(tx: Sender<Event>, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("galley-input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let event = match event::poll(TICK) {
                    Ok(true) => match event::read() {
                        Ok(event::Event::Key(key)) => Event::Key(key),
                        Ok(event::Event::Mouse(mouse)) => Event::Mouse(mouse),
                        Ok(event::Event::Resize(w, h)) => Event::Resize(w, h),
                        Ok(event::Event::Paste(text)) => Event::Paste(text),
                        Ok(_) => continue,
                        Err(_) => break,
                    },
                    Ok(false) => Event::Tick,
                    Err(_) => break,
                };
                if tx.send(event).is_err() {
                    break;
                }
            }
        })
        .expect("start the input thread");
}

fn spawn_signals(tx: Sender<Event>) -> anyhow::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP])
        .context("cannot watch for signals")?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("galley-signals".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                let _ = tx.send(Event::Terminate);
            }
        })
        .context("cannot start the signal thread")?;
    Ok(handle)
}

/// Owns the terminal's modes; dropping it restores the terminal.
struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<std::io::Stdout>>,
}

impl TerminalGuard {
    fn enter() -> anyhow::Result<Self> {
        enable_raw_mode().context("cannot put the terminal in raw mode (is this a terminal?)")?;
        let mut out = stdout();
        if let Err(e) = execute!(
            out,
            EnterAlternateScreen,
            EnableMouseCapture,
            EnableBracketedPaste
        ) {
            restore_terminal();
            return Err(e).context("cannot set up the terminal");
        }
        let terminal =
            Terminal::new(CrosstermBackend::new(stdout())).context("cannot use the terminal")?;
        Ok(Self { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
        let _ = self.terminal.show_cursor();
    }
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen
    );
    let _ = stdout().flush();
}

/// On a panic: restore the terminal, save the open draft through a fresh connection, log the
/// panic, and print it where the user can read it.
fn install_panic_hook(path: PathBuf, user: String, unsaved: Unsaved) {
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        let draft = unsaved.lock().ok().and_then(|g| g.clone());
        let saved = draft.map(|(name, content)| {
            let result =
                Workspace::open(&path, &user).and_then(|mut ws| ws.save_draft(&name, content));
            (name, result.is_ok())
        });
        let log = settings::state_dir().join("galley.log");
        let _ = std::fs::create_dir_all(settings::state_dir());
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
        {
            let _ = writeln!(file, "{} galley panicked: {info}", jiff::Timestamp::now());
        }
        eprintln!("galley crashed: {info}");
        match saved {
            Some((name, true)) => eprintln!("Your draft of {name} was saved."),
            Some((name, false)) => eprintln!("Your draft of {name} could not be saved."),
            None => {}
        }
        eprintln!("Details are in {}.", log.display());
    }));
}
