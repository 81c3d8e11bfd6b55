//! The workbench: key-sequence scenarios and snapshots of every view.

mod board_snapshots;
mod eval_snapshots;
mod evals;
mod harness;
mod monitor;
mod playground;
mod review_deploy;
mod scenarios;
mod screen;
mod snapshots;
mod worker;
