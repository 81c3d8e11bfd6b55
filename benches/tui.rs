//! In-process benchmarks of the workbench's speed targets (issue 3), on the cached 10,000-prompt
//! workspace (`common/mod.rs`), drawing on a ratatui `TestBackend` of 160×48:
//!
//! - a keystroke in the editor to the redrawn frame < 16 ms (`editor::*`);
//! - computing and drawing the diff of two 2,000-line versions < 30 ms (`diff::*`);
//! - start to the first full frame < 100 ms (`start::*`; the whole process, with exec, terminal
//!   set-up and a real pty, is `benches/tui_process.rs`, run by `benches/tui.sh`).
//!
//! The app is driven the way `tui/terminal.rs` drives it: `App::update` for each event, effects
//! answered by `worker::handle` (the function the worker thread runs) on a workspace opened on
//! the cached file, and `view::draw` through `Terminal::draw` after each batch. Nothing here
//! writes to the workspace (no autosave tick is ever sent).
//!
//! Run: `cargo bench --bench tui` (filter: `cargo bench --bench tui -- editor`).

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use divan::Bencher;
use galley::diff::PromptDiff;
use galley::domain::VersionRef;
use galley::tui::app::{App, Focus, View};
use galley::tui::event::{Effect, Event, Reply, Request};
use galley::tui::keymap::{Keymap, KeymapOverrides};
use galley::tui::theme::Theme;
use galley::tui::{view, worker};
use galley::workspace::Workspace;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use common::{USER, ensure_workspace};

const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;
/// Colour on, as in a real terminal without `NO_COLOR`.
const THEME: Theme = Theme { color: true };

fn main() {
    let path = ensure_workspace();
    describe(&path);
    divan::main();
}

/// The workbench on the cached workspace: the app, the workspace its requests go to, a screen.
struct Bench {
    app: App,
    ws: Workspace,
    term: Terminal<TestBackend>,
    now: Instant,
}

impl Bench {
    /// Opens the workspace and builds the app, as `terminal::run` does before its loop.
    fn open() -> Self {
        let ws = Workspace::open(&ensure_workspace(), USER).expect("open the cached workspace");
        let keymap = Keymap::load(&KeymapOverrides::new()).expect("keymap");
        let app = App::new(keymap, THEME, "workspace-10k.db".into(), USER.into());
        let term = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
        Self {
            app,
            ws,
            term,
            now: Instant::now(),
        }
    }

    /// Started and settled: the list loaded, the first prompt (`bench/long-2000`) open with its
    /// preview, one frame drawn.
    fn started() -> Self {
        let mut b = Self::open();
        let effects = b.app.start();
        b.settle(effects, false);
        b.draw();
        b
    }

    fn draw(&mut self) {
        let app = &mut self.app;
        self.term
            .draw(|frame| view::draw(app, frame))
            .expect("draw");
    }

    /// Answers effects until none are left (bounded), drawing after each reply when `draw`,
    /// like the terminal loop does.
    fn settle(&mut self, mut effects: Vec<Effect>, draw: bool) {
        for _ in 0..50 {
            let Some(position) = effects
                .iter()
                .position(|e| matches!(e, Effect::Request(..)))
            else {
                return;
            };
            let Effect::Request(id, request) = effects.remove(position) else {
                unreachable!()
            };
            let reply = worker::handle(&mut self.ws, request);
            effects.extend(self.app.update(Event::Reply(id, reply), self.now));
            if draw {
                self.draw();
            }
        }
        panic!("effects did not settle");
    }

    fn key(&mut self, code: KeyCode) -> Vec<Effect> {
        self.app.update(
            Event::Key(KeyEvent::new(code, KeyModifiers::NONE)),
            self.now,
        )
    }

