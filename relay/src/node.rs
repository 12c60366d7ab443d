//! A running relay: the mempool (restored from disk and re-checked), the public RPC, the ops endpoint, and
//! the task that follows L1, posts bundles and settles what executed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use jsonrpsee_http_client::HttpClientBuilder;
use zr_common::KeyPair;
use zr_common::daemon::Served;
use zr_common::lifecycle::Lifecycle;
use zr_common::metrics::{Registry, serve_ops};
use zr_config::RelayConfig;
use zr_protocol::gas::MOMENTUM;
use zr_sequencing::{L1, L1Error, Poster};

use crate::accounts::Accounts;
use crate::mempool::Mempool;
use crate::mempool::pool::PoolConfig;
use crate::mempool::store::StoreError;
use crate::service::{Gossip, Metrics, Relay, Settings};

/// Times a refused bundle block is posted again (about a momentum apart) before its transactions wait for
/// the next momentum's bundles.
const POST_ATTEMPTS: u32 = 3;

/// The relay could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The mempool database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The L1 could not be reached.
    #[error("cannot reach the L1: {0}")]
    L1(#[from] L1Error),
    /// The executor URL is invalid.
    #[error("executor {url}: {reason}")]
    Executor {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// Gossip could not start.
    #[error(transparent)]
    P2p(#[from] zr_p2p::P2pError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// A running relay.
pub struct RelayHandle {
    /// The relay's state, for in-process use.
    pub relay: Arc<Relay>,
    /// The public RPC address.
    pub rpc_addr: SocketAddr,
    /// The ops endpoint address.
    pub ops_addr: SocketAddr,
    /// The gossip peer id and listen address, when gossip is on.
    pub gossip: Option<(zr_p2p::Peer, String)>,
    lifecycle: Lifecycle,
}

impl RelayHandle {
    /// `http://` URL of the public RPC.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc_addr)
    }

    /// `ws://` URL of the public RPC.
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.rpc_addr)
    }
}

impl Served for RelayHandle {
    const NAME: &'static str = "zr-relay";

    fn endpoints(&self) -> Vec<(&'static str, String)> {
        let mut endpoints = vec![
            ("rpc", self.rpc_url()),
            ("ws", self.ws_url()),
            ("ops", format!("http://{}", self.ops_addr)),
            ("address", self.relay.address().to_string()),
        ];
        if let Some((peer_id, listening)) = &self.gossip {
            endpoints.push(("p2p", format!("{listening}/p2p/{peer_id}")));
        }
        endpoints
    }

    /// Stops serving and following; what was admitted is on disk already. A bundle still being posted (PoW
    /// can take a while) is given a few seconds, then abandoned: its stage was written before it went out.
    /// On return the mempool database is closed.
    async fn stop(self) {
        // Calls still in flight hold the relay, and with it the mempool database: they are waited for (up to
        // 10 s), so the directory can be opened again on return.
        self.lifecycle.stop(&self.relay, Duration::from_secs(10), Self::NAME).await;
    }
}

