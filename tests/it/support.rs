//! Starting a devnet in a temporary directory.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use zr_common::KeyPair;
use zr_common::daemon::Served;
use zr_common::nom::rpc::DetailedMomentum;
use zr_config::{DevnetConfig, Layered};
use zr_devnet::{Devnet, DevnetHandle, Genesis, GenesisAccount};
use zr_sequencing::ZnndClient;

/// The devnet chain identifier used in tests.
pub const CHAIN: u64 = 321;

/// A devnet in a temporary directory, with funded users.
pub struct TestNet {
    pub dir: tempfile::TempDir,
    pub pillar: KeyPair,
    /// Funded with ZNN, QSR and fused QSR.
    pub alice: KeyPair,
    /// Funded with ZNN and QSR, nothing fused (pays by PoW).
    pub bob: KeyPair,
    /// Executor keys, funded with fused QSR to post claims.
    pub executors: Vec<KeyPair>,
    /// Relay keys, funded with fused QSR to post bundles.
    pub relays: Vec<KeyPair>,
    pub handle: Option<DevnetHandle>,
}

impl TestNet {
    pub async fn start() -> TestNet {
        let dir = tempfile::tempdir().unwrap();
        let pillar = KeyPair::from_seed(&[1; 32]);
        let alice = KeyPair::from_seed(&[2; 32]);
        let bob = KeyPair::from_seed(&[3; 32]);
        let executors = vec![KeyPair::from_seed(&[4; 32]), KeyPair::from_seed(&[5; 32])];
        let relays = vec![KeyPair::from_seed(&[7; 32]), KeyPair::from_seed(&[8; 32])];
        let funded =
            [alice.address(), executors[0].address(), executors[1].address(), relays[0].address(), relays[1].address()];
        let mut genesis = Genesis::dev(CHAIN, 1_700_000_000, &[pillar.public()], &funded);
        genesis.accounts.push(GenesisAccount {
            address: bob.address(),
            znn: 1_000_000_000,
            qsr: 5_000_000_000,
            fused_qsr: 0,
        });
        genesis.write(&dir.path().join("genesis.toml")).unwrap();
        pillar.write_file(&dir.path().join("pillar.json")).unwrap();
        let mut net = TestNet { dir, pillar, alice, bob, executors, relays, handle: None };
        net.restart().await;
        net
    }

    pub fn config(&self) -> DevnetConfig {
        config_in(self.dir.path())
    }

    pub async fn restart(&mut self) {
        if let Some(handle) = self.handle.take() {
            handle.stop().await;
        }
        self.handle = Some(Devnet::start(&self.config()).await.unwrap());
    }

    /// Stops the devnet (L1 goes away); returns its HTTP and WebSocket addresses for [`TestNet::start_on`].
    pub async fn stop(&mut self) -> (std::net::SocketAddr, std::net::SocketAddr) {
        let handle = self.handle.take().expect("running");
        let addresses = (handle.http_addr, handle.ws_addr);
        handle.stop().await;
        addresses
    }

    /// Starts the stopped devnet again on the same addresses, so clients of the old one reach it.
    pub async fn start_on(&mut self, (http, ws): (std::net::SocketAddr, std::net::SocketAddr)) {
        let config = DevnetConfig { http_listen: http, ws_listen: ws, ..self.config() };
        self.handle = Some(Devnet::start(&config).await.unwrap());
    }

    pub fn handle(&self) -> &DevnetHandle {
        self.handle.as_ref().unwrap()
    }

    pub fn client(&self) -> Arc<ZnndClient> {
        Arc::new(ZnndClient::new(self.handle().http_url(), self.handle().ws_url()).unwrap())
    }

    /// The answer (the whole JSON-RPC response) to one call of `method` with `params`.
    pub async fn call(&self, method: &str, params: serde_json::Value) -> serde_json::Value {
        self.raw(&serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }).to_string())
            .await
    }

    /// A raw JSON-RPC call over HTTP, returning the whole response object.
    pub async fn raw(&self, body: &str) -> serde_json::Value {
        let response = reqwest::Client::new()
            .post(self.handle().http_url())
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }
}

pub fn config_in(dir: &Path) -> DevnetConfig {
    DevnetConfig::in_dir(dir, 50)
}

/// A free loopback port below Linux's ephemeral range (32768–60999), for a daemon that must come back on the
/// same port: one from the ephemeral range can be taken meanwhile by any connection's source port.
pub fn free_fixed_port() -> u16 {
    let start = std::process::id() % 10_000;
    (0..10_000u32)
        .map(|i| (20_000 + (start + i * 7) % 10_000) as u16)
        .find(|port| std::net::TcpListener::bind(("127.0.0.1", *port)).is_ok())
        .expect("no free port from 20000 to 30000")
}

/// Waits until `f` holds, polling; panics after 20 s.
pub async fn eventually<F: AsyncFnMut() -> bool>(mut f: F) {
    for _ in 0..400 {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not reached in 20 s");
}

/// The momentum (with blocks) that confirmed the block `hash`, following from height 1.
pub async fn confirmation_of(follower: &mut zr_sequencing::Follower, hash: zr_common::Hash) -> DetailedMomentum {
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let m = follower.next().await.expect("follower ended");
            if m.blocks.iter().any(|b| b.block.hash == hash) {
                return m;
            }
        }
    })
    .await
    .expect("block not confirmed in 20 s")
}

/// A child process, killed (SIGKILL) when dropped, so a failing test leaves none behind.
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The daemon `binary` on `config`, as an operator runs it: the config written to `file` and passed with
/// `--config`, warnings only in its log. Callers add their own flags, which override the file.
pub fn daemon_command(binary: &str, config: &impl Layered, file: &Path) -> std::process::Command {
    config.write_file(file).unwrap();
    let mut command = std::process::Command::new(binary);
    command.args(["--config", file.to_str().unwrap()]).env("ZR_LOG", "warn");
    command
}

/// Starts `command` (see [`daemon_command`]) and reads its announcement: `{"daemon":…,"rpc":…,"ops":…}`.
pub fn spawn_announced(command: &mut std::process::Command) -> (Killed, serde_json::Value) {
    let spawned = zr_common::daemon::spawn(command).unwrap_or_else(|err| panic!("{command:?}: {err}"));
    (Killed(spawned.child), spawned.announced)
}
