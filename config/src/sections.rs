//! Sections shared by several daemons.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::ConfigError;
use crate::error::invalid;

/// Where the L1 (a znnd node or `zr-devnet`) is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct L1Section {
    /// JSON-RPC over HTTP. Default `http://127.0.0.1:35997` (znnd's port).
    pub http: String,
    /// JSON-RPC over WebSocket, for subscriptions. Default `ws://127.0.0.1:35998`.
    pub ws: String,
    /// PEM certificates to trust for `https`/`wss` besides Mozilla's roots: a node with a self-signed or
    /// private-CA certificate. Default none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

impl Default for L1Section {
    fn default() -> Self {
        L1Section { http: crate::defaults::L1_HTTP_URL.into(), ws: crate::defaults::L1_WS_URL.into(), ca_file: None }
    }
}

impl L1Section {
    /// The L1 reached at `http` and `ws`, trusting Mozilla's roots only.
    pub fn at(http: impl Into<String>, ws: impl Into<String>) -> L1Section {
        L1Section { http: http.into(), ws: ws.into(), ca_file: None }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !(self.http.starts_with("http://") || self.http.starts_with("https://")) {
            return Err(invalid("l1.http", format!("{:?} must start with http:// or https://", self.http)));
        }
        if !(self.ws.starts_with("ws://") || self.ws.starts_with("wss://")) {
            return Err(invalid("l1.ws", format!("{:?} must start with ws:// or wss://", self.ws)));
        }
        Ok(())
    }
}

/// A public JSON-RPC server (HTTP and WebSocket on one port).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpcSection {
    /// Listen address.
    pub listen: SocketAddr,
    /// Largest request body accepted, in bytes. Default 1 MiB.
    pub max_request_bytes: u32,
    /// Most concurrent connections. Default 256.
    pub max_connections: u32,
}

impl RpcSection {
    /// An RPC section listening on `listen` with the default limits.
    pub fn on(listen: SocketAddr) -> Self {
        RpcSection { listen, max_request_bytes: 1024 * 1024, max_connections: 256 }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.max_request_bytes < 1024 {
            return Err(invalid("rpc.max_request_bytes", "must be at least 1024"));
        }
        if self.max_connections == 0 {
            return Err(invalid("rpc.max_connections", "must be at least 1"));
        }
        Ok(())
    }
}

/// Where a daemon listens: its public JSON-RPC and its ops endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listen {
    /// The public JSON-RPC.
    pub rpc: SocketAddr,
    /// The ops endpoint.
    pub ops: SocketAddr,
}

impl Listen {
    /// Both on loopback, on ports the system picks (tests and in-process networks; the daemon reports them).
    pub fn loopback_any() -> Listen {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Listen { rpc: any, ops: any }
    }
}

/// The operations endpoint: `/metrics`, `/health`, `/ready`, on a port apart from the public RPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsSection {
    /// Listen address; loopback by default so metrics are not public.
    pub listen: SocketAddr,
}

impl OpsSection {
    /// An ops section listening on `listen`.
    pub fn on(listen: SocketAddr) -> Self {
        OpsSection { listen }
    }
}

/// Claim gossip between executors (libp2p gossipsub over TCP).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pSection {
    /// Multiaddr to listen on, e.g. `/ip4/0.0.0.0/tcp/30333`; gossip is off when unset.
    pub listen: Option<String>,
    /// Static peers' multiaddrs, dialled and redialled.
    pub peers: Vec<String>,
    /// Executors (public keys, hex) whose gossiped claims are kept and forwarded; any executor's when empty
    /// (the default; set it on any network that is not yours alone).
    pub allowed_executors: Vec<zr_common::PublicKey>,
}

impl P2pSection {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.listen.is_none() && !self.peers.is_empty() {
            return Err(invalid("p2p.listen", "peers are configured but gossip has no listen address"));
        }
        for address in self.listen.iter().chain(&self.peers) {
            if !address.starts_with('/') {
                return Err(invalid("p2p", format!("{address:?} is not a multiaddr (e.g. /ip4/127.0.0.1/tcp/30333)")));
            }
        }
        Ok(())
    }
}

/// Transaction gossip between relays (libp2p): where this relay listens and its static peers. Off without
/// `listen`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RelayP2pSection {
    /// Listen multiaddr, e.g. `/ip4/0.0.0.0/tcp/30334`. Default none (no gossip).
    pub listen: Option<String>,
    /// Static peers' multiaddrs (other relays). Default none.
    pub peers: Vec<String>,
}

impl RelayP2pSection {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        P2pSection { listen: self.listen.clone(), peers: self.peers.clone(), allowed_executors: Vec::new() }.validate()
    }
}
