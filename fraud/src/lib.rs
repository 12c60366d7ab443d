//! zrollup fraud proofs: the witness of one claim leaf, built from the state before it, and its stateless
//! re-execution — the protocol's own transition over a partial tree — into a verdict.
//!
//! Executors serve witnesses (`rollup.getWitness`) and `zr-challenge verify` checks claims with them; challenges
//! and verdicts on L1 are not built yet.

mod build;
mod challenge;
mod verify;
mod witness;

pub use build::{BuildError, build_witness};
pub use challenge::Challenge;
pub use verify::{Verdict, WitnessInvalid, verify_leaf};
pub use witness::{MAX_WITNESS_LEN, Step, Witness};
