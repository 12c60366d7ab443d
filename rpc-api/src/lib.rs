//! The zrollup JSON-RPC API, namespace `rollup` (as NoM's own API is named: `rollup.getBalance`, …),
//! declared once as jsonrpsee traits with typed requests and responses, as reth-rpc-api does. Servers
//! implement the generated `…Server` traits; the CLI, tools and tests call the generated `…Client`
//! extension traits on any jsonrpsee client, so nobody writes a JSON body by hand.
//!
//! The API is split so a daemon serves what it has: [`RollupTxApi`] (transactions and receipts) needs no
//! state, and is what a relay serves itself; [`RollupStateApi`] (balances, calls, proofs, claims) needs an
//! executor's state and VM.

pub mod explorer;
pub mod subscription;
pub mod types;

use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;
use zr_common::rollup::{Claim, Receipt};
use zr_common::{Address, Hash};
use zr_protocol::{ClaimLeaf, StateKey};

pub use types::{
    AccountView, CallRequest, CallResult, ContractView, HeadView, ProofView, RollupEvent, StateRootView, Topic,
    TransactionStatus, TransactionView,
};

pub mod metrics;

/// JSON-RPC error codes of the `rollup` API.
pub mod codes {
    /// A request the server cannot answer as asked (bad parameters, a pruned or future height, …).
    pub const INVALID_REQUEST: i32 = -32000;
    /// The server failed (its store or VM); the request itself may be fine.
    pub const SERVER_ERROR: i32 = -32001;

    /// Relay admission refusals: each reason has its own code, and the message names it.
    pub mod rejected {
        /// The bytes are not a canonical transaction (bad hex, bad encoding, trailing bytes, too large).
        pub const MALFORMED: i32 = -32010;
        /// The transaction is for another rollup chain.
        pub const WRONG_CHAIN: i32 = -32011;
        /// The signature does not verify.
        pub const BAD_SIGNATURE: i32 = -32012;
        /// A field or the gas limit is outside the protocol's bounds.
        pub const LIMITS: i32 = -32013;
        /// The fee per gas is below this relay's minimum.
        pub const FEE_TOO_LOW: i32 = -32014;
        /// The nonce is already used; the message (and `data.expected`) gives the account's next nonce.
        pub const NONCE_TOO_LOW: i32 = -32015;
        /// The nonce is further ahead of the account's next nonce than the relay queues.
        pub const NONCE_TOO_HIGH: i32 = -32016;
        /// The sender's balance does not cover the maximum fee.
        pub const INSUFFICIENT_FUNDS: i32 = -32017;
        /// The sender holds as many transactions in the mempool as the relay allows one sender.
        pub const SENDER_FULL: i32 = -32018;
        /// The mempool is full of transactions paying at least as much.
        pub const POOL_FULL: i32 = -32019;
        /// A transaction with the same sender and nonce is held, and this one does not pay enough more.
        pub const UNDERPRICED: i32 = -32020;
        /// The same transaction is already held or done (the hash is in `data`).
        pub const KNOWN: i32 = -32021;
        /// This client sends faster than the relay's per-IP limit.
        pub const RATE_LIMITED: i32 = -32022;
    }
}

/// Hashes or addresses one batch call may ask about.
pub const MAX_BATCH_QUERY: usize = 1024;

/// Transactions and receipts.
#[rpc(server, client, namespace = "rollup", namespace_separator = ".")]
pub trait RollupTxApi {
    /// Where a transaction landed and its receipt; `None` if not (yet) executed.
    #[method(name = "getTransaction", blocking)]
    fn get_transaction(&self, hash: Hash) -> RpcResult<Option<TransactionView>>;

    /// A transaction's receipt; `None` if not (yet) executed or pruned.
    #[method(name = "getReceipt", blocking)]
    fn get_receipt(&self, hash: Hash) -> RpcResult<Option<Receipt>>;

    /// [`RollupTxApi::get_transaction`] of up to [`MAX_BATCH_QUERY`] hashes at once, in order.
    #[method(name = "getTransactions", blocking)]
    fn get_transactions(&self, hashes: Vec<Hash>) -> RpcResult<Vec<Option<TransactionView>>>;
}

/// What a relay adds: submitting transactions. A relay also serves [`RollupTxApi`] from its mempool (and its
/// executor) and [`RollupStateApi`] from its executor, so a user needs one endpoint.
#[rpc(server, client, namespace = "rollup", namespace_separator = ".")]
pub trait RollupRelayApi {
    /// Admits a signed transaction (hex of its canonical encoding) and answers its hash once it is stored
    /// durably; a refusal is an error with a `codes::rejected` code naming the reason.
    #[method(name = "sendTransaction")]
    async fn send_transaction(&self, tx: String) -> RpcResult<Hash>;

