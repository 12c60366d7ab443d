//! znnd's JSON-RPC subset over HTTP and WebSocket (jsonrpsee), with znnd's method names and JSON shapes.

use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::core::traits::IdProvider;
use jsonrpsee::server::{BatchRequestConfig, RpcModule, Server, ServerConfig, ServerHandle};
use jsonrpsee::types::{ErrorObjectOwned, Params, SubscriptionId};
use jsonrpsee::{PendingSubscriptionSink, SubscriptionMessage};
use serde::Serialize;
use zr_common::nom::rpc::{
    AccountBlockEvent, AccountBlockList, AccountInfo, BalanceInfo, ConfirmationDetail, DetailedMomentum,
    DetailedMomentumList, GetRequiredParam, GetRequiredResult, MomentumEvent, MomentumList, PlasmaInfo,
    RpcAccountBlock, RpcMomentum, known_token,
};
use zr_common::nom::{AccountBlock, plasma};
use zr_common::{Address, Hash};

use crate::chain::Chain;
use crate::verify::base_plasma;
use crate::{DevnetError, PublishError};

/// znnd's page and count limit.
pub(crate) const MAX_COUNT: u64 = 1024;
/// Requests in one JSON-RPC batch.
const MAX_BATCH: u32 = 64;

type RpcResult<T> = Result<T, ErrorObjectOwned>;

fn rpc_error(message: impl Into<String>) -> ErrorObjectOwned {
    // go-zenon answers every application error with -32000 and the error's text.
    ErrorObjectOwned::owned(-32000, message.into(), None::<()>)
}

impl From<DevnetError> for ErrorObjectOwned {
    fn from(err: DevnetError) -> Self {
        rpc_error(err.to_string())
    }
}

impl From<PublishError> for ErrorObjectOwned {
    fn from(err: PublishError) -> Self {
        rpc_error(err.0)
    }
}

/// Subscription ids as go-zenon makes them: `0x` and hex without leading zeros.
#[derive(Debug)]
struct HexIdProvider;

impl IdProvider for HexIdProvider {
    fn next_id(&self) -> SubscriptionId<'static> {
        SubscriptionId::Str(format!("0x{:x}", rand::random::<u128>()).into())
    }
}

pub(crate) fn check_range(height: u64, count: u64) -> RpcResult<()> {
    if height == 0 {
        return Err(rpc_error("height parameter must be strictly greater than zero"));
    }
    if count > MAX_COUNT {
        return Err(rpc_error("count parameter is too big"));
    }
    Ok(())
}

pub(crate) fn to_rpc_block(
    chain: &Chain,
    block: AccountBlock,
    confirmed_at: Option<u64>,
    paired: bool,
) -> RpcResult<RpcAccountBlock> {
    let frontier = chain.frontier_momentum().height;
    let confirmation_detail = match confirmed_at {
        Some(height) => chain.momentum(height)?.map(|m| ConfirmationDetail {
            num_confirmations: frontier.saturating_sub(height) + 1,
            momentum_height: height,
            momentum_hash: m.hash,
            momentum_timestamp: m.timestamp,
        }),
        None => None,
    };
    let paired_account_block = if paired {
        let other = if block.from_block_hash != Hash::ZERO {
            chain.confirmed_block(&block.from_block_hash)?
        } else {
            chain.receive_of(&block.hash)?
        };
        match other {
            Some(stored) => Some(Box::new(to_rpc_block(chain, stored.block, Some(stored.momentum_height), false)?)),
            None => None,
        }
    } else {
        None
    };
    Ok(RpcAccountBlock { token: known_token(&block.token_standard), block, confirmation_detail, paired_account_block })
}

pub(crate) fn detailed(chain: &Chain, height: u64, count: u64) -> RpcResult<DetailedMomentumList> {
    check_range(height, count)?;
    let mut list = Vec::new();
    for momentum in chain.momentums(height, count)? {
        let mut blocks = Vec::new();
        for stored in chain.momentum_blocks(&momentum)? {
            blocks.push(to_rpc_block(chain, stored.block, Some(stored.momentum_height), true)?);
        }
        list.push(DetailedMomentum { blocks, momentum: RpcMomentum::from(momentum) });
    }
    Ok(DetailedMomentumList { list, count: chain.frontier_momentum().height })
}

