//! The zrollup protocol: everything every party — executor, verifier, pillar — must compute alike, with no
//! VM, runtime or database in it.
//!
//! - [`state`]: where values live ([`StateKey`]) and what they are (accounts, uploads, withdrawals).
//! - [`tree`]: the state commitment, a sparse Merkle tree of arity 4, with inclusion and exclusion proofs
//!   and partial trees built from proofs.
//! - [`world`]: a transaction's view of the state (overlay, checkpoints, events, keys touched).
//! - [`leaf`]: claim leaves and their inclusion proofs against a claim's `leaves_root`.
//! - [`gas`]: the cost table, the VM limits, the momentum's bounds and the VM version derived from them.
//! - [`runtime`]: the seam a contract VM implements.
//! - [`transition`]: the one state transition — a momentum's prelude and each transaction.
//!
//! The rules are written down in `docs/protocol.md`.

pub mod gas;
pub mod leaf;
pub mod runtime;
pub mod state;
pub mod transition;
pub mod tree;
pub mod world;

pub use leaf::{ClaimLeaf, LeafProof, LeafProofError, leaves_root};
pub use runtime::{
    BlockInfo, CallError, CallOutcome, CodeError, ContractRuntime, Entry, Frame, UntrustedCode, Verifier,
};
pub use state::{Account, StateKey, Upload, Withdrawal, funded_accounts};
pub use transition::{
    Applied, Deposit, TransitionError, TxContext, Used, apply_prelude, apply_transaction, check_transaction,
};
pub use tree::{Incomplete, MultiNode, Multiproof, Proof, ProofEnd, ProofError, Tree, WitnessError};
pub use world::{StateError, World};
