//! Connections that never finish their request: the real `galley serve` closes them after the
//! header timeout, keeps answering `/healthz` from new connections while they are open, and
//! serves at most `--max-connections` at once (the next waits for a slot). Loopback only; every
//! wait is bounded.

mod server_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use server_support::*;

/// The request line and some headers, without the blank line that ends them.
const HALF_A_REQUEST: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Stall: ";

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_string()
}

/// Opens a connection and sends half a request, then stalls.
fn stall(addr: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(HALF_A_REQUEST).expect("send half a request");
    s
}

/// Waits, until `deadline`, for the server to close `s`; whether it did.
fn closed_by(s: &mut TcpStream, deadline: Instant) -> bool {
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        s.set_read_timeout(Some(left.min(Duration::from_millis(500))))
            .expect("timeout");
        match s.read(&mut buf) {
            Ok(0) => return true,
            // An answer (a 408, if any) before the close.
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => return true,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_half_sent_requests_are_closed_and_healthz_answers_throughout() {
    let g = seeded();
    let server = Server::start(&g, &["--header-timeout", "2"]);
    let addr = addr(&server);
    let opened = Instant::now();
    let mut stalled: Vec<TcpStream> = (0..1000).map(|_| stall(&addr)).collect();
    // While all 1,000 are open: /healthz answers at once from a new connection, again and again.
    for _ in 0..5 {
        let start = Instant::now();
        let (status, _, _) = get(&server, "/healthz", None).await;
        assert_eq!(status, 200);
        // A second on a quiet machine; generous on this shared one.
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Every one is closed within the timeout (2 s), give or take a loaded machine.
    let deadline = opened + Duration::from_secs(2) + Duration::from_secs(8);
    let still_open = tokio::task::spawn_blocking(move || {
        stalled
            .iter_mut()
            .map(|s| closed_by(s, deadline))
            .filter(|closed| !closed)
            .count()
    })
    .await
    .unwrap();
    assert_eq!(still_open, 0, "half-sent requests left open");
    assert!(
        opened.elapsed() >= Duration::from_millis(1900),
        "closed before the timeout"
    );
    // 1,000 connections held open cost the server little memory.
    let peak = common::measure::peak_kb(server.pid()).expect("the server's status");
    assert!(peak < 100 * 1024, "the server peaked at {peak} kB");
    let (status, _, _) = get(&server, "/healthz", None).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_cap_a_new_connection_waits_for_a_free_slot() {
    let g = seeded();
    let server = Server::start(&g, &["--header-timeout", "2", "--max-connections", "4"]);
    let addr = addr(&server);
    let opened = Instant::now();
    let _stalled: Vec<TcpStream> = (0..4).map(|_| stall(&addr)).collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // The fifth connection is not served until the header timeout frees the slots.
    let (status, _, _) = get(&server, "/healthz", None).await;
    let answered = opened.elapsed();
    assert_eq!(status, 200);
    assert!(
        answered >= Duration::from_millis(1500),
        "answered after {answered:?}: no cap"
    );
    assert!(
        answered < Duration::from_secs(10),
        "answered after {answered:?}"
    );
    // With the slots free again, the next answers at once.
    let start = Instant::now();
    let (status, _, _) = get(&server, "/healthz", None).await;
    assert_eq!(status, 200);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}
