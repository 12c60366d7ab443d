//! What the settlement's tests and benchmarks judge with where no code may run.

use zr_common::Hash;
use zr_protocol::{BlockInfo, CallOutcome, CodeError, ContractRuntime, Entry, Frame, UntrustedCode, Verifier, World};

/// A verifier of VM version `version` that runs no code. Shape disputes ask it for none (with `refuse` unset,
/// loading code panics); `refuse` set refuses to load whatever it is given, as the sender's fault or this
/// node's.
pub struct NoCode {
    /// The VM version it reports.
    pub version: Hash,
    /// Why it refuses code it is asked to load.
    pub refuse: Option<UntrustedCode>,
}

impl ContractRuntime for NoCode {
    fn accept_code(&self, _: &[u8]) -> Result<u32, CodeError> {
        unreachable!("judging accepts no upload")
    }

    fn run(&self, _: World, _: Frame, _: Entry<'_>, _: BlockInfo, _: u64) -> CallOutcome {
        unreachable!("no code is ever loaded")
    }
}

impl Verifier for NoCode {
    fn version(&self) -> Hash {
        self.version
    }

    fn load_untrusted(&self, _: &Hash, _: &[u8]) -> Result<(), UntrustedCode> {
        Err(self.refuse.clone().expect("shape disputes load no code"))
    }
}
