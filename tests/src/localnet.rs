//! A local network in one process, as `zr up` runs it: the devnet (its genesis funding the relay and the given
//! L1 accounts), an executor reading it in process, and a relay in front of the executor, each on loopback
//! port 0. Benchmarks assemble it here once instead of each by hand.

use std::path::Path;
use std::sync::Arc;

use zr_common::{Address, KeyPair};
use zr_config::{DevnetConfig, ExecutorConfig, L1Section, Listen, RelayConfig};
use zr_devnet::{Devnet, DevnetHandle, Genesis, InProcessL1};
use zr_executor::node::ExecutorHandle;
use zr_relay::RelayHandle;

/// The L1 chain identifier of a local network.
pub const L1_CHAIN: u64 = 321;

/// What a local network is made of.
pub struct LocalNetConfig<'a> {
    /// Where the chain, keys and daemons' data go (an executor state already there is used).
    pub dir: &'a Path,
    /// The devnet's momentum interval.
    pub momentum_interval_ms: u64,
    /// The rollup chain id.
    pub chain_id: u64,
    /// L1 accounts the genesis funds besides the relay's.
    pub funded: Vec<Address>,
    /// The executor's key.
    pub executor_key: KeyPair,
    /// The relay's key (its L1 account pays the bundles' plasma).
    pub relay_key: KeyPair,
}

/// A running local network.
pub struct LocalNet {
    /// The L1.
    pub devnet: DevnetHandle,
    /// The L1, in process (what the executor and the relay read it through).
    pub l1: Arc<InProcessL1>,
    /// The executor.
    pub executor: ExecutorHandle,
    /// The relay.
    pub relay: RelayHandle,
}

impl LocalNet {
    /// Starts the devnet, the executor and the relay of `config`, each config adjusted by its `tune_…` first.
    pub async fn start(
        config: LocalNetConfig<'_>,
        tune_executor: impl FnOnce(&mut ExecutorConfig),
        tune_relay: impl FnOnce(&mut RelayConfig),
    ) -> LocalNet {
        let dir = config.dir;
        let pillar = zr_common::keys::fixtures::key(1);
        let mut funded = config.funded.clone();
        funded.push(config.relay_key.address());
        Genesis::dev(L1_CHAIN, 1_700_000_000, &[pillar.public()], &funded).write(&dir.join("genesis.toml")).unwrap();
        pillar.write_file(&dir.join("pillar.json")).unwrap();
        config.relay_key.write_file(&dir.join("relay.json")).unwrap();
        config.executor_key.write_file(&dir.join("executor.json")).unwrap();
        let devnet = Devnet::start(&DevnetConfig::in_dir(dir, config.momentum_interval_ms)).await.unwrap();
        let l1 = Arc::new(InProcessL1::new(devnet.chain.clone()));
        let l1_section = L1Section::at(devnet.http_url(), devnet.ws_url());
        let mut executor_config = ExecutorConfig::node(
            dir.join("executor"),
            config.chain_id,
            dir.join("executor.json"),
            l1_section.clone(),
            Listen::loopback_any(),
        );
        tune_executor(&mut executor_config);
        let executor = zr_executor::node::start(&executor_config, config.executor_key, l1.clone()).await.unwrap();
        let mut relay_config = RelayConfig::node(
            dir.join("relay"),
            config.chain_id,
            dir.join("relay.json"),
            executor.rpc_url(),
            l1_section,
            Listen::loopback_any(),
        );
        tune_relay(&mut relay_config);
        let relay = zr_relay::start(&relay_config, config.relay_key, l1.clone()).await.unwrap();
        LocalNet { devnet, l1, executor, relay }
    }

    /// Stops the relay, the executor and the devnet, in that order.
    pub async fn stop(self) {
        self.relay.stop().await;
        self.executor.stop().await;
        self.devnet.stop().await;
    }
}
