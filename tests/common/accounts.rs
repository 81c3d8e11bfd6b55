//! Real OS accounts for tests that play several people on one workspace file.
//!
//! galley takes who someone is from the real uid of its process, so a test that plays alice and
//! bob runs the real binary as the OS accounts `alice` and `bob`: created here when missing
//! (`useradd`, which needs root; CI runs as root) and entered with
//! `setpriv --reuid --regid --clear-groups`. Each account gets a home of its own inside the
//! test's temporary directory, and the directory and the workspace file are opened to every
//! account (0777 and 0666; SQLite gives `-wal`/`-shm` the workspace file's mode).

use std::fs::{File, OpenOptions, Permissions};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::Galley;

/// Held while an account is looked up and created, so that parallel tests (and test binaries)
/// do not race each other's `useradd`.
const LOCK_FILE: &str = "/tmp/galley-test-accounts.lock";

/// One OS account from the user database.
#[derive(Debug, Clone)]
pub struct OsAccount {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// The account running the tests (the real uid's user-database entry).
pub fn current() -> OsAccount {
    let uid = nix::unistd::getuid();
    let entry = nix::unistd::User::from_uid(uid)
        .expect("read the user database")
        .unwrap_or_else(|| panic!("uid {uid} runs the tests but has no user-database entry"));
    OsAccount {
        name: entry.name,
        uid: entry.uid.as_raw(),
        gid: entry.gid.as_raw(),
    }
}

/// The OS account `name`, created (without a home, unable to log in) if it does not exist.
/// Panics with the reason when it cannot be: creating accounts and switching to them needs root.
pub fn account(name: &str) -> OsAccount {
    if let Some(found) = lookup(name) {
        return found;
    }
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test plays several people as real OS accounts and needs root to create the \
         account `{name}` (useradd) and run galley as it (setpriv); run the tests as root, as CI \
         does"
    );
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(LOCK_FILE)
        .expect("open the accounts lock file");
    lock.lock().expect("take the accounts lock");
    if lookup(name).is_none() {
        let out = Command::new("useradd")
            .args(["--no-create-home", "--shell", "/usr/sbin/nologin", name])
            .output()
            .expect("run useradd (package passwd)");
        // Exit code 9: the account exists (made by a process that does not take our lock).
        assert!(
            out.status.success() || out.status.code() == Some(9),
            "useradd {name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    drop(lock);
    lookup(name).unwrap_or_else(|| panic!("`getent passwd {name}` finds no account after useradd"))
}

/// The account `name` as `getent passwd` reports it, if it exists.
fn lookup(name: &str) -> Option<OsAccount> {
    let out = Command::new("getent")
        .args(["passwd", name])
        .output()
        .expect("run getent");
    if !out.status.success() {
        return None;
    }
    let line = String::from_utf8(out.stdout).expect("getent prints UTF-8");
    let fields: Vec<&str> = line.trim_end().split(':').collect();
    assert!(fields.len() >= 4, "unexpected getent line: {line:?}");
    Some(OsAccount {
        name: fields[0].to_string(),
        uid: fields[2].parse().expect("uid"),
        gid: fields[3].parse().expect("gid"),
    })
}

/// Lets every account read and write `db` (created empty if missing, which SQLite opens as a
/// new database), its `-wal`/`-shm` files and the directory holding them.
pub fn share_with_accounts(db: &Path) {
    let dir = db.parent().expect("the workspace file has a folder");
    std::fs::set_permissions(dir, Permissions::from_mode(0o777)).expect("chmod 0777 the folder");
    if !db.exists() {
        File::create(db).expect("create the workspace file");
    }
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        if path.exists() {
            std::fs::set_permissions(&path, Permissions::from_mode(0o666))
                .expect("chmod 0666 the workspace file");
        }
    }
}

/// Panics unless `path` can be executed by any account: the binary and every folder above it.
fn assert_executable_by_others(path: &Path) {
    for p in path.ancestors().filter(|p| !p.as_os_str().is_empty()) {
        let mode = std::fs::metadata(p).expect("stat").permissions().mode();
        assert!(
            mode & 0o001 != 0,
            "{} is mode {mode:o}: other accounts cannot run {}",
            p.display(),
            path.display()
        );
    }
}

/// `program` run through `sh` under umask 000: SQLite creates `-wal`/`-shm` and only then gives
/// them the workspace file's mode, and another account opening `-shm` in between would get it
/// read-only.
fn under_umask_000(program: &str) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "umask 000 && exec \"$@\"", "sh", program]);
    cmd
}

/// `setpriv` ready to run the test binary's galley as `uid`/`gid` with no supplementary groups,
/// under umask 000.
fn setpriv(uid: u32, gid: u32) -> Command {
    assert!(
        nix::unistd::geteuid().is_root(),
        "this test runs galley as other OS accounts (setpriv), which needs root; run the tests \
         as root, as CI does"
    );
    let galley = Path::new(env!("CARGO_BIN_EXE_galley"));
    assert_executable_by_others(galley);
    let mut cmd = under_umask_000("setpriv");
    cmd.arg(format!("--reuid={uid}"))
        .arg(format!("--regid={gid}"))
        .args(["--clear-groups", "--"])
        .arg(galley);
    cmd
}

impl Galley {
    /// `galley` with a clean environment, run by the real OS account `user` (created if need
    /// be) with a home of its own in the temporary directory; no `GALLEY_USER`, so galley acts
    /// as the account. Not yet given any argument.
    pub fn bare_command_as(&self, user: &str) -> Command {
        let me = current();
        let home = self.dir().join(format!("home-{user}"));
        std::fs::create_dir_all(home.join("tmp")).expect("account home");
        std::fs::set_permissions(self.dir(), Permissions::from_mode(0o777))
            .expect("chmod 0777 the temp dir");
        let mut cmd = if user == me.name {
            under_umask_000(env!("CARGO_BIN_EXE_galley"))
        } else {
            let account = account(user);
            for dir in [home.clone(), home.join("tmp")] {
                std::os::unix::fs::chown(&dir, Some(account.uid), Some(account.gid))
                    .expect("chown the account's home");
            }
            setpriv(account.uid, account.gid)
        };
        super::clean_env(&mut cmd, &home);
        cmd.env_remove("GALLEY_USER");
        cmd
    }

    /// `galley --db WS` run by uid `uid` and gid `gid` whether or not the user database knows
    /// them, with the temporary directory as its home.
    pub fn command_as_uid(&self, uid: u32, gid: u32) -> Command {
        share_with_accounts(self.db());
        let mut cmd = setpriv(uid, gid);
        super::clean_env(&mut cmd, self.dir());
        cmd.env_remove("GALLEY_USER");
        cmd.arg("--db").arg(self.db());
        cmd
    }

    /// `galley --db WS` run by the real OS account `user`, the workspace file shared with every
    /// account.
    pub fn command_as(&self, user: &str) -> Command {
        share_with_accounts(self.db());
        let mut cmd = self.bare_command_as(user);
        cmd.arg("--db").arg(self.db());
        cmd
    }
}
