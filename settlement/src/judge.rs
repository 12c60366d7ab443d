//! Judging a challenge: what the pillars decide about one [`Dispute`] against the claim L1 recorded and the
//! claimed momentum as L1 holds it: the claim's leaf count and the leaf's step against L1's order, then, for a
//! leaf dispute, the leaf re-executed from its witness, then the last leaf's root against the claimed root.

use zr_common::Hash;
use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::settlement::{ClaimRecord, Parameters};
use zr_fraud::{Challenge, Dispute, Step, Verdict, WitnessInvalid, verify_leaf};
use zr_inbox::Ordered;
use zr_protocol::{UntrustedCode, Verifier};

/// The pillars' decision on one challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// The claim is wrong where the challenge says.
    ExecutorWrong {
        /// What is wrong.
        reason: String,
        /// The leaf's correct root, when the challenge re-executed it.
        correct_root: Option<Hash>,
    },
    /// The challenge proves nothing against the claim.
    ProvesNothing(String),
    /// The pillars cannot judge it, for a fault of their own (a store read, their VM): nobody pays.
    CannotJudge(String),
}

/// L1's order of a momentum's inbox traffic under the rollup's `chain_id`: its leaves are the prelude's, then
/// one per transaction in this order. Bundle signatures are not checked again: L1 refused, when each block
/// was published, a bundle whose signatures do not verify.
pub fn steps_of(chain_id: u64, momentum: &Momentum, blocks: &[AccountBlock]) -> Ordered {
    let inbox = zr_common::Address::INBOX;
    let verified = zr_inbox::verify_inbox_with(chain_id, &inbox, blocks, zr_inbox::Signatures::CheckedByL1);
    zr_inbox::order_verified(verified, &momentum.previous_hash)
}

/// Judges `dispute` against `claim` (recorded on L1 under `params`), given the claimed momentum with its
/// blocks in content order as L1 holds it (`Err` when the pillars could not read it). Never panics.
pub fn judge_dispute<V: Verifier>(
    dispute: &Dispute,
    claim: &ClaimRecord,
    params: &Parameters,
    momentum: Result<Option<(Momentum, Vec<AccountBlock>)>, String>,
    verifier: &V,
) -> Judgement {
    let (momentum, blocks) = match momentum {
        Ok(Some(found)) => found,
        Ok(None) => return Judgement::CannotJudge(format!("L1 holds no momentum {}", claim.height)),
        Err(reason) => return Judgement::CannotJudge(format!("cannot read momentum {}: {reason}", claim.height)),
    };
    let (leaf, proof) = dispute.leaf();
    if let Err(e) = proof.verify(leaf, &claim.leaves_root) {
        return Judgement::ProvesNothing(format!("the leaf is not the claim's: {e}"));
    }
    let ordered = steps_of(params.chain_id, &momentum, &blocks);
    let steps = 1 + ordered.transactions.len();
    let wrong = |reason: String| Judgement::ExecutorWrong { reason, correct_root: None };
    if proof.leaf_count as usize != steps {
        return wrong(format!(
            "the claim has {} leaves, momentum {} has {steps} steps (its prelude and {} transactions)",
            proof.leaf_count,
            claim.height,
            ordered.transactions.len()
        ));
    }
    let index = proof.index as usize;
    let l1_step = match index {
        0 => zr_protocol::transition::prelude_hash(claim.height, &ordered.deposits),
        i => ordered.transactions[i - 1].hash,
    };
    if leaf.tx_hash != l1_step {
        return wrong(format!("leaf {index} is of step {}, L1's step {index} is {l1_step}", leaf.tx_hash));
    }
    // A leaf dispute re-executes the leaf (its place now checked); a leaf found right may still be the last
    // one, whose root the claim must carry.
    let leaf_judged = match dispute {
        Dispute::Shape(_) => Judgement::ProvesNothing(format!("leaf {index} is where L1 puts it")),
        Dispute::Leaf(challenge) => match judge_leaf(challenge, claim, params, &momentum, &ordered, verifier) {
            Judgement::ProvesNothing(reason) => Judgement::ProvesNothing(reason),
            decided => return decided,
        },
    };
    if index + 1 == steps && leaf.post_state_root != claim.new_state_root {
        return wrong(format!(
            "the claimed root {} is not its last leaf's, {}",
            claim.new_state_root, leaf.post_state_root
        ));
    }
    leaf_judged
}

/// Re-executes the challenged leaf from its witness (its place in the claim already checked).
fn judge_leaf<V: Verifier>(
    challenge: &Challenge,
    claim: &ClaimRecord,
    params: &Parameters,
    momentum: &Momentum,
    ordered: &Ordered,
    verifier: &V,
) -> Judgement {
    let nothing = |reason: &str| Judgement::ProvesNothing(reason.to_owned());
    let witness = &challenge.witness;
    let body = &witness.claim.body;
    let recorded = (claim.executor, claim.height, claim.prev_state_root, claim.new_state_root, claim.leaves_root);
    if (body.executor, body.height, body.prev_state_root, body.new_state_root, body.leaves_root) != recorded
        || body.vm_version != claim.vm_version
    {
        return nothing("the witness's claim is not the claim L1 recorded");
    }
    if witness.leaf.1.index != challenge.index {
        return Judgement::ProvesNothing(format!(
            "the witness is of leaf {}, not the leaf {} challenged",
            witness.leaf.1.index, challenge.index
        ));
    }
    if body.timestamp != momentum.timestamp {
        return nothing("the witness's claim has another timestamp than its momentum");
    }
    // The leaf's step hash is L1's (checked above); the poster, which the hash does not cover, must be too.
    let on_l1 = match (&witness.step, challenge.index) {
        (Step::Prelude { deposits }, 0) => *deposits == ordered.deposits,
        (Step::Transaction { tx, poster }, index) if index > 0 => ordered
            .transactions
            .get(index as usize - 1)
            .is_some_and(|sequenced| sequenced.tx == **tx && sequenced.poster == *poster),
        _ => false,
    };
    if !on_l1 {
        return nothing("the witness's step is not the momentum's on L1");
    }
    if verifier.version() != claim.vm_version {
        return Judgement::CannotJudge(format!(
            "the pillars run VM version {}, the claim was accepted with {}",
            verifier.version(),
            claim.vm_version
        ));
    }
    // Code travels by hash: each piece must hash to what the witness proves, and be valid code.
    if challenge.code.len() != witness.code.len() {
        return nothing("the challenge carries other code than the witness runs");
    }
    for (hash, code) in witness.code.iter().zip(&challenge.code) {
        match verifier.load_untrusted(hash, code) {
            Ok(()) => {}
            Err(UntrustedCode::NotTheCode(reason)) => return Judgement::ProvesNothing(reason),
            // The pillars' own failure decides nothing about the challenge.
            Err(fault @ UntrustedCode::Fault(_)) => return Judgement::CannotJudge(fault.to_string()),
        }
    }
    match verify_leaf(witness, verifier, verifier.version(), params.chain_id) {
        Verdict::Wrong { correct } => Judgement::ExecutorWrong {
            reason: format!("leaf {} is wrong: it should give root {}", challenge.index, correct.post_state_root),
            correct_root: Some(correct.post_state_root),
        },
        Verdict::Correct => nothing("the leaf is correct"),
        Verdict::Invalid(WitnessInvalid::VerifierFault(reason)) => {
            Judgement::CannotJudge(format!("the pillars' VM failed: {reason}"))
        }
        Verdict::Invalid(reason) => Judgement::ProvesNothing(format!("the witness proves nothing: {reason}")),
    }
}