    /// [`RollupRelayApi::send_transaction`], then every status of the transaction as it changes, starting
    /// with the one it was admitted in and ending with a terminal one; a refusal is sent as a `rejected`
    /// status and ends the stream.
    #[subscription(name = "sendTransactionAndWatch" => "transactionStatus", unsubscribe = "unwatchTransaction", item = TransactionView)]
    async fn send_transaction_and_watch(&self, tx: String) -> SubscriptionResult;
}

/// State queries, claims and proofs.
#[rpc(server, client, namespace = "rollup", namespace_separator = ".")]
pub trait RollupStateApi {
    /// An account's balances and next nonce, at the head or a kept height.
    #[method(name = "getBalance", blocking)]
    fn get_balance(&self, address: Address, height: Option<u64>) -> RpcResult<AccountView>;

    /// Up to [`MAX_BATCH_QUERY`] accounts at the head, in order.
    #[method(name = "getAccounts", blocking)]
    fn get_accounts(&self, addresses: Vec<Address>) -> RpcResult<Vec<AccountView>>;

    /// An account's next nonce (a relay's answer counts the transactions it holds).
    #[method(name = "getNonce", blocking)]
    fn get_nonce(&self, address: Address, height: Option<u64>) -> RpcResult<u64>;

    /// A contract storage value, hex (`None` if absent); the key is hex.
    #[method(name = "getStorage", blocking)]
    fn get_storage(&self, contract: Address, key: String, height: Option<u64>) -> RpcResult<Option<String>>;

    /// A contract's code hash, size and ABI (`None` if no contract is at the address).
    #[method(name = "getContract", blocking)]
    fn get_contract(&self, address: Address, height: Option<u64>) -> RpcResult<Option<ContractView>>;

    /// A read-only contract call.
    #[method(name = "call", blocking)]
    fn call(&self, request: CallRequest) -> RpcResult<CallResult>;

    /// The state root after a momentum (the head by default).
    #[method(name = "getStateRoot", blocking)]
    fn get_state_root(&self, height: Option<u64>) -> RpcResult<StateRootView>;

    /// A state key's value and its proof against the state root at a height.
    #[method(name = "getProof", blocking)]
    fn get_proof(&self, key: StateKey, height: Option<u64>) -> RpcResult<ProofView>;

    /// The executor's signed claim for a momentum.
    #[method(name = "getClaim", blocking)]
    fn get_claim(&self, height: u64) -> RpcResult<Option<Claim>>;

    /// A claim's leaves, in order (the prelude first).
    #[method(name = "getClaimLeaves", blocking)]
    fn get_claim_leaves(&self, height: u64) -> RpcResult<Option<Vec<ClaimLeaf>>>;

    /// The committed head.
    #[method(name = "getHead", blocking)]
    fn get_head(&self) -> RpcResult<HeadView>;

    /// The witness of leaf `index` of the claim at `height` (0 is the prelude), for stateless re-execution
    /// (`zr_fraud::verify_leaf`). Older than `history_depth`, the state before the momentum is rebuilt.
    #[method(name = "getWitness")]
    async fn get_witness(&self, height: u64, index: u32) -> RpcResult<zr_fraud::Witness>;

    /// The witness of leaf `index` of another executor's `claim` (whose `leaves` that executor serves), built
    /// from this executor's own state: what a challenger posts when that claim is wrong at that leaf.
    #[method(name = "getWitnessFor")]
    async fn get_witness_for(
        &self,
        claim: zr_common::rollup::Claim,
        leaves: Vec<ClaimLeaf>,
        index: u32,
    ) -> RpcResult<zr_fraud::Witness>;

    /// Claims other executors gossiped for a momentum.
    #[method(name = "getPeerClaims", blocking)]
    fn get_peer_claims(&self, height: u64) -> RpcResult<Vec<Claim>>;

    /// Follows new claims or receipts (an executor), or one transaction's status (`transactionStatus` with
    /// its hash, a relay).
    #[subscription(name = "subscribe" => "subscription", unsubscribe = "unsubscribe", item = RollupEvent)]
    async fn subscribe_events(&self, topic: Topic, hash: Option<Hash>) -> SubscriptionResult;
}
