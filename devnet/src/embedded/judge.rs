//! The pillars' side of a fraud proof: the settlement library judges a challenge against the claim L1
//! recorded and the momentum L1 holds, with the pillars' own VM.

use std::sync::Arc;

use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::settlement::{ClaimRecord, Parameters};
use zr_fraud::Dispute;
use zr_settlement::{Judgement, judge_dispute};
use zr_vm::Vm;

/// Compiled modules the pillars keep in memory.
const MEMORY_MODULES: usize = 64;

/// The pillars' VM, judging challenges.
pub struct Judge {
    vm: Arc<Vm>,
}

impl Judge {
    /// A judge with its own in-memory module cache.
    pub fn new() -> Result<Judge, String> {
        let vm = Vm::new(None, MEMORY_MODULES).map_err(|e| format!("cannot start the VM: {e}"))?;
        Ok(Judge { vm })
    }

    /// The pillars' decision on `dispute` of `claim`; `momentum` is the claimed momentum with its blocks in
    /// content order, as L1 holds it (`Err` when it could not be read).
    pub fn verdict(
        &self,
        dispute: &Dispute,
        claim: &ClaimRecord,
        params: &Parameters,
        momentum: Result<Option<(Momentum, Vec<AccountBlock>)>, String>,
    ) -> Judgement {
        let codes = match dispute {
            Dispute::Leaf(challenge) => challenge.code.len(),
            Dispute::Shape(_) => 0,
        };
        match self.vm_for(codes) {
            Ok(vm) => judge_dispute(dispute, claim, params, momentum, vm.as_ref()),
            Err(reason) => Judgement::CannotJudge(reason),
        }
    }

    /// The VM to judge a challenge carrying `codes` contracts with: the shared one when its cache holds them
    /// all at once, else one of their own for this verdict. A module evicted between loading the challenge's
    /// code and running it would have to come from the witness's state, which carries code by hash only: the
    /// leaf would fail to re-execute and a right challenge read as proving nothing.
    fn vm_for(&self, codes: usize) -> Result<Arc<Vm>, String> {
        match codes <= MEMORY_MODULES {
            true => Ok(self.vm.clone()),
            false => Vm::new(None, codes).map_err(|e| format!("cannot start a VM for {codes} contracts: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_running_more_contracts_than_the_cache_holds_gets_a_vm_of_its_own() {
        let judge = Judge::new().unwrap();
        assert!(Arc::ptr_eq(&judge.vm_for(MEMORY_MODULES).unwrap(), &judge.vm));
        assert!(!Arc::ptr_eq(&judge.vm_for(MEMORY_MODULES + 1).unwrap(), &judge.vm));
    }
}
