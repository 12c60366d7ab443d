//! The pillars' side of a fraud proof: the settlement library judges a challenge against the claim L1
//! recorded and the momentum L1 holds, with the pillars' own VM.

use std::sync::Arc;

use zr_common::Hash;
use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::settlement::{ClaimRecord, Parameters};
use zr_executor::Vm;
use zr_fraud::Dispute;
use zr_protocol::{BlockInfo, CallOutcome, CodeError, ContractRuntime, Entry, Frame, World};
use zr_settlement::{Judgement, Verifier, judge_dispute};

/// Compiled modules the pillars keep in memory.
const MEMORY_MODULES: usize = 64;

/// The pillars' VM, judging challenges.
pub struct Judge {
    vm: PillarVm,
}

/// The executor's VM as the settlement's [`Verifier`].
struct PillarVm(Arc<Vm>);

impl ContractRuntime for PillarVm {
    fn accept_code(&self, code: &[u8]) -> Result<u32, CodeError> {
        self.0.accept_code(code)
    }

    fn run(&self, world: World, frame: Frame, entry: Entry<'_>, block: BlockInfo, gas: u64) -> CallOutcome {
        self.0.run(world, frame, entry, block, gas)
    }
}

impl Verifier for PillarVm {
    fn version(&self) -> Hash {
        self.0.version()
    }

    fn load_untrusted(&self, code_hash: &Hash, code: &[u8]) -> Result<(), String> {
        self.0.load_untrusted(code_hash, code)
    }
}

impl Judge {
    /// A judge with its own in-memory module cache.
    pub fn new() -> Result<Judge, String> {
        let vm = Vm::new(None, MEMORY_MODULES).map_err(|e| format!("cannot start the VM: {e}"))?;
        Ok(Judge { vm: PillarVm(vm) })
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
        judge_dispute(dispute, claim, params, momentum, &self.vm)
    }
}
