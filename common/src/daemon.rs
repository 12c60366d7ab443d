//! What every zrollup binary does the same way: one tracing subscriber (filter from `ZR_LOG`), a `main`
//! that prints the error chain and exits non-zero, and [`serve`]: the async runtime, the bound endpoints
//! announced where scripts can read them, and a clean stop on Ctrl-C or SIGTERM (or on a fault, then an exit
//! with it). For harnesses that run a daemon binary as a child process, [`spawn`] reads that announcement.

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

/// A daemon binary a harness started with [`spawn`].
pub struct Spawned {
    /// The running binary.
    pub child: std::process::Child,
    /// Its announcement: `{"daemon":…,"pid":…,"rpc":…}` (see [`announce`]).
    pub announced: serde_json::Value,
    /// What it prints after the announcement (a notice, …).
    pub stdout: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
}

/// Starts `command` (a daemon binary, its stdout piped here) and waits for its announcement, the first line it
/// prints once its endpoints are bound: how harnesses learn the ports it took. A binary that exits first, or
/// prints something else first, is an error naming what it printed (it is killed and waited for).
pub fn spawn(command: &mut std::process::Command) -> std::io::Result<Spawned> {
    use std::io::BufRead;
    let mut child = command.stdout(std::process::Stdio::piped()).spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("stdout is not piped"))?;
    let mut stdout = std::io::BufReader::new(stdout);
    let mut line = String::new();
    let read = stdout.read_line(&mut line);
    match (read, serde_json::from_str::<serde_json::Value>(&line)) {
        (Ok(_), Ok(announced @ serde_json::Value::Object(_))) => {
            Ok(Spawned { child, announced, stdout: stdout.lines() })
        }
        (read, _) => {
            let _ = child.kill();
            let status = child.wait()?;
            let printed = read.map_or_else(|err| format!("unreadable output ({err})"), |_| format!("{line:?}"));
            Err(std::io::Error::other(format!("{status}, before announcing its endpoints it printed {printed}")))
        }
    }
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

    /// Stops it; its database is closed on return unless calls still in flight held it past the daemon's
    /// grace (which it logs).
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
/// faults. It stops the daemon whatever ends it (a fault, or an announcement that could not be written, too),
/// and returns the fault as its error, so the binary exits non-zero with it and its supervisor restarts it.
pub fn serve<D: Served, E: From<ServeError>>(
    data_dir: &Path,
    start: impl Future<Output = Result<D, E>>,
) -> Result<(), E> {
    let runtime = tokio::runtime::Runtime::new().map_err(ServeError::Runtime)?;
    runtime.block_on(async {
        let daemon = start.await?;
        let served = announce_and_serve(&daemon, data_dir).await;
        daemon.stop().await;
        Ok(served?)
    })
}

/// [`serve`]'s part between the start and the stop.
async fn announce_and_serve<D: Served>(daemon: &D, data_dir: &Path) -> Result<(), ServeError> {
    // Watched before the announcement: whoever reads it (a script, a supervisor) may send SIGTERM at once.
    let stop = stop_signals().map_err(ServeError::Signal)?;
    announce(D::NAME, data_dir, &daemon.endpoints()).map_err(ServeError::Announce)?;
    if let Some(notice) = daemon.notice() {
        println!("{notice}");
    }
    tokio::select! {
        () = stop => Ok(()),
        reason = daemon.fault() => Err(ServeError::Fault(reason)),
    }
}

/// Watches Ctrl-C (SIGINT) and SIGTERM from now on, so `kill` and service managers stop a daemon cleanly: the
/// future resolves on the first of them. Needs a running tokio runtime.
pub fn stop_signals() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;

    /// A daemon that records its stop, and faults with `fault` if given.
    struct Recorded {
        stopped: Arc<AtomicBool>,
        fault: Option<&'static str>,
    }

    impl Served for Recorded {
        const NAME: &'static str = "zr-test";

        fn endpoints(&self) -> Vec<(&'static str, String)> {
            vec![("rpc", "http://127.0.0.1:1".into())]
        }

        async fn fault(&self) -> String {
            match self.fault {
                Some(reason) => reason.to_owned(),
                None => std::future::pending().await,
            }
        }

        async fn stop(self) {
            self.stopped.store(true, Ordering::SeqCst);
        }
    }

    fn serve_recorded(data_dir: &Path, fault: Option<&'static str>) -> (Result<(), ServeError>, bool) {
        let stopped = Arc::new(AtomicBool::new(false));
        let daemon = Recorded { stopped: stopped.clone(), fault };
        let served = serve(data_dir, async { Ok::<_, ServeError>(daemon) });
        (served, stopped.load(Ordering::SeqCst))
    }

    #[test]
    fn a_fault_stops_the_daemon_and_is_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let (served, stopped) = serve_recorded(dir.path(), Some("the disk is full"));
        assert!(matches!(&served, Err(ServeError::Fault(reason)) if reason == "the disk is full"), "{served:?}");
        assert!(stopped, "a faulted daemon is stopped before the binary exits");
        let announced = std::fs::read_to_string(dir.path().join(ENDPOINTS_FILE)).unwrap();
        assert!(announced.contains(r#""daemon":"zr-test""#) && announced.contains(r#""rpc":"http://127.0.0.1:1""#));
    }

    /// A harness gets the announcement and what follows it; a binary that exits or prints something else first
    /// is an error that says what it printed.
    #[test]
    fn spawn_reads_the_announcement_or_says_what_came_instead() {
        let shell = |script: &str| {
            let mut command = std::process::Command::new("sh");
            command.args(["-c", script]);
            command
        };
        let announcing = r#"echo '{"daemon":"zr-test","rpc":"http://127.0.0.1:1"}'; echo notice"#;
        let mut spawned = spawn(&mut shell(announcing)).expect("announced");
        assert_eq!(spawned.announced["rpc"], "http://127.0.0.1:1");
        assert_eq!(spawned.stdout.next().unwrap().unwrap(), "notice");
        assert!(spawned.child.wait().unwrap().success());

        let exited = spawn(&mut shell("exit 3")).err().expect("no announcement").to_string();
        assert!(exited.contains("exit status: 3") && exited.contains("printed \"\""), "{exited}");
        let chatty = spawn(&mut shell("echo starting; exec sleep 30")).err().expect("not an announcement").to_string();
        assert!(chatty.contains("printed \"starting\\n\""), "{chatty}");
    }

    #[test]
    fn a_failed_announcement_still_stops_the_daemon() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the data directory should be: the endpoints file cannot be written.
        let not_a_dir = dir.path().join("file");
        std::fs::write(&not_a_dir, b"").unwrap();
        let (served, stopped) = serve_recorded(&not_a_dir, None);
        assert!(matches!(served, Err(ServeError::Announce(_))), "{served:?}");
        assert!(stopped, "a started daemon is stopped whatever ends the binary");
    }
}
