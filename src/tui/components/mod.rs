//! One file per pane or popup, each owning its state, its keys and its drawing.

pub mod diff_view;
pub mod edit_view;
pub mod help;
pub mod history;
pub mod palette;
pub mod popup;
pub mod prompt_list;
