//! What flows through the workbench: events in, effects out, and the requests and replies
//! exchanged with the worker thread.

use std::path::PathBuf;

use ratatui::crossterm::event::{KeyEvent, MouseEvent};

use crate::diff::PromptDiff;
use crate::domain::eval::{DatasetInfo, ProviderConfig, RunInfo, TestCase};
use crate::domain::policy::DecisionKind;
use crate::domain::{
    PromptContent, PromptName, PromptSummary, VariableUse, VersionInfo, VersionRef,
};
use crate::eval::compare::Comparison;
use crate::store::DeploymentRow;
use crate::template::{Rendered, VarInputs};
use crate::workspace::{
    CommentTarget, DemoReport, DeployBoard, DeployMove, DeployPreview, DraftChange, ImportReport,
    PlaygroundAnswer, Progress, Resolved, ReviewDetail, ReviewInfo, ReviewQueue, RunReport,
    ServedVersions,
};

pub use super::monitor_event::{MonitorData, MonitorQuery, MonitorReply, MonitorRequest};
use crate::workspace::sync::RemoteStatus;

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
    /// Stops a long request (an eval run, a playground call); what finished is kept.
    Cancel(RequestId),
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
    /// The datasets and providers, for the run setup and the playground's pickers.
    Catalog,
    /// A prompt's eval runs, newest first.
    Runs(PromptName),
    RunReport(String),
    /// Runs an eval (long: progress streams back as `EvalProgress`).
    RunEval {
        prompt: PromptName,
        dataset: String,
        versions: Vec<VersionRef>,
        providers: Vec<String>,
    },
    CompareRuns {
        before: String,
        after: String,
    },
    CompareVersions {
        run: String,
        before: u32,
        after: u32,
    },
    Grade {
        run: String,
        case: String,
        version: u32,
        provider: String,
        pass: bool,
        note: String,
    },
    /// Runs the draft as edited, or a version, on the sample values (long: the answer streams
    /// back as `PlaygroundDelta`).
    Playground {
        name: PromptName,
        target: PlaygroundTarget,
        samples: VarInputs,
        provider: String,
    },
    /// Adds a case to a dataset (created first when `create`).
    SaveCase {
        dataset: String,
        create: bool,
        case: Box<TestCase>,
    },
    Board(BoardRequest),
    Monitor(MonitorRequest),
    /// Where each remote stands (no network).
    SyncStatus,
    /// Syncs with the only remote, pull then push (long: the network).
    Sync,
    /// Gets the signing key ready: with `passphrase`, hands it to the key source first; then
    /// runs `retry` (the decision or deployment that needed it), if any.
    Unlock {
        passphrase: Option<Passphrase>,
        retry: Option<Box<Request>>,
    },
}

/// A signing key's passphrase on its way from the workbench's popup to the key source, which
/// alone keeps it. It never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase(String);

impl Passphrase {
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// The passphrase itself, for the key source.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(…)")
    }
}

/// Work for the Review and Deploy views (and the badges).
#[derive(Debug, Clone, PartialEq)]
pub enum BoardRequest {
    /// What each environment serves, for the badges.
    Served,
    ReviewQueue,
    ReviewDetail(i64),
    RequestReview {
        name: PromptName,
        version: u32,
        env: String,
        reviewers: Vec<String>,
        note: String,
    },
    Decide {
        review: i64,
        kind: DecisionKind,
        comment: String,
    },
    /// A comment (a new thread or a reply) on the version under review `review`.
    Comment {
        review: i64,
        name: PromptName,
        target: CommentTarget,
        body: String,
    },
    Resolve {
        review: i64,
        comment: i64,
    },
    DeployBoard,
    /// A prompt's deployment history.
    DeployHistory(PromptName),
    Preview {
        name: PromptName,
        what: DeployMove,
        env: String,
    },
    Apply {
        name: PromptName,
        what: DeployMove,
        env: String,
    },
    /// Version `version` against what `env` serves.
    DiffEnv {
        name: PromptName,
        version: u32,
        env: String,
    },
}

/// The worker's answers to [`BoardRequest`]s.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardReply {
    Served(ServedVersions),
    ReviewQueue(Box<ReviewQueue>),
    ReviewDetail(Box<ReviewDetail>),
    Requested(Box<ReviewInfo>),
    Decided(Box<ReviewInfo>),
    Commented {
        review: i64,
        what: &'static str,
    },
    DeployBoard(Box<DeployBoard>),
    DeployHistory {
        name: PromptName,
        rows: Vec<DeploymentRow>,
    },
    Preview(Box<DeployPreview>),
    Applied(Box<DeploymentRow>),
    DiffEnv {
        env: String,
        served: Option<u32>,
        version: u32,
        diff: Box<PromptDiff>,
    },
}

/// What the playground runs.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaygroundTarget {
    /// The working copy as it is in the editor (saved or not).
    Draft(PromptContent),
    Version(u32),
}

impl Request {
    /// Whether the request signs as the acting user (a decision, a deployment), and so may
    /// need the signing key's passphrase first.
    pub fn signs(&self) -> bool {
        matches!(
            self,
            Self::Board(BoardRequest::Decide { .. } | BoardRequest::Apply { .. })
        )
    }

    /// Whether the request may take long (a model, a whole eval): the worker runs it on its own
    /// thread, streaming intermediate replies, and it can be cancelled.
    pub fn is_long(&self) -> bool {
        matches!(
            self,
            Self::RunEval { .. } | Self::Playground { .. } | Self::Sync
        )
    }
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
    Catalog {
        datasets: Vec<DatasetInfo>,
        providers: Vec<ProviderConfig>,
    },
    Runs {
        prompt: PromptName,
        runs: Vec<RunInfo>,
    },
    RunReport(Box<RunReport>),
    /// A result of a running eval arrived (intermediate).
    EvalProgress(Progress),
    /// The eval run ended (completed or cancelled).
    EvalFinished(Box<RunInfo>),
    Comparison(Box<Comparison>),
    Graded {
        run: String,
    },
    /// A piece of a playground answer (intermediate).
    PlaygroundDelta(String),
    PlaygroundDone(Box<PlaygroundAnswer>),
    CaseSaved {
        dataset: String,
        version: u32,
    },
    Board(BoardReply),
    Monitor(MonitorReply),
    SyncStatus(Vec<RemoteStatus>),
    /// A background sync ended: how many records it pulled and pushed, or why it failed (one
    /// line).
    Synced(Result<(usize, usize), String>),
    /// The signing key file `path` needs its passphrase; `retry` is the request to run again
    /// once it is given.
    PassphraseNeeded {
        path: String,
        retry: Option<Box<Request>>,
    },
    /// The signing key is ready: read from a key file (unlocked), or else from the ssh-agent.
    SignerReady {
        key_file: bool,
    },
    Failed(String),
}
