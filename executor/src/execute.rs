//! One momentum's execution: its prelude, then each ordered transaction, each step's budget counted after
//! the step before. The executor runs this on every momentum; tests and benchmarks call it too, so there is
//! one definition of how a momentum's leaves come about.

use std::collections::BTreeSet;

use zr_common::Hash;
use zr_common::rollup::Receipt;
use zr_protocol::{
    BlockInfo, ClaimLeaf, ContractRuntime, TransitionError, Tree, TxContext, Used, apply_prelude, apply_transaction,
};
use zr_sequencing::Ordered;

/// What running a momentum's steps produced.
#[derive(Debug)]
pub struct MomentumRun {
    /// The state after the last step.
    pub tree: Tree,
    /// One leaf per step: the prelude's first, then each transaction's.
    pub leaves: Vec<ClaimLeaf>,
    /// Each transaction's receipt, in order.
    pub receipts: Vec<Receipt>,
    /// Every state key some step wrote.
    pub written: BTreeSet<Hash>,
}

/// Runs `ordered` on `tree` as the momentum `block`. An error is a node fault: `tree` is consumed mid-way.
pub fn run_momentum<R: ContractRuntime>(
    runtime: &R,
    tree: Tree,
    block: BlockInfo,
    ordered: &Ordered,
) -> Result<MomentumRun, TransitionError> {
    let prelude = apply_prelude(tree, block.height, &ordered.deposits)?;
    let mut written = prelude.written;
    let mut leaves = Vec::with_capacity(ordered.transactions.len() + 1);
    leaves.push(prelude.leaf);
    let mut tree = prelude.tree;
    let mut receipts = Vec::with_capacity(ordered.transactions.len());
    // The prelude's state writes count against the momentum's budget too.
    let mut used = Used::after(&prelude.leaf);
    for sequenced in &ordered.transactions {
        let ctx = TxContext { block, poster: sequenced.poster };
        let applied = apply_transaction(runtime, tree, &sequenced.tx, sequenced.hash, &ctx, used)?;
        tree = applied.tree;
        used = Used::after(&applied.leaf);
        written.extend(applied.written);
        leaves.push(applied.leaf);
        receipts.push(applied.receipt.expect("a transaction's step has a receipt"));
    }
    Ok(MomentumRun { tree, leaves, receipts, written })
}
