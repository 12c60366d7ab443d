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
        match self.vm.holding(dispute.codes()) {
            Ok(vm) => judge_dispute(dispute, claim, params, momentum, vm.as_ref()),
            Err(reason) => {
                Judgement::CannotJudge(format!("cannot start a VM for {} contracts: {reason}", dispute.codes()))
            }
        }
    }
}
