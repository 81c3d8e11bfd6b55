//! Helpers for the sync suites: a real server on 127.0.0.1:0 (in-process, on its own tokio
//! runtime), a server workspace with people and keys, and client commands carrying a key.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use galley::domain::keys::Scope;
use galley::domain::people::Role;
use galley::server::{AppState, ServeConfig};
use galley::workspace::Workspace;
use serde_json::Value;

use crate::common::{Galley, Out};

/// The environment variable the clients' remotes read their key from.
pub const KEY_ENV: &str = "GALLEY_TEST_KEY";

/// A delivery server serving one workspace file, stopped (gracefully) on drop.
pub struct Server {
    pub url: String,
    pub db: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `db` on a free loopback port.
    pub fn start(db: &Path) -> Self {
        Self::start_with(ServeConfig::new(db.to_path_buf()))
    }

    /// Serves with `config` (its address aside) on a free loopback port.
    pub fn start_with(config: ServeConfig) -> Self {
        Self::start_at(config, "127.0.0.1:0")
    }

    /// Serves with `config` on loopback address `addr`.
    pub fn start_at(config: ServeConfig, addr: &str) -> Self {
        let db = config.db.clone();
        let listener = std::net::TcpListener::bind(addr).expect("bind loopback");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = AppState::open(config).expect("server state");
        let app = galley::server::router(state);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        Self {
            url,
            db,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Keys of the server's people.
pub struct Keys {
    /// ada (author), write.
    pub ada: String,
    /// bob (reviewer), write.
    pub bob: String,
    /// A key that reads production only.
    pub reader: String,
}

/// The server's workspace: root (admin), ada (author), bob (reviewer); production keeps its
/// default policy (one approval not by the author).
pub fn prepare_server(db: &Path) -> Keys {
    let mut ws = Workspace::open(db, "root").expect("server workspace");
    ws.add_user("root", Role::Admin, &[]).expect("root");
    ws.add_user("ada", Role::Author, &[]).expect("ada");
    ws.add_user("bob", Role::Reviewer, &[]).expect("bob");
    let mut key = |name: &str, scope: Scope, who: &str| {
        ws.create_key(name, scope, Some(who)).expect("key").secret
    };
    Keys {
        ada: key("ada", Scope::Write, "ada"),
        bob: key("bob", Scope::Write, "bob"),
        reader: key("reader", Scope::Read("production".into()), "root"),
    }
}

/// `galley --db WS ARGS...` acting as `user`, with `secret` in [`KEY_ENV`].
pub fn with_key(g: &Galley, user: &str, secret: &str, args: &[&str]) -> Out {
    let mut cmd: Command = g.command_as(user);
    cmd.env(KEY_ENV, secret).args(args);
    g.run_cmd(cmd)
}

/// `with_key` that must succeed; returns stdout.
pub fn sync_ok(g: &Galley, user: &str, secret: &str, args: &[&str]) -> String {
    let out = with_key(g, user, secret, args);
    assert_eq!(out.code, 0, "{user}: galley {args:?} failed: {out:#?}");
    out.stdout
}

/// Adds remote `origin` at `url` to a client workspace.
pub fn add_origin(g: &Galley, user: &str, url: &str) {
    crate::common::ok_as(
        g,
        user,
        &["remote", "add", "origin", url, "--key-env", KEY_ENV],
    );
}

/// `galley --json ARGS` on any workspace file, as the real OS account `user`.
pub fn json_on(db: &Path, user: &str, args: &[&str]) -> Value {
    let g = Galley::new();
    crate::common::accounts::share_with_accounts(db);
    let mut cmd = g.bare_command_as(user);
    cmd.arg("--db").arg(db).arg("--json").args(args);
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 0, "galley {args:?} on {}: {out:#?}", db.display());
    out.json()
}

/// `audit verify` succeeds on the file.
pub fn assert_audit_ok(db: &Path, user: &str) {
    let report = json_on(db, user, &["audit", "verify"]);
    assert!(
        report["problem"].is_null(),
        "audit chain of {} broken: {report}",
        db.display()
    );
}

/// What must be the same everywhere after a sync: versions with hashes, reviews with their
/// decisions, and what each environment serves.
pub fn shared_state(db: &Path, user: &str, prompts: &[&str]) -> Value {
    let mut versions = serde_json::Map::new();
    for p in prompts {
        let log = json_on(db, user, &["log", p]);
        let list: Vec<Value> = log["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| serde_json::json!([v["number"], v["content_hash"], v["author"]]))
            .collect();
        versions.insert(p.to_string(), Value::Array(list));
    }
    let mut reviews: Vec<Value> = json_on(db, user, &["review", "list"])
        .as_array()
        .expect("reviews")
        .iter()
        .map(|r| {
            let decisions: Vec<Value> = r["decisions"]
                .as_array()
                .expect("decisions")
                .iter()
                .map(|d| serde_json::json!([d["reviewer"], d["kind"], d["comment"]]))
                .collect();
            serde_json::json!([r["prompt"], r["version"], r["env"], r["status"], decisions])
        })
        .collect();
    reviews.sort_by_key(|r| r.to_string());
    serde_json::json!({
        "versions": versions,
        "reviews": reviews,
        "envs": json_on(db, user, &["envs"]),
    })
}

/// A server with its people and keys, and two client workspaces (ada's and bob's) with the
/// server as their remote `origin`.
pub struct World {
    pub server: Server,
    pub server_db: PathBuf,
    pub keys: Keys,
    pub a: Galley,
    pub b: Galley,
    _dir: tempfile::TempDir,
}

impl World {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let server_db = dir.path().join("server.db");
        let keys = prepare_server(&server_db);
        let server = Server::start(&server_db);
        let (a, b) = (Galley::new(), Galley::new());
        add_origin(&a, "ada", &server.url);
        add_origin(&b, "bob", &server.url);
        Self {
            server,
            server_db,
            keys,
            a,
            b,
            _dir: dir,
        }
    }

    /// `audit verify` passes on all three stores.
    pub fn assert_audits_ok(&self) {
        assert_audit_ok(self.a.db(), "ada");
        assert_audit_ok(self.b.db(), "bob");
        assert_audit_ok(&self.server_db, "root");
    }
}
