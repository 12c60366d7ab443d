//! The seam between the state transition and a contract VM: what a call is, how it ends, and the
//! [`ContractRuntime`] trait the executor's wasm VM implements. The transition never names the VM, so a
//! stateless verifier runs the very same transition with the same VM over a partial tree.

use zr_common::Address;

use crate::World;
use crate::world::StateError;

/// The momentum a transaction executes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// The momentum height.
    pub height: u64,
    /// The momentum timestamp (unix seconds).
    pub timestamp: u64,
}

/// One contract call.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Who called (the sender, or the calling contract).
    pub caller: Address,
    /// The contract running.
    pub contract: Address,
    /// ZNN sent along.
    pub value: u128,
    /// The method's input.
    pub input: Vec<u8>,
    /// Nesting: 0 for the transaction's own call.
    pub depth: u32,
}

/// Which export a call enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A freshly deployed contract's `init` (skipped if not exported).
    Init,
    /// A method a transaction or contract names.
    Method(&'a str),
}

/// How a contract call ended, if not successfully.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// Gas ran out.
    OutOfGas,
    /// A deterministic failure (trap, abort, missing method, …): the call's writes are undone.
    Failed(String),
    /// The state could not answer (a witness without a key the call needs, or a value that does not decode).
    State(StateError),
    /// The node itself failed; nothing may be committed.
    Fault(String),
}

/// The result of a call: the world after it (writes undone on failure), the gas left, the return data.
pub struct CallOutcome {
    /// The world after the call.
    pub world: World,
    /// Gas not used.
    pub gas_left: u64,
    /// Return data, or why the call failed.
    pub result: Result<Vec<u8>, CallError>,
}

/// Uploaded code was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// The code breaks a rule of the VM (a deterministic verdict: the upload is discarded).
    #[error("{0}")]
    Rejected(String),
    /// The node could not compile code that passed validation: a node fault, never a receipt.
    #[error("node fault: {0}")]
    Fault(String),
}

/// A contract VM.
pub trait ContractRuntime {
    /// Checks and prepares code whose upload just completed (validation and compilation); returns how many
    /// functions it defines.
    fn accept_code(&self, code: &[u8]) -> Result<u32, CodeError>;

    /// Runs `entry` of `frame.contract` with `gas`, moving `frame.value` from the caller first. On failure
    /// the world is as it was before the call (but for reads recorded).
    fn run(&self, world: World, frame: Frame, entry: Entry<'_>, block: BlockInfo, gas: u64) -> CallOutcome;
}

/// A VM that judges what others claim (the pillars' settlement, a challenger checking its dispute first): the
/// contract runtime, the VM version it runs, and a check-and-compile of code from outside the state.
pub trait Verifier: ContractRuntime {
    /// The VM version it runs.
    fn version(&self) -> zr_common::Hash;
    /// Checks that `code` hashes to `code_hash`, validates and compiles it.
    fn load_untrusted(&self, code_hash: &zr_common::Hash, code: &[u8]) -> Result<(), UntrustedCode>;
}

/// Why code from outside the state was not loaded: the code's fault (whoever sent it is wrong) or this node's
/// (it must not decide anything on it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UntrustedCode {
    /// It does not hash to its hash, or it is not valid code.
    #[error("{0}")]
    NotTheCode(String),
    /// Valid code this node could not compile.
    #[error("node fault: {0}")]
    Fault(String),
}
