//! The zrollup executor: a deterministic wasm VM (wasmer singlepass, gas metering, a deterministic stack
//! bound, host memory limits, the host API, a module cache), the rollup state committed by a sparse Merkle
//! tree and kept in redb, execution of transactions into receipts with per-transaction state roots, and the
//! `zr-executor` daemon: momentums followed from L1, committed one redb transaction each, claims signed and
//! posted, state served over JSON-RPC.

pub mod cli;
pub mod exec;
pub mod gossip;
pub mod node;
pub mod pipeline;
pub mod rollup;
pub mod rpc;
pub mod snapshot;
pub mod state;
pub mod store;
pub mod vm;

pub use exec::{Executed, Executor, NodeFault, TxContext};
pub use state::smt::{Proof, Tree};
pub use state::{Account, StateKey, World};
pub use store::StateStore;
pub use vm::{BlockInfo, Vm};
