//! A running devnet: the chain, its RPC listeners, the momentum producer and the ops endpoint.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use zr_common::KeyPair;
use zr_common::daemon::Served;
use zr_common::lifecycle::Lifecycle;
use zr_common::metrics::{Registry, serve_ops};
use zr_config::DevnetConfig;

use crate::DevnetError;
use crate::chain::Chain;
use crate::genesis::Genesis;
use crate::rpc::{RpcServers, serve};
use crate::store::Store;

/// Starts devnets.
pub struct Devnet;

/// A running devnet. Dropping it does not stop it; call its [`Served::stop`].
pub struct DevnetHandle {
    /// The chain, for in-process use.
    pub chain: Arc<Chain>,
    /// The HTTP JSON-RPC address bound.
    pub http_addr: SocketAddr,
    /// The WebSocket JSON-RPC address bound.
    pub ws_addr: SocketAddr,
    /// The ops endpoint address bound.
    pub ops_addr: SocketAddr,
    /// On a dev chain (started without a genesis), its funded dev account.
    pub dev: Option<DevAccount>,
    lifecycle: Lifecycle,
}

impl DevnetHandle {
    /// `http://` URL of the HTTP JSON-RPC.
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http_addr)
    }

    /// `ws://` URL of the WebSocket JSON-RPC.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.ws_addr)
    }
}

impl Served for DevnetHandle {
    const NAME: &'static str = "zr-devnet";

    fn endpoints(&self) -> Vec<(&'static str, String)> {
        vec![("http", self.http_url()), ("ws", self.ws_url()), ("ops", format!("http://{}", self.ops_addr))]
    }

    fn notice(&self) -> Option<String> {
        let dev = self.dev.as_ref()?;
        Some(format!(
            "dev chain (no genesis given): funded dev account {} with key {}",
            dev.address,
            dev.key_file.display()
        ))
    }

