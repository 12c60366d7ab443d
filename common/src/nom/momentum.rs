//! Momentums: go-zenon's hashing (content hash over sorted account headers) and JSON shape.

use serde::{Deserialize, Serialize};

use crate::hash::{sha3_256, sha3_256_concat};
use crate::{Address, Hash, KeyPair, PublicKey};

/// One entry of a momentum's content: an account block's (address, height, hash).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, bincode::Encode, bincode::Decode,
)]
pub struct AccountHeader {
    /// The account.
    pub address: Address,
    /// The block's height in its chain.
    pub height: u64,
    /// The block's hash.
    pub hash: Hash,
}

impl AccountHeader {
    /// address ‖ height (u64 BE) ‖ hash: 60 bytes. Sorting these bytes sorts the content.
    pub fn to_bytes(&self) -> [u8; 60] {
        let mut out = [0u8; 60];
        out[..20].copy_from_slice(&self.address.0);
        out[20..28].copy_from_slice(&self.height.to_be_bytes());
        out[28..].copy_from_slice(&self.hash.0);
        out
    }
}

/// A NoM momentum with znnd's JSON field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Momentum {
    /// Always 1.
    pub version: u64,
    /// The chain identifier.
    pub chain_identifier: u64,
    /// The momentum hash (see [`Momentum::compute_hash`]).
    pub hash: Hash,
    /// The previous momentum's hash.
    pub previous_hash: Hash,
    /// Height, from 1 (genesis).
    pub height: u64,
    /// Unix seconds; strictly increasing.
    pub timestamp: u64,
    /// Arbitrary data.
    #[serde(with = "crate::json::base64_bytes", default)]
    pub data: Vec<u8>,
    /// The account blocks confirmed, sorted by (address, height, hash).
    pub content: Vec<AccountHeader>,
    /// State changes hash.
    pub changes_hash: Hash,
    /// The producing pillar's public key.
    #[serde(with = "crate::json::base64_bytes", default)]
    pub public_key: Vec<u8>,
    /// ed25519 signature over the hash.
    #[serde(with = "crate::json::base64_bytes", default)]
    pub signature: Vec<u8>,
}

impl Momentum {
    /// SHA3-256 over the concatenation of the sorted content headers.
    pub fn content_hash(content: &[AccountHeader]) -> Hash {
        let mut sorted: Vec<[u8; 60]> = content.iter().map(AccountHeader::to_bytes).collect();
        sorted.sort_unstable();
        sha3_256_concat(sorted.iter().map(|h| &h[..]))
    }

    /// go-zenon's preimage: version, chainId, previousHash, height, timestamp, SHA3(data), contentHash,
    /// changesHash.
    pub fn hash_preimage(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(168);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.chain_identifier.to_be_bytes());
        out.extend_from_slice(&self.previous_hash.0);
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&sha3_256(&self.data).0);
        out.extend_from_slice(&Self::content_hash(&self.content).0);
        out.extend_from_slice(&self.changes_hash.0);
        out
    }

    /// SHA3-256 of [`Momentum::hash_preimage`].
    pub fn compute_hash(&self) -> Hash {
        sha3_256(&self.hash_preimage())
    }

    /// Sorts the content, then sets `hash`, `public_key` and `signature` for the producing pillar.
    pub fn seal(&mut self, key: &KeyPair) {
        self.content.sort_unstable_by_key(AccountHeader::to_bytes);
        self.hash = self.compute_hash();
        (self.public_key, self.signature) = super::signature_fields(key, &self.hash);
    }

    /// The producer's public key, if it is 32 bytes.
    pub fn producer_key(&self) -> Option<PublicKey> {
        PublicKey::from_slice(&self.public_key).ok()
    }

    /// The producer's address (go-zenon's `producer` JSON field).
    pub fn producer(&self) -> Option<Address> {
        self.producer_key().map(|k| k.address())
    }
}
