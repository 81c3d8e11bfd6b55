//! The workbench driven like the terminal loop drives it, with a real workspace file answering.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use galley::domain::PromptName;
use galley::eval::runner::Cancel;
use galley::template::Rendered;
use galley::tui::app::App;
use galley::tui::event::{Effect, Event, Reply, RequestId};
use galley::tui::keymap::{Keymap, KeymapOverrides};
use galley::tui::theme::Theme;
use galley::tui::worker::{self, Settings};
use galley::workspace::Workspace;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub struct Harness {
    pub app: App,
    pub ws: Workspace,
    pub now: Instant,
    pub quit: bool,
    /// The intermediate replies the worker streamed (eval progress, playground pieces).
    pub streamed: Vec<(RequestId, Reply)>,
    /// Requests the app asked to cancel (honoured when they run).
    pub cancelled: HashSet<RequestId>,
    /// Effects held back by `hold`, to run later with `release`.
    pub held: Vec<Effect>,
    settings: Settings,
    _dir: Option<tempfile::TempDir>,
}

/// The time the demo takes as now in these tests.
pub const DEMO_NOW: &str = "2026-03-01T12:00:00Z";

impl Harness {
    pub fn new() -> Self {
        // The demo's story and traffic end on a fixed day, so its dates are the same every run.
        galley::workspace::pin_demo_now(DEMO_NOW.parse().unwrap());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ws.db");
        let mut h = Self::open_as(&path, "ada");
        h._dir = Some(dir);
        h
    }

    /// The workbench of `user` on the workspace file at `path` (which the caller keeps).
    pub fn open_as(path: &std::path::Path, user: &str) -> Self {
        let ws = Workspace::open(path, user).unwrap();
        let keymap = Keymap::load(&KeymapOverrides::new()).unwrap();
        let app = App::new(keymap, Theme { color: false }, "ws.db".into(), user.into());
        let mut h = Self {
            app,
            ws,
            now: Instant::now(),
            quit: false,
            streamed: Vec::new(),
            cancelled: HashSet::new(),
            held: Vec::new(),
            settings: Settings::default(),
            _dir: None,
        };
        let effects = h.app.start();
        h.run(effects);
        h
    }

    /// Uses `settings` (thresholds, prices) for the requests from now on.
    pub fn set_settings(&mut self, settings: Settings) {
        self.settings = settings;
    }

    /// Runs effects like the terminal loop does, answering requests synchronously (bounded).
    /// A long request's intermediate replies reach the app as they are produced, before its
    /// final reply, as the worker thread sends them.
    pub fn run(&mut self, mut effects: Vec<Effect>) {
        for _ in 0..100 {
            if effects.is_empty() {
                return;
            }
            let mut next = Vec::new();
            for effect in effects {
                match effect {
                    Effect::Request(id, request) => {
                        let cancel = Cancel::default();
                        if self.cancelled.contains(&id) {
                            cancel.cancel();
                        }
                        let Self {
                            app,
                            ws,
                            now,
                            streamed,
                            settings,
                            ..
                        } = self;
                        let mut during = Vec::new();
                        let reply =
                            worker::handle_streaming(ws, settings, request, &cancel, &mut |r| {
                                streamed.push((id, r.clone()));
                                during.extend(app.update(Event::Reply(id, r), *now));
                            });
                        next.extend(during);
                        next.extend(self.app.update(Event::Reply(id, reply), self.now));
                    }
                    Effect::Cancel(id) => {
                        self.cancelled.insert(id);
                    }
                    Effect::Quit => self.quit = true,
                }
            }
            effects = next;
        }
        panic!("effects did not settle");
    }

    /// Presses a key but holds its effects back (as if the worker were still busy).
    pub fn hold(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        let effects = self
            .app
            .update(Event::Key(KeyEvent::new(code, modifiers)), self.now);
        self.held.extend(effects);
    }

    /// Runs the effects held back.
    pub fn release(&mut self) {
        let held = std::mem::take(&mut self.held);
        self.run(held);
    }

    pub fn key(&mut self, code: KeyCode, modifiers: KeyModifiers) {
        let effects = self
            .app
            .update(Event::Key(KeyEvent::new(code, modifiers)), self.now);
        self.run(effects);
    }

    pub fn press(&mut self, keys: &str) {
        for c in keys.chars() {
            let modifiers = if c.is_ascii_uppercase() {
                KeyModifiers::SHIFT
            } else {
                KeyModifiers::NONE
            };
            self.key(KeyCode::Char(c), modifiers);
        }
    }

    pub fn enter(&mut self) {
        self.key(KeyCode::Enter, KeyModifiers::NONE);
    }

    pub fn esc(&mut self) {
        self.key(KeyCode::Esc, KeyModifiers::NONE);
    }

    pub fn ctrl(&mut self, c: char) {
        self.key(KeyCode::Char(c), KeyModifiers::CONTROL);
    }

    /// Lets time pass so the autosave runs.
    pub fn idle(&mut self, millis: u64) {
        self.now += Duration::from_millis(millis);
        let effects = self.app.update(Event::Tick, self.now);
        self.run(effects);
    }

    /// Opens prompt `name` through the list's filter, and clears the status line.
    pub fn open_prompt(&mut self, name: &str) {
        self.press("/");
        self.press(name);
        self.enter();
        self.esc();
        self.app.status = None;
    }

    pub fn name(s: &str) -> PromptName {
        PromptName::parse(s).unwrap()
    }

    pub fn preview_text(&self) -> String {
        match self.app.open.as_ref().and_then(|o| o.preview.clone()) {
            Some(Ok(Rendered::Text(t))) => t,
            Some(Ok(Rendered::Messages(m))) => m
                .iter()
                .map(|m| m.content.clone())
                .collect::<Vec<_>>()
                .join("\n"),
            Some(Err(e)) => format!("ERROR {e}"),
            None => String::new(),
        }
    }
}