    /// Stops producing and serving, and waits until the producer has finished its last momentum.
    async fn stop(self) {
        // Subscription tasks of closed connections let go of the chain a moment after the servers stop;
        // the database is closed only once nobody holds it, so a restart can open it again.
        self.lifecycle.stop(&self.chain, Duration::from_secs(5), Self::NAME).await;
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The funded account of a dev chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevAccount {
    /// Its key file (under the data directory).
    pub key_file: std::path::PathBuf,
    /// Its address.
    pub address: zr_common::Address,
}

/// Without a genesis and pillar keys, a dev chain, as `anvil` or `geth --dev` start: a pillar key, a funded dev
/// key and their genesis, generated once under `<data_dir>/dev/` and reused on later starts.
fn dev_chain(config: &DevnetConfig) -> Result<(DevnetConfig, DevAccount), DevnetError> {
    let dir = config.data_dir.join("dev");
    let (pillar_path, dev_path, genesis_path) =
        (dir.join("pillar-key.json"), dir.join("dev-key.json"), dir.join("genesis.toml"));
    let keys = |e: zr_common::keys::KeyFileError| DevnetError::PillarKeys(e.to_string());
    if !genesis_path.exists() {
        if Store::exists(&config.data_dir) {
            return Err(DevnetError::Genesis(format!(
                "{} holds a chain that is not a dev chain: pass its genesis (`--genesis`) and pillar keys",
                config.data_dir.display()
            )));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| DevnetError::Store(format!("cannot create {}: {e}", dir.display())))?;
        let (pillar, dev) = (KeyPair::generate(), KeyPair::generate());
        pillar.write_file(&pillar_path).map_err(keys)?;
        dev.write_file(&dev_path).map_err(keys)?;
        let genesis = Genesis::dev(
            zr_config::defaults::DEV_L1_CHAIN_IDENTIFIER,
            unix_now(),
            &[pillar.public()],
            &[dev.address()],
        );
        genesis.write(&genesis_path)?;
    }
    let dev = KeyPair::read_file(&dev_path).map_err(keys)?;
    let config = DevnetConfig { genesis: Some(genesis_path), pillar_keys: vec![pillar_path], ..config.clone() };
    Ok((config, DevAccount { key_file: dev_path, address: dev.address() }))
}

impl Devnet {
    /// Opens the chain and starts everything. The pillar keys must belong to genesis pillars. With neither a
    /// genesis nor pillar keys, starts (or resumes) a dev chain.
    pub async fn start(config: &DevnetConfig) -> Result<DevnetHandle, DevnetError> {
        let (config, dev) = if config.genesis.is_none() && config.pillar_keys.is_empty() {
            let (config, dev) = dev_chain(config)?;
            (config, Some(dev))
        } else {
            (config.clone(), None)
        };
        let config = &config;
        let genesis = config.genesis.as_deref().map(Genesis::read).transpose()?;
        let mut keys = Vec::new();
        for path in &config.pillar_keys {
            let key = KeyPair::read_file(path).map_err(|e| DevnetError::PillarKeys(e.to_string()))?;
            keys.push(key);
        }
        let chain = Arc::new(Chain::open(&config.data_dir, genesis.as_ref())?);
        for key in &keys {
            if !chain.genesis().pillars.iter().any(|p| p.public_key == key.public()) {
                return Err(DevnetError::PillarKeys(format!(
                    "key {} ({}) is not a genesis pillar",
                    key.public(),
                    key.address()
                )));
            }
        }
        if keys.is_empty() {
            return Err(DevnetError::PillarKeys(
                "no pillar key given (`pillar_keys`): nobody would produce momentums".into(),
            ));
        }

        let registry = Arc::new(Registry::default());
        let ready = Arc::new(AtomicBool::new(false));
        let rpc = serve(
            chain.clone(),
            config.http_listen,
            config.ws_listen,
            config.max_request_bytes,
            config.max_connections,
        )
        .await?;
        let (ops_addr, ops) = serve_ops(config.ops.listen, registry.clone(), ready.clone())
            .await
            .map_err(|source| DevnetError::Listen { addr: config.ops.listen, source })?;

        let mut lifecycle = Lifecycle::new();
        let producer = tokio::spawn(produce_loop(
            chain.clone(),
            keys,
            Duration::from_millis(config.momentum_interval_ms),
            lifecycle.signal(),
            Metrics::new(&registry),
        ));
        // Stopping: the producer finishes its momentum, then both servers stop, then the ops endpoint.
        let RpcServers { http: http_addr, ws: ws_addr, http_handle, ws_handle } = rpc;
        lifecycle.task(producer, None).shutdown(async move {
            let _ = http_handle.stop();
            let _ = ws_handle.stop();
            http_handle.stopped().await;
            ws_handle.stopped().await;
        });
        lifecycle.background(ops);
        ready.store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(target: "zr::devnet", http = %http_addr, ws = %ws_addr, ops = %ops_addr,
            chain_identifier = chain.chain_identifier(), height = chain.frontier_momentum().height, "devnet started");
        Ok(DevnetHandle { chain, http_addr, ws_addr, ops_addr, dev, lifecycle })
    }
}

struct Metrics {
    height: Arc<zr_common::metrics::Gauge>,
    blocks: Arc<zr_common::metrics::Counter>,
    pool: Arc<zr_common::metrics::Gauge>,
    produce: Arc<zr_common::metrics::Timer>,
    settlement: Arc<zr_common::metrics::Timer>,
    verdicts: Arc<zr_common::metrics::Counter>,
    waiting: Arc<zr_common::metrics::Gauge>,
    final_height: Arc<zr_common::metrics::Gauge>,
    momentum_blocks: Arc<zr_common::metrics::Gauge>,
}

impl Metrics {
    fn new(registry: &Registry) -> Self {
        Metrics {
            height: registry.gauge("zr_devnet_momentum_height", "Height of the frontier momentum"),
            blocks: registry.counter("zr_devnet_confirmed_blocks_total", "Account blocks confirmed in momentums"),
            pool: registry.gauge("zr_devnet_pool_blocks", "Unconfirmed account blocks waiting for a momentum"),
            produce: registry.timer("zr_devnet_momentum_produce_seconds", "Time to build, sign and persist a momentum"),
            settlement: registry.timer(
                "zr_devnet_settlement_seconds",
                "Time per momentum the rollup's settlement takes: verdicts on challenges and finality",
            ),
            verdicts: registry.counter("zr_devnet_verdicts_total", "Challenges judged by the pillars"),
            waiting: registry.gauge("zr_devnet_challenges_waiting", "Complete challenges waiting for a verdict"),
            final_height: registry.gauge("zr_devnet_rollup_final_height", "Highest rollup height whose claim is final"),
            momentum_blocks: registry.gauge(
                "zr_devnet_momentum_blocks",
                "Account blocks in the last momentum (a momentum holds at most 100)",
            ),
        }
    }
}

async fn produce_loop(
    chain: Arc<Chain>,
    keys: Vec<KeyPair>,
    interval: Duration,
    mut stopped: watch::Receiver<bool>,
    metrics: Metrics,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stopped.changed() => return,
        }
        let next = chain.frontier_momentum().height + 1;
        // Pillars take turns by height.
        let key = keys[(next % keys.len() as u64) as usize].clone();
        let started = std::time::Instant::now();
        let chain_for_task = chain.clone();
        let produced = tokio::task::spawn_blocking(move || chain_for_task.produce(&key, unix_now())).await;
        match produced {
            Ok(Ok(momentum)) => {
                metrics.produce.observe(started.elapsed());
                metrics.height.set(momentum.momentum.height);
                metrics.blocks.add(momentum.blocks.len() as u64);
                metrics.momentum_blocks.set(momentum.blocks.len() as u64);
                metrics.pool.set(chain.pool_len() as u64);
                metrics.settlement.observe(momentum.settlement.took);
                metrics.verdicts.add(momentum.settlement.verdicts as u64);
                let settlement = chain.settlement();
                metrics.waiting.set(settlement.waiting() as u64);
                metrics.final_height.set(settlement.final_root().map_or(0, |f| f.height));
                if momentum.settlement.verdicts > 0 {
                    tracing::info!(target: "zr::devnet", height = momentum.momentum.height,
                        verdicts = momentum.settlement.verdicts, took = ?momentum.settlement.took, "verdicts reached");
                }
                tracing::debug!(target: "zr::devnet", height = momentum.momentum.height, blocks = momentum.blocks.len(), "momentum");
            }
            Ok(Err(err)) => {
                // Nothing was committed; the chain is as it was. Stop producing rather than fork.
                tracing::error!(target: "zr::devnet", error = %err, "momentum production failed; producer stopped");
                return;
            }
            Err(err) => {
                tracing::error!(target: "zr::devnet", error = %err, "momentum producer panicked; producer stopped");
                return;
            }
        }
    }
}
