//! The workbench: key-sequence scenarios and snapshots of every view.

mod harness;
mod scenarios;
mod snapshots;
