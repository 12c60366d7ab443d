//! The executor's query JSON-RPC (jsonrpsee, HTTP and WebSocket on one port), namespace `rollup`.

use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::server::{BatchRequestConfig, RpcModule, Server, ServerConfig, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use jsonrpsee::{PendingSubscriptionSink, SubscriptionMessage};
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use zr_common::rollup::ReceiptStatus;
use zr_common::rollup::api::{AccountView, CallRequest, CallResult, StateRootView, TransactionView};
use zr_common::{Address, Hash};

use crate::rollup::{Processed, QueryError, Rollup};
use crate::state::StateKey;
use crate::vm::{CallError, Frame};
use crate::{BlockInfo, World};

/// Gas a read-only call may use.
pub const MAX_CALL_GAS: u64 = 50_000_000;

type RpcResult<T> = Result<T, ErrorObjectOwned>;

fn rpc_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32000, message.into(), None::<()>)
}

impl From<QueryError> for ErrorObjectOwned {
    fn from(err: QueryError) -> Self {
        rpc_error(err.to_string())
    }
}

impl From<crate::store::StoreError> for ErrorObjectOwned {
    fn from(err: crate::store::StoreError) -> Self {
        rpc_error(err.to_string())
    }
}

/// What the RPC methods share.
pub struct RpcContext {
    rollup: Arc<Rollup>,
    events: broadcast::Sender<Arc<Processed>>,
    peer_claims: crate::gossip::PeerClaims,
}

fn json<T: serde::Serialize>(value: T) -> RpcResult<Value> {
    serde_json::to_value(value).map_err(|e| rpc_error(format!("internal error: {e}")))
}

fn params_address_height(p: &Params<'_>) -> RpcResult<(Address, Option<u64>)> {
    let mut seq = p.sequence();
    let address: Address = seq.next()?;
    let height: Option<u64> = seq.optional_next()?;
    Ok((address, height))
}

fn account(rollup: &Rollup, p: &Params<'_>) -> RpcResult<AccountView> {
    let (address, height) = params_address_height(p)?;
    let (height, tree) = rollup.tree_at(height)?;
    let account = World::new(tree).account(&address);
    Ok(AccountView { address, nonce: account.nonce, znn: account.znn, qsr: account.qsr, height })
}

fn transaction(rollup: &Rollup, hash: Hash) -> RpcResult<Option<TransactionView>> {
    let Some(receipt) = rollup.store().receipt(&hash)? else { return Ok(None) };
    let location = rollup.store().tx_location(&hash)?;
    let status = match receipt.status {
        ReceiptStatus::Success => "executed",
        ReceiptStatus::Failed { .. } => "failed",
        ReceiptStatus::Dropped { .. } => "dropped",
    };
    Ok(Some(TransactionView {
        hash,
        status: status.into(),
        height: location.map(|l| l.height),
        index: location.map(|l| l.index),
        receipt,
    }))
}

fn call(rollup: &Rollup, request: CallRequest) -> RpcResult<CallResult> {
    if zr_common::rollup::TxBody::check_method(&request.method).is_err() {
        return Err(rpc_error(format!("invalid method name {:?}", request.method)));
    }
    if request.input.len() > crate::vm::limits::MAX_DATA {
        return Err(rpc_error("input too large"));
    }
    let (height, tree) = rollup.tree_at(request.height)?;
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
    let outcome = rollup.executor().vm().run_call(World::new(tree), frame, &request.method, block, gas);
    let gas_used = gas - outcome.gas_left;
    Ok(match outcome.result {
        Ok(return_data) => {
            CallResult { success: true, error: None, gas_used, return_data, events: outcome.world.events, height }
        }
        Err(CallError::Fault(fault)) => return Err(rpc_error(format!("node fault: {fault}"))),
        Err(CallError::OutOfGas) => CallResult {
            success: false,
            error: Some("out of gas".into()),
            gas_used,
            return_data: vec![],
            events: vec![],
            height,
        },
        Err(CallError::Failed(reason)) => {
            CallResult { success: false, error: Some(reason), gas_used, return_data: vec![], events: vec![], height }
        }
    })
}

