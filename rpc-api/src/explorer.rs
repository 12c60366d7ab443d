//! What the explorer asks an executor for beyond the rest of the API: momentum summaries, a momentum's
//! transactions a page at a time, transactions by address, and L1's view of the settlement (claims with
//! their status and window, challenges, data-availability challenges, withdrawals, L1 balances).
//! Everything is bounded: no answer holds more than a page.

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use serde::{Deserialize, Serialize};
use zr_common::rollup::settlement::{Bond, ChallengeRecord, ClaimRecord, DaRecord, FinalRoot};
use zr_common::rollup::{Claim, Receipt};
use zr_common::{Address, Hash, TokenStandard};

use crate::TransactionView;

/// The most transactions or momentums one explorer call answers.
pub const MAX_PAGE: u32 = 100;
/// The most heights one `getSettlement` covers.
pub const MAX_SETTLEMENT_HEIGHTS: u64 = 100;

/// A momentum in a list: its L1 facts and what it executed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MomentumSummary {
    /// The momentum height.
    pub height: u64,
    /// The L1 momentum's hash.
    pub l1_hash: Hash,
    /// Its timestamp (unix seconds).
    pub timestamp: u64,
    /// When the answering executor committed it (unix milliseconds, its clock).
    pub executed_at_ms: u64,
    /// The state root after it.
    pub state_root: Option<Hash>,
    /// Transactions in its canonical order.
    pub transactions: u32,
    /// Of them, failed.
    pub failed: u32,
    /// Of them, dropped.
    pub dropped: u32,
    /// Gas they used.
    pub gas_used: u64,
    /// Bundles it carried.
    pub bundles: u32,
    /// Deposits its prelude credited.
    pub deposits: u32,
}

/// One block L1 sent to the inbox in a momentum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxBlockView {
    /// The L1 account block.
    pub l1_block: Hash,
    /// The L1 account that sent it.
    pub sender: Address,
    /// `bundle`, `claim`, `bond`, `unbond`, `challenge part`, `withdrawal`, `data-availability challenge`,
    /// `leaves part`, `deposit` or `unknown`.
    pub kind: String,
    /// Its data's length.
    pub bytes: u64,
    /// The amount sent with it.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub amount: u128,
    /// The token of `amount`.
    pub token: TokenStandard,
    /// Plasma it fused.
    pub fused_plasma: u64,
    /// PoW difficulty it paid.
    pub difficulty: u64,
}

/// A deposit a momentum's prelude credited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositView {
    /// The account credited.
    pub account: Address,
    /// ZNN or QSR.
    pub token: TokenStandard,
    /// The amount.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub amount: u128,
    /// The L1 block that sent it.
    pub l1_block: Hash,
}

/// A bundle the ordering rule skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedView {
    /// The L1 block.
    pub l1_block: Hash,
    /// Why.
    pub reason: String,
}

/// A transaction as lists show it: who, what, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxSummary {
    /// Its hash.
    pub hash: Hash,
    /// Its momentum.
    pub height: u64,
    /// Its position in the momentum's order.
    pub index: u32,
    /// Its sender.
    pub sender: Address,
    /// Its nonce.
    pub nonce: u64,
    /// `transfer`, `call`, `deploy`, `upload` or `withdraw`.
    pub action: String,
    /// The receiver, the contract called, or the contract deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Address>,
    /// The method called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The amount moved.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub amount: u128,
    /// The token of `amount`.
    pub token: TokenStandard,
    /// A withdrawal's L1 recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l1_recipient: Option<Address>,
    /// Its gas limit.
    pub gas_limit: u64,
    /// Its fee per gas.
    pub fee_per_gas: u64,
    /// The relay whose bundle carried it.
    pub poster: Address,
    /// `executed`, `failed` or `dropped` (`None`: its receipt is pruned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<crate::TransactionStatus>,
    /// Gas used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gas_used: Option<u64>,
    /// The fee paid (gas used × fee per gas, ZNN smallest unit).
    #[serde(default, with = "zr_common::json::opt_decimal_amount", skip_serializing_if = "Option::is_none")]
    pub fee: Option<u128>,
    /// Why it failed or was dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How it names the address asked about (`getAddressTransactions` only): `sender`, `target` or
    /// `deployed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `rollup.getMomentum`: a momentum, its L1 traffic, its claim and a page of its transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MomentumView {
    /// The summary.
    pub summary: MomentumSummary,
    /// The answering executor's claim.
    pub claim: Option<Claim>,
    /// Blocks L1 sent to the inbox, in content order.
    pub inbox: Vec<InboxBlockView>,
    /// Deposits the prelude credited.
    pub deposits: Vec<DepositView>,
    /// Bundles skipped, with why.
    pub skipped: Vec<SkippedView>,
    /// The position of the first transaction in `transactions`.
    pub offset: u32,
    /// A page of its transactions, in order.
    pub transactions: Vec<TxSummary>,
}

/// `rollup.getMomentums`: the newest momentums and where the rollup stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverviewView {
    /// The executor's head.
    pub head: u64,
    /// The highest height final on L1 with the executor's root (0: none).
    pub final_height: u64,
    /// The momentums, newest first.
    pub momentums: Vec<MomentumSummary>,
}

/// `rollup.getTransactionDetail`: everything the executor knows of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionDetail {
    /// Its status, place and receipt.
    pub transaction: TransactionView,
    /// Who sent it and what it does (`None`: its index rows are pruned).
    pub summary: Option<TxSummary>,
    /// The momentum it is in.
    pub momentum: Option<MomentumSummary>,
    /// Its receipt's events, decoded by each emitting contract's ABI where it declares them.
    pub events: Vec<EventView>,
}

