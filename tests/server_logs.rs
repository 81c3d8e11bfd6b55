//! The request log cannot be written into and never holds a secret: the real `galley serve`
//! logs to the settings file's `log_file`; every bad credential (a swapped public/secret pair,
//! newlines in the claimed key id, a path and a user agent full of quotes, escapes and line
//! separators, garbage) is answered 401 with exactly one log line per request, the claimed key
//! id logged only when it has the shape of one, and none of the secrets anywhere in the file.

mod server_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine;
use server_support::*;

const TRIAGE: &str = "/v1/prompts/support/triage?env=production";

fn basic(id: &str, secret: &str) -> String {
    let pair = format!("{id}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Sends one raw HTTP/1.1 request (bytes reqwest would not send) and returns the status.
fn raw_request(server: &Server, head: &[u8]) -> u16 {
    let addr = server.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(head).expect("send");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"))
}

/// The request lines of the log once it holds `count` of them (bounded wait).
fn request_lines(log: &std::path::Path, count: usize) -> (String, Vec<String>) {
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<String> = text
            .lines()
            .filter(|l| l.contains("galley::request"))
            .map(str::to_string)
            .collect();
        if lines.len() >= count || start.elapsed() > Duration::from_secs(10) {
            return (text, lines);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test]
async fn bad_credentials_leave_one_escaped_line_each_and_no_secret() {
    let g = seeded();
    let good = key(&g, "read:production");
    let other = key(&g, "write");
    let log = g.path("requests.log");
    let settings = g.write(
        "serve.toml",
        &format!("log_file = {:?}\n", log.to_str().unwrap()),
    );
    let server = Server::start(&g, &["--config", settings.to_str().unwrap()]);
    let url = server.url(TRIAGE);
    let send = |auth: String| {
        let url = url.clone();
        async move {
            answer(client().get(url).header("Authorization", auth))
                .await
                .0
        }
    };
    let mut sent = 0;
    // 1. The pair swapped (the secret where the id goes), over Basic and Bearer.
    assert_eq!(send(basic(&good.secret, &good.id)).await, 401);
    assert_eq!(send(format!("Bearer {}", good.id)).await, 401);
    // 2. A newline and a fake log line in the claimed key id (Basic carries any bytes).
    let injected = format!(
        "{}\n2026-01-01T00:00:00Z  INFO galley::request: forged",
        other.id
    );
    assert_eq!(send(basic(&injected, &other.secret)).await, 401);
    // 3. The right id with another key's secret: the id is well-formed and may be logged.
    assert_eq!(send(basic(&good.id, &other.secret)).await, 401);
    // 4. Garbage.
    assert_eq!(send("Basic !!!not-base64".into()).await, 401);
    assert_eq!(send(format!("Bearer {} \"junk\"", other.secret)).await, 401);
    assert_eq!(send(basic("", "")).await, 401);
    sent += 7;
    // 5. A path and a user agent made to look like log lines (raw bytes: quotes, escapes,
    // a tab, a UTF-8 line separator; hyper itself refuses other control bytes), with the swapped pair.
    let head = format!(
        "GET /v1/prompts/a%0A%22b%22\\x HTTP/1.1\r\nHost: x\r\nUser-Agent: evil\" \t[31m\u{2028}fake=1\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
        basic(&other.secret, &other.id)
    );
    assert_eq!(raw_request(&server, head.as_bytes()), 401);
    sent += 1;
    // 6. A good request, for comparison.
    let (status, _, _) = get(&server, TRIAGE, Some(&good)).await;
    assert_eq!(status, 200);
    sent += 1;

    let (text, lines) = request_lines(&log, sent);
    assert_eq!(lines.len(), sent, "one line per request:\n{text}");
    // Nothing but request lines and the server's own start line.
    let others: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("galley::request"))
        .collect();
    assert!(
        others.iter().all(|l| l.contains("galley serve started")),
        "lines a request wrote:\n{text}"
    );
    assert!(!text.contains("\n2026-01-01"), "an injected line:\n{text}");
    for secret in [&good.secret, &other.secret] {
        assert!(
            !text.contains(secret.as_str()),
            "a secret in the log:\n{text}"
        );
        // Nor its hexadecimal part alone.
        let digits = secret.trim_start_matches("sk-gal-");
        assert!(
            !text.contains(digits),
            "a secret's digits in the log:\n{text}"
        );
    }
    let refused: Vec<&String> = lines
        .iter()
        .filter(|l| l.contains("request refused"))
        .collect();
    assert_eq!(refused.len(), sent - 1, "{text}");
    assert!(
        refused[0].contains("key=<malformed>"),
        "swapped pair: {}",
        refused[0]
    );
    assert!(
        refused[2].contains("key=<malformed>"),
        "injected id: {}",
        refused[2]
    );
    assert!(
        refused[3].contains(&format!("key={}", good.id)),
        "a well-formed claimed id: {}",
        refused[3]
    );
    let raw = refused[7];
    assert!(raw.contains("key=<malformed>"), "{raw}");
    assert!(
        raw.contains(r#"path="/v1/prompts/a%0A%22b%22\\x""#),
        "path: {raw}"
    );
    assert!(
        raw.contains(r#"agent="evil\" \t[31m\u{2028}fake=1""#),
        "user agent: {raw}"
    );
    assert!(
        lines[sent - 1].contains(&format!("key={}", good.id)),
        "{text}"
    );
}
