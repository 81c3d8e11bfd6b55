//! The server's settings: built-in defaults, overridden by a TOML file (`--config`), then by
//! environment variables (`GALLEY_SERVE_*`), then by flags. The CLI resolves flags and
//! environment variables (clap reads both) and hands the rest here.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::domain::observation::KeepLimits;
use crate::template::RenderBudget;

/// Everything `galley serve` runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    /// Where to listen; port 0 picks a free port (printed on start).
    pub addr: SocketAddr,
    /// The workspace file served.
    pub db: PathBuf,
    /// PEM certificate chain and private key: both given means HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `Cache-Control: max-age` of delivered prompts, in seconds.
    pub max_age: u32,
    /// The largest request body accepted; larger ones answer 413.
    pub body_limit: usize,
    /// How long one request may take before it answers 408.
    pub request_timeout: Duration,
    /// How long in-flight requests get to finish after SIGTERM or Ctrl-C.
    pub shutdown_grace: Duration,
    /// How long a client may take to send a request's line and headers (on a new connection,
    /// from its opening); a slower connection is closed.
    pub header_timeout: Duration,
    /// Connections served at once; the next one waits (in the listen backlog) for a free slot.
    pub max_connections: usize,
    /// How long a write waits for another process's lock on the file before answering 503.
    pub busy_timeout: Duration,
    /// Requests per second one key may make (bursts up to as many); 0: no limit.
    pub rate_limit: u32,
    /// Workspace connections used for database work (at least 1).
    pub pool_size: usize,
    /// How often (ms) at most the server asks the file whether it changed (deployments, key
    /// revocations): 0 asks on every request.
    pub freshness_ms: u32,
    /// Where request logs go; standard error when `None`.
    pub log_file: Option<PathBuf>,
    /// What ingestion keeps of each observation (output and variable sizes, redacted
    /// variables) and which it accepts (known prompts, versions and environments; the time
    /// window): the settings file's `[monitor]` table, same keys as the user config's.
    pub keep: KeepLimits,
    /// What one render may cost: the settings file's `[render]` table, same keys as the user
    /// config's.
    pub render: RenderBudget,
}

impl ServeConfig {
    /// The defaults for a workspace file.
    pub fn new(db: PathBuf) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            db,
            tls: None,
            max_age: 60,
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            header_timeout: Duration::from_secs(10),
            max_connections: 4096,
            busy_timeout: Duration::from_secs(10),
            rate_limit: 0,
            pool_size: 4,
            freshness_ms: 1,
            log_file: None,
            keep: KeepLimits::default(),
            render: RenderBudget::default(),
        }
    }
}

/// The TOML file's settings: every one optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct ServeFile {
    pub addr: Option<SocketAddr>,
    pub db: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_age: Option<u32>,
    pub body_limit: Option<usize>,
    pub request_timeout_secs: Option<u64>,
    pub shutdown_grace_secs: Option<u64>,
    pub header_timeout_secs: Option<u64>,
    pub max_connections: Option<usize>,
    pub busy_timeout_ms: Option<u64>,
    pub rate_limit: Option<u32>,
    pub pool_size: Option<usize>,
    pub freshness_ms: Option<u32>,
    pub log_file: Option<PathBuf>,
    /// `[monitor]`: `max_output_chars`, `max_variable_chars`, `redact`, `accept_unknown`,
    /// `max_past_days`, `max_future_hours`.
    pub monitor: Option<KeepLimits>,
    /// `[render]`: `fuel`, `max_output_bytes`, `max_inlined_bytes`.
    pub render: Option<RenderBudget>,
}

/// Why the settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the server config {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("server config {path} is not valid: {cause}")]
    Parse {
        path: PathBuf,
        cause: toml::de::Error,
    },
    #[error("TLS needs both a certificate and a key (--tls-cert and --tls-key)")]
    HalfTls,
}

