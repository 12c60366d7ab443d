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

/// The checkout this `zr` was built from: where `ops/znnd.sh` builds znnd when it is not built yet.
const CHECKOUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// The `znnd` and `zr-localnet` binaries `ops/znnd.sh build` makes.
pub struct ZnndBinaries {
    znnd: PathBuf,
    localnet: PathBuf,
}

impl ZnndBinaries {
    /// The binaries in `dir` (`--znnd-bin`, else `ZR_ZNND_BIN`, else `~/.cache/zrollup/znnd`); when they are not
    /// there yet and no directory was named, builds them with the `ops/znnd.sh` of the checkout this `zr` was
    /// built from (a few minutes the first time: the settlement library and go-zenon).
    pub fn locate(dir: Option<PathBuf>, progress: &dyn Fn(&str)) -> eyre::Result<ZnndBinaries> {
        let named = dir.or_else(|| std::env::var_os("ZR_ZNND_BIN").map(PathBuf::from));
        let dir = match &named {
            Some(dir) => dir.clone(),
            None => std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(DEFAULT_BIN_DIR))
                .ok_or_else(|| eyre!("HOME is not set: pass --znnd-bin DIR (what `ops/znnd.sh build` printed)"))?,
        };
        let binaries = ZnndBinaries { znnd: dir.join("znnd"), localnet: dir.join("zr-localnet") };
        if binaries.built() {
            return Ok(binaries);
        }
        if named.is_some() {
            bail!("{} holds no znnd and zr-localnet: build them with `ops/znnd.sh build`", dir.display());
        }
        // The checkout this binary came from, not one found around the current directory: a script planted in
        // a parent directory must not run.
        let script = Path::new(CHECKOUT).join("ops/znnd.sh");
        if !script.is_file() {
            bail!(
                "znnd is not built in {} and this zr's checkout is gone: in a zrollup checkout run `ops/znnd.sh \
                 build`, then pass --znnd-bin with the directory it prints",
                dir.display()
            );
        }
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
        if !status.success() || !binaries.built() {
            bail!("{} build failed ({status}): it needs Debian's golang-1.19-go and a C compiler", script.display());
        }
        Ok(binaries)
    }

    fn built(&self) -> bool {
        self.znnd.is_file() && self.localnet.is_file()
    }
}

