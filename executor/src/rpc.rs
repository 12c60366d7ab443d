//! The executor's JSON-RPC (jsonrpsee, HTTP and WebSocket on one port): both halves of the `rollup` API
//! declared in `zr_rpc_api`, served from the committed state.

use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::server::{BatchRequestConfig, Server, ServerConfig, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::{PendingSubscriptionSink, SubscriptionMessage};
use tokio::sync::broadcast;
use zr_common::rollup::{Claim, Receipt};
use zr_common::{Address, Hash};
use zr_protocol::state::ContractInfo;
use zr_protocol::{BlockInfo, CallError, ClaimLeaf, Entry, Frame, StateKey, World};
use zr_rpc_api::{
    AccountView, CallRequest, CallResult, ContractView, HeadView, MAX_BATCH_QUERY, ProofView, RollupEvent,
    RollupStateApiServer, RollupTxApiServer, StateRootView, Topic, TransactionStatus, TransactionView, codes,
};

use crate::explorer::rpc::{ChainReads, ExplorerContext};
use crate::rollup::{Processed, QueryError, Rollup, StateAtError};
use zr_rpc_api::explorer::RollupExplorerApiServer;

/// Gas a read-only call may use (about 30 ms of work; module loading is charged in it too).
pub const MAX_CALL_GAS: u64 = 10_000_000;
/// Read-only calls running at once, across all connections: queries cannot take the cores from execution.
pub const CONCURRENT_CALLS: usize = 2;
/// Witnesses built at once, across all connections, each on a thread of its own (not the blocking pool that
/// queries and execution share): rebuilding a pre-state undoes heights of state.
pub const CONCURRENT_WITNESSES: usize = 1;
/// Heights below the head a witness's pre-state may be rebuilt from, for a height at or below L1's final height
/// (or with none known); above it, where claims can still be challenged, any.
pub const MAX_WITNESS_DEPTH: u64 = 1_024;
/// `getClaimLeaves` answered at once (each up to a few MB).
pub const CONCURRENT_LEAVES: usize = 4;
/// The largest answer (a witness in JSON at the witness cap, with room).
pub const MAX_RESPONSE_BYTES: u32 = 32 * 1024 * 1024;
/// Requests in one JSON-RPC batch.
pub const MAX_BATCH: u32 = 16;

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INVALID_REQUEST, message.into(), None::<()>)
}

fn server_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::SERVER_ERROR, message.into(), None::<()>)
}

impl From<QueryError> for ErrorObjectOwned {
    fn from(err: QueryError) -> Self {
        invalid(err.to_string())
    }
}

impl From<crate::store::StoreError> for ErrorObjectOwned {
    fn from(err: crate::store::StoreError) -> Self {
        server_error(err.to_string())
    }
}

/// Fetches a momentum (with its blocks) from L1 by height: what witnesses are rebuilt from.
pub type MomentumSource = Arc<
    dyn Fn(u64) -> futures::future::BoxFuture<'static, Result<zr_common::nom::rpc::DetailedMomentum, String>>
        + Send
        + Sync,
>;

/// What the RPC methods share.
#[derive(Clone)]
pub struct RpcContext {
    rollup: Arc<Rollup>,
    momentums: MomentumSource,
    events: broadcast::Sender<Arc<Processed>>,
    peer_claims: crate::gossip::PeerClaims,
    calls_running: Arc<std::sync::atomic::AtomicUsize>,
    witnesses_running: Arc<std::sync::atomic::AtomicUsize>,
    leaves_running: Arc<std::sync::atomic::AtomicUsize>,
}

/// A slot among at most `cap` of one kind of work running at once, released on drop.
struct CallSlot(Arc<std::sync::atomic::AtomicUsize>);

impl CallSlot {
    fn take(running: &Arc<std::sync::atomic::AtomicUsize>, cap: usize) -> Option<CallSlot> {
        use std::sync::atomic::Ordering;
        running
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n < cap).then_some(n + 1))
            .ok()
            .map(|_| CallSlot(running.clone()))
    }
}