/// An event, decoded by its contract's ABI when the contract declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventView {
    /// The emitting contract.
    pub contract: Address,
    /// The topic, as text when it is UTF-8 (the SDK's event names are), hex otherwise.
    pub topic: String,
    /// The data, hex.
    pub data: String,
    /// The fields by name, when the contract's ABI declares the event and the data decodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Value>,
}

/// An executor that claimed at the heights asked, and its bond on L1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutorBond {
    /// The executor's key.
    pub executor: zr_common::PublicKey,
    /// Its L1 address (where its bond is kept).
    pub address: Address,
    /// Its bond (`None`: none, or paid back).
    pub bond: Option<Bond>,
}

/// A cursor into an address's transactions: strictly older than this place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    /// The momentum height.
    pub height: u64,
    /// The position in it.
    pub index: u32,
}

/// `rollup.getAddressTransactions`: a page of an address's transactions, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressTransactions {
    /// The address.
    pub address: Address,
    /// The page.
    pub transactions: Vec<TxSummary>,
    /// The cursor of the next (older) page; `None` at the end of what is kept.
    pub next: Option<Place>,
}

/// `rollup.getSettlement`: L1's record of claims at a range of heights, their challenges, and where
/// finality stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SettlementView {
    /// L1's frontier momentum height.
    pub l1_frontier: u64,
    /// The rollup's final root on L1.
    pub final_root: Option<FinalRoot>,
    /// Momentums a claim can be challenged after its inclusion.
    pub finality_window: u64,
    /// The claims recorded for the heights, with their status.
    pub claims: Vec<ClaimRecord>,
    /// The challenges of claims at the heights.
    pub challenges: Vec<ChallengeRecord>,
    /// The data-availability challenges of claims at the heights.
    pub da_challenges: Vec<DaRecord>,
    /// The bond of each executor that claimed at the heights.
    pub bonds: Vec<ExecutorBond>,
}

/// `rollup.getL1Account`: an address on L1, and its bond in the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1AccountView {
    /// The address.
    pub address: Address,
    /// Its L1 account-chain height.
    pub height: u64,
    /// ZNN on L1.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub znn: u128,
    /// QSR on L1.
    #[serde(with = "zr_common::json::decimal_amount")]
    pub qsr: u128,
    /// Its bond in the inbox (executors and challengers).
    pub bond: Option<Bond>,
}

/// `rollup.getWithdrawal`: a withdrawal from burn to payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalView {
    /// The withdrawing transaction.
    pub tx_hash: Hash,
    /// `executed` (burned, to be paid), `failed` or `dropped` (nothing to pay).
    pub status: crate::TransactionStatus,
    /// Its receipt (executed, or failed).
    pub receipt: Option<Receipt>,
    /// The momentum it executed in.
    pub height: Option<u64>,
    /// Who withdraws, the amount, the token, the L1 recipient (`None`: index rows pruned).
    pub summary: Option<TxSummary>,
    /// Its momentum is final on L1 with the answering executor's root.
    #[serde(rename = "final")]
    pub finalized: bool,
    /// L1 paid it: the paying block (proven and paid are one step: the inbox pays when the proof lands).
    pub paid_l1_block: Option<Hash>,
}

/// The explorer's reads (an executor).
#[rpc(server, client, namespace = "rollup", namespace_separator = ".")]
pub trait RollupExplorerApi {
    /// Up to `count` (at most [`MAX_PAGE`]) momentums at or below `top` (the head by default), newest first,
    /// with the head and final height.
    #[method(name = "getMomentums", blocking)]
    fn get_momentums(&self, top: Option<u64>, count: u32) -> RpcResult<OverviewView>;

    /// A momentum with up to `limit` (at most [`MAX_PAGE`]) of its transactions from position `offset`;
    /// `None` if not executed here or pruned.
    #[method(name = "getMomentum", blocking)]
    fn get_momentum(&self, height: u64, offset: u32, limit: u32) -> RpcResult<Option<MomentumView>>;

    /// A transaction's status, receipt, sender, action and momentum; `None` if unknown here.
    #[method(name = "getTransactionDetail", blocking)]
    fn get_transaction_detail(&self, hash: Hash) -> RpcResult<Option<TransactionDetail>>;

    /// Up to `limit` (at most [`MAX_PAGE`]) transactions naming `address` (as sender, receiver, contract
    /// called or deployed), newest first, older than `before` when given. Kept as long as receipts are
    /// (`prune_depth`).
    #[method(name = "getAddressTransactions", blocking)]
    fn get_address_transactions(
        &self,
        address: Address,
        before: Option<Place>,
        limit: u32,
    ) -> RpcResult<AddressTransactions>;

    /// L1's record of the claims at `count` (at most [`MAX_SETTLEMENT_HEIGHTS`]) heights from `from`, their
    /// challenges and data-availability challenges, the final root and L1's frontier.
    #[method(name = "getSettlement")]
    async fn get_settlement(&self, from: u64, count: u64) -> RpcResult<SettlementView>;

    /// An address's balances and bond on L1.
    #[method(name = "getL1Account")]
    async fn get_l1_account(&self, address: Address) -> RpcResult<L1AccountView>;

    /// A withdrawal's path: executed, final, paid on L1.
    #[method(name = "getWithdrawal")]
    async fn get_withdrawal(&self, tx_hash: Hash) -> RpcResult<WithdrawalView>;
}
