//! The workbench: key-sequence scenarios and snapshots of every view.

#[path = "../common/mod.rs"]
mod common;
#[path = "../sync_support/mod.rs"]
mod sync_support;

mod board_snapshots;
mod eval_snapshots;
mod evals;
mod harness;
mod monitor;
mod playground;
mod review_deploy;
mod scenarios;
mod screen;
mod signatures;
mod snapshots;
mod sync_bar;
mod worker;