impl Drop for CallSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl RpcContext {
    /// Builds the witness of leaf `index` of `claim` from this executor's state before the claim's momentum.
    /// Everything cheap is checked first — the height above L1's final height or within [`MAX_WITNESS_DEPTH`] of
    /// the head, the claim
    /// building on this executor's root, its leaves hashing to its leaves root — then at most
    /// [`CONCURRENT_WITNESSES`] are built at once, each on its own thread.
    async fn witness(&self, claim: Claim, leaves: Vec<ClaimLeaf>, index: u32) -> RpcResult<zr_fraud::Witness> {
        let height = claim.body.height;
        let head = self.rollup.head().height;
        if height == 0 || height > head {
            return Err(invalid(format!("height {height} is not executed here (the head is {head})")));
        }
        // Above L1's final height a claim can still be challenged, however long finality has stalled: no depth
        // bound there (a griefer holding finality must not put an open wrong claim out of a challenger's reach).
        let settled = self.rollup.final_height();
        let open = settled > 0 && height > settled;
        if !open && head - height > MAX_WITNESS_DEPTH {
            return Err(invalid(format!(
                "height {height} is more than {MAX_WITNESS_DEPTH} below the head ({head}) and not above L1's final \
                 height: its state is not rebuilt"
            )));
        }
        let ours = match self.rollup.store().state_root(height - 1)? {
            Some(root) => root,
            None if height == 1 => Hash::ZERO,
            None => return Err(invalid(format!("the state of height {} is gone here", height - 1))),
        };
        if claim.body.prev_state_root != ours {
            return Err(invalid(format!(
                "the claim builds on root {} at height {}, this executor's is {ours}: no witness from this state \
                 proves anything about it",
                claim.body.prev_state_root,
                height - 1
            )));
        }
        if zr_protocol::leaves_root(&leaves) != claim.body.leaves_root {
            return Err(invalid("the leaves do not hash to the claim's leaves root"));
        }
        if index as usize >= leaves.len() {
            return Err(invalid(format!("leaf {index} of {}: no such leaf", leaves.len())));
        }
        let Some(slot) = CallSlot::take(&self.witnesses_running, CONCURRENT_WITNESSES) else {
            return Err(server_error(format!(
                "{CONCURRENT_WITNESSES} witness(es) are being built already; try again shortly"
            )));
        };
        let momentum =
            (self.momentums)(height).await.map_err(|e| server_error(format!("cannot read momentum {height}: {e}")))?;
        let m = &momentum.momentum.momentum;
        let blocks: Vec<_> = momentum.blocks.iter().map(|b| b.block.clone()).collect();
        let verified = zr_sequencing::verify_inbox(self.rollup.chain_id(), &Address::INBOX, &blocks);
        let ordered = zr_sequencing::order_verified(verified, &m.previous_hash);
        let rollup = self.rollup.clone();
        let build = move || {
            let _slot = slot;
            // Within `history_depth` the state is in memory; older, it is rebuilt from the store's undo values.
            let pre_state = rollup.state_after(height.saturating_sub(1)).map_err(|e| match e {
                StateAtError::Store(e) => server_error(e.to_string()),
                other => invalid(other.to_string()),
            })?;
            zr_fraud::build_witness(rollup.vm().as_ref(), pre_state, &claim, &leaves, &ordered, index)
                .map_err(|e| invalid(e.to_string()))
        };
        let (done, built) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("zr-witness".into())
            .spawn(move || {
                let _ = done.send(build());
            })
            .map_err(|e| server_error(format!("cannot start a witness thread: {e}")))?;
        built.await.map_err(|_| server_error("the witness thread failed"))?
    }

    fn account(&self, address: Address, height: Option<u64>) -> RpcResult<AccountView> {
        let (height, tree) = self.rollup.tree_at(height)?;
        let account = World::new(tree).account(&address).map_err(|e| server_error(e.to_string()))?;
        Ok(AccountView { address, nonce: account.nonce, znn: account.znn, qsr: account.qsr, height })
    }
}

/// The ABI in the code `code_hash` of the contract `address`.
fn code_abi(world: &mut World, address: Address, code_hash: Hash) -> RpcResult<Option<zr_common::abi::Abi>> {
    let code = world.get(&StateKey::Code { code_hash }).map_err(|e| server_error(e.to_string()))?;
    let code = code.ok_or_else(|| server_error(format!("the code of {address} is missing from the state")))?;
    // The VM checked the ABI at upload: one that does not parse now means the parser changed.
    zr_common::abi::Abi::of_code(&code).map_err(|e| server_error(format!("the ABI of {address} no longer parses: {e}")))
}

