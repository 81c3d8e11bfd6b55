//! Shared by the benchmarks: the cached 10,000-prompt × 10-version workspace and the 2,000-line
//! prompt whose versions 1 and 2 the diff benchmarks compare.
//!
//! The workspace is built once, through the public `Workspace` API (`create_prompt`,
//! `save_draft`, `commit`), into `target/bench-data/workspace-10k.db`, and reused while it holds
//! the right counts and was made by this generator (see [`GENERATOR`]).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use galley::domain::{PromptContent, PromptName, VersionRef};
use galley::workspace::{DraftChange, Workspace, starters};

mod content;

pub use content::*;

/// Bump when the generated content changes, so a cached file from an older generator is rebuilt.
pub const GENERATOR: &str = "galley-bench-workspace v1";
pub const PROMPTS: usize = 10_000;
pub const VERSIONS: u32 = 10;
pub const USER: &str = "bench";
/// The 2,000-line prompt (one of the 10,000): versions 1 and 2 differ in ~5% of their lines.
pub const LONG_NAME: &str = "bench/long-2000";
pub const LONG_LINES: usize = 2_000;

/// `target/` (or `$CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
}

/// Where the benchmarks keep their files.
pub fn data_dir() -> PathBuf {
    target_dir().join("bench-data")
}

/// The cached workspace file.
pub fn workspace_path() -> PathBuf {
    data_dir().join("workspace-10k.db")
}

fn marker_path(db: &Path) -> PathBuf {
    db.with_extension("db.ok")
}

/// The cached workspace, built first when missing, incomplete or from another generator. Checked
/// once per process.
pub fn ensure_workspace() -> PathBuf {
    static CHECKED: OnceLock<PathBuf> = OnceLock::new();
    CHECKED.get_or_init(check_or_build).clone()
}

fn check_or_build() -> PathBuf {
    let path = workspace_path();
    if is_complete(&path) {
        return path;
    }
    std::fs::create_dir_all(data_dir()).expect("create target/bench-data");
    let building = data_dir().join("workspace-10k.building.db");
    remove_db(&building);
    remove_db(&path);
    let _ = std::fs::remove_file(marker_path(&path));
    eprintln!(
        "building {} ({PROMPTS} prompts × {VERSIONS} versions) through the Workspace API...",
        path.display()
    );
    let started = Instant::now();
    build(&building);
    std::fs::rename(&building, &path).expect("move the built workspace into place");
    std::fs::write(marker_path(&path), GENERATOR).expect("write the marker");
    eprintln!(
        "built {} in {:.1} s ({:.1} MB)",
        path.display(),
        started.elapsed().as_secs_f64(),
        std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6
    );
    assert!(
        is_complete(&path),
        "the freshly built workspace fails its own check"
    );
    path
}

/// Removes an SQLite file and its WAL companions.
pub fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Copies the cached workspace to `to` (for benchmarks that write), replacing any old copy.
pub fn copy_workspace(to: &Path) -> PathBuf {
    let from = ensure_workspace();
    remove_db(to);
    std::fs::copy(&from, to).expect("copy the cached workspace");
    // Flush the copy now: otherwise the first fsync of a timed write (a WAL checkpoint) pays for
    // writing the whole fresh copy to disk.
    std::fs::File::open(to)
        .and_then(|f| f.sync_all())
        .expect("sync the copy");
    to.to_path_buf()
}

fn is_complete(path: &Path) -> bool {
    if !path.exists() {
        return false;
    }
    match std::fs::read_to_string(marker_path(path)) {
        Ok(text) if text == GENERATOR => {}
        _ => return false,
    }
    let Ok(ws) = Workspace::open(path, USER) else {
        return false;
    };
    let Ok(list) = ws.list(None) else {
        return false;
    };
    let versions: u64 = list
        .iter()
        .map(|p| u64::from(p.latest_version.unwrap_or(0)))
        .sum();
    // The long prompt's first version must be what this generator makes.
    let long_matches = ws
        .version(&prompt_name(0), 1)
        .is_ok_and(|v| v.content_hash == long_v1().content_hash());
    list.len() == PROMPTS
        && versions == PROMPTS as u64 * u64::from(VERSIONS)
        && list.iter().all(|p| !p.has_draft)
        && long_matches
}

fn build(path: &Path) {
    let mut ws = Workspace::open(path, USER).expect("open the new workspace");
    let all = starters::starters();
    let mut rng = Rng::new(10_000);
    let started = Instant::now();

    // Prompt 0: the 2,000-line prompt; v2 is the scattered 5% edit, then small edits.
    let long = prompt_name(0);
    let mut content = long_v1();
    ws.create_prompt(
        &long,
        content.clone(),
        &["bench".to_string()],
        "Handbook as of Q1",
    )
    .expect("create the long prompt");
    content = long_v2();
    save_and_commit(&mut ws, &long, &content, "Quarterly handbook revision");
    for v in 3..=VERSIONS {
        content = scatter_edits(&content, u64::from(v), 1);
        save_and_commit(&mut ws, &long, &content, "Small fixes");
    }

    for i in 1..PROMPTS {
        let name = prompt_name(i);
        let starter = &all[i % all.len()];
        let mut content = starter.file.content.clone();
        let folder = name.folder().unwrap_or("").to_string();
        content.description = format!("{} (for {folder})", starter.description);
        let mut tags = starter.tags.clone();
        tags.push(folder);
        ws.create_prompt(
            &name,
            content.clone(),
            &tags,
            &format!("Created from the {} template", starter.id),
        )
        .unwrap_or_else(|e| panic!("create {name}: {e}"));
        for _ in 2..=VERSIONS {
            edit_typical(&mut content, &mut rng);
            save_and_commit(&mut ws, &name, &content, rng.pick(MESSAGES));
        }
        if i % 1_000 == 0 {
            eprintln!("  {i} prompts, {:.1} s", started.elapsed().as_secs_f64());
        }
    }
}

fn save_and_commit(ws: &mut Workspace, name: &PromptName, content: &PromptContent, message: &str) {
    match ws.save_draft(name, content.clone()) {
        Ok(DraftChange::Saved) => {}
        Ok(other) => panic!("editing {name} changed nothing ({other:?})"),
        Err(e) => panic!("save draft of {name}: {e}"),
    }
    ws.commit(name, message, false)
        .unwrap_or_else(|e| panic!("commit {name}: {e}"));
}

/// Opens the cached workspace, read-mostly.
pub fn open_cached() -> Workspace {
    Workspace::open(&ensure_workspace(), USER).expect("open the cached workspace")
}

/// Versions `a` and `b` of the long prompt, from the cached workspace.
pub fn long_versions(ws: &Workspace, a: u32, b: u32) -> (PromptContent, PromptContent) {
    let name = prompt_name(0);
    let get = |n| {
        ws.resolve(&name, VersionRef::Number(n))
            .expect("long prompt version")
            .content
    };
    (get(a), get(b))
}
