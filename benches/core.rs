//! In-process benchmarks of the speed targets, on a workspace of 10,000 prompts × 10 versions
//! (built once and cached in `target/bench-data/`, see `common/mod.rs`).
//!
//! Targets: opening (and creating + migrating) a file < 10 ms; rendering a typical prompt
//! < 50 µs; `set_section_body` + `commit` < 5 ms. The diff of two 2,000-line versions is here
//! in-process; its whole-process comparison with `git diff` is in `benches/cli.sh`.
//!
//! Run: `cargo bench --bench core` (filter: `cargo bench --bench core -- render`).

#[path = "common/mod.rs"]
mod common;

use std::cell::RefCell;
use std::path::PathBuf;

use divan::Bencher;
use galley::diff::diff_prompts;
use galley::domain::{PromptName, VersionRef};
use galley::template::Template;
use galley::workspace::Workspace;

use common::{USER, ensure_workspace, open_cached};

/// The starting templates the typical prompts were made from (one prompt of each is rendered).
const STARTERS: &[&str] = &[
    "support-agent",
    "classifier",
    "json-extractor",
    "rag-answerer",
    "summarizer",
    "code-reviewer",
    "sql-generator",
    "email-writer",
];

fn main() {
    // Build (or check) the cached workspace before anything is timed.
    let path = ensure_workspace();
    describe(&path);
    divan::main();
}

/// What the benchmarks run on, for the record.
fn describe(path: &std::path::Path) {
    let ws = open_cached();
    let (a, b) = common::long_versions(&ws, 1, 2);
    let diff = diff_prompts(&a, &b);
    eprintln!(
        "workspace: {} ({:.0} MB, {} prompts × {} versions)",
        path.display(),
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6,
        common::PROMPTS,
        common::VERSIONS
    );
    eprintln!(
        "long prompt `{}`: v1 {} lines, v2 {} lines, +{} -{} lines between them",
        common::LONG_NAME,
        common::count_lines(&a),
        common::count_lines(&b),
        diff.stats.lines_added,
        diff.stats.lines_removed
    );
}

fn typical(starter: &str) -> PromptName {
    let index = common::starter_ids()
        .iter()
        .position(|id| *id == starter)
        .unwrap_or_else(|| panic!("no starting template `{starter}`"));
    common::typical_prompt(index)
}

/// Target 1: < 10 ms.
mod open {
    use super::*;

    /// Opening the cached, up-to-date 100,000-version file (the CLI's first step).
    #[divan::bench]
    fn existing_up_to_date(bencher: Bencher) {
        let path = ensure_workspace();
        bencher.bench_local(|| Workspace::open(&path, USER).expect("open"));
    }

    /// The same, closing it again inside the timing (what a short CLI run pays in all).
    #[divan::bench]
    fn existing_open_and_close(bencher: Bencher) {
        let path = ensure_workspace();
        bencher.bench_local(|| drop(Workspace::open(&path, USER).expect("open")));
    }

