//! The requests and responses of the `rollup` API.

use serde::{Deserialize, Serialize};
use zr_common::rollup::{Claim, Event, Receipt, ReceiptStatus};
use zr_common::{Address, Hash, PublicKey};
use zr_protocol::Proof;

/// `rollup.getBalance`: an account's balances and nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// The account.
    pub address: Address,
    /// Its next nonce.
    pub nonce: u64,
    /// ZNN.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub znn: u128,
    /// QSR.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub qsr: u128,
    /// The state height answered from.
    pub height: u64,
}

/// `rollup.getTransaction`: where a transaction landed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    /// The transaction hash.
    pub hash: Hash,
    /// How it ended.
    pub status: TransactionStatus,
    /// The momentum height it was executed at.
    pub height: Option<u64>,
    /// Its position in the momentum.
    pub index: Option<u32>,
    /// Its receipt.
    pub receipt: Receipt,
}

/// `rollup.getStateRoot`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateRootView {
    /// The momentum height.
    pub height: u64,
    /// The state root after it.
    pub root: Hash,
}

/// `rollup.call` request: a read-only call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallRequest {
    /// The contract.
    pub contract: Address,
    /// The method.
    pub method: String,
    /// The input, hex.
    #[serde(with = "zr_common::json::hex_bytes", default)]
    pub input: Vec<u8>,
    /// The caller seen by the contract (zero address by default).
    #[serde(default)]
    pub from: Option<Address>,
    /// Gas for the call (capped by the executor).
    #[serde(default)]
    pub gas_limit: Option<u64>,
    /// The state height to call at (the head by default).
    #[serde(default)]
    pub height: Option<u64>,
}

/// `rollup.call` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallResult {
    /// Whether it succeeded.
    pub success: bool,
    /// Why it failed.
    pub error: Option<String>,
    /// Gas used.
    pub gas_used: u64,
    /// Return data, hex.
    #[serde(with = "zr_common::json::hex_bytes")]
    pub return_data: Vec<u8>,
    /// Events it would emit.
    pub events: Vec<Event>,
    /// The state height it ran at.
    pub height: u64,
}

/// Where a transaction stands, as `rollup.getTransaction` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TransactionStatus {
    /// Executed successfully.
    Executed,
    /// Executed and failed: its nonce and fee are used, its effect undone.
    Failed,
    /// Not executed (gas budget, nonce): nothing changed, it may be posted again.
    Dropped,
}

impl TransactionStatus {
    /// The status a receipt stands for.
    pub fn of(status: &ReceiptStatus) -> TransactionStatus {
        match status {
            ReceiptStatus::Success => TransactionStatus::Executed,
            ReceiptStatus::Failed { .. } => TransactionStatus::Failed,
            ReceiptStatus::Dropped { .. } => TransactionStatus::Dropped,
        }
    }
}

impl std::fmt::Display for TransactionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransactionStatus::Executed => "executed",
            TransactionStatus::Failed => "failed",
            TransactionStatus::Dropped => "dropped",
        })
    }
}

/// `rollup.getHead`: the executor's committed head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadView {
    /// The last momentum height committed.
    pub height: u64,
    /// The state root after it.
    pub root: Hash,
    /// The executor's public key.
    pub executor: PublicKey,
    /// The rollup chain id.
    pub chain_id: u64,
}

/// `rollup.getProof`: a key's value (if present) and its proof against the state root at a height.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProofView {
    /// The state height.
    pub height: u64,
    /// The state root at that height.
    pub root: Hash,
    /// The tree key (SHA3 of the state key's canonical encoding).
    pub key_hash: Hash,
    /// The value, hex; `None` if absent.
    #[serde(with = "zr_common::json::opt_hex_bytes")]
    pub value: Option<Vec<u8>>,
    /// The inclusion or exclusion proof.
    pub proof: Proof,
}

/// What `rollup.subscribe` can follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Topic {
    /// Every claim the executor signs.
    Claims,
    /// Every receipt, in canonical order.
    Receipts,
}

/// A `rollup.subscription` notification: a claim or a receipt, depending on the topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RollupEvent {
    /// A new claim.
    Claim(Claim),
    /// A new receipt.
    Receipt(Receipt),
}
