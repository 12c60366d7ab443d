//! JSON shapes of the executor's query RPC (namespace `rollup`), shared by the executor, the relay and the
//! CLI so none of them needs the VM to talk to another.

use serde::{Deserialize, Serialize};

use super::{Event, Receipt};
use crate::{Address, Hash};

/// `rollup.getBalance`: an account's balances and nonce.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    /// The account.
    pub address: Address,
    /// Its next nonce.
    pub nonce: u64,
    /// ZNN.
    #[serde(with = "crate::json::decimal_amount")]
    pub znn: u128,
    /// QSR.
    #[serde(with = "crate::json::decimal_amount")]
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
    /// `executed`, `failed` or `dropped`.
    pub status: String,
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
    #[serde(with = "crate::json::hex_bytes", default)]
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
    #[serde(with = "crate::json::hex_bytes")]
    pub return_data: Vec<u8>,
    /// Events it would emit.
    pub events: Vec<Event>,
    /// The state height it ran at.
    pub height: u64,
}
