//! The zrollup relay: accepts signed transactions over a public JSON-RPC, keeps them in a mempool that
//! survives crashes (redb, written before a submission is answered), posts ordered bundles into NoM
//! momentums from its own L1 account (it pays the plasma; users pay it rollup fees, or it sponsors them),
//! and follows each transaction through L1 and its executor until a terminal status.
//!
//! A relay never depends on `zr-executor` (no wasmer in a relay): state queries go to an executor over its
//! JSON-RPC.

pub mod accounts;
pub mod admission;
mod batch;
pub mod bundler;
pub mod cli;
mod cors;
pub mod gossip;
pub mod limits;
pub mod mempool;
pub mod node;
pub mod rpc;
pub mod service;
pub mod tracker;

pub use node::{RelayHandle, StartError, start};
pub use service::Relay;
