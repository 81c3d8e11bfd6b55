//! Builds (or checks) the cached 10,000-prompt × 10-version workspace and prints its path.
//! `cargo bench --bench gen_workspace`; `benches/cli.sh` runs it before its timings.

#[path = "common/mod.rs"]
mod common;

fn main() {
    let path = common::ensure_workspace();
    println!("{}", path.display());
}
