//! clap flags for the shared sections; each serializes only the flags given, as the top layer.

use std::net::SocketAddr;

use serde::Serialize;

/// Flags for the L1 connection.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
pub struct L1Args {
    /// L1 JSON-RPC over HTTP [config: l1.http, default http://127.0.0.1:35997]
    #[arg(id = "l1-http", long = "l1-http", value_name = "URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<String>,
    /// L1 JSON-RPC over WebSocket [config: l1.ws, default ws://127.0.0.1:35998]
    #[arg(id = "l1-ws", long = "l1-ws", value_name = "URL")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ws: Option<String>,
    /// PEM certificates to trust for https/wss besides Mozilla's roots [config: l1.ca_file]
    #[arg(id = "l1-ca-file", long = "l1-ca-file", value_name = "FILE")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<std::path::PathBuf>,
}

/// Flags for a public JSON-RPC server.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
pub struct RpcArgs {
    /// Public JSON-RPC listen address [config: rpc.listen]
    #[arg(id = "rpc-listen", long = "rpc-listen", value_name = "ADDR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// Largest request body in bytes [config: rpc.max_request_bytes, default 1048576]
    #[arg(id = "rpc-max-request-bytes", long = "rpc-max-request-bytes", value_name = "BYTES")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_request_bytes: Option<u32>,
    /// Most concurrent connections [config: rpc.max_connections, default 256]
    #[arg(id = "rpc-max-connections", long = "rpc-max-connections", value_name = "N")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_connections: Option<u32>,
}

/// Flags for the ops endpoint.
#[derive(Debug, Clone, Default, clap::Args, Serialize)]
pub struct OpsArgs {
    /// Metrics/health listen address [config: ops.listen]
    #[arg(id = "ops-listen", long = "ops-listen", value_name = "ADDR")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
}
