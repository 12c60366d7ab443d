//! The claim: an executor's signed statement of the state after a momentum.

use serde::{Deserialize, Serialize};

use super::limits;
use crate::codec::Canonical;
use crate::hash::{Domain, domain_hash};
use crate::keys::SignatureError;
use crate::{Hash, KeyPair, PublicKey, Signature};

/// One leaf of a claim's commitment: a transaction's post-state root and receipt hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct ClaimLeaf {
    /// The state root after the transaction.
    pub post_state_root: Hash,
    /// [`super::Receipt::hash`].
    pub receipt_hash: Hash,
}

impl ClaimLeaf {
    /// The leaf hash.
    pub fn hash(&self) -> Hash {
        domain_hash(Domain::ClaimLeaf, &crate::codec::encode(self))
    }
}

/// The Merkle root of a claim's leaf hashes: pairs hashed as SHA3(0x01 ‖ left ‖ right), an odd node carried
/// up unchanged, zero for no leaves.
pub fn leaves_root(leaves: &[ClaimLeaf]) -> Hash {
    let mut level: Vec<Hash> = leaves.iter().map(ClaimLeaf::hash).collect();
    if level.is_empty() {
        return Hash::ZERO;
    }
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => crate::hash::sha3_256_concat([&[1u8][..], &left.0, &right.0]),
                [single] => *single,
                _ => unreachable!("chunks of two"),
            })
            .collect();
    }
    level[0]
}

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
    /// The state root before the momentum.
    pub prev_state_root: Hash,
    /// The state root after it.
    pub new_state_root: Hash,
    /// Merkle root over the momentum's [`ClaimLeaf`] hashes.
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