pub(crate) fn account_info(chain: &Chain, address: Address) -> AccountInfo {
    let state = chain.account(&address);
    let balance_info_map = state
        .balances
        .iter()
        .filter_map(|(token, balance)| {
            known_token(token).map(|info| (*token, BalanceInfo { token: info, balance: *balance }))
        })
        .collect();
    AccountInfo { address, account_height: state.height, balance_info_map }
}

/// `ledger.getFrontierAccountBlock`: the newest block of an account, unconfirmed ones included.
pub(crate) fn frontier_block(chain: &Chain, address: Address) -> RpcResult<Option<RpcAccountBlock>> {
    let height = chain.account(&address).height;
    match chain.account_block(&address, height)? {
        Some((block, confirmed)) if height > 0 => Ok(Some(to_rpc_block(chain, block, confirmed, true)?)),
        _ => Ok(None),
    }
}

/// `embedded.plasma.get`.
pub(crate) fn plasma_info(chain: &Chain, address: Address) -> PlasmaInfo {
    let state = chain.account(&address);
    PlasmaInfo { current_plasma: state.available_plasma(), max_plasma: state.max_plasma(), qsr_amount: state.fused_qsr }
}

pub(crate) fn required_pow(chain: &Chain, param: GetRequiredParam) -> RpcResult<GetRequiredResult> {
    let to = match (param.block_type, param.to_address) {
        (2, None) => return Err(rpc_error("toAddress is nil")),
        (_, to) => to.unwrap_or_default(),
    };
    let base = base_plasma(param.block_type, &to, &param.data)?;
    let available = chain.account(&param.address).available_plasma();
    let required_difficulty = if available >= base {
        0
    } else {
        let missing = base - available;
        // go-zenon's bare text (`constants.ErrForbiddenParam` from `GetDifficultyForPlasma`); the client turns
        // it into an error that says how much QSR to fuse.
        if missing > plasma::MAX_POW_PLASMA_PER_BLOCK {
            return Err(rpc_error(zr_sequencing::POW_LIMIT_MESSAGE));
        }
        plasma::difficulty_for_plasma(missing)
    };
    Ok(GetRequiredResult { available_plasma: available, base_plasma: base, required_difficulty })
}

/// go-zenon's answer to a page larger than it serves (`ErrPageSizeParamTooBig`, `rpc/api/errors.go`).
pub const PAGE_SIZE_TOO_BIG: &str = "page-size parameter is too big";
/// go-zenon's answer to an unreceived page past its 10th (`ErrPageIndexParamTooBig`).
pub const PAGE_INDEX_TOO_BIG: &str = "page-index parameter is too big";
/// go-zenon's bounds on `ledger.getUnreceivedBlocksByAddress` (`unreceivedMaxPageSize`, `unreceivedMaxPageIndex`).
pub const UNRECEIVED_MAX_PAGE_SIZE: u32 = 50;
pub const UNRECEIVED_MAX_PAGE_INDEX: u32 = 10;

/// go-zenon's paging parameters `(address, pageIndex, pageSize)`, with its bound on the page size.
fn page_params(params: &Params<'_>) -> RpcResult<(Address, usize, usize)> {
    let mut seq = params.sequence();
    let address: Address = seq.next()?;
    let page: u32 = seq.next()?;
    let size: u32 = seq.next()?;
    if size > MAX_COUNT as u32 {
        return Err(rpc_error(PAGE_SIZE_TOO_BIG));
    }
    Ok((address, page as usize, size as usize))
}

/// The paging parameters of `ledger.getUnreceivedBlocksByAddress`, with go-zenon's tighter bounds on them.
fn unreceived_page_params(params: &Params<'_>) -> RpcResult<(Address, usize, usize)> {
    let mut seq = params.sequence();
    let address: Address = seq.next()?;
    let page: u32 = seq.next()?;
    let size: u32 = seq.next()?;
    if size > UNRECEIVED_MAX_PAGE_SIZE {
        return Err(rpc_error(PAGE_SIZE_TOO_BIG));
    }
    if page >= UNRECEIVED_MAX_PAGE_INDEX {
        return Err(rpc_error(PAGE_INDEX_TOO_BIG));
    }
    Ok((address, page as usize, size as usize))
}

fn one<T: serde::de::DeserializeOwned>(params: &Params<'_>) -> RpcResult<T> {
    let mut seq = params.sequence();
    seq.next()
}