/// The RPC module.
pub fn module(
    rollup: Arc<Rollup>,
    events: broadcast::Sender<Arc<Processed>>,
    peer_claims: crate::gossip::PeerClaims,
) -> RpcModule<RpcContext> {
    let mut m = RpcModule::new(RpcContext { rollup, events, peer_claims });
    let reg = |m: &mut RpcModule<RpcContext>, name: &'static str, f: fn(&Params<'_>, &Rollup) -> RpcResult<Value>| {
        m.register_blocking_method(name, move |params, ctx, _| f(&params, &ctx.rollup)).expect("unique method names");
    };
    reg(&mut m, "rollup.getBalance", |p, r| json(account(r, p)?));
    reg(&mut m, "rollup.getNonce", |p, r| json(account(r, p)?.nonce));
    reg(&mut m, "rollup.getStorage", |p, r| {
        let mut seq = p.sequence();
        let contract: Address = seq.next()?;
        let key: String = seq.next()?;
        let height: Option<u64> = seq.optional_next()?;
        let key = zr_common::bytes::parse_hex("storage key", &key).map_err(|e| rpc_error(e.to_string()))?;
        let (_, tree) = r.tree_at(height)?;
        let value = tree.get(&StateKey::Storage { contract, key }.hash()).map(|v| hex::encode(v.as_slice()));
        json(value)
    });
    reg(&mut m, "rollup.call", |p, r| {
        let request: CallRequest = p.sequence().next()?;
        json(call(r, request)?)
    });
    reg(&mut m, "rollup.getReceipt", |p, r| {
        let hash: Hash = p.sequence().next()?;
        json(r.store().receipt(&hash)?)
    });
    reg(&mut m, "rollup.getTransaction", |p, r| {
        let hash: Hash = p.sequence().next()?;
        json(transaction(r, hash)?)
    });
    reg(&mut m, "rollup.getStateRoot", |p, r| {
        let height: Option<u64> = p.sequence().optional_next()?;
        let head = r.head();
        let height = height.unwrap_or(head.height);
        match r.store().state_root(height)? {
            Some(root) => json(StateRootView { height, root }),
            None if height == head.height => json(StateRootView { height, root: head.root }),
            None => Err(rpc_error(format!("no state root for height {height} (head is {})", head.height))),
        }
    });
    reg(&mut m, "rollup.getProof", |p, r| {
        let mut seq = p.sequence();
        let key: StateKey = seq.next()?;
        let height: Option<u64> = seq.optional_next()?;
        let (height, tree) = r.tree_at(height)?;
        let key_hash = key.hash();
        let value = tree.get(&key_hash).map(|v| hex::encode(v.as_slice()));
        json(
            json!({ "height": height, "root": tree.root(), "keyHash": key_hash, "value": value, "proof": tree.prove(&key_hash) }),
        )
    });
    reg(&mut m, "rollup.getClaim", |p, r| {
        let height: u64 = p.sequence().next()?;
        json(r.store().claim(height)?)
    });
    reg(&mut m, "rollup.getClaimLeaves", |p, r| {
        let height: u64 = p.sequence().next()?;
        json(r.store().leaves(height)?)
    });
    reg(&mut m, "rollup.getHead", |_, r| {
        let head = r.head();
        json(json!({ "height": head.height, "root": head.root, "executor": r.executor_key(), "chainId": r.chain_id() }))
    });
    m.register_method("rollup.getPeerClaims", |p, ctx, _| -> RpcResult<Value> {
        let height: u64 = p.sequence().next()?;
        json(ctx.peer_claims.at(height))
    })
    .expect("unique method names");
    m.register_subscription("rollup.subscribe", "rollup.subscription", "rollup.unsubscribe", subscribe)
        .expect("unique subscription names");
    m
}

async fn subscribe(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<RpcContext>,
    _: jsonrpsee::Extensions,
) -> jsonrpsee::core::SubscriptionResult {
    let topic: String = match params.sequence().next() {
        Ok(topic) => topic,
        Err(err) => {
            pending.reject(err).await;
            return Ok(());
        }
    };
    let claims = match topic.as_str() {
        "claims" => true,
        "receipts" => false,
        other => {
            pending
                .reject(rpc_error(format!("unsupported subscription {other:?}: use \"claims\" or \"receipts\"")))
                .await;
            return Ok(());
        }
    };
    let mut events = ctx.events.subscribe();
    let sink = pending.accept().await?;
    loop {
        let event = tokio::select! {
            event = events.recv() => event,
            () = sink.closed() => return Ok(()),
        };
        let processed = match event {
            Ok(processed) => processed,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return Ok(()),
        };
        let messages: Vec<Box<serde_json::value::RawValue>> = if claims {
            vec![serde_json::value::to_raw_value(&processed.claim)?]
        } else {
            processed.receipts.iter().map(serde_json::value::to_raw_value).collect::<Result<_, _>>()?
        };
        for message in messages {
            if sink.send(SubscriptionMessage::from(message)).await.is_err() {
                return Ok(());
            }
        }
    }
}

/// Starts the RPC server.
pub async fn serve(
    rollup: Arc<Rollup>,
    events: broadcast::Sender<Arc<Processed>>,
    peer_claims: crate::gossip::PeerClaims,
    config: &zr_config::RpcSection,
) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let server = Server::builder()
        .set_config(
            ServerConfig::builder()
                .max_request_body_size(config.max_request_bytes)
                .max_connections(config.max_connections)
                .set_batch_request_config(BatchRequestConfig::Limit(64))
                .build(),
        )
        .build(config.listen)
        .await?;
    let addr = server.local_addr()?;
    Ok((addr, server.start(module(rollup, events, peer_claims))))
}
