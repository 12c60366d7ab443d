//! The rollup transaction: what a user signs.

use serde::{Deserialize, Serialize};

use super::limits;
use crate::codec::CodecError;
use crate::hash::Domain;
use crate::keys::SignatureError;
use crate::{Address, Hash, PublicKey, TokenStandard};

/// What a transaction does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum TxKind {
    /// Moves `amount` of `token` to `to`.
    Transfer {
        /// The receiver.
        to: Address,
        /// The token moved.
        token: TokenStandard,
        /// The amount, in the token's smallest unit.
        #[serde(with = "crate::json::decimal_amount")]
        amount: u128,
    },
    /// One chunk of contract code; once all `count` chunks are in and hash to `code_hash`, the code is
    /// validated and stored.
    UploadChunk {
        /// SHA3-256 of the whole code.
        code_hash: Hash,
        /// This chunk's index, from 0.
        index: u32,
        /// The number of chunks.
        count: u32,
        /// The chunk's bytes.
        #[serde(with = "crate::json::hex_bytes")]
        bytes: Vec<u8>,
    },
    /// Instantiates uploaded code at a fresh address derived from (sender, nonce).
    Deploy {
        /// The code to instantiate.
        code_hash: Hash,
        /// Input to the contract's `init`.
        #[serde(with = "crate::json::hex_bytes")]
        input: Vec<u8>,
        /// ZNN sent to the new contract.
        #[serde(with = "crate::json::decimal_amount")]
        value: u128,
    },
    /// Calls `method` on a contract.
    Call {
        /// The contract.
        contract: Address,
        /// The exported method name.
        method: String,
        /// The method's input.
        #[serde(with = "crate::json::hex_bytes")]
        input: Vec<u8>,
        /// ZNN sent with the call.
        #[serde(with = "crate::json::decimal_amount")]
        value: u128,
    },
    /// Burns `amount` of `token` on the rollup; the pillars pay it to `l1_recipient` once final.
    Withdraw {
        /// The token.
        token: TokenStandard,
        /// The amount.
        #[serde(with = "crate::json::decimal_amount")]
        amount: u128,
        /// The NoM account paid on L1.
        l1_recipient: Address,
    },
}

/// The signed part of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct TxBody {
    /// The rollup chain id (replay protection across rollups).
    pub chain_id: u64,
    /// The sender's public key; the sender's address is derived from it.
    pub sender: PublicKey,
    /// The sender's next nonce, from 0.
    pub nonce: u64,
    /// The most gas the transaction may use.
    pub gas_limit: u64,
    /// ZNN (smallest unit) paid per unit of gas used, to the bundle's poster.
    pub fee_per_gas: u64,
    /// What it does.
    pub kind: TxKind,
}

signed!(
    /// A signed transaction.
    Transaction(TxBody) by "the sender" under Domain::Transaction, "transaction" up to limits::MAX_TX_LEN
);

/// A transaction is invalid on its own, whatever the state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The chain id is another rollup's.
    #[error("wrong chain id: expected {expected}, got {actual}")]
    WrongChain {
        /// This rollup's id.
        expected: u64,
        /// The transaction's.
        actual: u64,
    },
    /// The signature does not verify.
    #[error("bad signature: {0}")]
    Signature(#[from] SignatureError),
    /// A field is out of bounds.
    #[error("{0}")]
    Limit(String),
    /// The encoding is invalid.
    #[error("{0}")]
    Codec(#[from] CodecError),
}

impl TxBody {
    /// The sender's address.
    pub fn sender_address(&self) -> Address {
        self.sender.address()
    }

    /// Field bounds that hold whatever the state.
    pub fn check_limits(&self) -> Result<(), TxError> {
        let limit = |msg: String| Err(TxError::Limit(msg));
        match &self.kind {
            TxKind::UploadChunk { index, count, bytes, .. } => {
                if *count == 0 || *count > limits::MAX_CODE_CHUNKS {
                    return limit(format!("chunk count {count} outside 1..={}", limits::MAX_CODE_CHUNKS));
                }
                if index >= count {
                    return limit(format!("chunk index {index} not below chunk count {count}"));
                }
                if bytes.is_empty() || bytes.len() > limits::MAX_CODE_CHUNK_LEN {
                    return limit(format!("chunk of {} bytes outside 1..={}", bytes.len(), limits::MAX_CODE_CHUNK_LEN));
                }
            }
            TxKind::Deploy { input, .. } | TxKind::Call { input, .. } if input.len() > limits::MAX_INPUT_LEN => {
                return limit(format!("input of {} bytes exceeds {}", input.len(), limits::MAX_INPUT_LEN));
            }
            TxKind::Call { method, .. } => Self::check_method(method)?,
            _ => {}
        }
        Ok(())
    }
}

impl TxBody {
    /// Checks a method name: 1 to 64 ASCII letters, digits or `_`.
    pub fn check_method(method: &str) -> Result<(), TxError> {
        if method.is_empty()
            || method.len() > limits::MAX_METHOD_LEN
            || !method.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(TxError::Limit(format!(
                "method name {method:?} must be 1..={} ASCII letters, digits or '_'",
                limits::MAX_METHOD_LEN
            )));
        }
        Ok(())
    }
}

impl Transaction {
    /// The transaction hash (the body's signing hash; the signature is not part of it).
    pub fn hash(&self) -> Hash {
        self.body.hash()
    }

    /// Checks chain id, limits and signature: everything that does not need the state.
    pub fn verify(&self, chain_id: u64) -> Result<(), TxError> {
        self.verify_with_hash(chain_id, &self.hash())
    }

    /// [`Transaction::verify`] with the hash already computed (`hash` must be [`Transaction::hash`]).
    pub fn verify_with_hash(&self, chain_id: u64, hash: &Hash) -> Result<(), TxError> {
        self.check_fields(chain_id)?;
        self.body.sender.verify_rollup(hash, &self.signature)?;
        Ok(())
    }

    /// Chain id and limits: [`Transaction::verify`] but for the signature (for checking signatures in a
    /// [`crate::SignatureBatch`]).
    pub fn check_fields(&self, chain_id: u64) -> Result<(), TxError> {
        if self.body.chain_id != chain_id {
            return Err(TxError::WrongChain { expected: chain_id, actual: self.body.chain_id });
        }
        self.body.check_limits()
    }
}
