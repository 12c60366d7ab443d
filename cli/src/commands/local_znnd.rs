//! The L1 of `zr up --l1 znnd`: a local one-pillar go-zenon node with the rollup spork, built by `ops/znnd.sh`
//! and run here as a child process (its genesis written once by `zr-localnet`, its chain kept in the data
//! directory across starts).

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use eyre::{WrapErr, bail, eyre};
use zr_common::Address;
use zr_sequencing::{L1, ZnndClient};

/// Where `ops/znnd.sh build` leaves its binaries unless `ZR_ZNND_BIN` says otherwise.
const DEFAULT_BIN_DIR: &str = ".cache/zrollup/znnd";

/// How long a first momentum may take: go-zenon produces one every 10 s, on slots counted from its genesis.
const FIRST_MOMENTUMS_TIMEOUT: Duration = Duration::from_secs(60);

/// The `znnd` and `zr-localnet` binaries `ops/znnd.sh build` makes.
pub struct ZnndBinaries {
    znnd: PathBuf,
    localnet: PathBuf,
}

impl ZnndBinaries {
    /// The binaries in `dir` (`--znnd-bin`, else `ZR_ZNND_BIN`, else `~/.cache/zrollup/znnd`); when they are not
    /// there yet and no directory was named, builds them with the `ops/znnd.sh` of the zrollup checkout around
    /// the current directory (a few minutes the first time: the settlement library and go-zenon).
    pub fn locate(dir: Option<PathBuf>, progress: &dyn Fn(&str)) -> eyre::Result<ZnndBinaries> {
        let named = dir.or_else(|| std::env::var_os("ZR_ZNND_BIN").map(PathBuf::from));
        let dir = match &named {
            Some(dir) => dir.clone(),
            None => std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(DEFAULT_BIN_DIR))
                .ok_or_else(|| eyre!("HOME is not set: pass --znnd-bin DIR (what `ops/znnd.sh build` printed)"))?,
        };
        let binaries = ZnndBinaries { znnd: dir.join("znnd"), localnet: dir.join("zr-localnet") };
        if binaries.znnd.is_file() && binaries.localnet.is_file() {
            return Ok(binaries);
        }
        if named.is_some() {
            bail!("{} holds no znnd and zr-localnet: build them with `ops/znnd.sh build`", dir.display());
        }
        let script = checkout_script()?;
        progress(&format!(
            "building znnd with the rollup spork ({} build; a few minutes the first time)…",
            script.display()
        ));
        let status = Command::new(&script)
            .arg("build")
            .env("ZR_ZNND_BIN", &dir)
            .stdout(Stdio::null())
            .status()
            .wrap_err_with(|| format!("cannot run {}", script.display()))?;
        if !status.success() || !binaries.znnd.is_file() {
            bail!("{} build failed ({status}): it needs Debian's golang-1.19-go and a C compiler", script.display());
        }
        Ok(binaries)
    }
}

/// `ops/znnd.sh` of the zrollup checkout holding the current directory.
fn checkout_script() -> eyre::Result<PathBuf> {
    let cwd = std::env::current_dir().wrap_err("cannot read the current directory")?;
    cwd.ancestors().map(|dir| dir.join("ops/znnd.sh")).find(|script| script.is_file()).ok_or_else(|| {
        eyre!(
            "no ops/znnd.sh above {}: run `zr up --l1 znnd` in the zrollup checkout, or pass --znnd-bin",
            cwd.display()
        )
    })
}

/// A running local znnd; [`LocalZnnd::stop`] ends it (so does a Ctrl-C in its terminal, which reaches it too).
pub struct LocalZnnd {
    child: Child,
    /// Its JSON-RPC over HTTP.
    pub http_url: String,
    /// Its JSON-RPC over WebSocket.
    pub ws_url: String,
    /// Its log file.
    pub log: PathBuf,
    pid_file: PathBuf,
}

/// What a local znnd listens on.
pub struct ZnndPorts {
    pub http: SocketAddr,
    pub ws: SocketAddr,
}

