//! The render budget: how much work one render may make the engine do (minijinja fuel), how
//! large its output may grow, and how large a prompt may be once its includes are inlined.
//! Every render (CLI, workbench, eval runs, playground, the server) runs within one, so no
//! template can hang a process or exhaust its memory.

use serde::Deserialize;

/// `[render]` in the user config and in the serve settings file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RenderBudget {
    /// minijinja fuel for one render: one unit per instruction, plus a share for every byte and
    /// list slot the template makes (default 2,000,000; a render that exhausts it ends in well
    /// under a second in a release build).
    pub fuel: u64,
    /// The most bytes a render may produce, all sections together (default 1 MiB).
    pub max_output_bytes: usize,
    /// The most bytes a prompt's template may have once its includes are inlined (default
    /// 1 MiB).
    pub max_inlined_bytes: usize,
}

impl Default for RenderBudget {
    fn default() -> Self {
        Self {
            fuel: 2_000_000,
            max_output_bytes: 1024 * 1024,
            max_inlined_bytes: 1024 * 1024,
        }
    }
}

/// Which part of the budget a render would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverBudget {
    /// The engine ran out of fuel.
    Fuel(u64),
    /// The output would pass this many bytes.
    Output(usize),
    /// The template with its includes inlined would pass this many bytes.
    Inlined(usize),
}

impl std::fmt::Display for OverBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OverBudget::Fuel(fuel) => write!(
                f,
                "it needs more work than the budget of {fuel} fuel allows ([render] fuel)"
            ),
            OverBudget::Output(bytes) => write!(
                f,
                "its output passes the budget of {bytes} bytes ([render] max_output_bytes)"
            ),
            OverBudget::Inlined(bytes) => write!(
                f,
                "with its includes inlined it passes the budget of {bytes} bytes \
                 ([render] max_inlined_bytes)"
            ),
        }
    }
}

/// A writer that keeps what a render writes, up to `room` bytes, and fails past it, so that
/// the engine stops at the cap instead of growing its output further.
pub(super) struct CappedOutput {
    pub(super) text: Vec<u8>,
    room: usize,
    pub(super) overflowed: bool,
}

impl CappedOutput {
    pub(super) fn new(room: usize) -> Self {
        Self {
            text: Vec::new(),
            room,
            overflowed: false,
        }
    }
}

impl std::io::Write for CappedOutput {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.room - self.text.len() {
            self.overflowed = true;
            return Err(std::io::Error::other("render output over budget"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn the_capped_output_refuses_what_would_pass_the_cap() {
        let mut out = CappedOutput::new(5);
        out.write_all(b"abc").unwrap();
        assert!(out.write_all(b"def").is_err());
        assert!(out.overflowed);
        assert_eq!(out.text, b"abc");
    }

    #[test]
    fn settings_fill_in_what_they_do_not_name() {
        let b: RenderBudget = toml::from_str("fuel = 10").unwrap();
        assert_eq!(b.fuel, 10);
        assert_eq!(b.max_output_bytes, RenderBudget::default().max_output_bytes);
        assert!(toml::from_str::<RenderBudget>("fuell = 10").is_err());
    }
}
