//! A challenge: the claim of one executor at one height disputed at one leaf, with the witness that proves
//! it and the code the leaf runs (checked against the hashes the witness proves), posted to L1 in parts.

use zr_common::{Canonical, PublicKey};

use crate::witness::Witness;

/// A challenge of one claim leaf.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Challenge {
    /// The executor whose claim is challenged.
    pub executor: PublicKey,
    /// The momentum height of the claim.
    pub height: u64,
    /// The leaf disputed (0 is the prelude).
    pub index: u32,
    /// Its witness.
    pub witness: Witness,
    /// The code the leaf runs, in the witness's `code` order: pillars check each against its hash.
    pub code: Vec<Vec<u8>>,
}

impl Canonical for Challenge {
    const NAME: &'static str = "challenge";
    /// Witness and code together: the codec's ceiling, 8 MiB (512 parts).
    const MAX_ENCODED_LEN: usize = zr_common::codec::GLOBAL_DECODE_LIMIT;
}
