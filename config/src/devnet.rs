//! `zr-devnet` configuration.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::defaults;
use crate::error::{Validate, invalid};
use crate::sections::OpsSection;
use crate::{ConfigError, Layered, OpsArgs};

/// Configuration of the embedded NoM devnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevnetConfig {
    /// Directory of the chain database. Default `./zr-data/devnet`.
    pub data_dir: PathBuf,
    /// Genesis file (TOML). Needed the first time; later starts check it matches the stored genesis.
    pub genesis: Option<PathBuf>,
    /// Key files of the pillars this node produces momentums for (each must be a genesis pillar).
    pub pillar_keys: Vec<PathBuf>,
    /// JSON-RPC over HTTP. Default `127.0.0.1:35997`, znnd's port.
    pub http_listen: SocketAddr,
    /// JSON-RPC over WebSocket. Default `127.0.0.1:35998`, znnd's port.
    pub ws_listen: SocketAddr,
    /// Milliseconds between momentums. Default 10000 (NoM's 10 s); tests use tens.
    pub momentum_interval_ms: u64,
    /// Largest JSON-RPC request body in bytes. Default 1 MiB (a 16 KiB block in base64 fits easily).
    pub max_request_bytes: u32,
    /// Most concurrent JSON-RPC connections per listener. Default 256.
    pub max_connections: u32,
    /// The ops endpoint. Default `127.0.0.1:9101`.
    pub ops: OpsSection,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        DevnetConfig {
            data_dir: PathBuf::from("zr-data/devnet"),
            genesis: None,
            pillar_keys: Vec::new(),
            http_listen: defaults::loopback(defaults::L1_HTTP_PORT),
            ws_listen: defaults::loopback(defaults::L1_WS_PORT),
            momentum_interval_ms: 10_000,
            max_request_bytes: 1024 * 1024,
            max_connections: 256,
            ops: OpsSection::on(defaults::loopback(defaults::DEVNET_OPS_PORT)),
        }
    }
}

impl Validate for DevnetConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.momentum_interval_ms < 10 {
            return Err(invalid("momentum_interval_ms", "must be at least 10"));
        }
        if self.max_request_bytes < 64 * 1024 {
            return Err(invalid("max_request_bytes", "must be at least 65536 so a full 16 KiB block fits"));
        }
        if self.max_connections == 0 {
            return Err(invalid("max_connections", "must be at least 1"));
        }
        if self.http_listen == self.ws_listen && self.http_listen.port() != 0 {
            return Err(invalid("ws_listen", "must differ from http_listen"));
        }
        Ok(())
    }
}

impl Layered for DevnetConfig {
    const ENV_PREFIX: &'static str = "ZR_DEVNET_";
}

/// `zr-devnet` flags.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
pub struct DevnetArgs {
    /// Configuration file (TOML)
    #[arg(long, short = 'c', value_name = "FILE")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Chain database directory [config: data_dir, default zr-data/devnet]
    #[arg(long, value_name = "DIR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// Genesis file [config: genesis]
    #[arg(long, value_name = "FILE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub genesis: Option<PathBuf>,
    /// A pillar key file; repeat for several [config: pillar_keys]
    #[arg(long = "pillar-key", value_name = "FILE")]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pillar_keys: Vec<PathBuf>,
    /// HTTP JSON-RPC listen address [config: http_listen, default 127.0.0.1:35997]
    #[arg(long, value_name = "ADDR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_listen: Option<SocketAddr>,
    /// WebSocket JSON-RPC listen address [config: ws_listen, default 127.0.0.1:35998]
    #[arg(long, value_name = "ADDR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ws_listen: Option<SocketAddr>,
    /// Milliseconds between momentums [config: momentum_interval_ms, default 10000]
    #[arg(long, value_name = "MS")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momentum_interval_ms: Option<u64>,
    /// Ops endpoint flags.
    #[command(flatten)]
    pub ops: OpsArgs,
}

impl DevnetConfig {
    /// Loads the devnet configuration from its layers.
    pub fn load(args: &DevnetArgs) -> Result<Self, ConfigError> {
        crate::load(args.config.as_deref(), args)
    }
}
