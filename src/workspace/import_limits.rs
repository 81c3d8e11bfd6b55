//! How large a file the CLI and the workbench read in: `galley import`, `dataset import` and
//! `observe import` refuse a file above `[import] max_bytes` before reading it (and stop reading
//! one that grows past it, or a device that never ends), and `observe import` refuses a line
//! above `max_line_bytes` as soon as it passes it, so no file can make galley hold more than
//! the limit in memory.

use std::io::{BufRead, Read};
use std::path::Path;

use serde::Deserialize;

use super::{Result, Workspace, WorkspaceError};

/// `[import]` in the user config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImportLimits {
    /// The largest file an import reads (default 64 MiB).
    pub max_bytes: u64,
    /// The longest line `observe import` reads (default 1 MiB).
    pub max_line_bytes: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024 * 1024,
            max_line_bytes: 1024 * 1024,
        }
    }
}

impl ImportLimits {
    fn too_large(&self, what: String, size: Option<u64>) -> WorkspaceError {
        WorkspaceError::TooLarge {
            what,
            size,
            limit: self.max_bytes,
            setting: "max_bytes",
        }
    }

    /// Refuses `path` when its size is known and above the limit: before anything is read.
    pub(super) fn check_size(&self, path: &Path) -> Result<()> {
        let meta = std::fs::metadata(path).map_err(|e| WorkspaceError::io(path, e))?;
        if meta.is_file() && meta.len() > self.max_bytes {
            return Err(self.too_large(path.display().to_string(), Some(meta.len())));
        }
        Ok(())
    }

    /// The text of `path`, refused when it is (or grows to) more than the limit, or is not
    /// UTF-8.
    pub(super) fn read_text(&self, path: &Path) -> Result<String> {
        self.check_size(path)?;
        let file = std::fs::File::open(path).map_err(|e| WorkspaceError::io(path, e))?;
        let mut bytes = Vec::new();
        file.take(self.max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| WorkspaceError::io(path, e))?;
        if bytes.len() as u64 > self.max_bytes {
            return Err(self.too_large(path.display().to_string(), None));
        }
        String::from_utf8(bytes).map_err(|_| WorkspaceError::Io {
            path: path.to_path_buf(),
            cause: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
        })
    }

    /// Reads the next line of `input` (without its `\n`) into `line`; `Ok(false)` at the end.
    /// A line longer than `max_line_bytes` is refused as soon as it passes the limit, so a file
    /// without newlines is never held whole.
    pub(super) fn read_line(
        &self,
        input: &mut impl BufRead,
        line: &mut Vec<u8>,
        number: usize,
    ) -> Result<bool> {
        line.clear();
        let cap = self.max_line_bytes as u64 + 1;
        let read = input
            .by_ref()
            .take(cap)
            .read_until(b'\n', line)
            .map_err(|e| WorkspaceError::io(format!("line {number}"), e))?;
        if read == 0 {
            return Ok(false);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
        } else if read as u64 == cap {
            return Err(WorkspaceError::TooLarge {
                what: format!("line {number}"),
                size: None,
                limit: self.max_line_bytes as u64,
                setting: "max_line_bytes",
            });
        }
        Ok(true)
    }
}

impl Workspace {
    /// Sets how large a file imports read (`[import]` in the config).
    pub fn set_import_limits(&mut self, limits: ImportLimits) {
        self.import_limits = limits;
    }

    /// How large a file imports read.
    pub fn import_limits(&self) -> ImportLimits {
        self.import_limits
    }

    /// The text of a file to import (a dataset, a prompt file), within the import limits.
    pub fn read_import_file(&self, path: &Path) -> Result<String> {
        self.import_limits.read_text(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(max_bytes: u64, max_line_bytes: usize) -> ImportLimits {
        ImportLimits {
            max_bytes,
            max_line_bytes,
        }
    }

    #[test]
    fn lines_past_the_limit_are_refused_without_reading_on() {
        let l = limits(100, 4);
        let mut input = std::io::Cursor::new(b"abcd\nabc\nabcdefghij\nnever".to_vec());
        let mut line = Vec::new();
        assert!(l.read_line(&mut input, &mut line, 1).unwrap());
        assert_eq!(line, b"abcd");
        assert!(l.read_line(&mut input, &mut line, 2).unwrap());
        assert_eq!(line, b"abc");
        let err = l.read_line(&mut input, &mut line, 3).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3 is over the import limit of 4 bytes ([import] max_line_bytes)"
        );
        assert!(line.len() <= 5, "read on past the limit: {}", line.len());
    }

    #[test]
    fn a_last_line_without_newline_is_read() {
        let l = limits(100, 4);
        let mut input = std::io::Cursor::new(b"abcd".to_vec());
        let mut line = Vec::new();
        assert!(l.read_line(&mut input, &mut line, 1).unwrap());
        assert_eq!(line, b"abcd");
        assert!(!l.read_line(&mut input, &mut line, 2).unwrap());
    }

    #[test]
    fn files_past_the_limit_are_refused_and_devices_are_read_only_up_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.jsonl");
        std::fs::write(&big, vec![b'x'; 11]).unwrap();
        let err = limits(10, 4).read_text(&big).unwrap_err();
        assert!(
            err.to_string()
                .contains("is 11 bytes, over the import limit of 10 bytes"),
            "{err}"
        );
        assert_eq!(limits(11, 4).read_text(&big).unwrap().len(), 11);
        let err = limits(10, 4).read_text(Path::new("/dev/zero")).unwrap_err();
        assert!(
            err.to_string()
                .contains("is over the import limit of 10 bytes"),
            "{err}"
        );
    }
}
