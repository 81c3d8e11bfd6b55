//! One file per pane or popup, each owning its state, its keys and its drawing.

pub mod deployments;
pub mod diff_view;
pub mod edit_view;
pub mod env_badges;
pub mod eval_setup;
pub mod evals;
pub mod help;
pub mod history;
pub mod monitor;
pub mod palette;
pub mod playground;
pub mod popup;
pub mod prompt_list;
pub mod reviews;
pub mod sync_status;
