//! What flows through the workbench: events in, effects out, and the requests and replies
//! exchanged with the worker thread.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyEvent, MouseEvent};

use crate::diff::PromptDiff;
use crate::domain::{
    PromptContent, PromptName, PromptSummary, VariableUse, VersionInfo, VersionRef,
};
use crate::template::{Rendered, VarInputs};
use crate::workspace::{DemoReport, DraftChange, ImportReport, Resolved};

/// Tags a request so that its reply can be matched, and stale replies dropped.
pub type RequestId = u64;

/// Something that happened.
#[derive(Debug)]
pub enum Event {
    Key(KeyEvent),
    Mouse(MouseEvent),
    /// Text pasted into the terminal (bracketed paste).
    Paste(String),
    Resize(u16, u16),
    /// Time passes (autosave, expiring messages).
    Tick,
    /// The worker answered.
    Reply(RequestId, Reply),
    /// SIGTERM or SIGHUP: save and leave.
    Terminate,
}

/// Something the app wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Request(RequestId, Request),
    Quit,
}

/// Work for the worker thread, which owns the workspace.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    ListPrompts,
    LoadPrompt(PromptName),
    /// Saves the draft; `base` is the version the content was read from.
    SaveDraft {
        name: PromptName,
        content: PromptContent,
        base: Option<u32>,
    },
    /// Renders `content`; `samples` are the user's own preview values (examples, defaults and
    /// stand-ins fill the rest).
    Preview {
        name: PromptName,
        content: PromptContent,
        samples: VarInputs,
    },
    Commit {
        name: PromptName,
        content: PromptContent,
        base: Option<u32>,
        message: String,
    },
    /// The diff between the latest version and `content`, for the commit dialog.
    CommitSummary {
        name: PromptName,
        content: PromptContent,
    },
    Diff {
        name: PromptName,
        from: VersionRef,
        to: VersionRef,
        ignore_whitespace: bool,
    },
    Create {
        name: PromptName,
        template: String,
    },
    Import(PathBuf),
    LoadDemo,
    Restore {
        name: PromptName,
        version: u32,
    },
    Discard(PromptName),
}

/// A loaded prompt: its list row, its working copy and its history.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedPrompt {
    pub summary: PromptSummary,
    pub working: Resolved,
    pub versions: Vec<VersionInfo>,
}

/// The preview of a working copy: the variables it uses and its rendering with sample values.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewResult {
    pub variables: Result<Vec<VariableUse>, String>,
    pub rendered: Result<Rendered, String>,
}

/// The worker's answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Prompts(Vec<PromptSummary>),
    Loaded(Box<LoadedPrompt>),
    Saved {
        name: PromptName,
        change: DraftChange,
    },
    Preview(Box<PreviewResult>),
    Committed {
        name: PromptName,
        version: u32,
    },
    CommitSummary(Box<PromptDiff>),
    Diff {
        from: VersionRef,
        to: VersionRef,
        diff: Box<PromptDiff>,
    },
    Created(PromptName),
    Imported(ImportReport),
    Demo(DemoReport),
    Restored {
        name: PromptName,
        version: u32,
    },
    Discarded(PromptName),
    Failed(String),
}
