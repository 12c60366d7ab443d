//! The daemons of a local network, and the order they start and stop in.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use zr_common::daemon::Served;
use zr_common::{Address, KeyPair, TokenStandard};
use zr_config::{ChallengerConfig, ConfigError, ExecutorConfig, L1Section, Listen, RelayConfig, Validate};
use zr_executor::node::ExecutorHandle;
use zr_relay::RelayHandle;
use zr_sequencing::{L1, L1Error, SendRequest};

/// How long the relay's sponsor deposit may take to be credited: a few of znnd's 10 s momentums (the deposit's
/// and the inbox's receive of it).
const DEPOSIT_CREDIT_TIMEOUT: Duration = Duration::from_secs(120);

/// The executor's key file in a network's directory.
pub const EXECUTOR_KEY_FILE: &str = "executor-key.json";
/// The relay's key file in a network's directory.
pub const RELAY_KEY_FILE: &str = "relay-key.json";

/// Why a local network did not start. Whatever of it had started is stopped again.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A daemon's config is invalid.
    #[error("invalid {daemon} config")]
    Config {
        /// `executor` or `relay`.
        daemon: &'static str,
        /// What is wrong.
        #[source]
        source: ConfigError,
    },
    /// A daemon's key file cannot be written, or holds another key.
    #[error("key file {path}: {reason}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The executor did not start.
    #[error("cannot start the executor")]
    Executor(#[from] zr_executor::node::StartError),
    /// The relay's sponsor deposit could not be posted.
    #[error("cannot fund the relay's rollup account")]
    Deposit(#[from] L1Error),
    /// The relay's sponsor deposit was posted, and its marker cannot be written (a restart would post it again).
    #[error("the relay's deposit was posted, but cannot be recorded in {path}")]
    DepositMarker {
        /// The marker file.
        path: PathBuf,
        /// Why it cannot be written.
        #[source]
        source: std::io::Error,
    },
    /// The relay's sponsor deposit was posted and not credited.
    #[error("the relay's deposit was not credited on the rollup: {0}")]
    DepositNotCredited(String),
    /// The relay did not start.
    #[error("cannot start the relay")]
    Relay(#[from] zr_relay::StartError),
}

/// A change a caller makes to a daemon's config after the builder set it up.
type Tune<Config> = Box<dyn Fn(&mut Config) + Send + Sync>;

/// Where slow steps a user waits on are reported.
type Progress = dyn Fn(&str) + Send + Sync;

/// Builds a local network: an executor, optionally a relay in front of it (funded to sponsor new keys) and a
/// watch-only challenger. Everything it keeps lives in one directory: `executor/`, `relay/`, `challenger/` and
/// the daemons' key files `executor-key.json` and `relay-key.json`.
pub struct LocalNetBuilder {
    dir: PathBuf,
    chain_id: u64,
    l1: L1Section,
    executor_key: KeyPair,
    executor_listen: Listen,
    relay: Option<(KeyPair, Listen)>,
    sponsor_grant: u64,
    relay_deposit: u128,
    watcher_json: Option<bool>,
    tune_executor: Vec<Tune<ExecutorConfig>>,
    tune_relay: Vec<Tune<RelayConfig>>,
    progress: Option<Box<Progress>>,
}

impl LocalNetBuilder {
    /// A network of chain `chain_id` in `dir`, on the L1 at `l1`, whose executor signs with `executor_key`
    /// (listening on loopback port 0 unless [`Self::executor_listen`] says otherwise).
    pub fn new(dir: impl Into<PathBuf>, chain_id: u64, l1: L1Section, executor_key: KeyPair) -> LocalNetBuilder {
        LocalNetBuilder {
            dir: dir.into(),
            chain_id,
            l1,
            executor_key,
            executor_listen: Listen::loopback_any(),
            relay: None,
            sponsor_grant: 0,
            relay_deposit: 0,
            watcher_json: None,
            tune_executor: Vec::new(),
            tune_relay: Vec::new(),
            progress: None,
        }
    }

    /// Where the executor's RPC and ops servers listen.
    pub fn executor_listen(mut self, listen: Listen) -> Self {
        self.executor_listen = listen;
        self
    }

    /// Runs a relay in front of the executor, signing with `key` (its L1 account pays the bundles' plasma).
    pub fn relay(mut self, key: KeyPair, listen: Listen) -> Self {
        self.relay = Some((key, listen));
        self
    }

    /// Has the relay (given with [`Self::relay`]; without one this does nothing) grant `grant` ZNN base units to
    /// each new key, paid from a deposit of `deposit` into its rollup account made from its L1 account once per
    /// directory (`relay-funded` records it), before the relay starts.
    pub fn sponsor(mut self, grant: u64, deposit: u128) -> Self {
        self.sponsor_grant = grant;
        self.relay_deposit = deposit;
        self
    }

    /// Runs a watch-only challenger that reports any claim disagreeing with the executor's (JSON lines with
    /// `json`).
    pub fn watching_challenger(mut self, json: bool) -> Self {
        self.watcher_json = Some(json);
        self
    }

    /// Adjusts the executor's config after the builder has set it up (after any earlier adjustment).
    pub fn tune_executor(mut self, tune: impl Fn(&mut ExecutorConfig) + Send + Sync + 'static) -> Self {
        self.tune_executor.push(Box::new(tune));
        self
    }

    /// Adjusts the relay's config after the builder has set it up (after any earlier adjustment).
    pub fn tune_relay(mut self, tune: impl Fn(&mut RelayConfig) + Send + Sync + 'static) -> Self {
        self.tune_relay.push(Box::new(tune));
        self
    }

    /// Where to report slow steps a user waits on (the relay's first deposit).
    pub fn progress(mut self, report: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.progress = Some(Box::new(report));
        self
    }

    /// The executor's key file.
    pub fn executor_key_file(&self) -> PathBuf {
        self.dir.join(EXECUTOR_KEY_FILE)
    }

    /// The relay's key file.
    pub fn relay_key_file(&self) -> PathBuf {
        self.dir.join(RELAY_KEY_FILE)
    }

    /// The config the executor runs with (so a test can run it as a process instead).
    pub fn executor_config(&self) -> ExecutorConfig {
        let mut config = ExecutorConfig::node(
            self.dir.join("executor"),
            self.chain_id,
            self.executor_key_file(),
            self.l1.clone(),
            self.executor_listen,
        );
        for tune in &self.tune_executor {
            tune(&mut config);
        }
        config
    }

    /// The config the relay runs with in front of the executor at `executor_rpc`, if there is a relay.
    pub fn relay_config(&self, executor_rpc: String) -> Option<RelayConfig> {
        let (_, listen) = self.relay.as_ref()?;
        let mut config = RelayConfig {
            sponsor_grant: self.sponsor_grant,
            ..RelayConfig::node(
                self.dir.join("relay"),
                self.chain_id,
                self.relay_key_file(),
                executor_rpc,
                self.l1.clone(),
                *listen,
            )
        };
        for tune in &self.tune_relay {
            tune(&mut config);
        }
        Some(config)
    }

    /// Writes the daemons' key files (or checks the ones already there hold the same keys).
    pub fn write_key_files(&self) -> Result<(), StartError> {
        crate::key_file(&self.executor_key, &self.executor_key_file())?;
        if let Some((key, _)) = &self.relay {
            crate::key_file(key, &self.relay_key_file())?;
        }
        Ok(())
    }

    /// Starts the executor, then the relay's deposit, the relay and the challenger, all on `l1`. If one fails,
    /// those started before it are stopped.
    pub async fn start<L: L1 + 'static>(self, l1: Arc<L>) -> Result<LocalNet, StartError> {
        self.write_key_files()?;
        let executor_config = self.executor_config();
        executor_config.validate().map_err(|source| StartError::Config { daemon: "executor", source })?;
        let executor = zr_executor::node::start(&executor_config, self.executor_key.clone(), l1.clone()).await?;
        let relay = match self.start_relay(&executor, l1).await {
            Ok(relay) => relay,
            Err(err) => {
                executor.stop().await;
                return Err(err);
            }
        };
        let watcher = self.watcher_json.map(|json| {
            let config = ChallengerConfig {
                data_dir: self.dir.join("challenger"),
                chain_id: self.chain_id,
                key_file: None,
                executor_rpc: executor.rpc_url(),
                l1: self.l1.clone(),
            };
            let watch =
                zr_challenger::watch::Watch { peers: vec![], challenge: false, once: false, json, announce: false };
            Watcher(tokio::spawn(async move {
                if let Err(err) = zr_challenger::watch::run(&config, watch).await {
                    tracing::warn!(target: "zr::local_network", error = %err, "the watching challenger stopped");
                }
            }))
        });
        Ok(LocalNet { executor, relay, watcher })
    }

    async fn start_relay<L: L1 + 'static>(
        &self,
        executor: &ExecutorHandle,
        l1: Arc<L>,
    ) -> Result<Option<RelayHandle>, StartError> {
        let (Some((key, _)), Some(config)) = (&self.relay, self.relay_config(executor.rpc_url())) else {
            return Ok(None);
        };
        config.validate().map_err(|source| StartError::Config { daemon: "relay", source })?;
        if self.relay_deposit > 0 {
            self.fund_relay(key, l1.as_ref(), executor).await?;
        }
        Ok(Some(zr_relay::start(&config, key.clone(), l1).await?))
    }

    /// Deposits the sponsor's funds from the relay's L1 account into its rollup account, once per directory
    /// (a marker file records that it was posted), and waits until the executor has credited them, so the relay
    /// can sponsor the first key that arrives.
    async fn fund_relay<L: L1>(&self, relay: &KeyPair, l1: &L, executor: &ExecutorHandle) -> Result<(), StartError> {
        let marker = self.dir.join("relay-funded");
        if marker.exists() {
            return Ok(());
        }
        let chain_identifier = l1.frontier_momentum().await?.chain_identifier;
        let send =
            SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount: self.relay_deposit, data: vec![] };
        zr_sequencing::send_block(l1, chain_identifier, relay, send).await?;
        std::fs::write(&marker, b"deposited\n")
            .map_err(|source| StartError::DepositMarker { path: marker.clone(), source })?;
        if let Some(report) = &self.progress {
            report("funding the relay's rollup account (its deposit lands with the next momentum)…");
        }
        let credited = || -> Result<bool, StartError> {
            let unreadable = |err: &dyn std::fmt::Display| StartError::DepositNotCredited(err.to_string());
            let (_, tree) = executor.rollup.tree_at(None).map_err(|err| unreadable(&err))?;
            Ok(zr_protocol::World::new(tree).account(&relay.address()).map_err(|err| unreadable(&err))?.znn > 0)
        };
        let deadline = tokio::time::Instant::now() + DEPOSIT_CREDIT_TIMEOUT;
        while !credited()? {
            if tokio::time::Instant::now() > deadline {
                return Err(StartError::DepositNotCredited(format!("not within {DEPOSIT_CREDIT_TIMEOUT:?}")));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

/// A running local network.
pub struct LocalNet {
    /// The executor.
    pub executor: ExecutorHandle,
    /// The relay, if the builder asked for one.
    pub relay: Option<RelayHandle>,
    watcher: Option<Watcher>,
}

/// The watch-only challenger's task, stopped when dropped (also when a network is dropped without `stop`).
struct Watcher(tokio::task::JoinHandle<()>);

impl Drop for Watcher {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl LocalNet {
    /// A builder; see [`LocalNetBuilder::new`].
    pub fn builder(dir: impl Into<PathBuf>, chain_id: u64, l1: L1Section, executor_key: KeyPair) -> LocalNetBuilder {
        LocalNetBuilder::new(dir, chain_id, l1, executor_key)
    }

    /// The relay of a network built with one.
    ///
    /// # Panics
    /// If the builder was not given a relay.
    pub fn relay(&self) -> &RelayHandle {
        self.relay.as_ref().expect("this local network was built without a relay")
    }

    /// Stops the challenger, the relay and the executor, in that order (the L1 is the caller's).
    pub async fn stop(self) {
        drop(self.watcher);
        if let Some(relay) = self.relay {
            relay.stop().await;
        }
        self.executor.stop().await;
    }
}

#[cfg(test)]
mod tests {
    use zr_common::keys::fixtures::key;

    use super::*;

    const DEPOSIT: u128 = 1_000 * 100_000_000;

    fn builder(dir: &std::path::Path, l1: L1Section, executor: KeyPair) -> LocalNetBuilder {
        LocalNet::builder(dir, 1, l1, executor).relay(key(3), Listen::loopback_any()).sponsor(10, DEPOSIT)
    }

    fn balance(net: &LocalNet, who: &KeyPair) -> u128 {
        let (_, tree) = net.executor.rollup.tree_at(None).unwrap();
        zr_protocol::World::new(tree).account(&who.address()).unwrap().znn
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sponsor_deposit_is_made_once_per_directory_and_a_key_file_never_changes_hands() {
        let dir = tempfile::tempdir().unwrap();
        let (executor, relay) = (key(2), key(3));
        let devnet = crate::devnet::start(dir.path(), &[executor.address(), relay.address()], 50).await.unwrap();

        let net = builder(dir.path(), devnet.l1_section(), executor.clone()).start(devnet.l1.clone()).await.unwrap();
        assert_eq!(balance(&net, &relay), DEPOSIT, "the relay's deposit is credited before it starts");
        assert!(net.relay().rpc_url().starts_with("http://127.0.0.1:"));
        net.stop().await;

        // A restart in the same directory does not deposit again: the relay's rollup balance stays one deposit.
        let net = builder(dir.path(), devnet.l1_section(), executor.clone()).start(devnet.l1.clone()).await.unwrap();
        // A second deposit, posted by this start, would land within the next momentums.
        let past_a_second_deposit = devnet.handle.chain.frontier_momentum().height + 3;
        while net.executor.rollup.tree_at(None).unwrap().0 < past_a_second_deposit {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(balance(&net, &relay), DEPOSIT);
        net.stop().await;

        // Another executor key in the same directory is refused, naming both: the config would name one key
        // file and the daemon sign with another.
        let error = builder(dir.path(), devnet.l1_section(), key(9)).start(devnet.l1.clone()).await.err().unwrap();
        let text = error.to_string();
        assert!(text.contains("executor-key.json") && text.contains(&executor.address().to_string()), "{text}");
        assert!(text.contains(&key(9).address().to_string()), "{text}");
        devnet.stop().await;
    }
}