    /// Started like [`Bench::started`], but the long prompt arrives with its six sections
    /// merged into one of ~2,000 lines (as if someone kept a whole handbook in one section).
    fn started_one_section() -> Self {
        let mut b = Self::open();
        let effects = b.app.start();
        let Some(Effect::Request(id, request)) = effects.into_iter().next() else {
            panic!("start asks for the list")
        };
        let reply = worker::handle(&mut b.ws, request);
        let load = b.app.update(Event::Reply(id, reply), b.now);
        let Some(Effect::Request(id, request)) = load.into_iter().next() else {
            panic!("the list opens its first prompt")
        };
        let Reply::Loaded(mut loaded) = worker::handle(&mut b.ws, request) else {
            panic!("the first prompt loads")
        };
        let sections = &mut loaded.working.content.sections;
        let body = sections
            .iter()
            .map(|s| s.body.as_str())
            .collect::<Vec<_>>()
            .join("\n\n");
        sections.truncate(1);
        sections[0].body = body;
        let effects = b.app.update(Event::Reply(id, Reply::Loaded(loaded)), b.now);
        b.settle(effects, false);
        b.draw();
        b
    }

    /// The editor open on the long prompt's largest section, the cursor `down` lines into it.
    fn editing(down: usize) -> (Self, usize) {
        Self::editing_on(Self::started(), down)
    }

    fn editing_on(mut b: Self, down: usize) -> (Self, usize) {
        let open = b.app.open.as_mut().expect("the first prompt opened");
        assert_eq!(
            open.name.as_str(),
            common::LONG_NAME,
            "the list opens on the long prompt"
        );
        let (largest, lines) = open
            .content
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| (i, s.body.lines().count()))
            .max_by_key(|(_, n)| *n)
            .expect("sections");
        open.select(largest, THEME);
        b.app.view = View::Edit;
        b.app.focus = Focus::Editor;
        for _ in 0..down.min(lines) {
            let effects = b.key(KeyCode::Down);
            assert!(effects.is_empty(), "moving the cursor changes nothing");
        }
        b.draw();
        (b, lines)
    }
}

/// What the benchmarks run on, for the record.
fn describe(path: &std::path::Path) {
    let b = Bench::started();
    let open = b.app.open.as_ref().expect("a prompt opened at start");
    let sections: Vec<String> = open
        .content
        .sections
        .iter()
        .map(|s| format!("{} {}L", s.title, s.body.lines().count()))
        .collect();
    eprintln!(
        "workspace: {} ({} prompts listed); screen {WIDTH}×{HEIGHT}; open at start: {} ({})",
        path.display(),
        b.app.list.prompts().len(),
        open.name,
        sections.join(", ")
    );
}

/// Target: process start to the first full frame < 100 ms. In-process part: opening the file,
/// loading 10,000 summaries, opening the first prompt with its preview, drawing.
mod start {
    use super::*;

    /// Everything `terminal::run` does between the process start and the first full frame, but
    /// the terminal: open the workspace, load the keymap, start, answer the list, the first
    /// prompt and its preview, drawing after each reply (four frames, the last one full).
    #[divan::bench(sample_count = 30)]
    fn open_to_full_frame() {
        let mut b = Bench::open();
        b.draw();
        let effects = b.app.start();
        b.settle(effects, true);
        assert!(b.app.open.as_ref().is_some_and(|o| o.preview.is_some()));
    }

    /// Part: `Workspace::open` + `Keymap::load` + `App::new` + a `TestBackend`.
    #[divan::bench(sample_count = 30)]
    fn part_open_and_new() -> Bench {
        Bench::open()
    }

    /// Part: the list request answered (`Workspace::list` of 10,000) and handed to the app.
    #[divan::bench(sample_count = 30)]
    fn part_list_reply(bencher: Bencher) {
        let mut b = Bench::open();
        bencher.bench_local(|| {
            let effects = b.app.start();
            let Some(Effect::Request(id, request)) = effects.into_iter().next() else {
                panic!("start asks for the list")
            };
            let reply = worker::handle(&mut b.ws, request);
            b.app.update(Event::Reply(id, reply), b.now)
        });
    }

