//! Stateless re-execution of one leaf: check every proof, build the partial tree, run the protocol's own
//! transition, compare with the claimed leaf.

use zr_common::Hash;
use zr_protocol::transition::prelude_hash;
use zr_protocol::{
    BlockInfo, ClaimLeaf, ContractRuntime, LeafProofError, StateError, TransitionError, Tree, TxContext, Used,
    WitnessError, apply_prelude, apply_transaction, check_transaction,
};

use crate::witness::{Step, Witness};

/// Why a witness proves nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessInvalid {
    /// The claim's signature does not verify.
    #[error("the claim's signature does not verify")]
    ClaimSignature,
    /// The claim was made with another VM version than this verifier runs.
    #[error("the claim's VM version {claimed} is not this verifier's {ours}")]
    VmVersion {
        /// The claim's.
        claimed: Hash,
        /// Ours.
        ours: Hash,
    },
    /// A leaf proof does not lead to the claim's leaves root, or the leaves are not consecutive.
    #[error("leaf proof: {0}")]
    LeafProof(LeafProofError),
    /// Leaf 0 needs no previous leaf, any other leaf does, and it must be the one just before.
    #[error("the previous leaf is missing, extra or not the one before")]
    PreviousLeaf,
    /// The step is not what the leaf says (a prelude for a transaction leaf, another transaction).
    #[error("the step does not match the leaf: {0}")]
    Step(&'static str),
    /// The transaction is not valid on its own (it could not have been ordered).
    #[error("the transaction is not valid on its own: {0}")]
    Transaction(String),
    /// A state proof or value does not check out.
    #[error("state: {0}")]
    State(WitnessError),
    /// The witness lacks state the step needs.
    #[error("incomplete: {0}")]
    Incomplete(StateError),
    /// The multiproof is not the one of exactly the keys the step touched and the values it read (it opens
    /// more, or carries a value the step did not read): a witness has one form, so nothing in it goes
    /// unchecked.
    #[error("the state multiproof opens more than the step touches, or carries a value it does not read")]
    Extra,
    /// This verifier's VM failed on validated code: it cannot judge the leaf.
    #[error("verifier fault: {0}")]
    VerifierFault(String),
}

/// What re-executing a leaf found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The claimed leaf is what the step gives.
    Correct,
    /// The claimed leaf is wrong; this is the leaf the step gives.
    Wrong {
        /// The correct leaf.
        correct: ClaimLeaf,
    },
    /// The witness proves nothing about the leaf.
    Invalid(WitnessInvalid),
}

/// Re-executes the leaf `witness` names, statelessly, with `runtime` (whose VM version is `vm_version`).
/// `chain_id` is the rollup's. Never panics, whatever the witness holds.
///
/// What the witness says L1 holds — the step (deposits, or the transaction and its poster) and the claim's
/// timestamp — is the caller's to check against the momentum (`zr-challenge verify` does; a pillar has
/// the momentum itself): the leaf commits to the transaction but not to its poster.
pub fn verify_leaf<R: ContractRuntime>(witness: &Witness, runtime: &R, vm_version: Hash, chain_id: u64) -> Verdict {
    match check(witness, runtime, vm_version, chain_id) {
        Ok(leaf) if leaf == witness.leaf.0 => Verdict::Correct,
        Ok(correct) => Verdict::Wrong { correct },
        Err(invalid) => Verdict::Invalid(invalid),
    }
}

fn check<R: ContractRuntime>(
    witness: &Witness,
    runtime: &R,
    vm_version: Hash,
    chain_id: u64,
) -> Result<ClaimLeaf, WitnessInvalid> {
    let claim = &witness.claim;
    if claim.body.chain_id != chain_id || claim.verify_signature().is_err() {
        return Err(WitnessInvalid::ClaimSignature);
    }
    if claim.body.vm_version != vm_version {
        return Err(WitnessInvalid::VmVersion { claimed: claim.body.vm_version, ours: vm_version });
    }
    let (leaf, leaf_proof) = &witness.leaf;
    leaf_proof.verify(leaf, &claim.body.leaves_root).map_err(WitnessInvalid::LeafProof)?;
    let (pre_root, used) = match (&witness.previous, leaf_proof.index) {
        (None, 0) => (claim.body.prev_state_root, Used::default()),
        (Some((previous, proof)), index)
            if index > 0 && proof.index == index - 1 && proof.leaf_count == leaf_proof.leaf_count =>
        {
            proof.verify(previous, &claim.body.leaves_root).map_err(WitnessInvalid::LeafProof)?;
            (previous.post_state_root, Used::after(previous))
        }
        _ => return Err(WitnessInvalid::PreviousLeaf),
    };
    let pre_state = Tree::from_multiproof(&pre_root, &witness.state).map_err(WitnessInvalid::State)?;
    let tree = pre_state.clone();
    let block = BlockInfo { height: claim.body.height, timestamp: claim.body.timestamp };
    let applied = match &witness.step {
        Step::Prelude { deposits } => {
            if leaf_proof.index != 0 {
                return Err(WitnessInvalid::Step("a prelude is leaf 0"));
            }
            if prelude_hash(block.height, deposits) != leaf.tx_hash {
                return Err(WitnessInvalid::Step("the deposits are not the leaf's"));
            }
            apply_prelude(tree, block.height, deposits).map_err(TransitionError::from)
        }
        Step::Transaction { tx, poster } => {
            if leaf_proof.index == 0 {
                return Err(WitnessInvalid::Step("leaf 0 is the prelude"));
            }
            let hash = tx.hash();
            if hash != leaf.tx_hash {
                return Err(WitnessInvalid::Step("the transaction is not the leaf's"));
            }
            check_transaction(tx, chain_id).map_err(|e| WitnessInvalid::Transaction(e.to_string()))?;
            tx.body
                .sender
                .verify_rollup(&hash, &tx.signature)
                .map_err(|e| WitnessInvalid::Transaction(e.to_string()))?;
            apply_transaction(runtime, tree, tx, hash, &TxContext { block, poster: *poster }, used)
        }
    };
    match applied {
        Ok(applied) => {
            if !applied.code_used.iter().eq(witness.code.iter()) {
                return Err(WitnessInvalid::Step("the code list is not the code the step runs"));
            }
            // Every touched path is in the partial tree (the step ran on it), so rebuilding cannot fail; the
            // rebuilt multiproof differs exactly when the witness carries more than the step needs.
            match crate::build::prove_touched(&pre_state, &applied) {
                Ok(needed) if needed == witness.state => Ok(applied.leaf),
                _ => Err(WitnessInvalid::Extra),
            }
        }
        Err(TransitionError::State(e)) => Err(WitnessInvalid::Incomplete(e)),
        // The verifier's VM failed on validated code: it cannot judge; say so rather than guess.
        Err(TransitionError::Fault { reason, .. }) => Err(WitnessInvalid::VerifierFault(reason)),
    }
}
