//! OpenSSH for the signed-decision tests: keys made by `ssh-keygen` and owned by the OS account
//! that holds them, a real `ssh-agent` run as that account, `ssh-keygen -Y sign|verify`, and
//! galley in a pseudo-terminal for passphrase prompts; `world` is the workspace they share.

#![allow(dead_code)]

pub mod world;

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use crate::common::Galley;
use crate::common::accounts::{OsAccount, account};

/// Names the files each `ssh-keygen -Y` call writes, so that none is reused.
static FILES: AtomicUsize = AtomicUsize::new(0);

/// A key pair on disk, owned by its account (0600), as `ssh-keygen` made it.
pub struct Key {
    pub private: PathBuf,
    pub public: PathBuf,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// `TYPE BASE64`, for an allowed-signers line.
    pub line: String,
}

impl Key {
    pub fn private_str(&self) -> &str {
        self.private.to_str().expect("a UTF-8 path")
    }

    pub fn public_str(&self) -> &str {
        self.public.to_str().expect("a UTF-8 path")
    }

    /// A copy of this key pair held by `owner` (someone who got hold of the file).
    pub fn copy_for(&self, g: &Galley, owner: &str, name: &str) -> Key {
        let (dir, who) = key_dir(g, owner);
        let private = dir.join(name);
        let public = dir.join(format!("{name}.pub"));
        std::fs::copy(&self.private, &private).expect("copy the private key");
        std::fs::copy(&self.public, &public).expect("copy the public key");
        own(&private, &who, 0o600);
        own(&public, &who, 0o644);
        Key {
            private,
            public,
            fingerprint: self.fingerprint.clone(),
            line: self.line.clone(),
        }
    }
}

