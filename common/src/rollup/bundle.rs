//! The bundle: a poster's signed, ordered list of transactions, posted as one L1 account block's data.

use serde::{Deserialize, Serialize};

use super::{Transaction, limits};
use crate::codec::Canonical;
use crate::hash::{Domain, domain_hash};
use crate::keys::SignatureError;
use crate::{Hash, KeyPair, PublicKey, Signature};

/// The signed part of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct BundleBody {
    /// The rollup chain id.
    pub chain_id: u64,
    /// The poster (a relay, or a user posting directly); fees go to its address.
    pub poster: PublicKey,
    /// The transactions, in the poster's order (the canonical order is derived later).
    pub transactions: Vec<Transaction>,
}

/// A signed bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// The signed fields.
    pub body: BundleBody,
    /// ed25519 by the poster over [`BundleBody::hash`].
    pub signature: Signature,
}

impl BundleBody {
    /// The signing hash.
    pub fn hash(&self) -> Hash {
        domain_hash(Domain::Bundle, &crate::codec::encode(self))
    }

    /// Signs the body with the poster's key.
    pub fn sign(self, key: &KeyPair) -> Bundle {
        let signature = key.sign(&self.hash());
        Bundle { body: self, signature }
    }
}

impl Bundle {
    /// Checks the poster's signature.
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        self.body.poster.verify_rollup(&self.body.hash(), &self.signature)
    }
}

impl Canonical for Bundle {
    const NAME: &'static str = "bundle";
    const MAX_ENCODED_LEN: usize = limits::MAX_BUNDLE_LEN;
}
