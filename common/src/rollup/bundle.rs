//! The bundle: a poster's signed, ordered list of transactions, posted as one L1 account block's data.

use serde::{Deserialize, Serialize};

use super::{Transaction, limits};
use crate::PublicKey;
use crate::hash::Domain;
use crate::keys::SignatureError;

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

signed!(
    /// A signed bundle.
    Bundle(BundleBody) by "the poster" under Domain::Bundle, "bundle" up to limits::MAX_BUNDLE_LEN
);

impl Bundle {
    /// Checks the poster's signature.
    pub fn verify_signature(&self) -> Result<(), SignatureError> {
        self.body.poster.verify_rollup(&self.body.hash(), &self.signature)
    }
}
