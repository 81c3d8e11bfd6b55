//! What a workspace operation can fail with: one clear line each.

use std::path::PathBuf;

use crate::domain::{NameError, PromptName};
use crate::prompt_file::{ParseError, WriteError};
use crate::store::StoreError;
use crate::template::RenderError;

/// Why a workspace operation failed.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Name(#[from] NameError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("no prompt `{0}` in this workspace (see `galley list`)")]
    PromptNotFound(PromptName),
    #[error("prompt `{0}` already exists")]
    PromptExists(PromptName),
    #[error("prompt `{name}` has no version {number} (latest is {latest})")]
    VersionNotFound {
        name: PromptName,
        number: u32,
        latest: u32,
    },
    #[error("you have no draft of `{0}`")]
    NoDraft(PromptName),
    #[error("nothing to commit: your draft of `{name}` is identical to version {version}")]
    NothingToCommit { name: PromptName, version: u32 },
    #[error(
        "your draft of `{name}` started from version {base} but {author} has since committed version {latest}; \
         review with `galley diff {name} {latest} draft`, then commit with --force to supersede it"
    )]
    StaleDraft {
        name: PromptName,
        base: u32,
        latest: u32,
        author: String,
    },
    #[error("a commit needs a message: say what changed and why")]
    EmptyMessage,
    #[error("invalid prompt `{name}`: {message}")]
    Invalid { name: String, message: String },
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error(transparent)]
    Write(#[from] WriteError),
    // `cause`, not `source`: a field named `source` is also the error's source, and `{err:#}`
    // would print it twice.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("no template `{name}` (available: {available})")]
    UnknownTemplate { name: String, available: String },
    #[error("{0}")]
    Refused(String),
    /// A file or line an import would read is above `[import] {setting}`.
    #[error("{what} is {}over the import limit of {limit} bytes ([import] {setting})",
        .size.map(|s| format!("{s} bytes, ")).unwrap_or_default())]
    TooLarge {
        what: String,
        size: Option<u64>,
        limit: u64,
        setting: &'static str,
    },
    #[error(transparent)]
    Sign(#[from] crate::signer::SignError),
    #[error("{user} cannot {action}: only an admin can (admins: {admins})")]
    NotAdmin {
        user: String,
        action: String,
        admins: String,
    },
    #[error(
        "refusing to act as `{user}` (set by --user or GALLEY_USER) from OS account `{os_user}`: \
         this workspace has users and identity override is off; drop --user/GALLEY_USER, or ask \
         an admin to run `galley user override on`"
    )]
    IdentityOverride { user: String, os_user: String },
    #[error(
        "refusing to act as `{user}` (your galley or git config's user.name) from OS account \
         `{os_user}`: `{user}` is a user of this workspace tied to another account; set user.name \
         to your own name, or ask an admin to tie `{user}` to `{os_user}` with `galley user add \
         … --account` or `galley user override on`"
    )]
    IdentityNotYours { user: String, os_user: String },
}

/// Results of workspace operations.
pub type Result<T, E = WorkspaceError> = std::result::Result<T, E>;

impl WorkspaceError {
    /// Whether another process's write lock made this fail (the store's `Busy`): worth
    /// retrying.
    pub fn is_busy(&self) -> bool {
        matches!(self, Self::Store(e) if e.is_busy())
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            cause,
        }
    }
}
