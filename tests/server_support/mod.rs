//! Runs the real `galley serve` on `127.0.0.1:0` over a seeded workspace file in a temp dir,
//! creates keys with the real CLI, and talks to it with reqwest. Every wait is bounded.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use galley::domain::{MessageRole, PromptContent, PromptName, PromptType, Section, SectionKind};
use galley::domain::{VarType, VariableSpec};
use galley::workspace::{PolicyChange, Workspace};
use serde_json::{Value, json};

#[path = "../common/mod.rs"]
pub mod common;
pub use common::{Galley, Out, USER};

/// How long the server may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A workspace with two prompts: `support/triage` (text; v1 in production, v2 in staging) and
/// `chat/helper` (chat with a placeholder; v1 in production). Production needs no approval.
pub fn seeded() -> Galley {
    let g = Galley::new();
    // Seeded as the CLI does it for the account running the tests: USER becomes the first admin,
    // tied to that account, so the commands below act as them.
    let runner = galley::workspace::os_account().expect("the tests' account has a name");
    let mut ws = Workspace::open_as(g.db(), USER, true, Some(&runner)).expect("open workspace");
    ws.set_policy(
        "production",
        &PolicyChange {
            min_approvals: Some(0),
            allow_self_approval: Some(true),
            ..Default::default()
        },
    )
    .expect("open production");
    let triage = name("support/triage");
    ws.create_prompt(&triage, text_prompt("Classify: {{ ticket }}"), &[], "v1")
        .expect("create triage");
    let mut v2 = ws
        .resolve(&triage, galley::domain::VersionRef::Latest)
        .unwrap()
        .content;
    v2.sections[0].body = "Classify carefully: {{ ticket }}".into();
    ws.save_draft(&triage, v2).expect("draft");
    ws.commit(&triage, "v2", false).expect("commit v2");
    ws.deploy(&triage, 1, "production").expect("deploy v1");
    ws.deploy(&triage, 2, "staging").expect("deploy v2");
    let helper = name("chat/helper");
    ws.create_prompt(&helper, chat_prompt(), &["support".to_string()], "first")
        .expect("create helper");
    ws.deploy(&helper, 1, "production").expect("deploy helper");
    g
}

pub fn name(s: &str) -> PromptName {
    PromptName::parse(s).expect("prompt name")
}

/// A text prompt with one section and a declared required `ticket` and optional `tone`.
pub fn text_prompt(body: &str) -> PromptContent {
    let mut c = PromptContent::blank(PromptType::Text);
    c.headings = false;
    c.sections = vec![Section::new(SectionKind::Instructions, "Task", None, body)];
    c.variables.insert(
        "ticket".into(),
        VariableSpec {
            var_type: VarType::String,
            ..Default::default()
        },
    );
    c.variables.insert(
        "priority".into(),
        VariableSpec {
            var_type: VarType::Number,
            required: false,
            ..Default::default()
        },
    );
    c.config = json!({"model": "gpt-4o-mini", "temperature": 0});
    c
}

fn chat_prompt() -> PromptContent {
    let mut c = PromptContent::blank(PromptType::Chat);
    c.sections = vec![
        Section::new(
            SectionKind::Role,
            "Role",
            Some(MessageRole::System),
            "You help customers of {{ company }}.",
        ),
        Section::new(SectionKind::Placeholder, "history", None, ""),
        Section::new(
            SectionKind::Instructions,
            "Question",
            Some(MessageRole::User),
            "{{ question }}",
        ),
    ];
    c
}

/// A command acting as the seeded admin (USER, tied to the account running the tests).
pub fn command(g: &Galley) -> Command {
    g.command()
}

/// Runs `galley --db WS ARGS` as the admin and expects success.
pub fn ok(g: &Galley, args: &[&str]) -> Out {
    let mut cmd = command(g);
    cmd.args(args);
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 0, "galley {args:?} failed:\n{}", out.stderr);
    out
}

/// A key just created: its public id and secret.
#[derive(Debug, Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

/// Creates a key with `scope` through the CLI.
pub fn key(g: &Galley, scope: &str) -> Key {
    let out = ok(
        g,
        &[
            "key",
            "create",
            "--name",
            &format!("k-{scope}"),
            "--scope",
            scope,
            "--json",
        ],
    );
    let v = out.json();
    Key {
        id: v["id"].as_str().expect("id").to_string(),
        secret: v["secret"].as_str().expect("secret").to_string(),
    }
}

/// A running `galley serve`; killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    log: PathBuf,
}

impl Server {
    /// Starts `galley --db WS serve --addr 127.0.0.1:0 EXTRA...` and waits for its address.
    pub fn start(g: &Galley, extra: &[&str]) -> Server {
        let log = g.dir().join(format!("serve-{}.log", std::process::id()));
        let mut cmd = command(g);
        cmd.args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"));
        Self::spawn(cmd, log)
    }

    /// Starts a prepared `serve` command.
    pub fn spawn(mut cmd: Command, log: PathBuf) -> Server {
        let mut child = cmd.spawn().expect("start galley serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = match rx.recv_timeout(START_TIMEOUT) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "galley serve printed no address within {START_TIMEOUT:?}; log:\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
        };
        let base = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .trim()
            .to_string();
        Server {
            child: Some(child),
            base,
            log,
        }
    }

    /// The server's process id (while it runs).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The log once it contains `needle` (log lines are written by a thread of their own, so
    /// a line may trail its answer by a moment); panics after 10 s.
    pub fn log_with(&self, needle: &str) -> String {
        let start = Instant::now();
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the log never said {needle:?}:\n{log}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits (bounded) for the process to exit; its exit code.
    pub fn wait(&mut self, limit: Duration) -> Option<i32> {
        let child = self.child.as_mut()?;
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A reqwest client (rustls with ring; no proxy, loopback only).
pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// GET `path` with a bearer key; (status, headers, JSON body or Null).
pub async fn get(
    server: &Server,
    path: &str,
    key: Option<&Key>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().get(server.url(path));
    if let Some(k) = key {
        req = req.bearer_auth(&k.secret);
    }
    answer(req).await
}

/// POST JSON to `path` with a bearer key.
pub async fn post(
    server: &Server,
    path: &str,
    key: Option<&Key>,
    body: &Value,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client().post(server.url(path)).json(body);
    if let Some(k) = key {
        req = req.bearer_auth(&k.secret);
    }
    answer(req).await
}

/// Sends a request; (status, headers, JSON body or Null when empty).
pub async fn answer(req: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, headers, body)
}

/// The server's `/metrics` page.
pub async fn metrics_text(server: &Server) -> String {
    let resp = client().get(server.url("/metrics")).send().await;
    resp.expect("GET /metrics")
        .text()
        .await
        .expect("metrics body")
}

/// The error code of an error body.
pub fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("<none>")
}

/// POSTs `{"observations": items}` to `/v1/observations` with `key`: (status, body).
pub async fn send_observations(server: &Server, key: &Key, items: &[Value]) -> (u16, Value) {
    let batch = json!({"observations": items});
    let (status, _, body) = post(server, "/v1/observations", Some(key), &batch).await;
    (status, body)
}

/// An OTLP attribute `{key, value}` (the value an `AnyValue`, e.g. `{"stringValue": "x"}`).
pub fn attr(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}

/// The workspace file of `g`.
pub fn db(g: &Galley) -> &Path {
    g.db()
}
