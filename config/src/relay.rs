//! `zr-relay` configuration.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::defaults;
use crate::error::{Validate, invalid, require_chain_id};
use crate::sections::{L1Section, OpsSection, RelayP2pSection, RpcSection};
use crate::{ConfigError, L1Args, Layered, OpsArgs, RpcArgs};

/// Configuration of a relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelayConfig {
    /// Directory of the mempool database. Default `./zr-data/relay`.
    pub data_dir: PathBuf,
    /// The rollup chain id. Required (0, the default, is not set): a deployment names its own; development
    /// networks use `defaults::DEV_ROLLUP_CHAIN_ID`.
    pub chain_id: u64,
    /// The relay's key file (signs bundles, pays L1 plasma). Required.
    pub key_file: Option<PathBuf>,
    /// Lowest fee per gas accepted (the protocol's minimum, 1, applies anyway). Default 0.
    pub min_fee_per_gas: u64,
    /// Most transactions held in the mempool. Default 100000.
    pub max_mempool_txs: u32,
    /// Most transactions held for one sender. Default 64.
    pub max_txs_per_sender: u32,
    /// How far ahead of the account's next nonce a transaction may be queued. Default 64.
    pub max_nonce_gap: u64,
    /// Seconds a transaction may wait behind a nonce gap before it is dropped. Default 600.
    pub queued_ttl_secs: u64,
    /// Bundles (L1 account blocks, 16 KiB each) posted per momentum at most. Default 4.
    pub max_bundles_per_momentum: u32,
    /// Sponsor mode: ZNN (smallest unit) granted once to each new sender who cannot pay its first
    /// transaction's fee, from the relay's own rollup account; 0 turns it off. Default 0.
    pub sponsor_grant: u64,
    /// The executor whose state the relay checks transactions against and answers queries from. Default
    /// `http://127.0.0.1:8545`.
    pub executor: String,
    /// Browser origins allowed to call the RPC (CORS); empty allows none, `["*"]` any. Default empty.
    pub cors_origins: Vec<String>,
    /// Seconds a transaction another relay took from its user waits before this relay bundles it too (that
    /// relay may have failed). Default 30.
    pub peer_takeover_secs: u64,
    /// RPC calls a second one client IP address may make (each call of a batch counts); 0 turns the limit
    /// off. Default 2000.
    pub calls_per_ip_per_second: u32,
    /// RPC calls one IP address may make at once before its rate applies. Default 20000.
    pub calls_per_ip_burst: u32,
    /// Connections one IP address may hold open to the RPC. Default 64.
    pub connections_per_ip: u32,
    /// Gossip with other relays.
    pub p2p: RelayP2pSection,
    /// The L1 connection.
    pub l1: L1Section,
    /// The public JSON-RPC. Default `127.0.0.1:8546`.
    pub rpc: RpcSection,
    /// The ops endpoint. Default `127.0.0.1:9103`.
    pub ops: OpsSection,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            data_dir: PathBuf::from("zr-data/relay"),
            chain_id: 0,
            key_file: None,
            min_fee_per_gas: 0,
            max_mempool_txs: 100_000,
            max_txs_per_sender: 64,
            max_nonce_gap: 64,
            queued_ttl_secs: 600,
            max_bundles_per_momentum: 4,
            sponsor_grant: 0,
            executor: defaults::EXECUTOR_URL.into(),
            cors_origins: Vec::new(),
            peer_takeover_secs: 30,
            calls_per_ip_per_second: 2000,
            calls_per_ip_burst: 20_000,
            connections_per_ip: 64,
            p2p: RelayP2pSection::default(),
            l1: L1Section::default(),
            rpc: RpcSection::on(defaults::loopback(defaults::RELAY_RPC_PORT)),
            ops: OpsSection::on(defaults::loopback(defaults::RELAY_OPS_PORT)),
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

impl Layered for RelayConfig {
    const ENV_PREFIX: &'static str = "ZR_RELAY_";
}

/// `zr-relay` flags.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
pub struct RelayArgs {
    /// Configuration file (TOML)
    #[arg(long, short = 'c', value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Mempool directory [config: data_dir, default zr-data/relay]
    #[arg(long, value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Rollup chain id, required (development networks use 1337) [config: chain_id]
    #[arg(long, value_name = "ID")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<u64>,
    /// Key file that signs bundles [config: key_file]
    #[arg(long, value_name = "FILE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_file: Option<PathBuf>,
    /// Lowest accepted fee per gas; the protocol's minimum (1) applies anyway [config: min_fee_per_gas,
    /// default 0]
    #[arg(long, value_name = "FEE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_fee_per_gas: Option<u64>,
    /// The executor's JSON-RPC [config: executor, default http://127.0.0.1:8545]
    #[arg(long, value_name = "URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executor: Option<String>,
    /// ZNN (smallest unit) granted once to each new sender that cannot pay its fee; 0 is off
    /// [config: sponsor_grant, default 0]
    #[arg(long, value_name = "AMOUNT")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sponsor_grant: Option<u64>,
    /// RPC calls a second per client IP address; 0 is no limit [config: calls_per_ip_per_second, default
    /// 2000]
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calls_per_ip_per_second: Option<u32>,
    /// RPC connections one IP address may hold open [config: connections_per_ip, default 64]
    #[arg(long, value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections_per_ip: Option<u32>,
    /// L1 connection flags.
    #[command(flatten)]
    pub l1: L1Args,
    /// Public RPC flags.
    #[command(flatten)]
    pub rpc: RpcArgs,
    /// Ops endpoint flags.
    #[command(flatten)]
    pub ops: OpsArgs,
    /// Gossip flags.
    #[command(flatten)]
    pub p2p: RelayP2pArgs,
}

/// Flags for transaction gossip between relays.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
pub struct RelayP2pArgs {
    /// Gossip listen multiaddr, e.g. /ip4/0.0.0.0/tcp/30334 [config: p2p.listen]
    #[arg(id = "p2p-listen", long = "p2p-listen", value_name = "MULTIADDR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Another relay to gossip with; repeat for several [config: p2p.peers]
    #[arg(id = "p2p-peer", long = "p2p-peer", value_name = "MULTIADDR")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<String>,
}

impl RelayConfig {
    /// Loads the relay configuration from its layers.
    pub fn load(args: &RelayArgs) -> Result<Self, ConfigError> {
        crate::load(args.config.as_deref(), args)
    }
}
