//! The rollup state: accounts, code, contract storage, uploads and withdrawals, committed by a sparse
//! Merkle tree ([`smt`]) and persisted in redb.

pub mod smt;
mod world;

use serde::{Deserialize, Serialize};
use zr_common::codec::{self, CodecError};
use zr_common::hash::sha3_256;
use zr_common::{Address, Hash, TokenStandard};

pub use world::{Checkpoint, World};

/// Where a value lives in the state. Its hash (SHA3 of the canonical encoding) is the tree key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind")]
pub enum StateKey {
    /// An account's nonce and balances.
    Account {
        /// The account.
        address: Address,
    },
    /// Contract code by its SHA3-256.
    Code {
        /// The code hash.
        code_hash: Hash,
    },
    /// Which code a contract runs.
    Contract {
        /// The contract.
        address: Address,
    },
    /// A contract's storage entry.
    Storage {
        /// The contract.
        contract: Address,
        /// The key.
        #[serde(with = "zr_common::json::hex_bytes")]
        key: Vec<u8>,
    },
    /// An upload in progress. Keyed by uploader too, so nobody can spoil another account's upload.
    Upload {
        /// Who uploads.
        uploader: Address,
        /// The code hash being uploaded.
        code_hash: Hash,
    },
    /// One uploaded chunk.
    UploadChunk {
        /// Who uploads.
        uploader: Address,
        /// The code hash being uploaded.
        code_hash: Hash,
        /// The chunk index.
        index: u32,
    },
    /// How many uploads started at a momentum height (uploads expire).
    UploadQueueLen {
        /// The momentum height.
        height: u64,
    },
    /// The `index`-th upload started at a momentum height: (uploader, code hash).
    UploadQueueEntry {
        /// The momentum height.
        height: u64,
        /// Its position.
        index: u32,
    },
    /// A withdrawal waiting for its claim to be final.
    Withdrawal {
        /// The withdrawing transaction.
        tx_hash: Hash,
    },
}

impl StateKey {
    /// The tree key.
    pub fn hash(&self) -> Hash {
        sha3_256(&codec::encode(self))
    }
}

/// An account: nonce and the two NoM tokens the rollup holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The next transaction nonce.
    pub nonce: u64,
    /// ZNN, smallest unit.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub znn: u128,
    /// QSR, smallest unit.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub qsr: u128,
}

impl Account {
    /// The balance of `token`, if the rollup holds that token.
    pub fn balance(&self, token: &TokenStandard) -> Option<u128> {
        match *token {
            TokenStandard::ZNN => Some(self.znn),
            TokenStandard::QSR => Some(self.qsr),
            _ => None,
        }
    }

    /// The balance of `token`, mutably.
    pub fn balance_mut(&mut self, token: &TokenStandard) -> Option<&mut u128> {
        match *token {
            TokenStandard::ZNN => Some(&mut self.znn),
            TokenStandard::QSR => Some(&mut self.qsr),
            _ => None,
        }
    }
}

/// An upload in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Upload {
    /// Chunks expected.
    pub count: u32,
    /// Chunks received.
    pub received: u32,
    /// Momentum height of the first chunk (uploads expire).
    pub started_at: u64,
    /// Total bytes received.
    pub bytes: u64,
}

/// A pending withdrawal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Withdrawal {
    /// The L1 account paid.
    pub recipient: Address,
    /// The token.
    pub token: TokenStandard,
    /// The amount.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub amount: u128,
    /// The momentum height it was made at.
    pub height: u64,
}

/// Decodes a stored state value.
pub fn decode_value<T: bincode::Encode + bincode::Decode<()>>(
    what: &'static str,
    bytes: &[u8],
) -> Result<T, CodecError> {
    codec::decode(what, bytes, zr_common::rollup::limits::MAX_CODE_LEN + 1024)
}
