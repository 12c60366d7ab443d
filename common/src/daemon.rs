//! What every zrollup binary does the same way: one tracing subscriber (filter from `ZR_LOG`), a `main`
//! that prints the error chain and exits non-zero, and [`serve`]: the async runtime, the bound endpoints
//! announced where scripts can read them, and a stop on Ctrl-C or SIGTERM (or an exit on a fault).

use std::future::Future;
use std::path::{Path, PathBuf};

/// The file in a daemon's data directory that holds its bound endpoints, as JSON.
pub const ENDPOINTS_FILE: &str = "endpoints.json";

/// Announces a daemon's bound endpoints (`("rpc", url)`, `("ops", url)`, …) for scripts and tests, which
/// must never parse free text: `<data_dir>/endpoints.json` (written whole: a temporary file renamed over
/// it), then the same object as one JSON line on stdout, `{"daemon":"zr-relay","pid":…,"rpc":…}`.
pub fn announce(daemon: &str, data_dir: &Path, endpoints: &[(&str, String)]) -> std::io::Result<PathBuf> {
    let mut object = serde_json::Map::new();
    object.insert("daemon".into(), daemon.into());
    object.insert("pid".into(), std::process::id().into());
    for (name, value) in endpoints {
        object.insert((*name).into(), value.clone().into());
    }
    let line = serde_json::Value::Object(object).to_string();
    // The file first: whoever reads the line may look for the file at once.
    std::fs::create_dir_all(data_dir)?;
    let path = data_dir.join(ENDPOINTS_FILE);
    let partial = data_dir.join(format!("{ENDPOINTS_FILE}.partial"));
    std::fs::write(&partial, format!("{line}\n"))?;
    std::fs::rename(&partial, &path)?;
    println!("{line}");
    Ok(path)
}

/// A started daemon, as its binary serves it (the handle `start` returns).
pub trait Served {
    /// The daemon's name in its announcement (`zr-relay`).
    const NAME: &'static str;

    /// Its bound endpoints (`("rpc", url)`, …), announced once it has started.
    fn endpoints(&self) -> Vec<(&'static str, String)>;

    /// A line for the operator, printed after the announcement.
    fn notice(&self) -> Option<String> {
        None
    }

    /// Resolves, with why, when the daemon cannot go on by itself; the default never does.
    fn fault(&self) -> impl Future<Output = String> {
        std::future::pending()
    }

    /// Stops it; on return its database is closed.
    fn stop(self) -> impl Future<Output = ()>;
}

/// [`serve`] could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The async runtime could not be built.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    /// The endpoints file could not be written.
    #[error("cannot write the endpoints file")]
    Announce(#[source] std::io::Error),
    /// The stop signals could not be watched.
    #[error("cannot wait for a stop signal")]
    Signal(#[source] std::io::Error),
    /// The daemon stopped by itself (it has been stopped cleanly since).
    #[error("{0}")]
    Fault(String),
}

/// A daemon binary's life: builds the async runtime, runs `start`, announces the daemon's endpoints in
/// `data_dir` (see [`announce`]) and prints its notice, then serves until Ctrl-C or SIGTERM, or until it
/// faults, and stops it either way. A fault is the error returned, so the binary exits non-zero with it and
/// its supervisor restarts it.
pub fn serve<D: Served, E: From<ServeError>>(
    data_dir: &Path,
    start: impl Future<Output = Result<D, E>>,
) -> Result<(), E> {
    let runtime = tokio::runtime::Runtime::new().map_err(ServeError::Runtime)?;
    runtime.block_on(async {
        let daemon = start.await?;
        announce(D::NAME, data_dir, &daemon.endpoints()).map_err(ServeError::Announce)?;
        if let Some(notice) = daemon.notice() {
            println!("{notice}");
        }
        let fault = tokio::select! {
            signal = shutdown_signal() => {
                signal.map_err(ServeError::Signal)?;
                None
            }
            reason = daemon.fault() => Some(reason),
        };
        daemon.stop().await;
        match fault {
            None => Ok(()),
            Some(reason) => Err(ServeError::Fault(reason).into()),
        }
    })
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM, whichever comes first, so `kill` and service managers stop a
/// daemon cleanly.
pub async fn shutdown_signal() -> std::io::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted,
        _ = terminate.recv() => Ok(()),
    }
}

/// Installs the tracing subscriber; `ZR_LOG` (an `EnvFilter`) overrides `default_filter`.
pub fn init_tracing(default_filter: &str) {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ZR_LOG").unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or a service manager's journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// A daemon's `main`: installs the tracing subscriber (`info` unless `ZR_LOG` says otherwise), runs `run`, and
/// exits with status 1 and the error chain when it fails.
pub fn main<E: AsRef<dyn std::error::Error>>(run: impl FnOnce() -> Result<(), E>) {
    init_tracing("info");
    if let Err(err) = run() {
        exit_with(err.as_ref());
    }
}

/// Prints `error` and its causes to stderr and exits with status 1.
pub fn exit_with(error: &(dyn std::error::Error + 'static)) -> ! {
    eprintln!("error: {error}");
    let mut cause = error.source();
    while let Some(inner) = cause {
        eprintln!("  caused by: {inner}");
        cause = inner.source();
    }
    std::process::exit(1);
}
