//! Where the workspace file and the config live, and who the user is.

use std::path::{Path, PathBuf};

use directories::ProjectDirs;
use serde::Deserialize;

/// The user's config file (`config.toml` in the config dir, or `GALLEY_CONFIG`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    pub user: UserConfig,
    pub workspace: WorkspaceConfig,
    /// Evaluation defaults.
    pub eval: EvalConfig,
    /// Model prices (USD per million tokens) over the embedded table.
    pub prices: std::collections::BTreeMap<String, crate::eval::pricing::ModelPrice>,
    /// Key overrides for the workbench: context → key → action.
    pub keymap: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    /// Production monitoring: what is kept of observations, and alert thresholds.
    pub monitor: MonitorConfig,
    /// `[render]`: what one render may cost (`fuel`, `max_output_bytes`, `max_inlined_bytes`).
    pub render: crate::template::RenderBudget,
    /// `[import]`: how large a file imports read (`max_bytes`, `max_line_bytes`).
    pub import: super::ImportLimits,
}

/// `[monitor]` in the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MonitorConfig {
    /// The most characters of an observation's output kept (default 10,000).
    pub max_output_chars: Option<usize>,
    /// The most characters of one variable's value kept (default 2,000).
    pub max_variable_chars: Option<usize>,
    /// Variables whose values are never stored.
    pub redact: Vec<String>,
    /// Store observations of prompts, versions and environments the workspace does not hold
    /// (default false: each is refused with the reason).
    pub accept_unknown: Option<bool>,
    /// How long ago an observation's time may be, in days (default 31).
    pub max_past_days: Option<u32>,
    /// How far ahead of the clock an observation's time may be, in hours (default 24).
    pub max_future_hours: Option<u32>,
    /// `[monitor.thresholds]`, `[monitor.thresholds.env.NAME]`,
    /// `[monitor.thresholds.prompt."NAME"]`, `[monitor.thresholds.prompt."NAME".env.NAME]`.
    pub thresholds: crate::domain::thresholds::ThresholdConfig,
}

impl MonitorConfig {
    /// What ingestion keeps of each observation.
    pub fn keep_limits(&self) -> crate::domain::observation::KeepLimits {
        let defaults = crate::domain::observation::KeepLimits::default();
        crate::domain::observation::KeepLimits {
            max_output_chars: self.max_output_chars.unwrap_or(defaults.max_output_chars),
            max_variable_chars: self
                .max_variable_chars
                .unwrap_or(defaults.max_variable_chars),
            redact: self.redact.clone(),
            accept_unknown: self.accept_unknown.unwrap_or(defaults.accept_unknown),
            max_past_days: self.max_past_days.unwrap_or(defaults.max_past_days),
            max_future_hours: self.max_future_hours.unwrap_or(defaults.max_future_hours),
        }
    }
}

/// `[user]` in the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UserConfig {
    pub name: Option<String>,
    /// The private key file decisions and deployments are signed with (else the ssh-agent).
    pub signing_key: Option<PathBuf>,
}

/// `[eval]` in the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EvalConfig {
    /// The provider that grades `llm-rubric` assertions when a run names none.
    pub grader: Option<String>,
    /// Requests in flight at once (default 8).
    pub concurrency: Option<usize>,
}

/// `[workspace]` in the config.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WorkspaceConfig {
    /// The workspace file used when neither `--db` nor `GALLEY_DB` names one.
    pub db: Option<PathBuf>,
}

/// Why the config could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    // `cause`, not `source`, so that `{err:#}` prints it once.
    #[error("cannot read config {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("no home directory to keep galley's files in; pass --db PATH or set GALLEY_DB")]
    NoHome,
}

fn project_dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("dev", "galley", "galley")
}

/// The config file's path: `GALLEY_CONFIG`, else `config.toml` in the platform config dir.
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GALLEY_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

impl Config {
    /// Reads the config file; a missing file is an empty config.
    pub fn load() -> Result<Self, ConfigError> {
        match config_path() {
            Some(path) => Self::load_from(&path),
            None => Ok(Self::default()),
        }
    }

