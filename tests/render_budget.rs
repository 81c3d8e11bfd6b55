//! The render budget against the real binary: the four templates issue 12 names (nested
//! `range(100000)` loops, a macro calling itself twice per level to depth 40, a list doubled in
//! a loop, 31 prompts each including the previous one twice) fail with an error naming the
//! prompt and the budget — from `galley render` and from the server's render route — quickly
//! and in little memory; a commit over the budget is refused before anything is written;
//! what the server delivers has its includes inlined completely or fails; and SIGTERM ends
//! `galley serve` within its grace period while renders run.
//!
//! Time bounds are generous ("under 5 s" where the issue says a second): this is a slow
//! shared machine running debug builds, and the bounds are there to catch a hang, not to
//! benchmark. Memory is the child's peak resident set (VmHWM), bound at the 100 MB.

mod server_support;

use std::time::{Duration, Instant};

use galley::domain::{PromptContent, PromptType, Section, SectionKind};
use galley::workspace::Workspace;
use serde_json::json;
use server_support::common::measure::{measured, peak_kb};
use server_support::*;

/// How long a refused render may take on this machine (the issue asks for a second in release).
const QUICK: Duration = Duration::from_secs(5);
/// The memory bound.
const MEMORY_LIMIT_KB: u64 = 100 * 1024;

/// The bombs behind `{% if go %}`: a commit's budget check renders with the declared examples
/// and defaults only, so these are stored and go off when a render passes `go`.
const BOMBS: [(&str, &str); 2] = [
    (
        "bomb/loops",
        "{% if go %}{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}{% endif %}",
    ),
    (
        "bomb/macro",
        "{% if go %}{% macro m(n) %}{% if n > 0 %}{{ m(n - 1) }}{{ m(n - 1) }}{% else %}x{% endif %}{% endmacro %}{{ m(40) }}{% endif %}",
    ),
];

/// A list doubled in a loop, printed: minijinja concatenates lists lazily (no fuel), and its
/// own printer visits every item even once the output is refused; galley's stops at the cap.
/// `{}` is the number of doublings.
const LIST_BOMB: (&str, &str) = (
    "bomb/list",
    "{% if go %}{% set ns = namespace(l=[\"xxxxxxxx\"]) %}{% for i in range(DOUBLINGS) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l }}{% endif %}",
);

/// The last of 31 prompts, each including the previous one twice.
const CHAIN_TOP: &str = "chain/p30";

fn body_prompt(body: &str) -> PromptContent {
    let mut c = PromptContent::blank(PromptType::Text);
    c.headings = false;
    c.sections = vec![Section::new(SectionKind::Instructions, "Task", None, body)];
    c
}

fn admin(g: &Galley) -> Workspace {
    let runner = galley::workspace::os_account().expect("the tests' account has a name");
    Workspace::open_as(g.db(), USER, true, Some(&runner)).expect("open workspace")
}

/// The seeded workspace plus the bombs and the chain, each deployed to production. The chain
/// is committed top-down (every prompt first as `x`), so no single commit sees it whole.
fn bombed() -> Galley {
    let g = seeded();
    let mut ws = admin(&g);
    for (prompt, body) in BOMBS {
        let n = name(prompt);
        ws.create_prompt(&n, body_prompt(body), &[], "bomb")
            .expect(prompt);
        ws.deploy(&n, 1, "production").expect("deploy");
    }
    for i in 0..=30 {
        let n = name(&format!("chain/p{i}"));
        ws.create_prompt(&n, body_prompt("x"), &[], "x")
            .expect("chain link");
    }
    for i in (1..=30).rev() {
        let n = name(&format!("chain/p{i}"));
        let prev = format!("chain/p{}", i - 1);
        let body = format!("{{% include \"{prev}\" %}}{{% include \"{prev}\" %}}");
        ws.save_draft(&n, body_prompt(&body)).expect("draft");
        ws.commit(&n, "include the previous one twice", false)
            .expect("commit link");
    }
    ws.deploy(&name(CHAIN_TOP), 2, "production")
        .expect("deploy chain");
    g
}

