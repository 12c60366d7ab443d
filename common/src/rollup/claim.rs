//! The claim: an executor's signed statement of the state after a momentum.

use serde::{Deserialize, Serialize};

use super::limits;
use crate::hash::Domain;
use crate::keys::SignatureError;
use crate::{Hash, PublicKey};

/// The signed part of a claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct ClaimBody {
    /// The rollup chain id.
    pub chain_id: u64,
    /// The executor making the claim.
    pub executor: PublicKey,
    /// The L1 momentum height the claim covers.
    pub height: u64,
    /// That momentum's timestamp (what contracts saw as the block time; a verifier takes it from here, a
    /// pillar checks it against the momentum).
    pub timestamp: u64,
    /// The state root before the momentum.
    pub prev_state_root: Hash,
    /// The state root after it.
    pub new_state_root: Hash,
    /// Merkle root over the momentum's claim leaves (`zr_protocol::leaf`).
    pub leaves_root: Hash,
    /// The VM version (wasmer version, cost table, limits) the executor ran.
    pub vm_version: Hash,
}

signed!(
    /// A signed claim.
    Claim(ClaimBody) by "the executor" under Domain::Claim, "claim" up to limits::MAX_CLAIM_LEN
);

impl Claim {
    /// Checks the executor's signature.
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        self.body.executor.verify_rollup(&self.body.hash(), &self.signature)
    }
}
