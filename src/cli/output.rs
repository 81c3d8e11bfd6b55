//! Human output: styles that vanish when piped or under `NO_COLOR` (anstream strips them),
//! aligned tables, relative times, and JSON for `--json`.

use std::io::Write;

use anstyle::{AnsiColor, Effects, Style};
use serde::Serialize;

pub const BOLD: Style = Style::new().effects(Effects::BOLD);
pub const DIM: Style = Style::new().effects(Effects::DIMMED);
pub const NAME: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Cyan)))
    .effects(Effects::BOLD);
pub const GOOD: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
pub const BAD: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
pub const WARN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
pub const ADDED_WORD: Style = GOOD.effects(Effects::BOLD.insert(Effects::UNDERLINE));
pub const REMOVED_WORD: Style = BAD.effects(Effects::BOLD.insert(Effects::UNDERLINE));

/// `text` in `style` (plain when colour is off: anstream strips the codes).
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

/// Prints `value` as JSON on stdout.
/// Indented on a terminal, compact when piped (scripts and `jq` read either; compact is smaller
/// and faster for big lists).
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let pretty = std::io::IsTerminal::is_terminal(&stdout);
    // Streamed through a buffer: a big list is never held whole in memory.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let written = if pretty {
        serde_json::to_writer_pretty(&mut out, value)
    } else {
        serde_json::to_writer(&mut out, value)
    }
    .map_err(std::io::Error::from)
    .and_then(|()| out.write_all(b"\n"))
    .and_then(|()| out.flush());
    // A closed pipe (`galley list --json | head`) is the reader's choice, not a failure.
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Prints text to stdout in one write, without its styles when stdout is piped or `NO_COLOR`
/// is set (the choice anstream makes).
pub fn print(text: &str) {
    let stdout = std::io::stdout();
    let plain = anstream::AutoStream::choice(&stdout) == anstream::ColorChoice::Never;
    let mut shown = if plain {
        anstream::adapter::strip_str(text).to_string()
    } else {
        text.to_string()
    };
    if !shown.ends_with('\n') {
        shown.push('\n');
    }
    // A closed pipe (`galley list | head`) is not an error worth reporting.
    let _ = stdout.lock().write_all(shown.as_bytes());
}

/// A writer for stdout that treats a closed pipe (`galley list --json | head`) as the reader's
/// choice: once the pipe is gone, the rest is dropped and the command still succeeds.
pub struct PipeWriter<W: Write> {
    inner: W,
    closed: bool,
}

impl<W: Write> PipeWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            closed: false,
        }
    }

    /// Flushes what is left.
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.flush()?;
        Ok(())
    }
}

impl<W: Write> Write for PipeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match self.inner.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.inner.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other if self.closed => other.or(Ok(())),
            other => other,
        }
    }
}

/// A table whose columns are aligned to their widest cell (measured without styles).
#[derive(Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Adds a row of already-styled cells.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as text, two spaces between columns, no trailing spaces.
    pub fn render(&self) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| visible_width(s))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if c + 1 < row.len() {
                    line.push_str(&" ".repeat(widths[c] - visible_width(cell) + 2));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

/// The width of `s` on screen: characters outside ANSI escape sequences.
pub fn visible_width(s: &str) -> usize {
    let mut width = 0;
    let mut in_escape = false;
    for c in s.chars() {
        match (in_escape, c) {
            (false, '\u{1b}') => in_escape = true,
            (true, 'm') => in_escape = false,
            (true, _) => {}
            (false, _) => width += 1,
        }
    }
    width
}

pub use crate::timefmt::relative_time;

/// The first `n` characters of a hash.
pub fn short_hash(hash: &str) -> &str {
    &hash[..hash.len().min(10)]
}

/// At most `max` characters of `s`'s first line, with `…` when cut.
pub fn one_line(s: &str, max: usize) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() > max || s.lines().count() > 1 {
        let cut: String = line.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    } else {
        line.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_visible_width() {
        let mut t = Table::default();
        t.row(vec![paint(BOLD, "a"), "x".into()]);
        t.row(vec!["long".into(), "y".into()]);
        let plain: String = t.render().replace("\u{1b}[1m", "").replace("\u{1b}[0m", "");
        assert_eq!(plain, "a     x\nlong  y\n");
    }

    #[test]
    fn shortens_text() {
        assert_eq!(one_line("abc", 5), "abc");
        assert_eq!(one_line("abcdefgh", 5), "abcd…");
        assert_eq!(one_line("ab\ncd", 5), "ab…");
    }
}