    /// Part: loading the long prompt (summary, working copy, 10 versions' log) into the app.
    #[divan::bench(sample_count = 30)]
    fn part_load_prompt_reply(bencher: Bencher) {
        let mut b = Bench::open();
        let effects = b.app.start();
        let Some(Effect::Request(id, request)) = effects.into_iter().next() else {
            panic!("start asks for the list")
        };
        let reply = worker::handle(&mut b.ws, request);
        let load = b.app.update(Event::Reply(id, reply), b.now);
        let Some(Effect::Request(id, Request::LoadPrompt(name))) = load.into_iter().next() else {
            panic!("the list opens its first prompt")
        };
        bencher.bench_local(|| {
            let reply = worker::handle(&mut b.ws, Request::LoadPrompt(name.clone()));
            // Every answer is to the same (still pending) request id; the app reloads it.
            b.app.update(Event::Reply(id, reply), b.now)
        });
    }

    /// Part: the preview of the long prompt (variables + render of 2,000 lines) on the worker.
    #[divan::bench(sample_count = 30)]
    fn part_preview_on_worker(bencher: Bencher) {
        let mut b = Bench::started();
        let open = b.app.open.as_ref().expect("open");
        let request = Request::Preview {
            name: open.name.clone(),
            content: open.content.clone(),
            samples: open.samples.clone(),
        };
        bencher.bench_local(|| worker::handle(&mut b.ws, request.clone()));
    }

    /// Part: the first draw of the settled app on a fresh screen (every cell is new).
    #[divan::bench(sample_count = 30)]
    fn part_first_draw(bencher: Bencher) {
        let mut b = Bench::started();
        bencher.bench_local(|| {
            b.term = Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("test terminal");
            b.draw();
        });
    }
}

/// Target: a keystroke in the editor to the redrawn frame < 16 ms. The editor is open on the
/// long prompt's largest section (788 lines); each iteration types `x` or Backspace, alternately
/// (so the text stays the same size), through `App::update`, then draws the whole screen. The
/// preview request the key produces goes to the worker thread in the real app: its cost is
/// `key_to_preview_frame`, not part of the keystroke's frame.
mod editor {
    use super::*;

    fn type_and_draw(bencher: Bencher, down: usize) {
        let (mut b, _) = Bench::editing(down);
        let mut n = 0u64;
        bencher.bench_local(|| {
            n += 1;
            let code = if n % 2 == 1 {
                KeyCode::Char('x')
            } else {
                KeyCode::Backspace
            };
            let effects = b.key(code);
            b.draw();
            effects
        });
    }

    /// The cursor on the section's first line.
    #[divan::bench]
    fn key_and_draw_at_top(bencher: Bencher) {
        type_and_draw(bencher, 0);
    }

    /// The cursor 400 lines down (the editor scrolled).
    #[divan::bench]
    fn key_and_draw_mid_section(bencher: Bencher) {
        type_and_draw(bencher, 400);
    }

    /// The same with the whole prompt (~2,000 lines) in one section, 1,000 lines down: how the
    /// keystroke grows with the size of the section being edited.
    #[divan::bench]
    fn key_and_draw_one_2000_line_section(bencher: Bencher) {
        let (mut b, lines) = Bench::editing_on(Bench::started_one_section(), 1_000);
        assert!(lines > 1_900, "{lines} lines");
        let mut n = 0u64;
        bencher.bench_local(|| {
            n += 1;
            let code = if n % 2 == 1 {
                KeyCode::Char('x')
            } else {
                KeyCode::Backspace
            };
            let effects = b.key(code);
            b.draw();
            effects
        });
    }

    /// Part: `App::update` for the key alone in the one 2,000-line section.
    #[divan::bench]
    fn part_update_only_one_2000_line_section(bencher: Bencher) {
        let (mut b, _) = Bench::editing_on(Bench::started_one_section(), 1_000);
        let mut n = 0u64;
        bencher.bench_local(|| {
            n += 1;
            b.key(if n % 2 == 1 {
                KeyCode::Char('x')
            } else {
                KeyCode::Backspace
            })
        });
    }

    /// Part: `App::update` for the key alone.
    #[divan::bench]
    fn part_update_only(bencher: Bencher) {
        let (mut b, _) = Bench::editing(400);
        let mut n = 0u64;
        bencher.bench_local(|| {
            n += 1;
            b.key(if n % 2 == 1 {
                KeyCode::Char('x')
            } else {
                KeyCode::Backspace
            })
        });
    }

