//! A workspace file another process is writing: which process holds its write lock, where the
//! operating system tells. On Linux, `/proc/locks` lists every POSIX lock with the holder's pid
//! and the locked file's inode; SQLite takes its write lock on the `-shm` file in WAL mode (and
//! on the database file itself in rollback-journal mode), and `/proc/PID/comm` names the holder.

use std::path::Path;

/// The process holding a file's write lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockHolder {
    pub pid: u32,
    /// The holder's command name (`/proc/PID/comm`), when readable.
    pub command: Option<String>,
}

impl std::fmt::Display for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.command {
            Some(command) => write!(f, "pid {}, {command}", self.pid),
            None => write!(f, "pid {}", self.pid),
        }
    }
}

/// The offset of SQLite's WAL write lock in the `-shm` file (`WALINDEX_LOCK_OFFSET` + 0).
const WAL_WRITE_LOCK: u64 = 120;

/// Who holds the write lock of the SQLite file at `db`, if the OS says; `None` when nobody
/// visible does (the lock was released meanwhile, or this is not Linux).
pub fn write_lock_holder(db: &Path) -> Option<LockHolder> {
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let shm = inode_of(&shm_path(db));
    let main = inode_of(db);
    let me = std::process::id();
    let pid = locks
        .lines()
        .filter_map(parse_lock)
        .filter(|lock| lock.write && lock.pid != me)
        .find(|lock| {
            let on_shm = Some(lock.inode) == shm && lock.covers(WAL_WRITE_LOCK);
            let on_db = Some(lock.inode) == main;
            on_shm || on_db
        })?
        .pid;
    let command = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    Some(LockHolder { pid, command })
}

fn shm_path(db: &Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-shm");
    name.into()
}

#[cfg(unix)]
fn inode_of(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| m.ino())
}

#[cfg(not(unix))]
fn inode_of(_path: &Path) -> Option<u64> {
    None
}

/// One line of `/proc/locks`.
#[derive(Debug, PartialEq, Eq)]
struct Lock {
    write: bool,
    pid: u32,
    inode: u64,
    start: u64,
    /// `None`: to the end of the file (`EOF`).
    end: Option<u64>,
}

impl Lock {
    fn covers(&self, offset: u64) -> bool {
        self.start <= offset && self.end.is_none_or(|end| offset <= end)
    }
}

/// `1: POSIX  ADVISORY  WRITE 1234 08:01:5678 120 120` (blocked waiters, `->`, are skipped).
fn parse_lock(line: &str) -> Option<Lock> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.get(1) == Some(&"->") {
        return None;
    }
    let [_, kind, _, mode, pid, file, start, end] = fields.as_slice() else {
        return None;
    };
    if !matches!(*kind, "POSIX" | "OFDLCK" | "FLOCK") {
        return None;
    }
    Some(Lock {
        write: *mode == "WRITE",
        pid: pid.parse().ok()?,
        inode: file.rsplit(':').next()?.parse().ok()?,
        start: start.parse().ok()?,
        end: if *end == "EOF" {
            None
        } else {
            Some(end.parse().ok()?)
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_lines_are_read_and_waiters_skipped() {
        let lock = parse_lock("1: POSIX  ADVISORY  WRITE 1234 08:01:5678 120 120").unwrap();
        assert_eq!(
            lock,
            Lock {
                write: true,
                pid: 1234,
                inode: 5678,
                start: 120,
                end: Some(120)
            }
        );
        assert!(lock.covers(120) && !lock.covers(121));
        let open = parse_lock("2: OFDLCK ADVISORY  READ  -1 00:2f:99 0 EOF");
        assert_eq!(open, None, "a pid of -1 is nobody to name");
        assert!(parse_lock("1: -> POSIX  ADVISORY  WRITE 77 08:01:5678 120 120").is_none());
    }

    #[test]
    fn a_lock_held_by_this_process_is_not_another_process() {
        // Holding the lock from this process is not "another process": the holder is skipped.
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("w.db");
        let conn = rusqlite::Connection::open(&db).unwrap();
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .unwrap();
        conn.execute_batch("CREATE TABLE t (x); BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
            .unwrap();
        assert_eq!(write_lock_holder(&db), None);
    }
}
