//! zrollup fraud proofs: the witness of one claim leaf, built from the state before it, and its stateless
//! re-execution — the protocol's own transition over a partial tree — into a verdict.
//!
//! Executors serve witnesses (`rollup.getWitness`), `zr-challenge verify` checks claims with them, and the
//! settlement judges the [`Dispute`]s posted on L1 with [`verify_leaf`].

mod build;
mod challenge;
mod verify;
mod witness;

pub use build::{BuildError, build_witness};
pub use challenge::{Challenge, DISPUTE_HEAD_LEN, Dispute, ShapeChallenge};
pub use verify::{Verdict, WitnessInvalid, verify_leaf};
pub use witness::{MAX_WITNESS_LEN, Step, Witness};
