//! The zrollup executor: the state kept in redb, and the `zr-executor` daemon: momentums followed from L1,
//! run through the protocol's state transition with `zr-vm`'s VM, committed one redb transaction each, claims
//! signed and posted, state served over JSON-RPC.

pub mod cli;
pub mod execute;
pub mod explorer;
pub mod gossip;
pub mod index;
pub mod node;
pub mod pipeline;
pub mod rollup;
pub mod rpc;
pub mod snapshot;
pub mod store;

pub use store::StateStore;
