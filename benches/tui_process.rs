//! The whole `galley` process in a pseudo-terminal (160×48, `portable-pty`), on a copy of the
//! cached 10,000-prompt workspace: the speed and memory targets of issue 3 as a user sees them.
//!
//! 1. Start, `--runs` times (after two warm-ups): the time from spawning the process to the first
//!    output, the first frame ("Loading…"), the list on screen, the first prompt
//!    (`bench/long-2000`) open, and its preview drawn — the first *full* frame. Then `q`.
//! 2. One session: start; VmRSS/VmHWM; open the editor on the long prompt's largest section
//!    (788 lines), 400 lines down; type `x` and Backspace alternately, `--keys` times, timing
//!    each key from the write to the first and the last byte of its frame, and to the last
//!    redraw (the preview's, when it changes what shows); then History, select v2, `d`, and time
//!    `d` to the end of the diff frame (`--diffs` times); VmRSS/VmHWM again; then down the
//!    list `--browse` prompts (each opens with its preview); VmRSS/VmHWM again; Ctrl-C.
//!
//! Each screen milestone is the arrival time of the pty read that completes a word only that
//! frame draws (e.g. `classifier-00017` for the list); a frame ends where ratatui hides the
//! cursor. galley redraws on every 200 ms tick; those frames change nothing and write only a
//! colour reset, which is told apart. Every wait is bounded.
//!
//! Run through `bash benches/tui.sh`, or `cargo bench --bench tui_process -- [--runs 20]
//! [--keys 60] [--diffs 10] [--browse 300] [--galley PATH] [--db PATH]`.

#[path = "common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

const ROWS: u16 = 48;
const COLS: u16 = 160;
/// Longest wait for any one thing on screen.
const LIMIT: Duration = Duration::from_secs(15);
/// What a frame in which nothing changed writes (colours reset, cursor hidden): galley redraws
/// on every 200 ms tick, so this arrives five times a second while the screen is still.
const IDLE_FRAME: &[u8] = b"\x1b[39m\x1b[49m\x1b[59m\x1b[0m\x1b[?25l";
/// How every frame ends (the cursor hidden).
const FRAME_END: &[u8] = b"\x1b[?25l";

/// The words that show each start milestone, in the order they appear.
const MILESTONES: &[(&str, &str)] = &[
    ("first frame (Loading…)", "Loading"),
    ("list on screen", "classifier-00017"),
    ("first prompt open", "702L"),
    ("preview drawn: first full frame", "Acme"),
];

struct Options {
    galley: PathBuf,
    db: PathBuf,
    runs: usize,
    keys: usize,
    diffs: usize,
    browse: usize,
}

fn options() -> Options {
    let mut o = Options {
        galley: PathBuf::from(env!("CARGO_BIN_EXE_galley")),
        db: common::data_dir().join("tui").join("ws.db"),
        runs: 20,
        keys: 60,
        diffs: 10,
        browse: 300,
    };
    let mut fresh_copy = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--galley" => o.galley = PathBuf::from(value()),
            "--db" => {
                o.db = PathBuf::from(value());
                fresh_copy = false;
            }
            "--runs" => o.runs = value().parse().expect("--runs N"),
            "--keys" => o.keys = value().parse().expect("--keys N"),
            "--diffs" => o.diffs = value().parse().expect("--diffs N"),
            "--browse" => o.browse = value().parse().expect("--browse N"),
            "--bench" => {}
            other => panic!("unknown argument `{other}`"),
        }
    }
    if fresh_copy {
        std::fs::create_dir_all(o.db.parent().expect("a folder")).expect("create the folder");
        common::copy_workspace(&o.db);
    }
    assert!(
        o.galley.exists(),
        "no galley binary at {}",
        o.galley.display()
    );
    assert!(o.db.exists(), "no workspace at {}", o.db.display());
    o
}

/// A running galley in a pty: its output arrives, timestamped, on `output`.
struct Session {
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
    keys: Box<dyn Write + Send>,
    output: Receiver<(Instant, Vec<u8>)>,
    /// Everything read so far.
    screen: Vec<u8>,
    /// Where each chunk read ends in `screen`, and when it arrived.
    chunks: Vec<(usize, Instant)>,
    spawned: Instant,
}