impl RpcContext {
    /// The ABI of the contract at `address` at the head (`None`: no contract there, or no ABI).
    pub(crate) fn contract_abi(&self, address: Address) -> RpcResult<Option<zr_common::abi::Abi>> {
        let (_, tree) = self.rollup.tree_at(None)?;
        let mut world = World::new(tree);
        let contract = world
            .get_decoded::<ContractInfo>(&StateKey::Contract { address })
            .map_err(|e| server_error(e.to_string()))?;
        match contract {
            Some(contract) => code_abi(&mut world, address, contract.code_hash),
            None => Ok(None),
        }
    }
}

impl RollupTxApiServer for RpcContext {
    fn get_transaction(&self, hash: Hash) -> RpcResult<Option<TransactionView>> {
        let store = self.rollup.store();
        let Some(receipt) = store.receipt(&hash)? else { return Ok(None) };
        let location = store.tx_location(&hash)?;
        let mut view =
            TransactionView::of_receipt(hash, receipt, location.map(|l| l.height), location.map(|l| l.index));
        view.finalized = matches!(view.status, TransactionStatus::Executed | TransactionStatus::Failed)
            && location.is_some_and(|l| l.height <= self.rollup.final_height());
        Ok(Some(view))
    }

    fn get_receipt(&self, hash: Hash) -> RpcResult<Option<Receipt>> {
        Ok(self.rollup.store().receipt(&hash)?)
    }

    fn get_transactions(&self, hashes: Vec<Hash>) -> RpcResult<Vec<Option<TransactionView>>> {
        if hashes.len() > MAX_BATCH_QUERY {
            return Err(invalid(format!("{} hashes asked, at most {MAX_BATCH_QUERY} at once", hashes.len())));
        }
        hashes.into_iter().map(|hash| self.get_transaction(hash)).collect()
    }
}

#[jsonrpsee::core::async_trait]
impl RollupStateApiServer for RpcContext {
    fn get_balance(&self, address: Address, height: Option<u64>) -> RpcResult<AccountView> {
        self.account(address, height)
    }

    fn get_accounts(&self, addresses: Vec<Address>) -> RpcResult<Vec<AccountView>> {
        if addresses.len() > MAX_BATCH_QUERY {
            return Err(invalid(format!("{} addresses asked, at most {MAX_BATCH_QUERY} at once", addresses.len())));
        }
        let (height, tree) = self.rollup.tree_at(None)?;
        let mut world = World::new(tree);
        addresses
            .into_iter()
            .map(|address| {
                let account = world.account(&address).map_err(|e| server_error(e.to_string()))?;
                Ok(AccountView { address, nonce: account.nonce, znn: account.znn, qsr: account.qsr, height })
            })
            .collect()
    }

    fn get_nonce(&self, address: Address, height: Option<u64>) -> RpcResult<u64> {
        Ok(self.account(address, height)?.nonce)
    }

    fn get_storage(&self, contract: Address, key: String, height: Option<u64>) -> RpcResult<Option<String>> {
        let key = zr_common::bytes::parse_hex("storage key", &key).map_err(|e| invalid(e.to_string()))?;
        let (_, tree) = self.rollup.tree_at(height)?;
        let value = tree.get(&StateKey::Storage { contract, key }.hash()).map_err(|e| server_error(e.to_string()))?;
        Ok(value.map(|v| hex::encode(v.as_slice())))
    }

    fn get_contract(&self, address: Address, height: Option<u64>) -> RpcResult<Option<ContractView>> {
        let (height, tree) = self.rollup.tree_at(height)?;
        let mut world = World::new(tree);
        let state = |e: zr_protocol::StateError| server_error(e.to_string());
        let Some(contract) = world.get_decoded::<ContractInfo>(&StateKey::Contract { address }).map_err(state)? else {
            return Ok(None);
        };
        let abi = code_abi(&mut world, address, contract.code_hash)?.map(|abi| abi.to_json());
        Ok(Some(ContractView {
            address,
            code_hash: contract.code_hash,
            code_size: contract.code_len,
            functions: contract.functions,
            abi,
            height,
        }))
    }