impl LocalZnnd {
    /// Starts znnd on `dir`, writing its genesis (which funds `funded`) the first time, and waits until its
    /// RPC answers and the rollup spork is enforced (momentum 2). A znnd a killed `zr up` left running on `dir`
    /// is stopped first.
    pub async fn start(
        binaries: &ZnndBinaries,
        dir: &Path,
        funded: &[Address],
        ports: ZnndPorts,
    ) -> eyre::Result<LocalZnnd> {
        std::fs::create_dir_all(dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
        let pid_file = dir.join("znnd.pid");
        stop_leftover(&pid_file)?;
        let (http, ws) = (resolve_port(ports.http)?, resolve_port(ports.ws)?);
        if !dir.join("genesis.json").exists() {
            let fund: Vec<String> = funded.iter().map(Address::to_string).collect();
            let out = Command::new(&binaries.localnet)
                .arg("-dir")
                .arg(dir)
                .args(["-fund", &fund.join(",")])
                .args(["-chain-identifier", &zr_config::defaults::DEV_L1_CHAIN_IDENTIFIER.to_string()])
                .args(["-http-port", &http.port().to_string(), "-ws-port", &ws.port().to_string()])
                .args(["-p2p-port", &resolve_port(SocketAddr::from(([127, 0, 0, 1], 0)))?.port().to_string()])
                .output()
                .wrap_err_with(|| format!("cannot run {}", binaries.localnet.display()))?;
            if !out.status.success() {
                bail!("zr-localnet failed: {}", String::from_utf8_lossy(&out.stderr).trim());
            }
        }
        let log = dir.join("znnd.log");
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .wrap_err_with(|| format!("cannot open {}", log.display()))?;
        // The ports are flags too, so a restart may take others than the first start wrote in config.json.
        let child = Command::new(&binaries.znnd)
            .arg("--data")
            .arg(dir)
            .args(["--http-addr", &http.ip().to_string(), "--http-port", &http.port().to_string()])
            .args(["--ws-addr", &ws.ip().to_string(), "--ws-port", &ws.port().to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .wrap_err_with(|| format!("cannot start {}", binaries.znnd.display()))?;
        std::fs::write(&pid_file, format!("{}\n", child.id()))
            .wrap_err_with(|| format!("cannot write {}", pid_file.display()))?;
        let mut node =
            LocalZnnd { child, http_url: format!("http://{http}"), ws_url: format!("ws://{ws}"), log, pid_file };
        if let Err(err) = node.wait_for_spork().await {
            node.stop();
            return Err(err);
        }
        Ok(node)
    }

    async fn wait_for_spork(&mut self) -> eyre::Result<()> {
        let client = ZnndClient::new(&self.http_url, &self.ws_url)?;
        let deadline = Instant::now() + FIRST_MOMENTUMS_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("znnd exited ({status}) while starting: see {}", self.log.display());
            }
            if let Ok(frontier) = client.frontier_momentum().await
                && frontier.height >= 2
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "znnd produced no momentum after genesis within {} s: see {}",
                    FIRST_MOMENTUMS_TIMEOUT.as_secs(),
                    self.log.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops znnd as its Ctrl-C does (SIGTERM, so it closes its database), killing it after 20 s.
    pub fn stop(mut self) {
        terminate(self.child.id(), &mut || self.child.try_wait().ok().flatten().is_some());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

/// Stops the znnd named by a pid file left by a `zr up` that did not stop it (killed itself).
fn stop_leftover(pid_file: &Path) -> eyre::Result<()> {
    let Ok(text) = std::fs::read_to_string(pid_file) else { return Ok(()) };
    let Ok(pid) = text.trim().parse::<u32>() else { return Ok(()) };
    let is_znnd = |pid: u32| {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|cmd| cmd.split(|b| *b == 0).any(|w| w.ends_with(b"znnd")))
    };
    if is_znnd(pid) {
        tracing::warn!(target: "zr::up", pid, "stopping the znnd a previous zr up left running");
        terminate(pid, &mut || !is_znnd(pid));
        if is_znnd(pid) {
            bail!("znnd (pid {pid}) from a previous start does not stop: kill it, then start again");
        }
    }
    std::fs::remove_file(pid_file).wrap_err_with(|| format!("cannot remove {}", pid_file.display()))
}

/// Sends SIGTERM to `pid` and waits up to 20 s for `gone`.
fn terminate(pid: u32, gone: &mut dyn FnMut() -> bool) {
    let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while !gone() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    if !gone() {
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    }
}

/// `addr`, with port 0 replaced by a free one (znnd cannot report a port it chose itself).
fn resolve_port(addr: SocketAddr) -> eyre::Result<SocketAddr> {
    if addr.port() != 0 {
        return Ok(addr);
    }
    let listener = TcpListener::bind(addr).wrap_err_with(|| format!("cannot find a free port on {}", addr.ip()))?;
    Ok(listener.local_addr()?)
}