impl ServeFile {
    /// Reads a TOML settings file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ConfigError::Read {
            path: path.to_path_buf(),
            cause,
        })?;
        toml::from_str(&text).map_err(|cause| ConfigError::Parse {
            path: path.to_path_buf(),
            cause,
        })
    }

    /// `over` (flags and environment) over this file over the defaults. The workspace file is
    /// `db` from the flags when given, else the file's, else `default_db`.
    pub fn resolve(self, over: ServeFile, default_db: PathBuf) -> Result<ServeConfig, ConfigError> {
        let pick = |a: Option<PathBuf>, b: Option<PathBuf>| a.or(b);
        let mut config = ServeConfig::new(pick(over.db, self.db).unwrap_or(default_db));
        if let Some(addr) = over.addr.or(self.addr) {
            config.addr = addr;
        }
        config.tls = match (
            pick(over.tls_cert, self.tls_cert),
            pick(over.tls_key, self.tls_key),
        ) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err(ConfigError::HalfTls),
        };
        if let Some(v) = over.max_age.or(self.max_age) {
            config.max_age = v;
        }
        if let Some(v) = over.body_limit.or(self.body_limit) {
            config.body_limit = v;
        }
        if let Some(v) = over.request_timeout_secs.or(self.request_timeout_secs) {
            config.request_timeout = Duration::from_secs(v.max(1));
        }
        if let Some(v) = over.shutdown_grace_secs.or(self.shutdown_grace_secs) {
            config.shutdown_grace = Duration::from_secs(v);
        }
        if let Some(v) = over.header_timeout_secs.or(self.header_timeout_secs) {
            config.header_timeout = Duration::from_secs(v.max(1));
        }
        if let Some(v) = over.max_connections.or(self.max_connections) {
            config.max_connections = v.max(1);
        }
        if let Some(v) = over.busy_timeout_ms.or(self.busy_timeout_ms) {
            config.busy_timeout = Duration::from_millis(v);
        }
        if let Some(v) = over.rate_limit.or(self.rate_limit) {
            config.rate_limit = v;
        }
        if let Some(v) = over.pool_size.or(self.pool_size) {
            config.pool_size = v.max(1);
        }
        if let Some(v) = over.freshness_ms.or(self.freshness_ms) {
            config.freshness_ms = v;
        }
        config.log_file = pick(over.log_file, self.log_file);
        if let Some(keep) = over.monitor.or(self.monitor) {
            config.keep = keep;
        }
        if let Some(render) = over.render.or(self.render) {
            config.render = render;
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_which_beats_the_defaults() {
        let file: ServeFile = toml::from_str(
            "addr = \"0.0.0.0:9000\"\nmax_age = 5\nrate_limit = 10\nmax_connections = 9\n\
             header_timeout_secs = 4\n",
        )
        .unwrap();
        let flags = ServeFile {
            max_age: Some(7),
            header_timeout_secs: Some(2),
            ..Default::default()
        };
        let c = file.resolve(flags, PathBuf::from("w.db")).unwrap();
        assert_eq!(c.addr.to_string(), "0.0.0.0:9000");
        assert_eq!(c.max_age, 7);
        assert_eq!(c.rate_limit, 10);
        assert_eq!(c.db, PathBuf::from("w.db"));
        assert_eq!(c.body_limit, 1024 * 1024);
        assert_eq!(
            (c.max_connections, c.header_timeout, c.busy_timeout),
            (9, Duration::from_secs(2), Duration::from_secs(10))
        );
    }

    #[test]
    fn half_a_tls_setting_and_unknown_keys_are_refused() {
        let flags = ServeFile {
            tls_cert: Some("c.pem".into()),
            ..Default::default()
        };
        let err = ServeFile::default().resolve(flags, "w.db".into());
        assert!(matches!(err, Err(ConfigError::HalfTls)));
        assert!(toml::from_str::<ServeFile>("adr = \"x\"").is_err());
        let file: ServeFile =
            toml::from_str("[monitor]\nredact = [\"email\"]\nmax_output_chars = 5\n").unwrap();
        let c = file.resolve(ServeFile::default(), "w.db".into()).unwrap();
        assert_eq!(
            (c.keep.redact.clone(), c.keep.max_output_chars),
            (vec!["email".to_string()], 5)
        );
        assert_eq!(
            c.keep.max_variable_chars,
            KeepLimits::default().max_variable_chars
        );
    }
}