    fn call(&self, request: CallRequest) -> RpcResult<CallResult> {
        if zr_common::rollup::TxBody::check_method(&request.method).is_err()
            || zr_protocol::transition::is_reserved(&request.method)
        {
            return Err(invalid(format!("invalid method name {:?}", request.method)));
        }
        if request.input.len() > zr_vm::limits::MAX_DATA {
            return Err(invalid("input too large"));
        }
        let Some(_slot) = CallSlot::take(&self.calls_running, CONCURRENT_CALLS) else {
            return Err(server_error(format!("{CONCURRENT_CALLS} read-only calls are running; retry shortly")));
        };
        let (height, tree) = self.rollup.tree_at(request.height)?;
        let gas = request.gas_limit.unwrap_or(MAX_CALL_GAS).min(MAX_CALL_GAS);
        let frame = Frame {
            caller: request.from.unwrap_or_default(),
            contract: request.contract,
            value: 0,
            input: request.input,
            depth: 0,
        };
        // The block of a read-only call is the state's own height; nothing it writes is kept.
        let block = BlockInfo { height, timestamp: 0 };
        let outcome = self.rollup.vm().invoke(World::new(tree), frame, Entry::Method(&request.method), block, gas);
        let gas_used = gas - outcome.gas_left;
        let failed = |error: String| CallResult {
            success: false,
            error: Some(error),
            gas_used,
            return_data: vec![],
            events: vec![],
            height,
        };
        Ok(match outcome.result {
            Ok(return_data) => {
                CallResult { success: true, error: None, gas_used, return_data, events: outcome.world.events, height }
            }
            Err(CallError::Fault(fault)) => return Err(server_error(format!("node fault: {fault}"))),
            Err(CallError::State(e)) => return Err(server_error(format!("node fault: {e}"))),
            Err(CallError::OutOfGas) => failed("out of gas".into()),
            Err(CallError::Failed(reason)) => failed(reason),
        })
    }

    fn get_state_root(&self, height: Option<u64>) -> RpcResult<StateRootView> {
        let head = self.rollup.head();
        let height = height.unwrap_or(head.height);
        match self.rollup.store().state_root(height)? {
            Some(root) => Ok(StateRootView { height, root }),
            None if height == head.height => Ok(StateRootView { height, root: head.root }),
            None => Err(invalid(format!("no state root for height {height} (head is {})", head.height))),
        }
    }

    fn get_proof(&self, key: StateKey, height: Option<u64>) -> RpcResult<ProofView> {
        let (height, tree) = self.rollup.tree_at(height)?;
        let key_hash = key.hash();
        let fault = |e: zr_protocol::Incomplete| server_error(format!("node fault: {e}"));
        let value = tree.get(&key_hash).map_err(fault)?.map(|v| v.to_vec());
        let proof = tree.prove(&key_hash).map_err(fault)?;
        Ok(ProofView { height, root: tree.root(), key_hash, value, proof })
    }

    fn get_claim(&self, height: u64) -> RpcResult<Option<Claim>> {
        Ok(self.rollup.store().claim(height)?)
    }

    fn get_claim_leaves(&self, height: u64) -> RpcResult<Option<Vec<ClaimLeaf>>> {
        let Some(_slot) = CallSlot::take(&self.leaves_running, CONCURRENT_LEAVES) else {
            return Err(server_error(format!(
                "{CONCURRENT_LEAVES} leaf sets are being read already; try again shortly"
            )));
        };
        Ok(self.rollup.store().leaves(height)?)
    }

    fn get_head(&self) -> RpcResult<HeadView> {
        let head = self.rollup.head();
        Ok(HeadView {
            height: head.height,
            root: head.root,
            executor: self.rollup.executor_key(),
            chain_id: self.rollup.chain_id(),
        })
    }

    fn get_peer_claims(&self, height: u64) -> RpcResult<Vec<Claim>> {
        Ok(self.peer_claims.at(height))
    }

    async fn get_witness(&self, height: u64, index: u32) -> RpcResult<zr_fraud::Witness> {
        let store = self.rollup.store();
        let claim = store.claim(height)?.ok_or_else(|| invalid(format!("no claim at height {height}")))?;
        let leaves =
            store.leaves(height)?.ok_or_else(|| invalid(format!("the leaves of height {height} are pruned")))?;
        self.witness(claim, leaves, index).await
    }

