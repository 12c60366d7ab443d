//! `zr-devnet`: the embedded NoM-like L1 the rollup runs on by default.
//!
//! A real, persistent chain in one process: pillars produce momentums in turn, hashed and signed exactly as
//! go-zenon does; users publish account blocks (send/receive) paid with fused or PoW plasma; everything
//! confirmed is kept in redb, one durable write per momentum. It serves znnd's JSON-RPC subset over HTTP and
//! WebSocket so the same client drives a real znnd and the devnet.
//!
//! Limits, as go-zenon: 100 account blocks per momentum, 16 KiB of data per block. Embedded contracts other
//! than the plasma contract (`Fuse`) and the rollup inbox are not modelled.

mod chain;
mod error;
pub mod genesis;
mod node;
mod rpc;
mod state;
mod store;
mod verify;

pub use chain::{Chain, NewMomentum};
pub use error::{DevnetError, PublishError};
pub use genesis::{Genesis, GenesisAccount, GenesisPillar};
pub use node::{Devnet, DevnetHandle};
