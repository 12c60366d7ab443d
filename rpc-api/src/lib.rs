//! The zrollup JSON-RPC API, namespace `rollup` (as NoM's own API is named: `rollup.getBalance`, …),
//! declared once as jsonrpsee traits with typed requests and responses, as reth-rpc-api does. Servers
//! implement the generated `…Server` traits; the CLI, tools and tests call the generated `…Client`
//! extension traits on any jsonrpsee client, so nobody writes a JSON body by hand.
//!
//! The API is split so a daemon serves what it has: [`RollupTxApi`] (transactions and receipts) needs no
//! state, and is what a relay serves itself; [`RollupStateApi`] (balances, calls, proofs, claims) needs an
//! executor's state and VM.

pub mod types;

use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;
use zr_common::rollup::{Claim, Receipt};
use zr_common::{Address, Hash};
use zr_protocol::{ClaimLeaf, StateKey};

pub use types::{
    AccountView, CallRequest, CallResult, HeadView, ProofView, RollupEvent, StateRootView, Topic, TransactionStatus,
    TransactionView,
};

/// JSON-RPC error codes of the `rollup` API.
pub mod codes {
    /// A request the server cannot answer as asked (bad parameters, a pruned or future height, …).
    pub const INVALID_REQUEST: i32 = -32000;
    /// The server failed (its store or VM); the request itself may be fine.
    pub const SERVER_ERROR: i32 = -32001;
}

/// Transactions and receipts.
#[rpc(server, client, namespace = "rollup", namespace_separator = ".")]
pub trait RollupTxApi {
    /// Where a transaction landed and its receipt; `None` if not (yet) executed.
    #[method(name = "getTransaction", blocking)]
    fn get_transaction(&self, hash: Hash) -> RpcResult<Option<TransactionView>>;

    /// A transaction's receipt; `None` if not (yet) executed or pruned.
    #[method(name = "getReceipt", blocking)]
    fn get_receipt(&self, hash: Hash) -> RpcResult<Option<Receipt>>;
}

/// State queries, claims and proofs.
#[rpc(server, client, namespace = "rollup", namespace_separator = ".")]
pub trait RollupStateApi {
    /// An account's balances and next nonce, at the head or a kept height.
    #[method(name = "getBalance", blocking)]
    fn get_balance(&self, address: Address, height: Option<u64>) -> RpcResult<AccountView>;

    /// An account's next nonce.
    #[method(name = "getNonce", blocking)]
    fn get_nonce(&self, address: Address, height: Option<u64>) -> RpcResult<u64>;

    /// A contract storage value, hex (`None` if absent); the key is hex.
    #[method(name = "getStorage", blocking)]
    fn get_storage(&self, contract: Address, key: String, height: Option<u64>) -> RpcResult<Option<String>>;

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
    /// (`zr_fraud::verify_leaf`). Served while the state before that momentum is kept (`history_depth`).
    #[method(name = "getWitness")]
    async fn get_witness(&self, height: u64, index: u32) -> RpcResult<zr_fraud::Witness>;

    /// Claims other executors gossiped for a momentum.
    #[method(name = "getPeerClaims")]
    fn get_peer_claims(&self, height: u64) -> RpcResult<Vec<Claim>>;

    /// Follows new claims or receipts.
    #[subscription(name = "subscribe" => "subscription", unsubscribe = "unsubscribe", item = RollupEvent)]
    async fn subscribe_events(&self, topic: Topic) -> SubscriptionResult;
}
