//! `galley serve`: runs the delivery server on a workspace file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::server::{ServeFile, run};

/// Settings: flags beat environment variables, which beat the `--config` TOML file, which
/// beats the defaults.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free one [default: 127.0.0.1:8080]
    #[arg(long, env = "GALLEY_SERVE_ADDR")]
    addr: Option<SocketAddr>,
    /// A TOML file with any of these settings (snake_case keys: addr, db, tls_cert, max_age...)
    #[arg(long, env = "GALLEY_SERVE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS (with --tls-key); otherwise run behind a TLS proxy
    #[arg(long, env = "GALLEY_SERVE_TLS_CERT", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert
    #[arg(long, env = "GALLEY_SERVE_TLS_KEY", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// Cache-Control max-age of delivered prompts, in seconds [default: 60]
    #[arg(long, env = "GALLEY_SERVE_MAX_AGE", value_name = "SECS")]
    max_age: Option<u32>,
    /// Largest request body in bytes; larger ones answer 413 [default: 1048576]
    #[arg(long, env = "GALLEY_SERVE_BODY_LIMIT", value_name = "BYTES")]
    body_limit: Option<usize>,
    /// Seconds a request may take before it answers 408 [default: 30]
    #[arg(long, env = "GALLEY_SERVE_REQUEST_TIMEOUT", value_name = "SECS")]
    request_timeout: Option<u64>,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C [default: 30]
    #[arg(long, env = "GALLEY_SERVE_SHUTDOWN_GRACE", value_name = "SECS")]
    shutdown_grace: Option<u64>,
    /// Seconds a client may take to send a request's line and headers; slower connections are
    /// closed [default: 10]
    #[arg(long, env = "GALLEY_SERVE_HEADER_TIMEOUT", value_name = "SECS")]
    header_timeout: Option<u64>,
    /// Connections served at once; more wait for a free slot [default: 4096]
    #[arg(long, env = "GALLEY_SERVE_MAX_CONNECTIONS", value_name = "N")]
    max_connections: Option<usize>,
    /// Milliseconds a write waits for another process's lock on the file before answering 503
    /// [default: 10000]
    #[arg(long, env = "GALLEY_SERVE_BUSY_TIMEOUT", value_name = "MS")]
    busy_timeout: Option<u64>,
    /// Requests per second one key may make; over it, 429 [default: 0, no limit]
    #[arg(long, env = "GALLEY_SERVE_RATE_LIMIT", value_name = "N")]
    rate_limit: Option<u32>,
    /// Workspace connections for database work [default: 4]
    #[arg(long, env = "GALLEY_SERVE_POOL_SIZE", value_name = "N")]
    pool_size: Option<usize>,
    /// At most how often (ms) to check the file for deployments and revoked keys; 0: every
    /// request [default: 1]
    #[arg(long, env = "GALLEY_SERVE_FRESHNESS_MS", value_name = "MS")]
    freshness_ms: Option<u32>,
    /// Write request logs to this file instead of standard error
    #[arg(long, env = "GALLEY_SERVE_LOG_FILE", value_name = "FILE")]
    log_file: Option<PathBuf>,
}

/// Starts the server; returns when it has shut down.
pub fn serve(args: ServeArgs, db_flag: Option<&Path>, default_db: PathBuf) -> anyhow::Result<()> {
    let file = match &args.config {
        Some(path) => ServeFile::load(path)?,
        None => ServeFile::default(),
    };
    let over = ServeFile {
        addr: args.addr,
        db: db_flag.map(Path::to_path_buf),
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        max_age: args.max_age,
        body_limit: args.body_limit,
        request_timeout_secs: args.request_timeout,
        shutdown_grace_secs: args.shutdown_grace,
        header_timeout_secs: args.header_timeout,
        max_connections: args.max_connections,
        busy_timeout_ms: args.busy_timeout,
        rate_limit: args.rate_limit,
        pool_size: args.pool_size,
        freshness_ms: args.freshness_ms,
        log_file: args.log_file,
        monitor: None,
        render: None,
    };
    let config = file.resolve(over, default_db)?;
    run(config)?;
    Ok(())
}
