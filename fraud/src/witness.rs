//! The witness of one claim leaf: everything a verifier needs to recompute it with no database.

use serde::{Deserialize, Serialize};
use zr_common::rollup::{Claim, Transaction};
use zr_common::{Address, Canonical};
use zr_protocol::{ClaimLeaf, Deposit, LeafProof, Multiproof};

/// The largest witness accepted (512 account blocks of 16 KiB; the caps keep any transaction's witness under
/// it on states of up to billions of entries): untrusted bytes beyond it are refused before decoding.
pub const MAX_WITNESS_LEN: usize = 8 * 1024 * 1024;

/// What the leaf's step did, as the L1 data says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Step {
    /// Leaf 0: the momentum's prelude.
    Prelude {
        /// The momentum's deposits, in content order.
        deposits: Vec<Deposit>,
    },
    /// Leaf i ≥ 1: one transaction.
    Transaction {
        /// The transaction.
        tx: Box<Transaction>,
        /// The poster of the bundle that carried it (fees go there).
        poster: Address,
    },
}

/// The witness of leaf `index` of `claim`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Witness {
    /// The executor's signed claim (its height and timestamp are the momentum's).
    pub claim: Claim,
    /// The leaf before (none for leaf 0, whose pre-state is the claim's `prev_state_root`), with its proof.
    pub previous: Option<(ClaimLeaf, LeafProof)>,
    /// The leaf checked, with its proof.
    pub leaf: (ClaimLeaf, LeafProof),
    /// What the step did.
    pub step: Step,
    /// The multiproof, against the pre-state root, of every state key the step read or wrote (and that its
    /// removals opened), carrying the values of the keys it read.
    pub state: Multiproof,
    /// The code (by hash) whose modules the step runs: code travels by hash, and a verifier gets the bytes
    /// from its own store or any node (checked against the hash) before it re-executes.
    pub code: Vec<zr_common::Hash>,
}

impl Canonical for Witness {
    const NAME: &'static str = "witness";
    const MAX_ENCODED_LEN: usize = MAX_WITNESS_LEN;
}