/// A running local znnd; [`LocalZnnd::stop`] ends it, and so does dropping it.
pub struct LocalZnnd {
    child: Option<Child>,
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
    /// RPC answers and the rollup spork is enforced (momentum 2). The caller holds the network directory's lock,
    /// so a znnd that a pid file there names was left by a `zr up` that was killed: it is stopped first.
    pub async fn start(
        binaries: &ZnndBinaries,
        dir: &Path,
        funded: &[Address],
        ports: ZnndPorts,
    ) -> eyre::Result<LocalZnnd> {
        std::fs::create_dir_all(dir).wrap_err_with(|| format!("cannot create {}", dir.display()))?;
        let pid_file = dir.join("znnd.pid");
        stop_leftover(&pid_file, binaries, dir)?;
        // The three ports are held together while chosen, so no two are the same.
        let [http, ws, p2p] = free_ports([ports.http, ports.ws, SocketAddr::from(([127, 0, 0, 1], 0))])?;
        if !dir.join("genesis.json").exists() {
            let mut fund: Vec<String> = funded.iter().map(Address::to_string).collect();
            fund.dedup();
            let out = Command::new(&binaries.localnet)
                .arg("-dir")
                .arg(dir)
                .args(["-fund", &fund.join(",")])
                .args(["-chain-identifier", &zr_config::defaults::DEV_L1_CHAIN_IDENTIFIER.to_string()])
                .args(["-http-port", &http.port().to_string(), "-ws-port", &ws.port().to_string()])
                .args(["-p2p-port", &p2p.port().to_string()])
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
        // The ports are flags too, so a restart takes free ones even when those of the first start are taken.
        let child = Command::new(&binaries.znnd)
            .arg("--data")
            .arg(dir)
            .args(["--http-addr", &http.ip().to_string(), "--http-port", &http.port().to_string()])
            .args(["--ws-addr", &ws.ip().to_string(), "--ws-port", &ws.port().to_string()])
            .args(["--port", &p2p.port().to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .wrap_err_with(|| format!("cannot start {}", binaries.znnd.display()))?;
        let pid = child.id();
        let mut node = LocalZnnd {
            child: Some(child),
            http_url: format!("http://{http}"),
            ws_url: format!("ws://{ws}"),
            log,
            pid_file,
        };
        // On any error from here on, dropping `node` stops znnd.
        std::fs::write(&node.pid_file, format!("{pid}\n"))
            .wrap_err_with(|| format!("cannot write {}", node.pid_file.display()))?;
        node.wait_for_spork().await?;
        Ok(node)
    }

    async fn wait_for_spork(&mut self) -> eyre::Result<()> {
        let client = ZnndClient::new(&self.http_url, &self.ws_url)?;
        let deadline = Instant::now() + FIRST_MOMENTUMS_TIMEOUT;
        loop {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
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
        self.stop_child();
    }

    fn stop_child(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        // Signalled only while not yet reaped: after that its pid may be another process's.
        if child.try_wait().ok().flatten().is_none() {
            terminate(child.id(), &mut || child.try_wait().ok().flatten().is_some());
            let _ = child.kill();
        }
        let _ = child.wait();
        let _ = std::fs::remove_file(&self.pid_file);
    }
}

impl Drop for LocalZnnd {
    fn drop(&mut self) {
        self.stop_child();
    }
}

/// Stops the znnd named by a pid file left by a `zr up` that was killed: only a process running these
/// binaries' znnd on this data directory (a pid reused by anything else is left alone).
fn stop_leftover(pid_file: &Path, binaries: &ZnndBinaries, dir: &Path) -> eyre::Result<()> {
    let Ok(text) = std::fs::read_to_string(pid_file) else { return Ok(()) };
    let Ok(pid) = text.trim().parse::<u32>() else { return Ok(()) };
    let znnd = binaries.znnd.canonicalize().unwrap_or_else(|_| binaries.znnd.clone());
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let ours = |pid: u32| {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe"));
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
        let on_dir =
            args.windows(2).any(|w| w[0] == b"--data" && Path::new(std::str::from_utf8(w[1]).unwrap_or("")) == dir);
        // A znnd rebuilt since it started shows its old binary as "… (deleted)".
        let deleted = PathBuf::from(format!("{} (deleted)", znnd.display()));
        exe.is_ok_and(|exe| exe == znnd || exe == deleted) && on_dir
    };
    if ours(pid) {
        tracing::warn!(target: "zr::up", pid, "stopping the znnd a killed zr up left running");
        terminate(pid, &mut || !ours(pid));
        if ours(pid) {
            bail!("znnd (pid {pid}) from a previous start does not stop: kill it, then start again");
        }
    }
    std::fs::remove_file(pid_file).wrap_err_with(|| format!("cannot remove {}", pid_file.display()))
}

/// Sends SIGTERM to `pid` and waits up to 20 s for `gone`, then SIGKILL.
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

/// `addrs`, each port 0 replaced by a free one (znnd cannot report a port it chose itself); the listeners that
/// found them are held until all are chosen.
fn free_ports<const N: usize>(addrs: [SocketAddr; N]) -> eyre::Result<[SocketAddr; N]> {
    let mut held = Vec::new();
    let mut chosen = addrs;
    for addr in chosen.iter_mut().filter(|a| a.port() == 0) {
        let listener =
            TcpListener::bind(*addr).wrap_err_with(|| format!("cannot find a free port on {}", addr.ip()))?;
        *addr = listener.local_addr()?;
        held.push(listener);
    }
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(child: &mut Child) -> bool {
        child.try_wait().unwrap().is_none()
    }

    fn binaries_at(dir: &Path) -> ZnndBinaries {
        ZnndBinaries { znnd: dir.join("znnd"), localnet: dir.join("zr-localnet") }
    }

    /// Attack: a pid file naming a pid that some other program now has (pids are reused) must not get that
    /// program killed.
    #[test]
    fn a_pid_file_naming_another_program_stops_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut other = Command::new("sleep").arg("30").spawn().unwrap();
        let pid_file = dir.path().join("znnd.pid");
        std::fs::write(&pid_file, format!("{}\n", other.id())).unwrap();
        stop_leftover(&pid_file, &binaries_at(dir.path()), dir.path()).unwrap();
        assert!(alive(&mut other), "an unrelated process was stopped");
        assert!(!pid_file.exists());
        other.kill().unwrap();
        other.wait().unwrap();
    }

    /// The znnd binary on another data directory (another network's node) is left alone too; on this one it
    /// is stopped.
    #[test]
    fn a_leftover_znnd_is_stopped_only_on_its_own_data_directory() {
        let bin = tempfile::tempdir().unwrap();
        // A stand-in znnd: a copy of bash, so /proc/PID/exe names it, waiting with `--data DIR` on its command
        // line as znnd's has (`; true` keeps bash from exec-ing sleep in its place).
        std::fs::copy("/bin/bash", bin.path().join("znnd")).unwrap();
        let binaries = binaries_at(bin.path());
        let (this, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let start = |dir: &Path| {
            Command::new(&binaries.znnd).args(["-c", "sleep 30; true", "--data"]).arg(dir).spawn().unwrap()
        };
        let mut on_other = start(other.path());
        let mut on_this = start(this.path());
        std::thread::sleep(Duration::from_millis(200));
        let pid_file = this.path().join("znnd.pid");

        std::fs::write(&pid_file, format!("{}\n", on_other.id())).unwrap();
        stop_leftover(&pid_file, &binaries, this.path()).unwrap();
        assert!(alive(&mut on_other), "another network's znnd was stopped");

        std::fs::write(&pid_file, format!("{}\n", on_this.id())).unwrap();
        stop_leftover(&pid_file, &binaries, this.path()).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(&mut on_this) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!alive(&mut on_this), "the leftover znnd still runs");
        on_other.kill().unwrap();
        on_other.wait().unwrap();
    }

    #[test]
    fn ports_chosen_together_differ() {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let fixed = SocketAddr::from(([127, 0, 0, 1], 1));
        let [a, b, c, d] = free_ports([any, any, fixed, any]).unwrap();
        assert_eq!(c, fixed);
        assert!(a.port() != b.port() && b.port() != d.port() && a.port() != d.port());
        assert!([a, b, d].iter().all(|p| p.port() != 0));
    }
}
