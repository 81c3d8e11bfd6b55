//! `galley serve`: the HTTP delivery server (axum on tokio). Handlers translate: they parse the
//! request, call the workspace API (on a blocking thread, through [`AppState::with_workspace`])
//! and serialize the answer; no business rule or SQL lives here.
//!
//! Map: [`router`] assembles the routes and layers; [`state::AppState`] is what handlers share;
//! [`auth::AuthedKey`] authenticates a request and checks its scope; [`error::ApiError`] is the
//! JSON error answer; [`run`] binds, prints the address and shuts down gracefully.

pub mod auth;
mod bodies;
mod cache;
pub mod config;
mod connections;
mod delivery;
pub mod error;
mod health;
mod hygiene;
mod langfuse;
mod metrics;
mod middleware;
mod observe;
pub mod openapi;
mod otlp;
pub mod state;
mod sync;

use std::io::Write as _;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

pub use config::{ConfigError, ServeConfig, ServeFile};
pub use error::ApiError;
pub use metrics::Metrics;
pub use state::AppState;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Workspace(#[from] crate::workspace::WorkspaceError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        addr: std::net::SocketAddr,
        cause: std::io::Error,
    },
    #[error("cannot load the TLS certificate {cert} and key {key}: {cause}")]
    Tls {
        cert: std::path::PathBuf,
        key: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot open the log file {path}: {cause}")]
    Log {
        path: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error("the server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Every route with its layers, ready to serve.
pub fn router(state: AppState) -> Router {
    let config = state.config().clone();
    let routes = Router::new()
        .merge(health::routes())
        .merge(delivery::routes())
        .merge(langfuse::routes())
        .merge(observe::routes())
        .merge(openapi::routes());
    // ── Sync ───────────────────────────────────────────────────────────────────────────────
    // The sync routes (src/server/sync.rs) are merged here: `.merge(sync::routes())`.
    let routes = routes.merge(sync::routes());
    // ───────────────────────────────────────────────────────────────────────────────────────
    routes
        .fallback(not_found)
        // The configured limit is the only one: axum's own 2 MB default would otherwise cap
        // `Bytes` and `Json` bodies below a larger `--body-limit`.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(config.body_limit))
        // Outside the limit, so the limit counts the decoded body (a gzip bomb is 413); only
        // gzip is built in (`decompression-gzip`), and other encodings never get this far.
        .layer(RequestDecompressionLayer::new())
        .layer(axum::middleware::from_fn(hygiene::known_encodings))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        // Error answers get their JSON body before compression, so the compression layer
        // encodes the body that is sent (never a body rewritten after it was gzipped).
        .layer(axum::middleware::from_fn(middleware::json_errors))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route (see /openapi.json)")
}

/// Runs the server until SIGTERM or Ctrl-C, then lets in-flight requests finish (up to the
/// configured grace period). Prints `listening on http://ADDR` (or `https://`) once bound.
pub fn run(config: ServeConfig) -> Result<(), ServeError> {
    // Log lines are written by a thread of their own, batched; dropping the guard flushes them.
    let _flush_logs = init_logging(&config)?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let served = runtime.block_on(serve(config));
    // A render still running on a blocking thread (each is bounded by the render budget) must
    // not hold the process past its grace period: dropping the runtime would wait for it.
    runtime.shutdown_timeout(Duration::from_millis(500));
    served
}

async fn serve(config: ServeConfig) -> Result<(), ServeError> {
    let state = AppState::open(config.clone())?;
    let app = connections::ConnectionLimit::new(
        router(state.clone()).into_make_service(),
        config.max_connections,
    );
    let listener = std::net::TcpListener::bind(config.addr).map_err(|cause| ServeError::Bind {
        addr: config.addr,
        cause,
    })?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    let handle = axum_server::Handle::new();
    tokio::spawn(shutdown_on_signal(
        handle.clone(),
        state.clone(),
        config.shutdown_grace,
    ));
    let tls = match &config.tls {
        Some((cert, key)) => Some(RustlsConfig::from_pem_file(cert, key).await.map_err(
            |cause| ServeError::Tls {
                cert: cert.clone(),
                key: key.clone(),
                cause,
            },
        )?),
        None => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(addr = %local, db = %config.db.display(), "galley serve started");
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {scheme}://{local}")?;
        out.flush()?;
    }
    // A connection that has not sent a whole request line and headers within the header
    // timeout is closed: the first request's timer covers hyper's protocol detection too, and
    // hyper's own covers each later request on a kept-alive connection.
    let mut server = axum_server::from_tcp(listener)?
        .handle(handle)
        .first_request_timeout(config.header_timeout);
    server
        .http_builder()
        .http1()
        .header_read_timeout(config.header_timeout);
    match tls {
        Some(tls) => {
            let acceptor = RustlsAcceptor::new(tls).acceptor(NoDelayAcceptor::new());
            server.acceptor(acceptor).serve(app).await?
        }
        None => server.acceptor(NoDelayAcceptor::new()).serve(app).await?,
    }
    tracing::info!("galley serve stopped");
    Ok(())
}

async fn shutdown_on_signal(
    handle: axum_server::Handle<std::net::SocketAddr>,
    state: AppState,
    grace: Duration,
) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!(
        grace_secs = grace.as_secs(),
        "shutting down: finishing in-flight requests"
    );
    state.set_draining();
    handle.graceful_shutdown(Some(grace));
}

fn init_logging(
    config: &ServeConfig,
) -> Result<tracing_appender::non_blocking::WorkerGuard, ServeError> {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("GALLEY_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let (ansi, out): (bool, Box<dyn std::io::Write + Send>) = match &config.log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|cause| ServeError::Log {
                    path: path.clone(),
                    cause,
                })?;
            (false, Box::new(std::io::BufWriter::new(file)))
        }
        None => (
            std::io::IsTerminal::is_terminal(&std::io::stderr()),
            Box::new(std::io::BufWriter::new(std::io::stderr())),
        ),
    };
    // The worker flushes whenever it has nothing queued, so lines appear at once when idle and
    // in batches under load. A full queue drops lines rather than slowing requests down.
    let (writer, guard) = tracing_appender::non_blocking(out);
    let result = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(writer)
        .try_init();
    // Already set (a second server in one process): keep the first.
    drop(result);
    Ok(guard)
}
