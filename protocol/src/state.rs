//! The rollup state: where each value lives ([`StateKey`], whose hash is the tree key) and what the values
//! are (accounts, uploads, the upload expiry queue, withdrawals). Contract code is stored by its hash, so a
//! code leaf's value hash *is* the code hash; contract storage values are the contract's own bytes.

use serde::{Deserialize, Serialize};
use zr_common::codec::{self, CodecError};
use zr_common::hash::sha3_256;
use zr_common::{Address, Hash, TokenStandard};

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
    /// The size of uploaded code, by its hash: [`CodeInfo`].
    CodeInfo {
        /// The code hash.
        code_hash: Hash,
    },
    /// Which code a contract runs: [`ContractInfo`].
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
    /// The upload expiry queue's bounds: [`UploadQueue`].
    UploadQueue,
    /// The upload at a position of the expiry queue: [`UploadQueueEntry`].
    UploadQueueEntry {
        /// Its position, from 0, in the order uploads started.
        position: u64,
    },
    /// A withdrawal waiting for its claim to be final.
    Withdrawal {
        /// The withdrawing transaction.
        tx_hash: Hash,
    },
}

/// Bits of an owned key's tree key taken from its owner's address: 16, so an owner's keys sit in one of 65 536
/// subtrees and a witness pays for the path to it once. Fewer bits would share less; more would give a small
/// state long chains of one-child nodes above each owner's keys and gain little on a large one.
const OWNER_PREFIX_BYTES: usize = 2;

impl StateKey {
    /// The tree key: SHA3 of the canonical encoding, except that a key an address owns (its contract record
    /// and storage, its uploads) starts with the first 16 bits of the address's body (after its type byte:
    /// addresses are hashes, so owners spread evenly), and what one transaction touches of one contract
    /// shares one path from the root.
    pub fn hash(&self) -> Hash {
        let mut hash = sha3_256(&codec::encode(self));
        if let Some(owner) = self.owner() {
            hash.0[..OWNER_PREFIX_BYTES].copy_from_slice(&owner.0[1..=OWNER_PREFIX_BYTES]);
        }
        hash
    }

    /// The address whose subtree the key lives in, if any. Accounts are not owned keys: they spread by hash
    /// (anyone can send to any 20 bytes).
    fn owner(&self) -> Option<&Address> {
        match self {
            StateKey::Contract { address } => Some(address),
            StateKey::Storage { contract, .. } => Some(contract),
            StateKey::Upload { uploader, .. } | StateKey::UploadChunk { uploader, .. } => Some(uploader),
            StateKey::Account { .. }
            | StateKey::Code { .. }
            | StateKey::CodeInfo { .. }
            | StateKey::UploadQueue
            | StateKey::UploadQueueEntry { .. }
            | StateKey::Withdrawal { .. } => None,
        }
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

/// State entries funding each address with ZNN (nonce 0, no QSR), sorted by key and distinct (the first of an
/// address given twice is kept), as [`crate::Tree::from_sorted`] takes them: a genesis for benchmarks and tests.
pub fn funded_accounts(accounts: impl IntoIterator<Item = (Address, u128)>) -> Vec<(Hash, std::sync::Arc<Vec<u8>>)> {
    let mut entries: Vec<(Hash, std::sync::Arc<Vec<u8>>)> = accounts
        .into_iter()
        .map(|(address, znn)| {
            let account = Account { nonce: 0, znn, qsr: 0 };
            (StateKey::Account { address }.hash(), std::sync::Arc::new(codec::encode(&account)))
        })
        .collect();
    entries.sort_by_key(|(key, _)| *key);
    entries.dedup_by_key(|(key, _)| *key);
    entries
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

/// What is known of uploaded code without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct CodeInfo {
    /// Its length in bytes: loading the module is charged by it.
    pub len: u64,
    /// The functions it defines: loading the module is charged by them too.
    pub functions: u32,
}

/// A deployed contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct ContractInfo {
    /// The code it runs.
    pub code_hash: Hash,
    /// That code's length.
    pub code_len: u64,
    /// That code's function count.
    pub functions: u32,
}

/// An upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Upload {
    /// Chunks expected.
    pub count: u32,
    /// Chunks received.
    pub received: u32,
    /// Momentum height of the first chunk (uploads expire).
    pub started_at: u64,
    /// Total bytes received.
    pub bytes: u64,
    /// Which chunks are in, one bit each (bit `i % 8` of byte `i / 8`), so expiry touches only those.
    pub received_chunks: Vec<u8>,
}

impl Upload {
    /// A new upload of `count` chunks started at `height`.
    pub fn new(count: u32, height: u64) -> Upload {
        Upload {
            count,
            received: 0,
            started_at: height,
            bytes: 0,
            received_chunks: vec![0; (count as usize).div_ceil(8)],
        }
    }

    /// Whether chunk `index` is in.
    pub fn has_chunk(&self, index: u32) -> bool {
        self.received_chunks.get(index as usize / 8).is_some_and(|b| b & (1 << (index % 8)) != 0)
    }

    /// Marks chunk `index` as in.
    pub fn mark_chunk(&mut self, index: u32) {
        if let Some(byte) = self.received_chunks.get_mut(index as usize / 8) {
            *byte |= 1 << (index % 8);
        }
    }

    /// The indices of the chunks in, ascending.
    pub fn chunks_in(&self) -> impl Iterator<Item = u32> + '_ {
        (0..self.count).filter(|i| self.has_chunk(*i))
    }
}

/// The upload expiry queue: positions `head..tail` hold the uploads not yet expired or completed, in the
/// order they started (so in ascending start height).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct UploadQueue {
    /// The oldest position still queued.
    pub head: u64,
    /// The next position to append at.
    pub tail: u64,
}

/// An upload in the expiry queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct UploadQueueEntry {
    /// Who uploads.
    pub uploader: Address,
    /// The code hash being uploaded.
    pub code_hash: Hash,
    /// The momentum height of its first chunk.
    pub started_at: u64,
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
    codec::decode(what, bytes, MAX_STATE_VALUE_LEN)
}

/// The largest state value: a contract's code.
pub const MAX_STATE_VALUE_LEN: usize = zr_common::rollup::limits::MAX_CODE_LEN;

#[cfg(test)]
mod tests {
    use super::*;

    /// The key layout is pinned: owned keys carry their owner's 16 bits, the rest are plain SHA3.
    #[test]
    fn owned_keys_share_their_owners_prefix() {
        let contract = Address([2, 0xab, 0xcd, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7]);
        let storage = StateKey::Storage { contract, key: b"balance".to_vec() };
        let record = StateKey::Contract { address: contract };
        for key in [&storage, &record] {
            assert_eq!(key.hash().0[..2], [0xab, 0xcd]);
            assert_eq!(key.hash().0[2..], sha3_256(&codec::encode(key)).0[2..]);
        }
        let account = StateKey::Account { address: contract };
        assert_eq!(account.hash(), sha3_256(&codec::encode(&account)));
        // SHA3 of the encoding (tag 4 as u32 LE, the 20 address bytes, the key as u64 LE length and bytes),
        // computed independently, its first two bytes the owner's.
        assert_eq!(storage.hash().to_hex(), "abcd2a3fef528188ccfa430db988a946c93862b042ba0f55dc94333301de06a4");
    }
}
