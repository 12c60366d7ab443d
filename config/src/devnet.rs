//! `zr-devnet` configuration.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::declare::daemon_config;
use crate::defaults;
use crate::error::{Validate, invalid};
use crate::sections::OpsSection;
use crate::{ConfigError, OpsArgs};

daemon_config! {
    /// Configuration of the embedded NoM devnet.
    pub struct DevnetConfig;
    /// The embedded NoM-like L1 devnet (zr-devnet): momentums, account chains, plasma, znnd-shaped JSON-RPC
    pub struct DevnetArgs for "zr-devnet";
    env = "ZR_DEVNET_";

    /// Directory of the chain database.
    data_dir = "zr-data/devnet" { "Chain database directory" };
    /// Genesis file (TOML). Needed the first time; later starts check it matches the stored genesis.
    genesis: Option<PathBuf> = None => flag(Option<PathBuf>) {
        "Genesis file [config: genesis]"
        long, value_name = "FILE"
    };
    /// Key files of the pillars this node produces momentums for (each must be a genesis pillar).
    pillar_keys: Vec<PathBuf> = Vec::new() => flag(Vec<PathBuf>) {
        "A pillar key file; repeat for several [config: pillar_keys]"
        long = "pillar-key", value_name = "FILE"
    };
    /// JSON-RPC over HTTP. Default `127.0.0.1:35997`, znnd's port.
    http_listen: SocketAddr = defaults::loopback(defaults::L1_HTTP_PORT) => flag(Option<SocketAddr>) {
        "HTTP JSON-RPC listen address [config: http_listen, default 127.0.0.1:35997]"
        long, value_name = "ADDR"
    };
    /// JSON-RPC over WebSocket. Default `127.0.0.1:35998`, znnd's port.
    ws_listen: SocketAddr = defaults::loopback(defaults::L1_WS_PORT) => flag(Option<SocketAddr>) {
        "WebSocket JSON-RPC listen address [config: ws_listen, default 127.0.0.1:35998]"
        long, value_name = "ADDR"
    };
    /// Milliseconds between momentums. Default 10000 (NoM's 10 s); tests use tens.
    momentum_interval_ms: u64 = 10_000 => flag(Option<u64>) {
        "Milliseconds between momentums [config: momentum_interval_ms, default 10000]"
        long, value_name = "MS"
    };
    /// Largest JSON-RPC request body in bytes. Default 1 MiB (a 16 KiB block in base64 fits easily).
    max_request_bytes: u32 = 1024 * 1024;
    /// Most concurrent JSON-RPC connections per listener. Default 256.
    max_connections: u32 = 256;
    /// The ops endpoint. Default `127.0.0.1:9101`.
    ops: OpsSection = OpsSection::on(defaults::loopback(defaults::DEVNET_OPS_PORT)) => flatten(OpsArgs);
}

impl DevnetConfig {
    /// A devnet laid out in `dir` as tests and in-process networks lay it out: its chain in `chain/`, with
    /// `genesis.toml` and its one pillar's `pillar.json` beside it, a momentum every `momentum_interval_ms`, and
    /// every endpoint on loopback on a port the system picks; every other value its default.
    pub fn in_dir(dir: &Path, momentum_interval_ms: u64) -> DevnetConfig {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        DevnetConfig {
            data_dir: dir.join("chain"),
            genesis: Some(dir.join("genesis.toml")),
            pillar_keys: vec![dir.join("pillar.json")],
            http_listen: any,
            ws_listen: any,
            momentum_interval_ms,
            ops: OpsSection::on(any),
            ..DevnetConfig::default()
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
