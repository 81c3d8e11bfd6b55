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

/// Prints `value` as minijinja does (`["a", "b"]`, `{"k": 1}`), but a sequence or map item by
/// item, stopping at the first write the output cap refuses. minijinja concatenates lists
/// lazily, so a list doubled 64 times in a loop costs no fuel to build, and its own printer
/// visits every item even after the writer failed: this one stops at the cap.
pub(super) fn print_bounded(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    use minijinja::value::ValueKind;
    match value.kind() {
        ValueKind::Seq | ValueKind::Iterable | ValueKind::Map => {
            write_container(out, value).map_err(|_| write_failed())
        }
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn write_failed() -> minijinja::Error {
    minijinja::Error::new(
        minijinja::ErrorKind::WriteFailure,
        "render output over budget",
    )
}

/// `value` and what it holds, in minijinja's debug form, one piece at a time.
fn write_container(out: &mut dyn std::fmt::Write, value: &minijinja::Value) -> std::fmt::Result {
    use minijinja::value::ValueKind;
    let is_map = value.kind() == ValueKind::Map;
    let Ok(items) = value.try_iter() else {
        return write!(out, "{value:?}");
    };
    out.write_str(if is_map { "{" } else { "[" })?;
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        write_item(out, &item)?;
        if is_map {
            out.write_str(": ")?;
            let entry = value.get_item(&item).unwrap_or_default();
            write_item(out, &entry)?;
        }
    }
    out.write_str(if is_map { "}" } else { "]" })
}

fn write_item(out: &mut dyn std::fmt::Write, item: &minijinja::Value) -> std::fmt::Result {
    use minijinja::value::ValueKind;
    match item.kind() {
        ValueKind::Seq | ValueKind::Iterable | ValueKind::Map => write_container(out, item),
        _ => write!(out, "{item:?}"),
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