impl Session {
    fn start(o: &Options) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(&o.galley);
        cmd.env("GALLEY_DB", &o.db);
        cmd.env("GALLEY_USER", common::USER);
        // No user config may change what galley does.
        cmd.env("GALLEY_CONFIG", o.db.with_extension("no-config.toml"));
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let keys = pair.master.take_writer().expect("pty writer");
        let (tx, output) = channel();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 || tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                    break;
                }
            }
        });
        let spawned = Instant::now();
        let child = pair.slave.spawn_command(cmd).expect("spawn galley");
        drop(pair.slave);
        Self {
            child,
            _master: pair.master,
            keys,
            output,
            screen: Vec::new(),
            chunks: Vec::new(),
            spawned,
        }
    }

    /// Receives one chunk, at most `wait` from now: when it arrived, and whether it changed
    /// the screen (more than idle frames).
    fn next(&mut self, wait: Duration) -> Option<(Instant, bool)> {
        match self.output.recv_timeout(wait) {
            Ok((at, bytes)) => {
                let changed = !only_idle_frames(&bytes);
                self.screen.extend_from_slice(&bytes);
                self.chunks.push((self.screen.len(), at));
                Some((at, changed))
            }
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => panic!(
                "galley's output ended (it exited?): {}",
                String::from_utf8_lossy(&self.screen[self.screen.len().saturating_sub(400)..])
            ),
        }
    }

    /// The arrival time of the chunk that completes the first `word` in the output after byte
    /// `from`, reading more as needed.
    fn wait_for(&mut self, word: &str, from: usize) -> Instant {
        let started = Instant::now();
        let needle = word.as_bytes();
        loop {
            if let Some(i) = find(&self.screen[from.min(self.screen.len())..], needle) {
                let end = from + i + needle.len();
                let chunk = self.chunks.partition_point(|(e, _)| *e < end);
                return self.chunks[chunk].1;
            }
            let left = LIMIT.saturating_sub(started.elapsed());
            assert!(
                !left.is_zero(),
                "`{word}` never showed; the screen since: {}",
                visible_text(&self.screen[from.min(self.screen.len())..])
            );
            self.next(left);
        }
    }

    /// Reads until nothing but idle frames arrives for `quiet`; the arrival time of the last
    /// chunk that changed the screen, if any.
    fn settle(&mut self, quiet: Duration) -> Option<Instant> {
        let started = Instant::now();
        let mut last = None;
        let mut since = Instant::now();
        while started.elapsed() < LIMIT {
            let left = quiet.saturating_sub(since.elapsed());
            if left.is_zero() {
                return last;
            }
            match self.next(left) {
                Some((at, true)) => {
                    last = Some(at);
                    since = Instant::now();
                }
                Some((_, false)) => {}
                None => return last,
            }
        }
        let tail = &self.screen[self.screen.len().saturating_sub(300)..];
        panic!(
            "the screen never settled ({} bytes in the last chunks): {:?}",
            self.screen.len(),
            String::from_utf8_lossy(tail)
        );
    }

    fn send(&mut self, bytes: &[u8]) -> Instant {
        let at = Instant::now();
        self.keys.write_all(bytes).expect("write keys");
        self.keys.flush().expect("flush keys");
        at
    }

    fn pid(&self) -> u32 {
        self.child.process_id().expect("galley's pid")
    }

    /// Quits with `keys` and waits (bounded) for the exit; kills it after the limit.
    fn quit(mut self, keys: &[u8]) {
        self.send(keys);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(5) {
            // Keep the pty drained so galley never blocks writing its last frame.
            let _ = self.output.try_recv();
            if let Ok(Some(status)) = self.child.try_wait() {
                assert!(status.success(), "galley exited with {status:?}");
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        eprintln!("galley did not quit within 5 s: killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The printable text in terminal output, escape sequences dropped (for error messages).
fn visible_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // CSI: ESC [ params final-byte; anything else: ESC + one char.
            if chars.next_if_eq(&'[').is_some() {
                for p in chars.by_ref() {
                    if ('@'..='~').contains(&p) {
                        break;
                    }
                }
            } else {
                chars.next();
            }
            out.push(' ');
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `bytes` is nothing but idle frames.
fn only_idle_frames(mut bytes: &[u8]) -> bool {
    while let Some(rest) = bytes.strip_prefix(IDLE_FRAME) {
        bytes = rest;
    }
    bytes.is_empty()
}

/// The arrival of the chunk that ends the frame whose output has begun (at `first`): ratatui
/// ends every frame by resetting the colours and hiding the cursor, and stdout writes a frame
/// in pieces of 1 KiB.
fn frame_end(s: &mut Session, first: Instant) -> Instant {
    let mut last = first;
    while !s.screen.ends_with(FRAME_END) {
        match s.next(Duration::from_secs(1)) {
            Some((at, _)) => last = at,
            None => panic!("a frame never ended"),
        }
    }
    last
}

/// The first chunk that changes the screen, at most `wait` from now.
fn first_change(s: &mut Session, wait: Duration) -> Option<Instant> {
    let started = Instant::now();
    loop {
        let left = wait.saturating_sub(started.elapsed());
        match s.next(left)? {
            (at, true) => return Some(at),
            (_, false) if left.is_zero() => return None,
            (_, false) => {}
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Memory of a process, from /proc/PID/status, in kB.
#[derive(Debug, Clone, Copy, Default)]
struct Memory {
    rss: u64,
    hwm: u64,
    anon: u64,
    file: u64,
}

fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Memory {
        rss: field("VmRSS:"),
        hwm: field("VmHWM:"),
        anon: field("RssAnon:"),
        file: field("RssFile:"),
    }
}

fn mb(kb: u64) -> String {
    format!("{:.1} MB", kb as f64 / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// (median, p90, min, max) in ms.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64, f64) {
    assert!(!v.is_empty());
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9), v[0], v[v.len() - 1])
}

fn row(what: &str, v: Vec<f64>) {
    let n = v.len();
    let (median, p90, min, max) = stats(v);
    println!(
        "{what:<46} median {median:7.1} ms   p90 {p90:7.1}   min {min:7.1}   max {max:7.1}   (n={n})"
    );
}

fn main() {
    let o = options();
    println!(
        "galley: {}\nworkspace copy: {} ({:.0} MB)\npty {COLS}×{ROWS}, TERM=xterm-256color; {} cores, load average {}",
        o.galley.display(),
        o.db.display(),
        std::fs::metadata(&o.db).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );

    // --- 1. start ---------------------------------------------------------------------------
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); MILESTONES.len() + 2];
    for run in 0..o.runs + 2 {
        let mut s = Session::start(&o);
        let (first, _) = s.next(LIMIT).expect("no output at all");
        let mut at = vec![first];
        for (_, word) in MILESTONES {
            at.push(s.wait_for(word, 0));
        }
        // The last byte of that full frame.
        let last = *at.last().expect("milestones");
        at.push(frame_end(&mut s, last));
        s.settle(Duration::from_millis(150));
        let spawned = s.spawned;
        s.quit(b"q");
        if run >= 2 {
            for (i, t) in at.iter().enumerate() {
                times[i].push(ms(t.duration_since(spawned)));
            }
        }
    }
    println!(
        "\n== start: spawn to ... ({} runs after 2 warm-ups)",
        o.runs
    );
    row("first output", times[0].clone());
    for (i, (name, _)) in MILESTONES.iter().enumerate() {
        row(name, times[i + 1].clone());
    }
    row("... its last byte", times[MILESTONES.len() + 1].clone());

    // --- 2. one session: memory, keystrokes, diff ---------------------------------------------
    let mut s = Session::start(&o);
    let from = s.screen.len();
    s.wait_for(MILESTONES[MILESTONES.len() - 1].1, from);
    s.settle(Duration::from_millis(150));
    let pid = s.pid();
    let at_start = memory(pid);

    // Tab: the sections; G: the last (largest) one; i: edit it; 400 lines down.
    for keys in [&b"\t"[..], b"G", b"i"] {
        s.send(keys);
        s.settle(Duration::from_millis(100));
    }
    let mark = s.screen.len();
    s.wait_for("editing", mark.saturating_sub(4096));
    for _ in 0..400 {
        s.send(b"\x1b[B");
    }
    s.settle(Duration::from_millis(150));
    let mut first_byte = Vec::new();
    let mut frame_done = Vec::new();
    let mut settled = Vec::new();
    for k in 0..o.keys {
        let key: &[u8] = if k % 2 == 0 { b"x" } else { b"\x7f" };
        let sent = s.send(key);
        let first = first_change(&mut s, Duration::from_secs(2)).expect("no redraw after a key");
        let frame = frame_end(&mut s, first);
        let last = s
            .settle(Duration::from_millis(120))
            .unwrap_or(frame)
            .max(frame);
        first_byte.push(ms(first.duration_since(sent)));
        frame_done.push(ms(frame.duration_since(sent)));
        settled.push(ms(last.duration_since(sent)));
    }
    let after_typing = memory(pid);

    // Let the autosave (700 ms after the last key) run first: it removes the History's draft
    // row when the text is back to the latest version, which would move the selection.
    std::thread::sleep(Duration::from_millis(1_200));
    s.settle(Duration::from_millis(150));

    // Esc: out of the editor; 2: History (newest first, the draft on top once edited); G: the
    // oldest, v1; k: v2; d: diff v2 with the version before it, v1 → v2.
    s.send(b"\x1b");
    s.settle(Duration::from_millis(150));
    s.send(b"2");
    s.settle(Duration::from_millis(150));
    s.send(b"Gk");
    s.settle(Duration::from_millis(150));
    let mut diff_times = Vec::new();
    for i in 0..o.diffs {
        if i > 0 {
            s.send(b"2");
            s.settle(Duration::from_millis(150));
        }
        let from = s.screen.len();
        let sent = s.send(b"d");
        let shown = s.wait_for("unchanged", from);
        let shown = frame_end(&mut s, shown);
        s.settle(Duration::from_millis(150));
        let burst = String::from_utf8_lossy(&s.screen[from..]).into_owned();
        assert!(
            burst.contains("+87"),
            "the diff on screen is not v1 → v2 (+87 −89): {burst:?}"
        );
        diff_times.push(ms(shown.duration_since(sent)));
    }
    let after_diff = memory(pid);

    // Esc: back to the list; then down the list one prompt at a time (each opens, with its
    // preview), as someone browsing does.
    s.send(b"\x1b");
    s.settle(Duration::from_millis(150));
    for _ in 0..o.browse {
        s.send(b"j");
        std::thread::sleep(Duration::from_millis(5));
    }
    s.settle(Duration::from_millis(150));
    let after_browsing = memory(pid);
    s.quit(b"\x03");

    println!(
        "\n== one session: the editor on the 788-line section, 400 lines down ({} keys)",
        o.keys
    );
    row("key to the first byte of its frame", first_byte);
    row("key to the last byte of its frame", frame_done);
    row("key to the last redraw (preview, if it shows)", settled);
    println!(
        "\n== diff bench/long-2000 v1 → v2 from History ({} times)",
        o.diffs
    );
    row("`d` to the diff frame", diff_times);
    println!("\n== memory of the galley process (/proc/PID/status)");
    let browsed = format!("after opening {} more prompts in the list", o.browse);
    for (when, m) in [
        ("after start (list + long prompt + preview)", at_start),
        ("after typing in the editor", after_typing),
        ("after the diff v1 → v2", after_diff),
        (browsed.as_str(), after_browsing),
    ] {
        println!(
            "{when:<46} VmRSS {:>9}   VmHWM {:>9}   (RssAnon {}, RssFile {})",
            mb(m.rss),
            mb(m.hwm),
            mb(m.anon),
            mb(m.file)
        );
    }
}
