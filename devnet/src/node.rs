//! A running devnet: the chain, its RPC listeners, the momentum producer and the ops endpoint.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use zr_common::KeyPair;
use zr_common::metrics::{Registry, serve_ops};
use zr_config::DevnetConfig;

use crate::DevnetError;
use crate::chain::Chain;
use crate::genesis::Genesis;
use crate::rpc::{RpcServers, serve};

/// Starts devnets.
pub struct Devnet;

/// A running devnet. Dropping it does not stop it; call [`DevnetHandle::stop`].
pub struct DevnetHandle {
    /// The chain, for in-process use.
    pub chain: Arc<Chain>,
    /// The HTTP JSON-RPC address bound.
    pub http_addr: SocketAddr,
    /// The WebSocket JSON-RPC address bound.
    pub ws_addr: SocketAddr,
    /// The ops endpoint address bound.
    pub ops_addr: SocketAddr,
    rpc: RpcServers,
    stop: watch::Sender<bool>,
    producer: JoinHandle<()>,
    ops: JoinHandle<()>,
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

    /// Stops producing and serving, and waits until the producer has finished its last momentum.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.producer.await;
        let _ = self.rpc.http_handle.stop();
        let _ = self.rpc.ws_handle.stop();
        self.rpc.http_handle.stopped().await;
        self.rpc.ws_handle.stopped().await;
        self.ops.abort();
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Devnet {
    /// Opens the chain and starts everything. The pillar keys must belong to genesis pillars.
    pub async fn start(config: &DevnetConfig) -> Result<DevnetHandle, DevnetError> {
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

        let (stop, stopped) = watch::channel(false);
        let producer = tokio::spawn(produce_loop(
            chain.clone(),
            keys,
            Duration::from_millis(config.momentum_interval_ms),
            stopped,
            Metrics::new(&registry),
        ));
        ready.store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(target: "zr::devnet", http = %rpc.http, ws = %rpc.ws, ops = %ops_addr,
            chain_identifier = chain.chain_identifier(), height = chain.frontier_momentum().height, "devnet started");
        Ok(DevnetHandle { chain, http_addr: rpc.http, ws_addr: rpc.ws, ops_addr, rpc, stop, producer, ops })
    }
}

struct Metrics {
    height: Arc<zr_common::metrics::Gauge>,
    blocks: Arc<zr_common::metrics::Counter>,
    pool: Arc<zr_common::metrics::Gauge>,
    produce: Arc<zr_common::metrics::Timer>,
}

impl Metrics {
    fn new(registry: &Registry) -> Self {
        Metrics {
            height: registry.gauge("zr_devnet_momentum_height", "Height of the frontier momentum"),
            blocks: registry.counter("zr_devnet_confirmed_blocks_total", "Account blocks confirmed in momentums"),
            pool: registry.gauge("zr_devnet_pool_blocks", "Unconfirmed account blocks waiting for a momentum"),
            produce: registry.timer("zr_devnet_momentum_produce_seconds", "Time to build, sign and persist a momentum"),
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
                metrics.pool.set(chain.pool_len() as u64);
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
