//! The relay's public JSON-RPC (jsonrpsee, HTTP and WebSocket on one port): submitting and watching
//! transactions from the mempool, and the state queries answered from the relay's executor, so that a user
//! needs one endpoint.

use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::server::{
    BatchRequestConfig, Methods, Server, ServerConfig, ServerHandle, serve_with_graceful_shutdown, stop_channel,
};
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::{PendingSubscriptionSink, SubscriptionMessage};
use zr_common::rollup::{Claim, Receipt};
use zr_common::{Address, Hash};
use zr_protocol::{ClaimLeaf, StateKey};
use zr_rpc_api::{
    AccountView, CallRequest, CallResult, ContractView, HeadView, MAX_BATCH_QUERY, ProofView, RollupEvent,
    RollupRelayApiServer, RollupStateApiClient, RollupStateApiServer, RollupTxApiClient, RollupTxApiServer,
    StateRootView, Topic, TransactionStatus, TransactionView, codes,
};

use crate::limits::{CallRates, ClientLimits, OpenConnections, RateLimited, tag_caller};
use crate::mempool::Following;
use crate::service::Relay;
use zr_common::metrics::Registry;
use zr_rpc_api::metrics::{RpcMetrics, Timed};
use zr_rpc_api::subscription::while_open;

/// Requests in one JSON-RPC batch (a load generator submits in batches).
pub const MAX_BATCH: u32 = 1024;
/// The largest answer (a witness passed through from the executor).
pub const MAX_RESPONSE_BYTES: u32 = 32 * 1024 * 1024;
/// Status subscriptions one WebSocket connection may hold at once (the pool bounds them in all).
pub const MAX_SUBSCRIPTIONS_PER_CONNECTION: u32 = 128;

fn invalid(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(codes::INVALID_REQUEST, message.into(), None::<()>)
}

/// An executor call failed: its own error passes through, a transport failure is the relay's.
fn upstream(error: jsonrpsee::core::ClientError) -> ErrorObjectOwned {
    match error {
        jsonrpsee::core::ClientError::Call(e) => e,
        other => ErrorObjectOwned::owned(codes::SERVER_ERROR, format!("the relay's executor: {other}"), None::<()>),
    }
}

/// Runs an executor call from a blocking method (jsonrpsee runs those on the blocking pool).
fn wait<T>(call: impl std::future::Future<Output = Result<T, jsonrpsee::core::ClientError>>) -> RpcResult<T> {
    tokio::runtime::Handle::current().block_on(call).map_err(upstream)
}

/// What the RPC methods share.
#[derive(Clone)]
pub struct RelayRpc {
    relay: Arc<Relay>,
}

/// Forwards a status stream to a subscription until a terminal status or the client leaves; the mempool forgets
/// the follower when `following` drops, here or wherever this future is dropped.
async fn forward(
    sink: jsonrpsee::SubscriptionSink,
    mut following: Following,
    wrap: fn(TransactionView) -> serde_json::Value,
) -> SubscriptionResult {
    loop {
        let Some(view) = while_open(&sink, following.next()).await else { return Ok(()) };
        let terminal = view.status.is_terminal();
        let message = SubscriptionMessage::from(serde_json::value::to_raw_value(&wrap(view))?);
        if sink.send(message).await.is_err() || terminal {
            return Ok(());
        }
    }
}

#[jsonrpsee::core::async_trait]
impl RollupRelayApiServer for RelayRpc {
    async fn send_transaction(&self, tx: String) -> RpcResult<Hash> {
        Ok(self.relay.submit(&tx, false).await?.0)
    }

    async fn send_transaction_and_watch(&self, pending: PendingSubscriptionSink, tx: String) -> SubscriptionResult {
        let sink = pending.accept().await?;
        match self.relay.submit(&tx, true).await {
            Ok((_, Some(following))) => {
                forward(sink, following, |v| serde_json::to_value(v).expect("a view serializes")).await
            }
            Ok((hash, None)) => Err(format!(
                "{hash} is admitted, but this relay follows too many transactions' statuses to follow it now \
                 (rollup.getTransaction reads it)"
            )
            .into()),
            Err(rejection) => {
                let hash = crate::admission::hash_of_hex(&tx).unwrap_or(Hash::ZERO);
                let view = TransactionView::with_reason(hash, TransactionStatus::Rejected, rejection.to_string());
                let message = SubscriptionMessage::from(serde_json::value::to_raw_value(&view)?);
                let _ = sink.send(message).await;
                Ok(())
            }
        }
    }
}

