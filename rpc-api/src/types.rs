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

/// `rollup.getContract`: what a contract runs and the methods it declares.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractView {
    /// The contract.
    pub address: Address,
    /// SHA3-256 of its code.
    pub code_hash: Hash,
    /// Its code's length in bytes.
    pub code_size: u64,
    /// The functions its code defines.
    pub functions: u32,
    /// Its ABI (methods, events, record types), as `zr_common::abi::Abi` serialises it; `None` when the code
    /// carries none.
    pub abi: Option<serde_json::Value>,
    /// The state height answered from.
    pub height: u64,
}

/// `rollup.getTransaction`: where a transaction stands. An executor knows what it executed (`executed`,
/// `failed`, or `dropped` at a height); a relay also knows what it holds and posted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView {
    /// The transaction hash.
    pub hash: Hash,
    /// Where it stands.
    pub status: TransactionStatus,
    /// The momentum height it was sequenced or executed at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
    /// Its position in the momentum's canonical order, from 0 (its claim leaf is this plus one: leaf 0 is the
    /// prelude).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u32>,
    /// Its receipt, once executed (or dropped by an executor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
    /// `queued`: the nonce the sender's next transaction must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_nonce: Option<u64>,
    /// `bundled`: the bundle that carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle: Option<Hash>,
    /// `bundled`: the L1 account block that carries the bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1_block: Option<Hash>,
    /// `dropped`, `rejected`, `failed`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `replaced`: the transaction that took its nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<Hash>,
    /// `executed`, `failed`: the claim of its height is final on L1 (with the answering executor's root).
    #[serde(default, rename = "final", skip_serializing_if = "std::ops::Not::not")]
    pub finalized: bool,
}

impl TransactionView {
    /// A status with no details yet.
    pub fn new(hash: Hash, status: TransactionStatus) -> TransactionView {
        TransactionView {
            hash,
            status,
            height: None,
            index: None,
            receipt: None,
            expected_nonce: None,
            bundle: None,
            l1_block: None,
            reason: None,
            replaced_by: None,
            finalized: false,
        }
    }

    /// What an executor's receipt says, at its place in a momentum.
    pub fn of_receipt(hash: Hash, receipt: Receipt, height: Option<u64>, index: Option<u32>) -> TransactionView {
        let reason = match &receipt.status {
            ReceiptStatus::Success => None,
            ReceiptStatus::Failed { reason } => Some(reason.clone()),
            ReceiptStatus::Dropped { reason } => Some(reason.to_string()),
        };
        TransactionView {
            height,
            index,
            reason,
            receipt: Some(receipt.clone()),
            ..TransactionView::new(hash, TransactionStatus::of(&receipt.status))
        }
    }

    /// A terminal status with its reason.
    pub fn with_reason(hash: Hash, status: TransactionStatus, reason: impl Into<String>) -> TransactionView {
        TransactionView { reason: Some(reason.into()), ..TransactionView::new(hash, status) }
    }
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
    /// Accepted by a relay, ready for its next bundle.
    Pending,
    /// Accepted by a relay, waiting for the sender's earlier nonce (`expectedNonce`).
    Queued,
    /// In a bundle the relay posted to L1 (`bundle`, `l1Block`), not yet in a momentum.
    Bundled,
    /// In a momentum's canonical order (`height`, `index`), not yet executed by the relay's executor.
    Sequenced,
    /// Executed successfully.
    Executed,
    /// Executed and failed: its nonce and fee are used, its effect undone.
    Failed,
    /// Not executed. From an executor: nothing changed at that height, it may be posted again. From a
    /// relay: no longer held or retried (`reason`).
    Dropped,
    /// Another transaction with the same sender and nonce and a higher fee took its place (`replacedBy`).
    Replaced,
    /// Refused at admission (`reason`).
    Rejected,
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

    /// Whether a relay reports nothing after this one.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TransactionStatus::Executed
                | TransactionStatus::Failed
                | TransactionStatus::Dropped
                | TransactionStatus::Replaced
                | TransactionStatus::Rejected
        )
    }
}

impl std::fmt::Display for TransactionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TransactionStatus::Pending => "pending",
            TransactionStatus::Queued => "queued",
            TransactionStatus::Bundled => "bundled",
            TransactionStatus::Sequenced => "sequenced",
            TransactionStatus::Executed => "executed",
            TransactionStatus::Failed => "failed",
            TransactionStatus::Dropped => "dropped",
            TransactionStatus::Replaced => "replaced",
            TransactionStatus::Rejected => "rejected",
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
    /// Every claim the executor signs (executors).
    Claims,
    /// Every receipt, in canonical order (executors).
    Receipts,
    /// Every status change of one transaction, until a terminal one (relays; the hash is the second
    /// parameter).
    TransactionStatus,
}

/// A `rollup.subscription` notification: a claim or a receipt, depending on the topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RollupEvent {
    /// A new claim.
    Claim(Claim),
    /// A new receipt.
    Receipt(Receipt),
    /// A transaction's new status.
    Transaction(TransactionView),
}