    /// Creating a new file and running every migration on it.
    #[divan::bench]
    fn create_and_migrate_new(bencher: Bencher) {
        let dir = common::data_dir().join("open-scratch");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let mut n = 0u32;
        bencher
            .with_inputs(|| {
                n += 1;
                dir.join(format!("new-{n}.db"))
            })
            .bench_local_values(|path: PathBuf| Workspace::open(&path, USER).expect("create"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Target 3: < 50 µs.
mod render {
    use super::*;

    /// `Workspace::render` of the latest version of a template-based prompt with its variables:
    /// loads the version, resolves snippets, compiles, renders.
    #[divan::bench(args = STARTERS)]
    fn workspace_render(bencher: Bencher, starter: &str) {
        let ws = open_cached();
        let name = typical(starter);
        let content = ws
            .resolve(&name, VersionRef::Latest)
            .expect("resolve")
            .content;
        let inputs = common::sample_inputs(&content);
        bencher.bench_local(|| {
            ws.render(&name, VersionRef::Latest, &inputs)
                .expect("render")
        });
    }

    /// Part of `workspace_render`: loading the latest version (two queries, JSON parse).
    #[divan::bench]
    fn part_resolve_latest(bencher: Bencher) {
        let ws = open_cached();
        let name = typical("support-agent");
        bencher.bench_local(|| ws.resolve(&name, VersionRef::Latest).expect("resolve"));
    }

    /// Part of `workspace_render`: the content hash it reports (canonical JSON + sha256).
    #[divan::bench]
    fn part_content_hash(bencher: Bencher) {
        let ws = open_cached();
        let name = typical("support-agent");
        let content = ws
            .resolve(&name, VersionRef::Latest)
            .expect("resolve")
            .content;
        bencher.bench_local(|| content.content_hash());
    }

    /// Part of `workspace_render`: following includes (none in these prompts).
    #[divan::bench]
    fn part_snippets_for(bencher: Bencher) {
        let ws = open_cached();
        let name = typical("support-agent");
        let content = ws
            .resolve(&name, VersionRef::Latest)
            .expect("resolve")
            .content;
        bencher.bench_local(|| ws.snippets_for(&name, &content).expect("snippets"));
    }

    /// Part of `workspace_render`: `Workspace::summary`, i.e. one `Tx::prompt` lookup plus a
    /// draft lookup.
    #[divan::bench]
    fn part_summary(bencher: Bencher) {
        let ws = open_cached();
        let name = typical("support-agent");
        bencher.bench_local(|| ws.summary(&name).expect("summary"));
    }

    /// Part of `Template::render`: its required-variable check walks every section's template
    /// for the names it uses (`variable_uses`, which `render` runs on each call).
    #[divan::bench]
    fn part_variable_uses(bencher: Bencher) {
        let ws = open_cached();
        let name = typical("support-agent");
        let content = ws
            .resolve(&name, VersionRef::Latest)
            .expect("resolve")
            .content;
        let template = Template::compile(&content, &Default::default()).expect("compile");
        bencher.bench_local(|| template.variable_uses());
    }

    /// Part of `Template::compile`: compiling alone.
    #[divan::bench]
    fn part_compile(bencher: Bencher) {
        let ws = open_cached();
        let name = typical("support-agent");
        let content = ws
            .resolve(&name, VersionRef::Latest)
            .expect("resolve")
            .content;
        bencher.bench_local(|| Template::compile(&content, &Default::default()).expect("compile"));
    }

    /// `Template::compile` + `render` alone, on content already loaded.
    #[divan::bench(args = STARTERS)]
    fn compile_and_render(bencher: Bencher, starter: &str) {
        let ws = open_cached();
        let name = typical(starter);
        let content = ws
            .resolve(&name, VersionRef::Latest)
            .expect("resolve")
            .content;
        let snippets = ws.snippets_for(&name, &content).expect("snippets");
        let inputs = common::sample_inputs(&content);
        bencher.bench_local(|| {
            Template::compile(&content, &snippets)
                .expect("compile")
                .render(&inputs)
                .expect("render")
        });
    }

    /// `Template::render` alone, compiled once.
    #[divan::bench(args = STARTERS)]
    fn render_only(bencher: Bencher, starter: &str) {
        let ws = open_cached();
        let name = typical(starter);
        let content = ws
            .resolve(&name, VersionRef::Latest)
            .expect("resolve")
            .content;
        let snippets = ws.snippets_for(&name, &content).expect("snippets");
        let inputs = common::sample_inputs(&content);
        let template = Template::compile(&content, &snippets).expect("compile");
        bencher.bench_local(|| template.render(&inputs).expect("render"));
    }
}

/// Target 4: < 5 ms. On a copy of the cached workspace, so the cache stays at 100,000 versions.
mod commit {
    use super::*;

    const BODY: &str = "1. Read the whole input before you answer.\n\
        2. Work out what the reader needs, not just what they literally asked.\n\
        3. If the request is ambiguous, ask one focused clarifying question instead of guessing.\n\
        4. Answer with concrete steps the reader can take now.\n\
        5. Hand over to a human when the input reports a security incident or lost data.";

    fn scratch() -> RefCell<Workspace> {
        let path = common::copy_workspace(&common::data_dir().join("commit-scratch.db"));
        RefCell::new(Workspace::open(&path, USER).expect("open the scratch copy"))
    }

    fn done(ws: RefCell<Workspace>) {
        let path = ws.borrow().path().to_path_buf();
        drop(ws);
        common::remove_db(&path);
    }

    /// Spreads the commits over the typical prompts, as a team would.
    fn next_target(n: &mut usize) -> (PromptName, String) {
        *n += 1;
        let i = 1 + (*n * 7_919) % (common::PROMPTS - 1);
        (
            common::prompt_name(i),
            format!("{BODY}\n6. Revision {n}: keep the answer under 150 words."),
        )
    }

    /// `set_section_body` + `commit`: what `galley set` then `galley commit` do in-process.
    /// 500 commits, so the periodic WAL checkpoints (every few dozen commits) show in the mean.
    #[divan::bench(sample_count = 500, sample_size = 1)]
    fn set_section_body_and_commit(bencher: Bencher) {
        let ws = scratch();
        let mut n = 0;
        bencher
            .with_inputs(|| next_target(&mut n))
            .bench_local_values(|(name, body)| {
                let mut ws = ws.borrow_mut();
                ws.set_section_body(&name, "instructions", &body)
                    .expect("set");
                ws.commit(&name, "Benchmark commit", false).expect("commit")
            });
        done(ws);
    }

    /// `set_section_body` alone (draft saved, not committed; the draft is committed untimed).
    #[divan::bench(sample_count = 100, sample_size = 1)]
    fn set_section_body_only(bencher: Bencher) {
        let ws = scratch();
        let mut n = 100_000;
        let mut previous: Option<PromptName> = None;
        bencher
            .with_inputs(|| {
                if let Some(name) = previous.take() {
                    ws.borrow_mut()
                        .commit(&name, "Benchmark commit", false)
                        .expect("commit");
                }
                let target = next_target(&mut n);
                previous = Some(target.0.clone());
                target
            })
            .bench_local_values(|(name, body)| {
                ws.borrow_mut()
                    .set_section_body(&name, "instructions", &body)
                    .expect("set")
            });
        done(ws);
    }

    /// `commit` alone (the draft is saved untimed).
    #[divan::bench(sample_count = 100, sample_size = 1)]
    fn commit_only(bencher: Bencher) {
        let ws = scratch();
        let mut n = 200_000;
        bencher
            .with_inputs(|| {
                let (name, body) = next_target(&mut n);
                ws.borrow_mut()
                    .set_section_body(&name, "instructions", &body)
                    .expect("set");
                name
            })
            .bench_local_values(|name| {
                ws.borrow_mut()
                    .commit(&name, "Benchmark commit", false)
                    .expect("commit")
            });
        done(ws);
    }
}

/// The diff of two 2,000-line versions (~5% of lines changed, scattered), in-process.
mod diff {
    use super::*;

    /// `Workspace::diff`: loads both versions, then builds the section-aware diff.
    #[divan::bench]
    fn workspace_diff_2000_lines(bencher: Bencher) {
        let ws = open_cached();
        let name = common::prompt_name(0);
        bencher.bench_local(|| {
            ws.diff(&name, VersionRef::Number(1), VersionRef::Number(2))
                .expect("diff")
        });
    }

    /// `diff::diff_prompts` alone, on loaded content.
    #[divan::bench]
    fn diff_prompts_2000_lines(bencher: Bencher) {
        let ws = open_cached();
        let (a, b) = common::long_versions(&ws, 1, 2);
        bencher.bench_local(|| diff_prompts(&a, &b));
    }
}

/// Not a target: the in-process part of `galley list --json`, to explain the CLI figure.
mod list {
    use super::*;

    /// `Workspace::list` of all 10,000 prompts.
    #[divan::bench(sample_count = 30)]
    fn workspace_list_10k(bencher: Bencher) {
        let ws = open_cached();
        bencher.bench_local(|| ws.list(None).expect("list"));
    }

    /// `list` plus its JSON, as the CLI prints it.
    #[divan::bench(sample_count = 30)]
    fn workspace_list_10k_json(bencher: Bencher) {
        let ws = open_cached();
        bencher.bench_local(|| {
            serde_json::to_string_pretty(&ws.list(None).expect("list")).expect("json")
        });
    }
}
