//! Building the witness of one leaf: re-run the momentum's steps from the state before it, and prove what
//! the chosen step touched against the state it started from.

use std::collections::BTreeSet;

use zr_common::rollup::Claim;
use zr_inbox::Ordered;
use zr_protocol::{
    Applied, BlockInfo, ClaimLeaf, ContractRuntime, Incomplete, LeafProof, Multiproof, TransitionError, Tree,
    TxContext, Used, apply_prelude, apply_transaction,
};

use crate::witness::{Step, Witness};

/// A witness could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// The claim has no leaf at that index.
    #[error("the claim has {count} leaves, none at index {index}")]
    NoSuchLeaf {
        /// The index asked.
        index: u32,
        /// The claim's leaf count.
        count: usize,
    },
    /// The leaves given are not the claim's.
    #[error("the leaves do not hash to the claim's leaves root")]
    NotTheClaimsLeaves,
    /// Re-running the momentum gave another leaf before the one asked: its witness would not prove against
    /// the claim (challenge that earlier leaf instead).
    #[error("leaf {index} differs from the claim's: challenge that leaf")]
    EarlierLeafDiffers {
        /// The first differing leaf.
        index: u32,
    },
    /// The ordered momentum does not have that many steps.
    #[error("the momentum has {steps} steps, the claim {leaves} leaves")]
    StepsDiffer {
        /// Steps of the momentum.
        steps: usize,
        /// Leaves of the claim.
        leaves: usize,
    },
    /// Re-running failed (the state given cannot answer, or the node faulted).
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

/// The witness of leaf `index` of `claim`, whose `leaves` are given, for the momentum whose canonical order is
/// `ordered`, starting from `pre_state`, the state after the momentum before.
pub fn build_witness<R: ContractRuntime>(
    runtime: &R,
    pre_state: Tree,
    claim: &Claim,
    leaves: &[ClaimLeaf],
    ordered: &Ordered,
    index: u32,
) -> Result<Witness, BuildError> {
    let count = leaves.len();
    if index as usize >= count {
        return Err(BuildError::NoSuchLeaf { index, count });
    }
    if zr_protocol::leaves_root(leaves) != claim.body.leaves_root {
        return Err(BuildError::NotTheClaimsLeaves);
    }
    if ordered.transactions.len() + 1 != count {
        return Err(BuildError::StepsDiffer { steps: ordered.transactions.len() + 1, leaves: count });
    }
    let block = BlockInfo { height: claim.body.height, timestamp: claim.body.timestamp };
    let mut tree = pre_state;
    let mut used = Used::default();
    for step in 0..=index {
        let before = tree.clone();
        let applied = if step == 0 {
            apply_prelude(tree, block.height, &ordered.deposits).map_err(TransitionError::from)?
        } else {
            let sequenced = &ordered.transactions[step as usize - 1];
            let ctx = TxContext { block, poster: sequenced.poster };
            apply_transaction(runtime, tree, &sequenced.tx, sequenced.hash, &ctx, used)?
        };
        if step == index {
            let step_data = if step == 0 {
                Step::Prelude { deposits: ordered.deposits.clone() }
            } else {
                let sequenced = &ordered.transactions[step as usize - 1];
                Step::Transaction { tx: Box::new(sequenced.tx.clone()), poster: sequenced.poster }
            };
            let proof = |i: u32| LeafProof::new(leaves, i).expect("index below the count");
            return Ok(Witness {
                claim: claim.clone(),
                previous: (index > 0).then(|| (leaves[index as usize - 1], proof(index - 1))),
                leaf: (leaves[index as usize], proof(index)),
                step: step_data,
                state: prove_touched(&before, &applied)
                    .map_err(|e| TransitionError::State(zr_protocol::StateError::Incomplete(e)))?,
                code: applied.code_used.iter().copied().collect(),
            });
        }
        if applied.leaf != leaves[step as usize] {
            return Err(BuildError::EarlierLeafDiffers { index: step });
        }
        used = Used::after(&applied.leaf);
        tree = applied.tree;
    }
    unreachable!("the loop returns at the step asked")
}

/// The multiproof against `before` of every key `applied` read or wrote, with the values of those it read.
pub(crate) fn prove_touched(before: &Tree, applied: &Applied) -> Result<Multiproof, Incomplete> {
    let keys: BTreeSet<_> = applied.read.union(&applied.written).copied().collect();
    before.multiproof(&keys, &applied.values_read)
}