/// Starts a relay with `key` against `l1`.
pub async fn start<L: L1 + 'static>(config: &RelayConfig, key: KeyPair, l1: Arc<L>) -> Result<RelayHandle, StartError> {
    let executor = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .max_response_size(crate::rpc::MAX_RESPONSE_BYTES)
        .build(&config.executor)
        .map_err(|e| StartError::Executor { url: config.executor.clone(), reason: e.to_string() })?;
    let pool_config = PoolConfig {
        max_txs: config.max_mempool_txs as usize,
        max_per_sender: config.max_txs_per_sender as usize,
        max_nonce_gap: config.max_nonce_gap,
        queued_ttl: Duration::from_secs(config.queued_ttl_secs),
        replace_bump_percent: 10,
        max_drops: 8,
        finished_kept: 100_000,
        peer_takeover: Duration::from_secs(config.peer_takeover_secs),
    };
    let registry = Registry::default();
    let (mempool, cursor) = Mempool::open(&config.data_dir, pool_config, &registry)?;
    let restored = mempool.len();
    let p2p = match &config.p2p.listen {
        Some(listen) => Some(start_gossip(&key, config, listen).await?),
        None => None,
    };
    let gossip =
        p2p.as_ref().map(|p| Gossip { publish: p.publish.clone(), peer_id: p.peer_id, peers: p.peers.clone() });
    let gossip_info = p2p.as_ref().map(|p| (p.peer_id, p.listening.to_string()));
    let metrics = Metrics::register(&registry);
    let relay = Arc::new(Relay {
        mempool,
        accounts: Accounts::start(executor.clone()),
        executor,
        settings: Settings {
            chain_id: config.chain_id,
            min_fee_per_gas: config.min_fee_per_gas.max(MOMENTUM.min_fee_per_gas),
            sponsor_grant: u128::from(config.sponsor_grant),
            max_bundles_per_momentum: config.max_bundles_per_momentum as usize,
        },
        key: key.clone(),
        metrics,
        gossip,
        last_post: std::sync::atomic::AtomicU64::new(0),
    });
    let gossip_task = p2p.map(|p2p| tokio::spawn(crate::gossip::consume(relay.clone(), p2p)));
    let frontier = l1.frontier_momentum().await?;
    let from = cursor.map_or(frontier.height + 1, |h| h + 1);
    relay.last_post.store(from - 1, std::sync::atomic::Ordering::Relaxed);
    // About one momentum between retries: the interval of the momentums seen so far is not known here, so a
    // second (zr up's interval; NoM's is ten).
    let poster =
        Arc::new(Poster::new(l1.clone(), key, frontier.chain_identifier, Duration::from_secs(1), POST_ATTEMPTS));
    let limits = crate::limits::ClientLimits {
        calls_per_second: config.calls_per_ip_per_second,
        burst: config.calls_per_ip_burst,
        connections: config.connections_per_ip,
    };
    let (rpc_addr, rpc) = crate::rpc::serve(relay.clone(), &config.rpc, &config.cors_origins, limits, &registry)
        .await
        .map_err(|source| StartError::Listen { addr: config.rpc.listen, source })?;
    let ready = Arc::new(AtomicBool::new(true));
    let (ops_addr, ops) = serve_ops(config.ops.listen, Arc::new(registry), ready)
        .await
        .map_err(|source| StartError::Listen { addr: config.ops.listen, source })?;
    let mut lifecycle = Lifecycle::new();
    // The executor's WebSocket is on its RPC port.
    let executor_ws = config
        .executor
        .strip_prefix("http://")
        .map(|rest| format!("ws://{rest}"))
        .or_else(|| config.executor.strip_prefix("https://").map(|rest| format!("wss://{rest}")));
    let task = tokio::spawn(crate::tracker::run(relay.clone(), l1, poster, from, executor_ws, lifecycle.signal()));
    // Stopping: a bundle still being posted (PoW can take a while) gets a few seconds, then the RPC stops,
    // then the ops endpoint and the gossip consumer (which holds the relay until aborted).
    lifecycle.task(task, Some(Duration::from_secs(5))).shutdown(async move {
        let _ = rpc.stop();
        rpc.stopped().await;
    });
    lifecycle.background(ops);
    if let Some(gossip_task) = gossip_task {
        lifecycle.background(gossip_task);
    }
    tracing::info!(target: "zr::relay", rpc = %rpc_addr, ops = %ops_addr, from, restored, relay = %relay.address(), "relay started");
    Ok(RelayHandle { relay, rpc_addr, ops_addr, gossip: gossip_info, lifecycle })
}

async fn start_gossip(key: &KeyPair, config: &RelayConfig, listen: &str) -> Result<zr_p2p::P2p, StartError> {
    let p2p = zr_p2p::start(
        &key.seed(),
        zr_p2p::P2pConfig {
            listen: listen.to_owned(),
            peers: config.p2p.peers.clone(),
            topic: format!("zrollup/transactions/{}", config.chain_id),
            max_message_bytes: zr_common::rollup::limits::MAX_TX_LEN + 1024,
            peer_rate: crate::gossip::PEER_RATE,
            peer_burst: crate::gossip::PEER_BURST,
            ids: zr_p2p::MessageIds::AuthorAndContent,
        },
    )
    .await?;
    Ok(p2p)
}
