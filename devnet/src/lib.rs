//! `zr-devnet`: the embedded NoM-like L1 the rollup runs on by default.
//!
//! A real, persistent chain in one process: pillars produce momentums in turn, hashed and signed exactly as
//! go-zenon does; users publish account blocks (send/receive) paid with fused or PoW plasma; everything
//! confirmed is kept in redb, one durable write per momentum. It serves znnd's JSON-RPC subset over HTTP and
//! WebSocket so the same client drives a real znnd and the devnet.
//!
//! Limits, as go-zenon: 100 account blocks per momentum, 16 KiB of data per block. Embedded contracts sit
//! behind one seam ([`embedded`]): the plasma contract (`Fuse`) and the rollup inbox; others are not
//! modelled. [`InProcessL1`] drives the chain through the rollup's `L1` trait without HTTP.

mod chain;
pub mod cli;
pub mod embedded;
mod error;
pub mod genesis;
mod in_process;
mod node;
mod rpc;
mod state;
mod store;
mod verify;

pub use chain::{Chain, NewMomentum};
pub use error::{DevnetError, PublishError};
pub use genesis::{Genesis, GenesisAccount, GenesisPillar};
pub use in_process::InProcessL1;
pub use node::{DevAccount, Devnet, DevnetHandle};
