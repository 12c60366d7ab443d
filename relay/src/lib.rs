//! The zrollup relay: accepts signed transactions over a public JSON-RPC, gossips them and posts ordered
//! bundles into NoM momentums.
//!
//! Not built yet: arrives with its issue. It never depends on `zr-executor` (no wasmer in a relay).
