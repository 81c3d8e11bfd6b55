//! Runs galley while sampling its peak resident set, for the tests that bound what an input may
//! cost in time and memory.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A process's peak resident set in kB (VmHWM), while it runs.
pub fn peak_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// What one measured run of galley did.
#[derive(Debug)]
pub struct Measured {
    pub code: i32,
    pub stderr: String,
    pub elapsed: Duration,
    pub peak_kb: u64,
}

/// Runs `galley --db WS ARGS`, sampling its VmHWM every few milliseconds until it exits
/// (VmHWM only grows, so the last sample is the peak but for the final instant).
pub fn measured(g: &super::Galley, args: &[&str]) -> Measured {
    let mut cmd = g.command();
    cmd.args(args).stdin(Stdio::null());
    measured_command(cmd, args)
}

/// Runs `cmd` (described by `args` in a failure), sampling its VmHWM as [`measured`] does.
pub fn measured_command(mut cmd: Command, args: &[&str]) -> Measured {
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("galley starts");
    let mut peak = 0;
    let status = loop {
        if let Some(kb) = peak_kb(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("galley {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(3));
    };
    let elapsed = started.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    Measured {
        code: status.code().expect("not killed by a signal"),
        stderr,
        elapsed,
        peak_kb: peak,
    }
}
