//! The claim: an executor's signed statement of the state after a momentum.

use serde::{Deserialize, Serialize};

use super::limits;
use crate::codec::Canonical;
use crate::hash::{Domain, domain_hash};
use crate::keys::SignatureError;
use crate::{Hash, KeyPair, PublicKey, Signature};

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

/// A signed claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    /// The signed fields.
    pub body: ClaimBody,
    /// ed25519 by the executor over [`ClaimBody::hash`].
    pub signature: Signature,
}

impl ClaimBody {
    /// The signing hash.
    pub fn hash(&self) -> Hash {
        domain_hash(Domain::Claim, &crate::codec::encode(self))
    }

    /// Signs the body with the executor's key.
    pub fn sign(self, key: &KeyPair) -> Claim {
        let signature = key.sign(&self.hash());
        Claim { body: self, signature }
    }
}

impl Claim {
    /// Checks the executor's signature.
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        self.body.executor.verify_rollup(&self.body.hash(), &self.signature)
    }
}

impl Canonical for Claim {
    const NAME: &'static str = "claim";
    const MAX_ENCODED_LEN: usize = limits::MAX_CLAIM_LEN;
}