impl RollupTxApiServer for RelayRpc {
    fn get_transaction(&self, hash: Hash) -> RpcResult<Option<TransactionView>> {
        match self.relay.view(&hash) {
            // A finished transaction is the executor's to describe: its view says when it becomes final.
            Some(view) if finished(&view) => {
                Ok(wait(self.relay.executor.get_transaction(hash)).ok().flatten().or(Some(view)))
            }
            Some(view) => Ok(Some(view)),
            None => wait(self.relay.executor.get_transaction(hash)),
        }
    }

    fn get_receipt(&self, hash: Hash) -> RpcResult<Option<Receipt>> {
        wait(self.relay.executor.get_receipt(hash))
    }

    fn get_transactions(&self, hashes: Vec<Hash>) -> RpcResult<Vec<Option<TransactionView>>> {
        if hashes.len() > MAX_BATCH_QUERY {
            return Err(invalid(format!("{} hashes asked, at most {MAX_BATCH_QUERY} at once", hashes.len())));
        }
        let known: Vec<Option<TransactionView>> = hashes.iter().map(|h| self.relay.view(h)).collect();
        let ask = |k: &Option<TransactionView>| k.as_ref().is_none_or(finished);
        let asked: Vec<Hash> = hashes.iter().zip(&known).filter(|(_, k)| ask(k)).map(|(h, _)| *h).collect();
        let mut from_executor =
            if asked.is_empty() { Vec::new() } else { wait(self.relay.executor.get_transactions(asked))? }.into_iter();
        Ok(known.into_iter().map(|k| if ask(&k) { from_executor.next().flatten().or(k) } else { k }).collect())
    }
}

/// Executed or failed: settled by the executor, which also knows when it is final.
fn finished(view: &TransactionView) -> bool {
    matches!(view.status, TransactionStatus::Executed | TransactionStatus::Failed)
}

#[jsonrpsee::core::async_trait]
impl RollupStateApiServer for RelayRpc {
    fn get_balance(&self, address: Address, height: Option<u64>) -> RpcResult<AccountView> {
        wait(self.relay.executor.get_balance(address, height))
    }

    fn get_accounts(&self, addresses: Vec<Address>) -> RpcResult<Vec<AccountView>> {
        wait(self.relay.executor.get_accounts(addresses))
    }

    fn get_nonce(&self, address: Address, height: Option<u64>) -> RpcResult<u64> {
        let nonce = wait(self.relay.executor.get_nonce(address, height))?;
        if height.is_some() {
            return Ok(nonce);
        }
        Ok(self.relay.mempool.pending_nonce(&address, nonce))
    }

    fn get_storage(&self, contract: Address, key: String, height: Option<u64>) -> RpcResult<Option<String>> {
        wait(self.relay.executor.get_storage(contract, key, height))
    }

    fn get_contract(&self, address: Address, height: Option<u64>) -> RpcResult<Option<ContractView>> {
        wait(self.relay.executor.get_contract(address, height))
    }

    fn call(&self, request: CallRequest) -> RpcResult<CallResult> {
        wait(self.relay.executor.call(request))
    }

    fn get_state_root(&self, height: Option<u64>) -> RpcResult<StateRootView> {
        wait(self.relay.executor.get_state_root(height))
    }

    fn get_proof(&self, key: StateKey, height: Option<u64>) -> RpcResult<ProofView> {
        wait(self.relay.executor.get_proof(key, height))
    }

    fn get_claim(&self, height: u64) -> RpcResult<Option<Claim>> {
        wait(self.relay.executor.get_claim(height))
    }

    fn get_claim_leaves(&self, height: u64) -> RpcResult<Option<Vec<ClaimLeaf>>> {
        wait(self.relay.executor.get_claim_leaves(height))
    }

    fn get_head(&self) -> RpcResult<HeadView> {
        wait(self.relay.executor.get_head())
    }

    async fn get_witness(&self, height: u64, index: u32) -> RpcResult<zr_fraud::Witness> {
        self.relay.executor.get_witness(height, index).await.map_err(upstream)
    }

    async fn get_witness_for(
        &self,
        claim: Claim,
        leaves: Vec<zr_protocol::ClaimLeaf>,
        index: u32,
    ) -> RpcResult<zr_fraud::Witness> {
        self.relay.executor.get_witness_for(claim, leaves, index).await.map_err(upstream)
    }

    fn get_peer_claims(&self, height: u64) -> RpcResult<Vec<Claim>> {
        wait(self.relay.executor.get_peer_claims(height))
    }

