//! galley: a terminal workbench for the whole life of an LLM prompt.

pub mod cli;
pub mod diff;
pub mod domain;
pub mod eval;
pub mod prompt_file;
pub mod server;
pub mod signer;
pub mod store;
pub mod sync;
pub mod template;
pub mod timefmt;
pub mod tui;
pub mod workspace;