    /// Reads the config at `path`; a missing file is an empty config.
    pub fn load_from(path: &Path) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(cause) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    cause,
                });
            }
        };
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.message().split_whitespace().collect::<Vec<_>>().join(" "),
        })
    }

    /// The workspace file: `--db`, then `GALLEY_DB`, then the config, then `galley.db` in the
    /// platform data dir.
    pub fn workspace_path(&self, flag: Option<&Path>) -> Result<PathBuf, ConfigError> {
        if let Some(p) = flag {
            return Ok(p.to_path_buf());
        }
        if let Some(p) = std::env::var_os("GALLEY_DB").filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        if let Some(p) = &self.workspace.db {
            return Ok(p.clone());
        }
        project_dirs()
            .map(|d| d.data_dir().join("galley.db"))
            .ok_or(ConfigError::NoHome)
    }

    /// Who is acting: `--user`, then `GALLEY_USER`, then the config's `user.name`, then git's
    /// `user.name`, then the OS account (the real uid's user-database entry, see
    /// [`os_account`]). Only `--user`/`GALLEY_USER` naming someone other than the OS account
    /// is an override: the config files are the account owner's own.
    pub fn identity(&self, flag: Option<&str>) -> Result<Identity, OsAccountError> {
        let account = os_account()?;
        let clean = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let chosen = flag
            .and_then(clean)
            .or_else(|| std::env::var("GALLEY_USER").ok().as_deref().and_then(clean));
        let overridden = chosen.as_ref().is_some_and(|u| *u != account);
        let user = chosen
            .or_else(|| self.user.name.as_deref().and_then(clean))
            .or_else(|| git_user_name().as_deref().and_then(clean))
            .unwrap_or_else(|| account.clone());
        Ok(Identity {
            user,
            account,
            overridden,
        })
    }
}

/// Who a process acts as, and the OS account it runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The name galley records as the actor.
    pub user: String,
    /// The OS account: the real uid's name in the user database.
    pub account: String,
    /// Whether `--user`/`GALLEY_USER` named someone other than `account`.
    pub overridden: bool,
}

/// Why the OS account running galley has no name.
#[derive(Debug, thiserror::Error)]
pub enum OsAccountError {
    #[error(
        "uid {uid} has no entry in the user database (getpwuid): run galley as a named account"
    )]
    NoEntry { uid: u32 },
    // `cause`, not `source`, so that `{err:#}` prints it once.
    #[error("cannot look up uid {uid} in the user database (getpwuid): {cause}")]
    Lookup { uid: u32, cause: nix::Error },
}

/// The OS account galley runs as: the process's real uid, named through the system's user
/// database (`getpwuid_r`). Never `$USER`, `$LOGNAME` or `USERNAME`, which whoever starts the
/// process sets as they like.
pub fn os_account() -> Result<String, OsAccountError> {
    use nix::errno::Errno;
    let uid = nix::unistd::getuid();
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(entry)) if !entry.name.is_empty() => Ok(entry.name),
        // POSIX lets getpwuid_r report "no such entry" with these as well as with no result.
        Ok(_) | Err(Errno::ENOENT | Errno::ESRCH | Errno::EBADF | Errno::EPERM) => {
            Err(OsAccountError::NoEntry { uid: uid.as_raw() })
        }
        Err(cause) => Err(OsAccountError::Lookup {
            uid: uid.as_raw(),
            cause,
        }),
    }
}

/// git's `user.name`, read from git's config files (the repository's, then the global ones)
/// rather than by running git, which would cost every command a process start.
fn git_user_name() -> Option<String> {
    let mut files: Vec<PathBuf> = Vec::new();
    if let Ok(cwd) = std::env::current_dir()
        && let Some(repo) = cwd.ancestors().map(|d| d.join(".git")).find(|g| g.is_dir())
    {
        files.push(repo.join("config"));
    }
    if let Some(global) = std::env::var_os("GIT_CONFIG_GLOBAL") {
        files.push(PathBuf::from(global));
    } else {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        files.extend(home.iter().map(|h| h.join(".gitconfig")));
        let xdg = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or(home.map(|h| h.join(".config")));
        files.extend(xdg.map(|x| x.join("git/config")));
    }
    files.iter().find_map(|f| {
        std::fs::read_to_string(f)
            .ok()
            .and_then(|text| user_name_in(&text))
    })
}

/// The last `name` under `[user]` in a git config file's text.
fn user_name_in(text: &str) -> Option<String> {
    let mut in_user = false;
    let mut found = None;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_user = line
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .eq_ignore_ascii_case("user");
            continue;
        }
        if !in_user {
            continue;
        }
        if let Some((key, value)) = line.split_once('=')
            && key.trim().eq_ignore_ascii_case("name")
        {
            let value = value.split(['#', ';']).next().unwrap_or("").trim();
            found = Some(value.trim_matches('"').to_string());
        }
    }
    found.filter(|n| !n.is_empty())
}

/// Where galley keeps files that are neither config nor data: recovered edits, logs.
pub fn state_dir() -> PathBuf {
    project_dirs()
        .map(|d| {
            d.state_dir()
                .unwrap_or_else(|| d.data_local_dir())
                .to_path_buf()
        })
        .unwrap_or_else(std::env::temp_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_name_from_git_config_text() {
        let text = "[core]\n\tname = nope\n[user]\n\temail = a@b.c\n\tname = \"Ada Lovelace\" # me\n[alias]\n\tname = x\n";
        assert_eq!(user_name_in(text).as_deref(), Some("Ada Lovelace"));
        assert_eq!(user_name_in("[user]\nemail = x\n"), None);
    }
}