/// `path` owned by `who` with `mode`.
fn own(path: &Path, who: &OsAccount, mode: u32) {
    std::os::unix::fs::chown(path, Some(who.uid), Some(who.gid)).expect("chown");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// `keys-OWNER` in the test's directory, owned by the account `owner` (0711: others can read
/// its public keys, as if handed them, but not its private keys, 0600).
fn key_dir(g: &Galley, owner: &str) -> (PathBuf, OsAccount) {
    std::fs::set_permissions(g.dir(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod 0777 the temp dir");
    let who = account(owner);
    let dir = g.path(&format!("keys-{owner}"));
    std::fs::create_dir_all(&dir).expect("key folder");
    own(&dir, &who, 0o711);
    (dir, who)
}

/// Runs `cmd`, asserting it succeeds; its output.
fn checked(mut cmd: Command, what: &str) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run it ({e}); install openssh-client"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A new key pair `keys-OWNER/NAME` made by `ssh-keygen KIND_ARGS` (`-N passphrase`), owned by
/// the account `owner`.
pub fn keygen(g: &Galley, owner: &str, name: &str, kind_args: &[&str], passphrase: &str) -> Key {
    let (dir, who) = key_dir(g, owner);
    let private = dir.join(name);
    let public = dir.join(format!("{name}.pub"));
    let mut cmd = Command::new("ssh-keygen");
    cmd.arg("-q")
        .args(kind_args)
        .args([
            "-N",
            passphrase,
            "-C",
            &format!("{owner}@galley-test"),
            "-f",
        ])
        .arg(&private);
    checked(cmd, "ssh-keygen");
    own(&private, &who, 0o600);
    own(&public, &who, 0o644);
    let mut cmd = Command::new("ssh-keygen");
    cmd.arg("-l").arg("-f").arg(&public);
    let listed = String::from_utf8(checked(cmd, "ssh-keygen -l").stdout).expect("UTF-8");
    let fingerprint = listed
        .split_whitespace()
        .nth(1)
        .expect("ssh-keygen -l prints BITS FINGERPRINT …")
        .to_string();
    let text = std::fs::read_to_string(&public).expect("read the public key");
    let line = text
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    Key {
        private,
        public,
        fingerprint,
        line,
    }
}

/// A fresh path `NAME-N` in the test's directory.
fn fresh(g: &Galley, name: &str) -> PathBuf {
    g.path(&format!("{name}-{}", FILES.fetch_add(1, Ordering::Relaxed)))
}

/// The armored signature `ssh-keygen -Y sign -n galley -f KEY` makes over exactly `statement`.
pub fn ssh_keygen_sign(g: &Galley, key: &Key, statement: &str) -> String {
    let file = fresh(g, "statement");
    std::fs::write(&file, statement).expect("write the statement");
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-Y", "sign", "-n", "galley", "-f"])
        .arg(&key.private)
        .arg(&file);
    checked(cmd, "ssh-keygen -Y sign");
    std::fs::read_to_string(file.with_extension("sig")).expect("ssh-keygen wrote FILE.sig")
}

/// `ssh-keygen -Y verify -n galley -I IDENTITY` of `signature` over `statement`, with an
/// allowed-signers file naming `key` as `identity`'s. Its output, success or not.
pub fn ssh_keygen_verify(
    g: &Galley,
    identity: &str,
    key: &Key,
    statement: &str,
    signature: &str,
) -> Output {
    let allowed = fresh(g, "allowed_signers");
    std::fs::write(&allowed, format!("{identity} {}\n", key.line)).expect("allowed signers");
    let sig = fresh(g, "signature");
    std::fs::write(&sig, signature).expect("write the signature");
    let message = fresh(g, "message");
    std::fs::write(&message, statement).expect("write the statement");
    Command::new("ssh-keygen")
        .args(["-Y", "verify", "-n", "galley", "-I", identity, "-f"])
        .arg(&allowed)
        .arg("-s")
        .arg(&sig)
        .stdin(std::fs::File::open(&message).expect("open the statement"))
        .output()
        .expect("run ssh-keygen -Y verify")
}

/// A well-formed `sk-ssh-ed25519@openssh.com` public key line (a FIDO key, which galley does not
/// take): the encoding OpenSSH uses, of an arbitrary point.
pub fn sk_ed25519_line() -> String {
    let sk = ssh_key::public::SkEd25519::new(ssh_key::public::Ed25519PublicKey([7; 32]), "ssh:");
    ssh_key::PublicKey::new(ssh_key::public::KeyData::SkEd25519(sk), "")
        .to_openssh()
        .expect("encode the key")
}

/// `setpriv` running `program` as `who`, with no supplementary groups and a bare environment.
fn as_account(who: &OsAccount, program: &str) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.arg(format!("--reuid={}", who.uid))
        .arg(format!("--regid={}", who.gid))
        .args(["--clear-groups", "--", program])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

/// A real `ssh-agent` run as an account (it serves only its own uid), stopped when dropped.
pub struct Agent {
    child: Child,
    who: OsAccount,
    pub socket: PathBuf,
}

impl Agent {
    pub fn start(g: &Galley, owner: &str) -> Agent {
        let who = account(owner);
        let dir = fresh(g, &format!("agent-{owner}"));
        std::fs::create_dir_all(&dir).expect("agent folder");
        own(&dir, &who, 0o700);
        let socket = dir.join("sock");
        let mut cmd = as_account(&who, "ssh-agent");
        cmd.arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("start ssh-agent (openssh-client)");
        let started = Instant::now();
        while !socket.exists() {
            if let Some(status) = child.try_wait().expect("wait for ssh-agent") {
                panic!("ssh-agent exited at once: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "ssh-agent made no socket within 10 s"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        Agent { child, who, socket }
    }

    /// `ssh-add KEY`, as the agent's account.
    pub fn add(&self, key: &Key) {
        let mut cmd = as_account(&self.who, "ssh-add");
        cmd.arg("-q")
            .arg(&key.private)
            .env("SSH_AUTH_SOCK", &self.socket);
        checked(cmd, "ssh-add");
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the prepared galley `cmd` with `args` in a pseudo-terminal, answers the first
/// `Passphrase for` prompt with `answer`, and returns its exit code and everything it printed.
pub fn pty_run(cmd: Command, args: &[&str], answer: &str) -> (u32, String) {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("open a pty");
    let mut builder = CommandBuilder::new(cmd.get_program());
    builder.args(cmd.get_args());
    builder.args(args);
    builder.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            builder.env(k, v);
        }
    }
    if let Some(dir) = cmd.get_current_dir() {
        builder.cwd(dir);
    }
    let mut child = pair.slave.spawn_command(builder).expect("spawn galley");
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().expect("pty reader");
    let mut writer = pair.master.take_writer().expect("pty writer");
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // Ends at EOF, or EIO once the child has exited and the terminal is gone.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let mut screen = Vec::new();
    let started = Instant::now();
    while !String::from_utf8_lossy(&screen).contains("Passphrase for") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no passphrase prompt within 30 s: {}",
            String::from_utf8_lossy(&screen)
        );
        if let Ok(bytes) = rx.recv_timeout(Duration::from_millis(100)) {
            screen.extend(bytes);
        }
    }
    writer
        .write_all(format!("{answer}\r").as_bytes())
        .expect("type the passphrase");
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for galley") {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "galley did not finish within 60 s: {}",
            String::from_utf8_lossy(&screen)
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    while let Ok(bytes) = rx.recv_timeout(Duration::from_millis(500)) {
        screen.extend(bytes);
    }
    drop(pair.master);
    let text = String::from_utf8_lossy(&screen).replace('\r', "");
    (status.exit_code(), text)
}
