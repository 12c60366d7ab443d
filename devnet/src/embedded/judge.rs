//! The pillars' side of a fraud proof: re-execute a challenged leaf with the `fraud` library, against the
//! claim L1 recorded and the momentum L1 holds, and say who is wrong.

use std::sync::Arc;

use zr_common::Hash;
use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::settlement::ClaimRecord;
use zr_executor::Vm;
use zr_fraud::{Challenge, Step, Verdict, verify_leaf};

/// Compiled modules the pillars keep in memory.
const MEMORY_MODULES: usize = 64;

/// The pillars' VM, judging challenges.
pub struct Judge {
    vm: Arc<Vm>,
}

impl Judge {
    /// A judge with its own in-memory module cache.
    pub fn new() -> Result<Judge, String> {
        Ok(Judge { vm: Vm::new(None, MEMORY_MODULES).map_err(|e| format!("cannot start the VM: {e}"))? })
    }

    /// The correct root of the challenged leaf when the executor's is wrong; why the challenge fails
    /// otherwise. `momentum` is the claimed momentum with its blocks in content order, as L1 holds it.
    pub fn verdict(
        &self,
        challenge: &Challenge,
        claim: &ClaimRecord,
        momentum: Option<(Momentum, Vec<AccountBlock>)>,
    ) -> Result<Hash, String> {
        let witness = &challenge.witness;
        let body = &witness.claim.body;
        let recorded = (claim.executor, claim.height, claim.prev_state_root, claim.new_state_root, claim.leaves_root);
        if (body.executor, body.height, body.prev_state_root, body.new_state_root, body.leaves_root) != recorded
            || body.vm_version != claim.vm_version
        {
            return Err("the witness's claim is not the claim L1 recorded".into());
        }
        if witness.leaf.1.index != challenge.index {
            return Err(format!(
                "the witness is of leaf {}, not the leaf {} challenged",
                witness.leaf.1.index, challenge.index
            ));
        }
        // What the leaf did must be what L1 holds: the momentum's deposits, or its transaction at that position.
        let (momentum, blocks) = momentum.ok_or_else(|| format!("L1 holds no momentum {}", claim.height))?;
        if momentum.timestamp != body.timestamp {
            return Err("the claim's timestamp is not its momentum's".into());
        }
        let verified = zr_sequencing::verify_inbox(body.chain_id, &zr_common::Address::INBOX, &blocks);
        let ordered = zr_sequencing::order_verified(verified, &momentum.previous_hash);
        let on_l1 = match (&witness.step, challenge.index) {
            (Step::Prelude { deposits }, 0) => *deposits == ordered.deposits,
            (Step::Transaction { tx, poster }, index) if index > 0 => ordered
                .transactions
                .get(index as usize - 1)
                .is_some_and(|sequenced| sequenced.tx == **tx && sequenced.poster == *poster),
            _ => false,
        };
        if !on_l1 {
            return Err("the witness's step is not the momentum's on L1".into());
        }
        // Code travels by hash: each piece must hash to what the witness proves, and be valid code.
        if challenge.code.len() != witness.code.len() {
            return Err("the challenge carries other code than the witness runs".into());
        }
        for (hash, code) in witness.code.iter().zip(&challenge.code) {
            self.vm.load_untrusted(hash, code)?;
        }
        match verify_leaf(witness, self.vm.as_ref(), self.vm.version(), body.chain_id) {
            Verdict::Wrong { correct } => Ok(correct.post_state_root),
            Verdict::Correct => Err("the leaf is correct".into()),
            Verdict::Invalid(reason) => Err(format!("the witness proves nothing: {reason}")),
        }
    }
}
