//! The receipt: what executing one transaction did.

use serde::{Deserialize, Serialize};

use super::limits;
use crate::codec::Canonical;
use crate::hash::{Domain, domain_hash};
use crate::{Address, Hash};

/// How a transaction ended. Failed transactions change nothing but the gas charged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum ReceiptStatus {
    /// Applied.
    Success,
    /// Executed and failed: a trap, abort, out of gas, insufficient funds, …; the reason is stable text.
    Failed {
        /// Why.
        reason: String,
    },
    /// Not executed: no state change, no charge, the nonce not used; it may be posted again.
    Dropped {
        /// Why.
        reason: DropReason,
    },
}

/// Why a transaction was not executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode, thiserror::Error)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind")]
pub enum DropReason {
    /// The momentum's gas budget could not fit its gas limit any more.
    #[error("the momentum's gas budget is used up")]
    GasBudget,
    /// Its nonce is already used: a re-post of an executed transaction, or one replaced by another.
    #[error("nonce already used (the account's next nonce is {expected})")]
    NonceTooLow {
        /// The sender's next nonce.
        expected: u64,
    },
    /// Its nonce is ahead of the sender's next: an earlier transaction has not run (it was dropped too).
    #[error("nonce ahead of the account's next nonce {expected}")]
    NonceTooHigh {
        /// The sender's next nonce.
        expected: u64,
    },
    /// The sender cannot pay the maximum fee (gas limit × fee per gas).
    #[error("the sender's {has} ZNN cannot pay the maximum fee of {needs}")]
    InsufficientFee {
        /// The maximum fee.
        #[serde(with = "crate::json::decimal_amount")]
        needs: u128,
        /// The sender's ZNN.
        #[serde(with = "crate::json::decimal_amount")]
        has: u128,
    },
    /// The momentum's receipts are near their byte budget: the largest receipt a transaction can write
    /// would not fit.
    #[error("the momentum's receipt bytes are used up")]
    ReceiptBudget,
    /// The momentum's state writes are near their byte budget: what this transaction's gas could write
    /// would not fit.
    #[error("the momentum's state write bytes are used up")]
    StateBudget,
    /// Its gas limit is outside what any transaction may ask for.
    #[error("gas limit {limit} outside {intrinsic}..={max}")]
    GasLimit {
        /// The gas limit.
        limit: u64,
        /// Its intrinsic gas.
        intrinsic: u64,
        /// The cap.
        max: u64,
    },
}

/// An event a contract emitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    /// The emitting contract.
    pub contract: Address,
    /// The event's topic.
    #[serde(with = "crate::json::hex_bytes")]
    pub topic: Vec<u8>,
    /// The event's data.
    #[serde(with = "crate::json::hex_bytes")]
    pub data: Vec<u8>,
}

/// The outcome of one transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The transaction.
    pub tx_hash: Hash,
    /// How it ended.
    pub status: ReceiptStatus,
    /// Gas charged.
    pub gas_used: u64,
    /// Events, in emission order (empty when failed).
    pub events: Vec<Event>,
    /// The top-level call's return data.
    #[serde(with = "crate::json::hex_bytes")]
    pub return_data: Vec<u8>,
    /// The state root after this transaction.
    pub post_state_root: Hash,
}

impl Receipt {
    /// The receipt hash (a part of the claim's leaf).
    pub fn hash(&self) -> Hash {
        self.hash_and_len().0
    }

    /// The receipt hash and the length of its canonical encoding, from one encoding.
    pub fn hash_and_len(&self) -> (Hash, usize) {
        let encoded = crate::codec::encode(self);
        (domain_hash(Domain::Receipt, &encoded), encoded.len())
    }
}

impl Canonical for Receipt {
    const NAME: &'static str = "receipt";
    const MAX_ENCODED_LEN: usize = limits::MAX_RECEIPT_LEN;
}
