//! Workspace sync: the records workspaces exchange ([`records`]), the protocol's requests and
//! answers ([`wire`]), shared by the client ([`client`], reqwest) and the server's handlers
//! (`server/sync.rs`), and what a sync can fail with ([`SyncError`]). The use cases live in
//! `workspace/sync`.

pub mod client;
pub mod monitor;
pub mod records;
pub mod wire;

use crate::store::StoreError;
use crate::workspace::WorkspaceError;

/// Why a sync failed: one line naming the remote and what to do.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("no remote `{0}` (add one with `galley remote add NAME URL --key-env VAR`)")]
    NoRemote(String),
    #[error("no remote configured: add one with `galley remote add NAME URL --key-env VAR`")]
    NoRemotes,
    #[error("several remotes ({0}): name the one to sync with `--remote NAME`")]
    WhichRemote(String),
    #[error(
        "remote `{remote}`: environment variable {var} is not set (it holds the API key's secret)"
    )]
    MissingKey { remote: String, var: String },
    #[error("remote `{remote}`: invalid URL {url}: {cause}")]
    BadUrl {
        remote: String,
        url: String,
        cause: String,
    },
    #[error(
        "cannot reach remote `{remote}` at {url}: {cause} (sync again when it is up: it resumes where it stopped)"
    )]
    Unreachable {
        remote: String,
        url: String,
        cause: String,
    },
    #[error("remote `{remote}` refused the key in {var}: {message}")]
    Unauthorized {
        remote: String,
        var: String,
        message: String,
    },
    #[error(
        "remote `{remote}` refused the whole push: {message} (nothing of that batch was stored)"
    )]
    Forged {
        remote: String,
        /// The id of the forged record, when the server named it.
        record: Option<String>,
        message: String,
    },
    #[error(
        "remote `{remote}` sent version {version} of {prompt} whose content does not match its \
         hash (stated {stated}, content hashes to {actual}): not stored; the remote's copy was \
         changed outside galley"
    )]
    ContentMismatch {
        remote: String,
        prompt: String,
        version: u32,
        stated: String,
        actual: String,
    },
    #[error("remote `{remote}` answered {status}: {message}")]
    Server {
        remote: String,
        status: u16,
        message: String,
    },
    #[error("remote `{remote}` sent an answer galley cannot read: {cause}")]
    BadReply { remote: String, cause: String },
    #[error(
        "remote `{remote}` holds fewer records ({head}) than this workspace already pulled from it \
         ({cursor}): was the server's file replaced? Add it again under another name to start over"
    )]
    Shrunk {
        remote: String,
        cursor: i64,
        head: i64,
    },
    #[error(
        "remote `{remote}` made no progress: its log ended at {cursor} but it announced {head}"
    )]
    Stalled {
        remote: String,
        cursor: i64,
        head: i64,
    },
}

impl From<StoreError> for SyncError {
    fn from(err: StoreError) -> Self {
        Self::Workspace(err.into())
    }
}
