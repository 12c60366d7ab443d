//! clap flags for the shared sections; each serializes only the flags given, as the top layer.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::declare::section_flags;

section_flags! {
    /// Flags for the L1 connection.
    pub struct L1Args {
        /// L1 JSON-RPC over HTTP [config: l1.http, default http://127.0.0.1:35997]
        http: Option<String> => "l1-http", "URL";
        /// L1 JSON-RPC over WebSocket [config: l1.ws, default ws://127.0.0.1:35998]
        ws: Option<String> => "l1-ws", "URL";
        /// PEM certificates to trust for https/wss besides Mozilla's roots [config: l1.ca_file]
        ca_file: Option<PathBuf> => "l1-ca-file", "FILE";
    }
}

section_flags! {
    /// Flags for a public JSON-RPC server.
    pub struct RpcArgs {
        /// Public JSON-RPC listen address [config: rpc.listen]
        listen: Option<SocketAddr> => "rpc-listen", "ADDR";
        /// Largest request body in bytes [config: rpc.max_request_bytes, default 1048576]
        max_request_bytes: Option<u32> => "rpc-max-request-bytes", "BYTES";
        /// Most concurrent connections [config: rpc.max_connections, default 256]
        max_connections: Option<u32> => "rpc-max-connections", "N";
    }
}

section_flags! {
    /// Flags for the ops endpoint.
    pub struct OpsArgs {
        /// Metrics/health listen address [config: ops.listen]
        listen: Option<SocketAddr> => "ops-listen", "ADDR";
    }
}

section_flags! {
    /// Flags for gossip (libp2p), the executors' of claims and the relays' of transactions.
    pub struct GossipArgs {
        /// Gossip listen multiaddr, e.g. /ip4/0.0.0.0/tcp/30333 for an executor, /tcp/30334 for a relay
        /// [config: p2p.listen]
        listen: Option<String> => "p2p-listen", "MULTIADDR";
        /// A peer to dial and redial, of the same kind (executors gossip claims, relays transactions); repeat for
        /// several [config: p2p.peers]
        peers: Vec<String> => "p2p-peer", "MULTIADDR";
    }
}