fn two<A: serde::de::DeserializeOwned, B: serde::de::DeserializeOwned>(params: &Params<'_>) -> RpcResult<(A, B)> {
    let mut seq = params.sequence();
    Ok((seq.next()?, seq.next()?))
}

/// The RPC methods' shared context.
pub struct RpcContext {
    chain: Arc<Chain>,
}

/// The RPC methods, over a shared chain.
pub fn module(chain: Arc<Chain>) -> RpcModule<RpcContext> {
    let mut m = RpcModule::new(RpcContext { chain });
    let reg = |m: &mut RpcModule<RpcContext>,
               name: &'static str,
               f: fn(&Params<'_>, &Chain) -> RpcResult<serde_json::Value>| {
        m.register_method(name, move |params, ctx, _| f(&params, &ctx.chain)).expect("method names are unique");
    };
    fn json<T: Serialize>(value: T) -> RpcResult<serde_json::Value> {
        serde_json::to_value(value).map_err(|e| rpc_error(format!("internal error: {e}")))
    }
    reg(&mut m, "ledger.getFrontierMomentum", |_, chain| json(RpcMomentum::from(chain.frontier_momentum())));
    reg(&mut m, "ledger.getMomentumsByHeight", |p, chain| {
        let (height, count): (u64, u64) = two(p)?;
        check_range(height, count)?;
        let list = chain.momentums(height, count)?.into_iter().map(RpcMomentum::from).collect();
        json(MomentumList { list, count: chain.frontier_momentum().height })
    });
    reg(&mut m, "ledger.getDetailedMomentumsByHeight", |p, chain| {
        let (height, count): (u64, u64) = two(p)?;
        json(detailed(chain, height, count)?)
    });
    reg(&mut m, "ledger.getAccountBlockByHash", |p, chain| {
        let hash: Hash = one(p)?;
        match chain.confirmed_block(&hash)? {
            Some(stored) => json(to_rpc_block(chain, stored.block, Some(stored.momentum_height), true)?),
            None => Ok(serde_json::Value::Null),
        }
    });
    reg(&mut m, "ledger.getFrontierAccountBlock", |p, chain| json(frontier_block(chain, one(p)?)?));
    reg(&mut m, "ledger.getUnreceivedBlocksByAddress", |p, chain| {
        let (address, page, size) = unreceived_page_params(p)?;
        let unreceived = chain.unreceived(&address)?;
        let count = unreceived.sends.len() as u64;
        let mut list = Vec::new();
        for send in unreceived.sends.into_iter().skip(page * size).take(size) {
            list.push(to_rpc_block(chain, send.block, Some(send.momentum_height), false)?);
        }
        json(AccountBlockList { list, count, more: unreceived.more })
    });
    reg(&mut m, "ledger.getUnconfirmedBlocksByAddress", |p, chain| {
        let (address, page, size) = page_params(p)?;
        let blocks = chain.unconfirmed(&address);
        let count = blocks.len() as u64;
        let mut list = Vec::new();
        for block in blocks.into_iter().skip(page * size).take(size) {
            list.push(to_rpc_block(chain, block, None, false)?);
        }
        let more = ((page + 1) * size) < count as usize;
        json(AccountBlockList { list, count, more })
    });
    reg(&mut m, "ledger.getAccountBlocksByHeight", |p, chain| {
        let mut seq = p.sequence();
        let address: Address = seq.next()?;
        let height: u64 = seq.next()?;
        let count: u64 = seq.next()?;
        check_range(height, count)?;
        let top = chain.account(&address).height;
        let mut list = Vec::new();
        for h in height..height.saturating_add(count).min(top + 1) {
            if let Some((block, confirmed)) = chain.account_block(&address, h)? {
                list.push(to_rpc_block(chain, block, confirmed, true)?);
            }
        }
        json(AccountBlockList { list, count: top, more: false })
    });
    reg(&mut m, "ledger.getAccountInfoByAddress", |p, chain| json(account_info(chain, one(p)?)));
    reg(&mut m, "ledger.publishRawTransaction", |p, chain| {
        let block: AccountBlock = one(p)?;
        chain.publish(block)?;
        Ok(serde_json::Value::Null)
    });
    reg(&mut m, "embedded.plasma.get", |p, chain| json(plasma_info(chain, one(p)?)));
    reg(&mut m, "embedded.plasma.getRequiredPoWForAccountBlock", |p, chain| json(required_pow(chain, one(p)?)?));
    // The settlement's methods answer as they do wherever it runs (`zr_settlement::query`).
    for name in zr_settlement::query::METHODS {
        m.register_method(name, move |params, ctx, _| {
            let values: Vec<serde_json::Value> = match params.as_str() {
                Some(raw) => serde_json::from_str(raw).map_err(|e| rpc_error(format!("invalid parameters: {e}")))?,
                None => Vec::new(),
            };
            zr_settlement::query::query(&ctx.chain.settlement(), name, &values).map_err(rpc_error)
        })
        .expect("method names are unique");
    }
    m.register_subscription("ledger.subscribe", "ledger.subscription", "ledger.unsubscribe", subscribe)
        .expect("subscription names are unique");
    m
}

