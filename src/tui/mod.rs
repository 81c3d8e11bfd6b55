//! The workbench: a full-screen TUI. Elm-like: `app` holds the state and turns events into
//! effects; `worker` runs every effect that touches the workspace on its own thread; `terminal`
//! owns the screen and restores it on every exit path.

pub mod action;
pub mod app;
pub mod components;
pub mod event;
pub mod keymap;
pub mod monitor_event;
pub mod terminal;
pub mod theme;
pub mod view;
pub mod worker;
