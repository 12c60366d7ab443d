//! zrollup fraud proofs: the witness of one claim leaf, built from the state before it, and its stateless
//! re-execution — the protocol's own transition over a partial tree — into a verdict.
//!
//! Not built yet: serving witnesses over RPC, `zr-challenge`, challenges and verdicts on L1.

mod build;
mod verify;
mod witness;

pub use build::{BuildError, build_witness};
pub use verify::{Verdict, WitnessInvalid, verify_leaf};
pub use witness::{MAX_WITNESS_LEN, Step, Witness};
