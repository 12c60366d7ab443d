//! `zr-relay` configuration.

use std::path::PathBuf;

use crate::declare::daemon_config;
use crate::defaults;
use crate::error::{Validate, invalid, require_chain_id};
use crate::sections::{L1Section, Listen, OpsSection, RelayP2pSection, RpcSection};
use crate::{ConfigError, GossipArgs, L1Args, OpsArgs, RpcArgs};

daemon_config! {
    /// Configuration of a relay.
    pub struct RelayConfig;
    /// zrollup relay: public JSON-RPC, crash-safe mempool, bundle posting, fees
    pub struct RelayArgs for "zr-relay";
    env = "ZR_RELAY_";

    /// Directory of the mempool database.
    data_dir = "zr-data/relay" { "Mempool directory" };
    /// The rollup chain whose transactions this relay takes and bundles. Required (0, the default, is not set):
    /// a deployment names its own; development networks use `defaults::DEV_ROLLUP_CHAIN_ID`.
    chain_id: u64 = 0 => flag(Option<u64>) {
        "Rollup chain id of the transactions taken, required (development networks use 1337) [config: chain_id]"
        long, value_name = "ID"
    };
    /// The relay's key file (signs bundles, pays L1 plasma). Required.
    key_file: Option<PathBuf> = None => flag(Option<PathBuf>) {
        "Key file that signs bundles [config: key_file]"
        long, value_name = "FILE"
    };
    /// Lowest fee per gas accepted (the protocol's minimum, 1, applies anyway). Default 0.
    min_fee_per_gas: u64 = 0 => flag(Option<u64>) {
        "Lowest accepted fee per gas; the protocol's minimum (1) applies anyway [config: min_fee_per_gas, \
         default 0]"
        long, value_name = "FEE"
    };
    /// Most transactions held in the mempool. Default 100000.
    max_mempool_txs: u32 = 100_000;
    /// Most transactions held for one sender. Default 64.
    max_txs_per_sender: u32 = 64;
    /// How far ahead of the account's next nonce a transaction may be queued. Default 64.
    max_nonce_gap: u64 = 64;
    /// Seconds a transaction may wait behind a nonce gap before it is dropped. Default 600.
    queued_ttl_secs: u64 = 600;
    /// Bundles (L1 account blocks, 16 KiB each) posted per momentum at most. Default 4.
    max_bundles_per_momentum: u32 = 4;
    /// Sponsor mode: ZNN (smallest unit) granted once to each new sender who cannot pay its first
    /// transaction's fee, from the relay's own rollup account; 0 turns it off. Default 0.
    sponsor_grant: u64 = 0 => flag(Option<u64>) {
        "ZNN (smallest unit) granted once to each new sender that cannot pay its fee; 0 is off \
         [config: sponsor_grant, default 0]"
        long, value_name = "AMOUNT"
    };
    /// The executor whose state the relay checks transactions against and answers queries from. Default
    /// `http://127.0.0.1:8545`.
    executor: String = defaults::EXECUTOR_URL.into() => flag(Option<String>) {
        "The executor's JSON-RPC [config: executor, default http://127.0.0.1:8545]"
        long, value_name = "URL"
    };
    /// Browser origins allowed to call the RPC (CORS); empty allows none, `["*"]` any. Default empty.
    cors_origins: Vec<String> = Vec::new();
    /// Seconds a transaction another relay took from its user waits before this relay bundles it too (that
    /// relay may have failed). Default 30.
    peer_takeover_secs: u64 = 30;
    /// RPC calls a second one client IP address may make (each call of a batch counts); 0 turns the limit
    /// off. Default 2000.
    calls_per_ip_per_second: u32 = 2000 => flag(Option<u32>) {
        "RPC calls a second per client IP address; 0 is no limit [config: calls_per_ip_per_second, \
         default 2000]"
        long, value_name = "N"
    };
    /// RPC calls one IP address may make at once before its rate applies. Default 20000.
    calls_per_ip_burst: u32 = 20_000;
    /// Connections one IP address may hold open to the RPC. Default 64.
    connections_per_ip: u32 = 64 => flag(Option<u32>) {
        "RPC connections one IP address may hold open [config: connections_per_ip, default 64]"
        long, value_name = "N"
    };
    /// The L1 connection.
    l1: L1Section = L1Section::default() => flatten(L1Args);
    /// The public JSON-RPC. Default `127.0.0.1:8546`.
    rpc: RpcSection = RpcSection::on(defaults::loopback(defaults::RELAY_RPC_PORT)) => flatten(RpcArgs);
    /// The ops endpoint. Default `127.0.0.1:9103`.
    ops: OpsSection = OpsSection::on(defaults::loopback(defaults::RELAY_OPS_PORT)) => flatten(OpsArgs);
    /// Gossip with other relays.
    p2p: RelayP2pSection = RelayP2pSection::default() => flatten(GossipArgs);
}

impl RelayConfig {
    /// A relay of `chain_id` with its mempool in `data_dir`, signing bundles with `key_file`, in front of the
    /// executor at `executor`, posting to `l1`, listening at `listen`; every other value its default.
    pub fn node(
        data_dir: PathBuf,
        chain_id: u64,
        key_file: PathBuf,
        executor: String,
        l1: L1Section,
        listen: Listen,
    ) -> Self {
        RelayConfig {
            data_dir,
            chain_id,
            key_file: Some(key_file),
            executor,
            l1,
            rpc: RpcSection::on(listen.rpc),
            ops: OpsSection::on(listen.ops),
            ..RelayConfig::default()
        }
    }
}

impl Validate for RelayConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        require_chain_id(self.chain_id)?;
        if self.key_file.is_none() {
            return Err(invalid("key_file", "a relay needs a key to sign bundles (`zr key new` makes one)"));
        }
        if self.max_mempool_txs == 0 {
            return Err(invalid("max_mempool_txs", "must be at least 1"));
        }
        if self.max_txs_per_sender == 0 {
            return Err(invalid("max_txs_per_sender", "must be at least 1"));
        }
        if self.connections_per_ip == 0 {
            return Err(invalid("connections_per_ip", "must be at least 1"));
        }
        if self.max_bundles_per_momentum == 0 {
            return Err(invalid("max_bundles_per_momentum", "must be at least 1"));
        }
        if !(self.executor.starts_with("http://") || self.executor.starts_with("https://")) {
            return Err(invalid("executor", format!("{:?} must start with http:// or https://", self.executor)));
        }
        for origin in &self.cors_origins {
            if origin != "*" && !(origin.starts_with("http://") || origin.starts_with("https://")) {
                return Err(invalid(
                    "cors_origins",
                    format!("{origin:?} must be \"*\" or start with http:// or https://"),
                ));
            }
        }
        self.p2p.validate()?;
        self.l1.validate()?;
        self.rpc.validate()
    }
}
