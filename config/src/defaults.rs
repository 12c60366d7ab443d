//! Every default address and identifier, in one place: the config structs, the CLI's flags and `zr up` all
//! read these, so a port is never written twice.

use std::net::SocketAddr;

/// Loopback, where every daemon listens by default.
const LOOPBACK: [u8; 4] = [127, 0, 0, 1];

/// znnd's (and the devnet's) JSON-RPC over HTTP.
pub const L1_HTTP_PORT: u16 = 35997;
/// znnd's (and the devnet's) JSON-RPC over WebSocket.
pub const L1_WS_PORT: u16 = 35998;
/// The devnet's ops endpoint.
pub const DEVNET_OPS_PORT: u16 = 9101;
/// The executor's JSON-RPC.
pub const EXECUTOR_RPC_PORT: u16 = 8545;
/// The executor's ops endpoint.
pub const EXECUTOR_OPS_PORT: u16 = 9102;
/// The relay's public JSON-RPC.
pub const RELAY_RPC_PORT: u16 = 8546;
/// The relay's ops endpoint.
pub const RELAY_OPS_PORT: u16 = 9103;

/// The L1 HTTP URL clients use by default.
pub const L1_HTTP_URL: &str = "http://127.0.0.1:35997";
/// The L1 WebSocket URL clients use by default.
pub const L1_WS_URL: &str = "ws://127.0.0.1:35998";
/// The executor URL clients use by default.
pub const EXECUTOR_URL: &str = "http://127.0.0.1:8545";
/// The relay URL clients use by default.
pub const RELAY_URL: &str = "http://127.0.0.1:8546";

/// The rollup chain id of development networks (`zr up`, `zr-devnet` without a genesis, the tests), the only
/// chain where an executor may inject faults. No daemon defaults to it: a deployment names its own chain id
/// (`chain_id`), so two deployments never share one by leaving it unset and replay each other's transactions.
pub const DEV_ROLLUP_CHAIN_ID: u64 = 1337;
/// The L1 chain identifier of development chains (`zr up`, `zr-devnet` without a genesis).
pub const DEV_L1_CHAIN_IDENTIFIER: u64 = 321;

/// A loopback listen address on `port`.
pub fn loopback(port: u16) -> SocketAddr {
    (LOOPBACK, port).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL constants (needed as `&str` by clap) agree with the ports.
    #[test]
    fn urls_match_ports() {
        assert_eq!(L1_HTTP_URL, format!("http://{}", loopback(L1_HTTP_PORT)));
        assert_eq!(L1_WS_URL, format!("ws://{}", loopback(L1_WS_PORT)));
        assert_eq!(EXECUTOR_URL, format!("http://{}", loopback(EXECUTOR_RPC_PORT)));
        assert_eq!(RELAY_URL, format!("http://{}", loopback(RELAY_RPC_PORT)));
    }
}
