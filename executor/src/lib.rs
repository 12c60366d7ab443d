//! The zrollup executor: a deterministic wasm VM (wasmer singlepass, gas metering, a deterministic stack
//! bound, host memory limits, the host API, a module cache), the rollup state committed by a sparse Merkle
//! tree and kept in redb, and execution of transactions into receipts with per-transaction state roots.

pub mod exec;
pub mod state;
pub mod store;
pub mod vm;

pub use exec::{Executed, Executor, NodeFault, TxContext};
pub use state::smt::{Proof, Tree};
pub use state::{Account, StateKey, World};
pub use store::StateStore;
pub use vm::{BlockInfo, Vm};