    async fn subscribe_events(
        &self,
        pending: PendingSubscriptionSink,
        topic: Topic,
        hash: Option<Hash>,
    ) -> SubscriptionResult {
        let hash = match (topic, hash) {
            (Topic::TransactionStatus, Some(hash)) => hash,
            (Topic::TransactionStatus, None) => {
                pending.reject(invalid("transactionStatus needs the transaction hash as the second parameter")).await;
                return Ok(());
            }
            (other, _) => {
                pending
                    .reject(invalid(format!(
                        "a relay follows transactionStatus; subscribe to {other:?} on an executor"
                    )))
                    .await;
                return Ok(());
            }
        };
        let Some(following) = self.relay.mempool.watch(hash) else {
            pending.reject(invalid("this relay follows too many transactions' statuses now; try again later")).await;
            return Ok(());
        };
        // Accepted after the follower is made: if accepting fails, dropping it forgets the follower.
        let sink = pending.accept().await?;
        let wrap = |v| serde_json::to_value(RollupEvent::Transaction(v)).expect("serializes");
        forward(sink, following, wrap).await
    }
}

/// Starts the RPC server on `config.listen`, with `limits` per client IP address.
pub async fn serve(
    relay: Arc<Relay>,
    config: &zr_config::RpcSection,
    cors_origins: &[String],
    limits: ClientLimits,
    registry: &Registry,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let refused = relay.metrics.rate_limited.clone();
    let context = RelayRpc { relay };
    let mut module = jsonrpsee::RpcModule::new(());
    module.merge(RollupRelayApiServer::into_rpc(context.clone())).expect("method names are unique");
    module.merge(RollupTxApiServer::into_rpc(context.clone())).expect("method names are unique");
    module.merge(RollupStateApiServer::into_rpc(context)).expect("method names are unique");
    let timed = RpcMetrics::register(registry, "zr_relay", &module);
    let methods: Methods = module.into();
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_bytes)
        .max_response_body_size(MAX_RESPONSE_BYTES)
        .max_connections(config.max_connections)
        .max_subscriptions_per_connection(MAX_SUBSCRIPTIONS_PER_CONNECTION)
        .set_batch_request_config(BatchRequestConfig::Limit(MAX_BATCH))
        .build();
    let cors = crate::cors::layer(cors_origins);
    let rates = CallRates::new(&limits, refused.clone());
    // Batches fan out first, so every call of a batch is timed and counts against its caller's rate.
    let middleware = jsonrpsee::server::middleware::rpc::RpcServiceBuilder::new()
        .layer_fn(|service| crate::batch::ConcurrentBatch::new(service, MAX_RESPONSE_BYTES as usize))
        .layer_fn(move |service| Timed::new(service, timed.clone()))
        .layer_fn(move |service| RateLimited::new(service, rates.clone()));
    let builder = Server::builder()
        .set_config(server_config)
        .set_rpc_middleware(middleware)
        .set_http_middleware(tower::ServiceBuilder::new().option_layer(cors))
        .to_service_builder();
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let (stop, handle) = stop_channel();
    let open = OpenConnections::default();
    tokio::spawn(async move {
        loop {
            let (socket, remote) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little rather than spin.
                        tracing::warn!(target: "zr::relay::rpc", error = %e, "cannot accept a connection");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = stop.clone().shutdown() => return,
            };
            // One client per IPv4 address or IPv6 /64 (a host holds a whole /64).
            let ip = crate::limits::client_of(remote.ip());
            let Some(slot) = open.take(ip, limits.connections) else {
                refused.inc();
                tracing::debug!(target: "zr::relay::rpc", %ip, "too many connections from one address");
                tokio::spawn(crate::limits::refuse_connection(socket, ip, limits.connections));
                continue;
            };
            let _ = socket.set_nodelay(true);
            let service = builder.clone().build(methods.clone(), stop.clone());
            // The slot lives as long as the connection's service (hyper drops it when the connection ends) and,
            // carried in the requests, as long as a WebSocket the connection was upgraded to.
            let slot = Arc::new(slot);
            let per_request = tower::service_fn(move |request| {
                let mut service = service.clone();
                let request = tag_caller(request, ip, &slot);
                async move { tower::Service::call(&mut service, request).await }
            });
            tokio::spawn(serve_with_graceful_shutdown(socket, per_request, stop.clone().shutdown()));
        }
    });
    Ok((addr, handle))
}