    /// Part: a redraw of the whole screen when nothing changed.
    #[divan::bench]
    fn part_draw_only(bencher: Bencher) {
        let (mut b, _) = Bench::editing(400);
        bencher.bench_local(|| b.draw());
    }

    /// Part: the prompt list pane alone (10,000 rows) drawn on a fresh buffer.
    #[divan::bench]
    fn part_draw_list_pane(bencher: Bencher) {
        let (mut b, _) = Bench::editing(400);
        let area = ratatui::layout::Rect::new(0, 1, 32, HEIGHT - 2);
        bencher.bench_local(|| {
            let list = &mut b.app.list;
            b.term
                .draw(|frame| list.draw(frame, area, THEME, false))
                .expect("draw");
        });
    }

    /// The key, its frame, then the preview it asked for answered (on the worker in the real
    /// app) and the frame that shows it: keystroke to updated preview.
    #[divan::bench(sample_count = 50)]
    fn key_to_preview_frame(bencher: Bencher) {
        let (mut b, _) = Bench::editing(400);
        let mut n = 0u64;
        bencher.bench_local(|| {
            n += 1;
            let effects = b.key(if n % 2 == 1 {
                KeyCode::Char('x')
            } else {
                KeyCode::Backspace
            });
            b.draw();
            b.settle(effects, true);
        });
    }
}

/// Target: computing and drawing the diff of two 2,000-line versions < 30 ms: `bench/long-2000`
/// v1 → v2 (~5% of lines changed, scattered), side by side at 160×48, folded (the default).
mod diff {
    use super::*;

    fn long_diff(b: &Bench) -> PromptDiff {
        b.ws.diff(
            &common::prompt_name(0),
            VersionRef::Number(1),
            VersionRef::Number(2),
        )
        .expect("diff")
    }

    /// The whole path: `App::show_diff` (v1, v2), the request answered by `worker::handle`
    /// (`Workspace::diff_with`: both versions loaded and diffed), the reply handed to the app
    /// (`DiffView::set_diff`), and the frame drawn (the view's rows are built on that draw).
    #[divan::bench(sample_count = 50)]
    fn compute_and_draw(bencher: Bencher) {
        let mut b = Bench::started();
        bencher.bench_local(|| {
            let effects = b
                .app
                .show_diff(VersionRef::Number(1), VersionRef::Number(2));
            b.settle(effects, false);
            b.draw();
            debug_assert_eq!(b.app.view, View::Diff);
        });
    }

    /// Part: `Workspace::diff` alone.
    #[divan::bench(sample_count = 50)]
    fn part_workspace_diff(bencher: Bencher) {
        let b = Bench::started();
        bencher.bench_local(|| long_diff(&b));
    }

    /// Part: `DiffView::set_diff` + drawing the whole screen (a clone of the diff is made
    /// outside the timing).
    #[divan::bench(sample_count = 50)]
    fn part_set_diff_and_draw(bencher: Bencher) {
        let mut b = Bench::started();
        let diff = long_diff(&b);
        b.app.view = View::Diff;
        b.app.focus = Focus::Diff;
        bencher
            .with_inputs(|| diff.clone())
            .bench_local_values(|d: PromptDiff| {
                b.app.diff.set_diff("v1".into(), "v2".into(), d);
                b.draw();
            });
    }

    /// Scrolling the diff: a page down and its frame.
    #[divan::bench]
    fn page_down_and_draw(bencher: Bencher) {
        let mut b = Bench::started();
        let effects = b
            .app
            .show_diff(VersionRef::Number(1), VersionRef::Number(2));
        b.settle(effects, false);
        b.draw();
        let mut n = 0u64;
        bencher.bench_local(|| {
            n += 1;
            // Down to the end, then back up, so the frame always changes.
            let code = if (n / 20).is_multiple_of(2) {
                KeyCode::PageDown
            } else {
                KeyCode::PageUp
            };
            let effects = b.key(code);
            b.draw();
            effects
        });
    }
}