#[test]
fn cli_render_of_each_bomb_fails_quickly_naming_the_prompt_and_the_budget() {
    let g = bombed();
    let mut cases: Vec<(&str, Vec<&str>)> = BOMBS
        .iter()
        .map(|(prompt, _)| (*prompt, vec!["render", prompt, "--var", "go=yes"]))
        .collect();
    cases.push((CHAIN_TOP, vec!["render", CHAIN_TOP]));
    for (prompt, args) in cases {
        let run = measured(&g, &args);
        assert_ne!(run.code, 0, "{prompt}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("prompt `{prompt}` is over its render budget")),
            "{prompt}: {}",
            run.stderr
        );
        assert!(run.stderr.contains("[render]"), "{prompt}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(run.elapsed < QUICK, "{prompt} took {:?}", run.elapsed);
        assert!(
            run.peak_kb < MEMORY_LIMIT_KB,
            "{prompt} peaked at {} kB",
            run.peak_kb
        );
    }
    // The chain is named by the budget it exceeds.
    let run = measured(&g, &["render", CHAIN_TOP]);
    assert!(run.stderr.contains("max_inlined_bytes"), "{}", run.stderr);
    // The same prompts render when they are not asked to blow up.
    let out = g.run(&["render", "bomb/loops", "--var", "go="]);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_smaller_budget_from_the_user_config_is_the_one_applied() {
    let g = bombed();
    // 100 iterations fit the default budget, not 50 fuel.
    let mut ws = admin(&g);
    let n = name("small/loop");
    let body = "{% for i in range(100) %}{{ i }}{% endfor %}";
    ws.create_prompt(&n, body_prompt(body), &[], "small")
        .expect("within the default budget");
    assert_eq!(g.run(&["render", "small/loop"]).code, 0);
    let config = g.write("config.toml", "[render]\nfuel = 50\n");
    let mut cmd = g.command();
    cmd.env("GALLEY_CONFIG", &config)
        .args(["render", "small/loop"]);
    let out = g.run_cmd(cmd);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("prompt `small/loop` is over its render budget: it needs more work than the budget of 50 fuel allows"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_commit_over_the_budget_is_refused_with_the_same_words_and_writes_nothing() {
    let g = seeded();
    let mut ws = admin(&g);
    let n = name("support/triage");
    ws.save_draft(
        &n,
        body_prompt(BOMBS[0].1.replace("{% if go %}", "{% if true %}").as_str()),
    )
    .expect("draft");
    drop(ws);
    let before = g.latest("support/triage");
    let started = Instant::now();
    let out = g.run(&["commit", "support/triage", "-m", "loops"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("prompt `support/triage` is over its render budget: it needs more work"),
        "{}",
        out.stderr
    );
    assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
    assert_eq!(g.latest("support/triage"), before, "nothing was committed");
    // The draft is still there to fix.
    assert_eq!(g.run(&["render", "support/triage", "--draft"]).code, 1);
}

#[tokio::test]
async fn the_render_route_answers_422_naming_the_budget_quickly_and_in_little_memory() {
    let g = bombed();
    let key = key(&g, "read:production");
    let server = Server::start(&g, &[]);
    let mut cases: Vec<(&str, serde_json::Value)> = BOMBS
        .iter()
        .map(|(p, _)| (*p, json!({"variables": {"go": true}})))
        .collect();
    cases.push((CHAIN_TOP, json!({"variables": {}})));
    for (prompt, body) in cases {
        let started = Instant::now();
        let path = format!("/v1/prompts/{prompt}/render");
        let (status, _, answer) = post(&server, &path, Some(&key), &body).await;
        let elapsed = started.elapsed();
        assert_eq!(status, 422, "{prompt}: {answer}");
        assert_eq!(code(&answer), "render_budget_exceeded", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("prompt `{prompt}` is over its render budget")),
            "{message}"
        );
        assert!(elapsed < QUICK, "{prompt} took {elapsed:?}");
    }
    let peak = peak_kb(server.pid()).expect("the server's status");
    assert!(peak < MEMORY_LIMIT_KB, "the server peaked at {peak} kB");
    // The server still answers.
    let (status, _, _) = get(&server, "/healthz", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn delivery_inlines_includes_completely_or_fails_clearly() {
    let g = bombed();
    let mut ws = admin(&g);
    ws.create_prompt(&name("deep/d0"), body_prompt("end {{ who }}"), &[], "0")
        .expect("d0");
    for i in 1..=10 {
        let body = format!("{{% include \"deep/d{}\" %}}", i - 1);
        ws.create_prompt(&name(&format!("deep/d{i}")), body_prompt(&body), &[], "d")
            .expect("link");
    }
    ws.deploy(&name("deep/d10"), 1, "production")
        .expect("deploy");
    drop(ws);
    let key = key(&g, "read:production");
    let server = Server::start(&g, &[]);
    for path in ["/v1/prompts/deep/d10", "/api/public/v2/prompts/deep%2Fd10"] {
        let (status, _, body) = get(&server, path, Some(&key)).await;
        assert_eq!(status, 200, "{path}: {body}");
        let text = body.to_string();
        // (The Langfuse form writes variables as `{{who}}`.)
        assert!(text.contains("end {{"), "{path}: {text}");
        assert!(!text.contains("include"), "{path}: {text}");
    }
    for path in [
        "/v1/prompts/chain/p30",
        "/api/public/v2/prompts/chain%2Fp30",
    ] {
        let started = Instant::now();
        let (status, _, body) = get(&server, path, Some(&key)).await;
        assert_eq!(status, 422, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("prompt `chain/p30` is over its render budget")
                && message.contains("max_inlined_bytes"),
            "{message}"
        );
        assert!(started.elapsed() < QUICK);
    }
}

#[tokio::test]
async fn sigterm_ends_the_server_within_its_grace_period_while_renders_run() {
    let g = seeded();
    let mut ws = admin(&g);
    // Expensive but within the default budget: each render takes a good part of its fuel.
    let n = name("busy/loop");
    let body = "{% for i in range(300) %}{% for j in range(300) %}{{ j }}{% endfor %}{% endfor %}";
    ws.create_prompt(&n, body_prompt(body), &[], "busy")
        .expect("busy");
    ws.deploy(&n, 1, "production").expect("deploy");
    drop(ws);
    let key = key(&g, "read:production");
    let mut server = Server::start(&g, &["--shutdown-grace", "1"]);
    let (status, _, answer) = post(
        &server,
        "/v1/prompts/busy/loop/render",
        Some(&key),
        &json!({}),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let url = server.url("/v1/prompts/busy/loop/render");
    let mut renders = Vec::new();
    for _ in 0..16 {
        let req = client()
            .post(&url)
            .bearer_auth(&key.secret)
            .json(&json!({}));
        renders.push(tokio::spawn(async move {
            // Some finish, some are cut off by the shutdown: either is fine.
            let _ = req.send().await;
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    server.terminate();
    let code = server.wait(Duration::from_secs(1 + 5));
    assert!(
        code.is_some(),
        "galley serve still ran {:?} after SIGTERM with a 1 s grace",
        started.elapsed()
    );
    for r in renders {
        r.abort();
    }
}

/// Renders the list bomb doubled `doublings` times through the real binary.
fn list_bomb(doublings: u32) {
    let g = seeded();
    let mut ws = admin(&g);
    let n = name(LIST_BOMB.0);
    let body = LIST_BOMB.1.replace("DOUBLINGS", &doublings.to_string());
    ws.create_prompt(&n, body_prompt(&body), &[], "bomb")
        .expect("stored");
    drop(ws);
    let run = measured(&g, &["render", LIST_BOMB.0, "--var", "go=yes"]);
    assert!(
        run.stderr.contains("is over its render budget"),
        "{}",
        run.stderr
    );
    assert!(
        run.elapsed < QUICK && run.peak_kb < MEMORY_LIMIT_KB,
        "{run:?}"
    );
}

#[test]
fn a_list_doubled_thirty_times_stops_printing_at_the_output_cap() {
    // 2^30 items, built lazily: the printer stops at the 1 MiB cap.
    list_bomb(30);
}

/// Past 32 lazy concatenations minijinja materialises the list; the vendored patch charges
/// the copy against the fuel before it happens (vendor/minijinja/PATCHED.md).
#[test]
fn a_list_doubled_sixty_four_times_fails_quickly() {
    list_bomb(64);
}
