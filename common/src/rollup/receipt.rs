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
    /// Not executed: the momentum's gas budget could not fit its gas limit. No state change, no charge.
    Dropped {
        /// Why.
        reason: String,
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
        domain_hash(Domain::Receipt, &crate::codec::encode(self))
    }
}

impl Canonical for Receipt {
    const NAME: &'static str = "receipt";
    const MAX_ENCODED_LEN: usize = limits::MAX_RECEIPT_LEN;
}