/// What a subscription listens to.
#[derive(Clone, Copy)]
enum Topic {
    Momentums,
    AllAccountBlocks,
}

async fn subscribe(
    params: Params<'static>,
    pending: PendingSubscriptionSink,
    ctx: Arc<RpcContext>,
    _: jsonrpsee::Extensions,
) -> jsonrpsee::core::SubscriptionResult {
    let name = match one::<String>(&params) {
        Ok(name) => name,
        Err(err) => {
            pending.reject(err).await;
            return Ok(());
        }
    };
    let topic = match name.as_str() {
        "momentums" => Topic::Momentums,
        "allAccountBlocks" => Topic::AllAccountBlocks,
        other => {
            pending
                .reject(rpc_error(format!(
                    "unsupported subscription {other:?}: use \"momentums\" or \"allAccountBlocks\""
                )))
                .await;
            return Ok(());
        }
    };
    let mut events = ctx.chain.subscribe();
    let sink = pending.accept().await?;
    while let Some(event) = zr_rpc_api::subscription::next_event(&mut events, &sink).await {
        let result = match topic {
            Topic::Momentums => serde_json::value::to_raw_value(&[MomentumEvent {
                hash: event.momentum.hash,
                height: event.momentum.height,
            }])?,
            Topic::AllAccountBlocks if event.blocks.is_empty() => continue,
            Topic::AllAccountBlocks => {
                serde_json::value::to_raw_value(&event.blocks.iter().map(AccountBlockEvent::from).collect::<Vec<_>>())?
            }
        };
        if sink.send(SubscriptionMessage::from(result)).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// The two listeners: HTTP-only and WebSocket-only, as znnd has.
pub struct RpcServers {
    /// The HTTP address bound.
    pub http: SocketAddr,
    /// The WebSocket address bound.
    pub ws: SocketAddr,
    /// Stops the HTTP server.
    pub http_handle: ServerHandle,
    /// Stops the WebSocket server.
    pub ws_handle: ServerHandle,
}

/// Starts both listeners.
pub async fn serve(
    chain: Arc<Chain>,
    http: SocketAddr,
    ws: SocketAddr,
    max_request_bytes: u32,
    max_connections: u32,
) -> Result<RpcServers, DevnetError> {
    let module = module(chain);
    let config = |http_only: bool| {
        let builder = ServerConfig::builder()
            .max_request_body_size(max_request_bytes)
            .max_response_body_size(64 * 1024 * 1024)
            .max_connections(max_connections)
            .set_batch_request_config(BatchRequestConfig::Limit(MAX_BATCH))
            .set_id_provider(HexIdProvider);
        if http_only { builder.http_only().build() } else { builder.ws_only().build() }
    };
    let http_server = Server::builder()
        .set_config(config(true))
        .build(http)
        .await
        .map_err(|source| DevnetError::Listen { addr: http, source })?;
    let ws_server = Server::builder()
        .set_config(config(false))
        .build(ws)
        .await
        .map_err(|source| DevnetError::Listen { addr: ws, source })?;
    let http = http_server.local_addr().map_err(|source| DevnetError::Listen { addr: http, source })?;
    let ws = ws_server.local_addr().map_err(|source| DevnetError::Listen { addr: ws, source })?;
    Ok(RpcServers { http, ws, http_handle: http_server.start(module.clone()), ws_handle: ws_server.start(module) })
}
