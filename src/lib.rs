//! galley: a terminal workbench for the whole life of an LLM prompt.

pub mod domain;
pub mod prompt_file;
pub mod store;
pub mod template;
