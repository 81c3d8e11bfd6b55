//! The workbench: key-sequence scenarios and snapshots of every view.

mod eval_snapshots;
mod evals;
mod harness;
mod playground;
mod scenarios;
mod snapshots;
mod worker;