    async fn get_witness_for(&self, claim: Claim, leaves: Vec<ClaimLeaf>, index: u32) -> RpcResult<zr_fraud::Witness> {
        if claim.body.chain_id != self.rollup.chain_id() || claim.verify_signature().is_err() {
            return Err(invalid("the claim is not a signed claim of this rollup".to_owned()));
        }
        let settled = self.rollup.final_height();
        if claim.body.height <= settled {
            return Err(invalid(format!(
                "height {} is final on L1 (up to {settled}): its claims can no longer be challenged",
                claim.body.height
            )));
        }
        self.witness(claim, leaves, index).await
    }

    async fn subscribe_events(
        &self,
        pending: PendingSubscriptionSink,
        topic: Topic,
        _hash: Option<Hash>,
    ) -> SubscriptionResult {
        if topic == Topic::TransactionStatus {
            pending
                .reject(invalid("transaction status is followed on a relay; an executor serves claims and receipts"))
                .await;
            return Ok(());
        }
        let mut events = self.events.subscribe();
        let sink = pending.accept().await?;
        while let Some(processed) = zr_rpc_api::subscription::next_event(&mut events, &sink).await {
            let notifications: Vec<RollupEvent> = match topic {
                Topic::Claims => vec![RollupEvent::Claim(processed.claim.clone())],
                Topic::Receipts => processed.receipts.iter().cloned().map(RollupEvent::Receipt).collect(),
                Topic::TransactionStatus => Vec::new(),
            };
            for notification in notifications {
                let message = SubscriptionMessage::from(serde_json::value::to_raw_value(&notification)?);
                if sink.send(message).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

/// The RPC module: both halves of the API, and the explorer's reads when L1 is at hand.
pub fn module(
    rollup: Arc<Rollup>,
    momentums: MomentumSource,
    events: broadcast::Sender<Arc<Processed>>,
    peer_claims: crate::gossip::PeerClaims,
    l1: Option<Arc<dyn ChainReads>>,
) -> jsonrpsee::RpcModule<()> {
    let context = RpcContext {
        rollup: rollup.clone(),
        momentums,
        events,
        peer_claims,
        calls_running: Arc::default(),
        witnesses_running: Arc::default(),
        leaves_running: Arc::default(),
    };
    let mut module = jsonrpsee::RpcModule::new(());
    module.merge(RollupTxApiServer::into_rpc(context.clone())).expect("method names are unique");
    module.merge(RollupStateApiServer::into_rpc(context.clone())).expect("method names are unique");
    if let Some(l1) = l1 {
        let explorer = ExplorerContext::new(rollup, l1, context);
        module.merge(RollupExplorerApiServer::into_rpc(explorer)).expect("method names are unique");
    }
    module
}

/// Starts the RPC server.
pub async fn serve(
    rollup: Arc<Rollup>,
    momentums: MomentumSource,
    events: broadcast::Sender<Arc<Processed>>,
    peer_claims: crate::gossip::PeerClaims,
    l1: Arc<dyn ChainReads>,
    config: &zr_config::RpcSection,
    registry: &zr_common::metrics::Registry,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let module = module(rollup, momentums, events, peer_claims, Some(l1));
    let timed = zr_rpc_api::metrics::RpcMetrics::register(registry, "zr_executor", &module);
    let server = Server::builder()
        .set_config(
            ServerConfig::builder()
                .max_request_body_size(config.max_request_bytes)
                // A witness may be several MB of binary, about twice that as JSON.
                .max_response_body_size(MAX_RESPONSE_BYTES)
                .max_connections(config.max_connections)
                .set_batch_request_config(BatchRequestConfig::Limit(MAX_BATCH))
                .build(),
        )
        .set_rpc_middleware(
            jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
                .layer_fn(move |service| zr_rpc_api::metrics::Timed::new(service, timed.clone())),
        )
        .set_http_middleware(tower::ServiceBuilder::new().layer(crate::explorer::ExplorerLayer))
        .build(config.listen)
        .await?;
    let addr = server.local_addr()?;
    Ok((addr, server.start(module)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_slots_are_bounded_and_released() {
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let slots: Vec<CallSlot> =
            (0..CONCURRENT_CALLS).map(|_| CallSlot::take(&running, CONCURRENT_CALLS).unwrap()).collect();
        assert!(CallSlot::take(&running, CONCURRENT_CALLS).is_none());
        drop(slots);
        assert!(CallSlot::take(&running, CONCURRENT_CALLS).is_some());
    }

    fn empty_momentum(height: u64) -> zr_common::nom::rpc::DetailedMomentum {
        use zr_common::nom::rpc::{DetailedMomentum, RpcMomentum};
        let momentum = zr_common::nom::Momentum {
            version: 1,
            chain_identifier: 321,
            hash: zr_common::sha3_256(&height.to_le_bytes()),
            previous_hash: zr_common::sha3_256(&(height - 1).to_le_bytes()),
            height,
            timestamp: 1_700_000_000 + height,
            data: vec![],
            content: vec![],
            changes_hash: Hash::ZERO,
            public_key: vec![],
            signature: vec![],
        };
        DetailedMomentum { blocks: vec![], momentum: RpcMomentum { momentum, producer: Address::ZERO } }
    }

    /// Attack (hardening #2): `getWitnessFor` took any self-signed claim and rebuilt the state back to its
    /// height before checking it against anything. A claim is checked first — within reach of the head, on this
    /// executor's root, its leaves hashing to it, not final — and only then is its witness built.
    #[tokio::test]
    async fn attack_witnesses_of_made_up_claims_are_refused_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        let vm = zr_vm::Vm::new(None, 4).unwrap();
        let store = crate::StateStore::open(dir.path()).unwrap();
        let rollup = Arc::new(Rollup::with_store(store, vm, 7, zr_common::KeyPair::from_seed(&[8; 32]), 4, 0).unwrap());
        let far = MAX_WITNESS_DEPTH + 4;
        for height in 1..=far {
            rollup.process(&empty_momentum(height)).unwrap().unwrap();
        }
        let momentums: MomentumSource = Arc::new(|height| Box::pin(async move { Ok(empty_momentum(height)) }));
        let rpc = module(rollup.clone(), momentums, broadcast::channel(1).0, Default::default(), None);
        let witness_for = async |claim: Claim, leaves: Vec<ClaimLeaf>, index: u32| {
            rpc.call::<_, zr_fraud::Witness>("rollup.getWitnessFor", (claim, leaves, index)).await
        };
        let refusal = async |claim: Claim, leaves: Vec<ClaimLeaf>, index: u32| {
            witness_for(claim, leaves, index).await.unwrap_err().to_string()
        };
        let stranger = zr_common::KeyPair::from_seed(&[9; 32]);
        let near = far - 1;
        let own = rollup.store().claim(near).unwrap().unwrap();
        let leaves = rollup.store().leaves(near).unwrap().unwrap();
        let signed = |edit: &dyn Fn(&mut zr_common::rollup::ClaimBody)| {
            let mut body = own.body.clone();
            body.executor = stranger.public();
            edit(&mut body);
            body.sign(&stranger)
        };
        let other_base = signed(&|b| b.prev_state_root = Hash([9; 32]));
        assert!(refusal(other_base, leaves.clone(), 0).await.contains("builds on root"));
        let other_leaves = signed(&|b| b.leaves_root = Hash([9; 32]));
        assert!(refusal(other_leaves, leaves.clone(), 0).await.contains("do not hash"));
        assert!(refusal(signed(&|_| {}), leaves.clone(), 9).await.contains("no such leaf"));
        let deep = rollup.store().claim(2).unwrap().unwrap();
        let deep_leaves = rollup.store().leaves(2).unwrap().unwrap();
        assert!(
            refusal(deep.clone(), deep_leaves.clone(), 0)
                .await
                .contains(&format!("more than {MAX_WITNESS_DEPTH} below"))
        );
        // Attack (review): a griefer holding finality for longer than the bound must not put an open claim out of
        // reach: above L1's final height there is none.
        let root = rollup.store().state_root(1).unwrap().unwrap();
        rollup.follow_final(zr_common::rollup::settlement::FinalRoot { height: 1, root }).unwrap();
        assert!(witness_for(deep, deep_leaves, 0).await.is_ok(), "an open claim deep below the head");
        let future = signed(&|b| b.height = far + 1);
        assert!(refusal(future, leaves.clone(), 0).await.contains("not executed here"));
        // A stranger's claim that builds on this executor's root gets its witness, until the height is final.
        assert!(witness_for(signed(&|_| {}), leaves.clone(), 0).await.is_ok());
        let root = rollup.store().state_root(near).unwrap().unwrap();
        rollup.follow_final(zr_common::rollup::settlement::FinalRoot { height: near, root }).unwrap();
        assert!(refusal(signed(&|_| {}), leaves, 0).await.contains("is final on L1"));
    }
}
