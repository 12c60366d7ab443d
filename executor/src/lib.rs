//! The zrollup executor: a deterministic wasm VM (wasmer singlepass, gas metering, a deterministic stack
//! bound, host memory limits, the host API, a module cache) that implements the protocol's
//! [`zr_protocol::ContractRuntime`], the state kept in redb, and the `zr-executor` daemon: momentums
//! followed from L1, run through the protocol's state transition, committed one redb transaction each,
//! claims signed and posted, state served over JSON-RPC.

pub mod cli;
pub mod execute;
pub mod gossip;
pub mod node;
pub mod pipeline;
pub mod rollup;
pub mod rpc;
pub mod snapshot;
pub mod store;
pub mod vm;

pub use store::StateStore;
pub use vm::Vm;
