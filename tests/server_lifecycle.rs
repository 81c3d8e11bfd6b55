//! The server as a process: health and readiness, settings from a TOML file, the environment
//! and flags, HTTPS with a certificate, and a graceful shutdown on SIGTERM that lets an
//! in-flight request finish.

mod server_support;

use std::process::Stdio;
use std::time::Duration;

use serde_json::json;
use server_support::*;

#[tokio::test]
async fn health_and_readiness_need_no_key() {
    let g = seeded();
    let server = Server::start(&g, &[]);
    let (status, _, body) = get(&server, "/healthz", None).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, _, body) = get(&server, "/readyz", None).await;
    assert_eq!((status, body), (200, json!({"status": "ready"})));
}

#[tokio::test]
async fn flags_beat_the_environment_which_beats_the_config_file() {
    let g = seeded();
    let key = key(&g, "read:production");
    let file = g.write("serve.toml", "max_age = 9\nbody_limit = 2048\n");
    let start = |env: Option<&str>, flag: Option<&str>| {
        let log = g.dir().join("cfg.log");
        let mut cmd = command(&g);
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--config"])
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        if let Some(v) = env {
            cmd.env("GALLEY_SERVE_MAX_AGE", v);
        }
        if let Some(v) = flag {
            cmd.args(["--max-age", v]);
        }
        Server::spawn(cmd, log)
    };
    for (env, flag, expected) in [
        (None, None, "max-age=9"),
        (Some("5"), None, "max-age=5"),
        (Some("5"), Some("3"), "max-age=3"),
    ] {
        let server = start(env, flag);
        let (status, headers, _) = get(&server, "/v1/prompts/support/triage", Some(&key)).await;
        assert_eq!(status, 200);
        assert_eq!(
            headers["cache-control"], expected,
            "env {env:?} flag {flag:?}"
        );
    }
    let bad = g.write("bad.toml", "no_such_setting = 1\n");
    let mut cmd = command(&g);
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--config"])
        .arg(&bad);
    let out = g.run_cmd(cmd);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("bad.toml"), "{}", out.stderr);
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish_then_exits() {
    let g = seeded();
    let key = key(&g, "read:*");
    let mut server = Server::start(&g, &[]);
    // A render whose body arrives in two parts, with SIGTERM in between.
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|chunk| (Ok::<_, std::io::Error>(chunk), rx))
    });
    let request = client()
        .post(server.url("/v1/prompts/support/triage/render"))
        .bearer_auth(&key.secret)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let in_flight = tokio::spawn(request);
    tx.send(br#"{"env": "production", "variables": {"ticket": "#.to_vec())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.terminate();
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.send(br#""late"}}"#.to_vec()).await.unwrap();
    drop(tx);
    let resp = tokio::time::timeout(Duration::from_secs(20), in_flight)
        .await
        .expect("the in-flight request answers")
        .unwrap()
        .expect("the in-flight request succeeds");
    assert_eq!(resp.status().as_u16(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["text"], "Classify: late");
    let code = tokio::task::spawn_blocking(move || {
        let code = server.wait(Duration::from_secs(20));
        (code, server.log())
    })
    .await
    .unwrap();
    assert_eq!(code.0, Some(0), "exit code; log:\n{}", code.1);
    assert!(code.1.contains("shutting down"), "{}", code.1);
}

#[tokio::test]
async fn serves_https_with_a_certificate_and_key() {
    let g = seeded();
    let key = key(&g, "read:production");
    let (cert, pem_key) = (g.path("cert.pem"), g.path("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .arg("-keyout")
        .arg(&pem_key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !matches!(made, Ok(s) if s.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "openssl is needed to make a test certificate (.ci/run installs it)"
        );
        eprintln!("SKIPPED: openssl not found; the HTTPS test needs it to make a certificate");
        return;
    }
    let server = Server::start(
        &g,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            pem_key.to_str().unwrap(),
        ],
    );
    assert!(
        server.base.starts_with("https://127.0.0.1:"),
        "{}",
        server.base
    );
    let _ = rustls::crypto::ring::default_provider().install_default();
    // A self-signed certificate is its own CA, which webpki refuses as a server certificate:
    // accept it as it is (the handshake and the answer are what this test checks).
    let tls = reqwest::Client::builder()
        .no_proxy()
        .tls_danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let (status, _, body) = answer(
        tls.get(server.url("/v1/prompts/support/triage"))
            .bearer_auth(&key.secret),
    )
    .await;
    assert_eq!((status, body["version"].as_u64()), (200, Some(1)));
    let plain = client()
        .get(server.url("/healthz").replace("https", "http"))
        .send()
        .await;
    assert!(plain.map(|r| !r.status().is_success()).unwrap_or(true));
}
