//! The znnd JSON-RPC client: reqwest for HTTP calls, a WebSocket for subscriptions, both over TLS when the
//! URLs say `https`/`wss`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use zr_common::nom::rpc::{
    AccountBlockList, AccountInfo, DetailedMomentum, DetailedMomentumList, GetRequiredParam, GetRequiredResult,
    MomentumEvent, PlasmaInfo, RpcAccountBlock, RpcMomentum,
};
use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::settlement::{Bond, ChallengeRecord, ClaimRecord, DaRecord, FinalRoot};
use zr_common::{Address, Hash};

use crate::error::Refusal;
use crate::{L1, L1Error, MomentumSubscription};

/// Read calls are retried this many times on transport errors, with doubling back-off.
const READ_ATTEMPTS: u32 = 4;
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Largest WebSocket message accepted (a momentum notification is tiny; this bounds a hostile node).
const MAX_WS_MESSAGE: usize = 1024 * 1024;
/// Largest HTTP response body read: about 14 full momentums; the follower asks for less.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// A client of one znnd (or `zr-devnet`) node.
pub struct ZnndClient {
    http: reqwest::Client,
    http_url: String,
    ws_url: String,
    /// For `wss://` (reqwest holds its own copy).
    tls: Arc<rustls::ClientConfig>,
    next_id: AtomicU64,
}

impl ZnndClient {
    /// A client for the node at `http_url` (calls) and `ws_url` (subscriptions); `https`/`wss` trust
    /// Mozilla's roots.
    pub fn new(http_url: impl Into<String>, ws_url: impl Into<String>) -> Result<ZnndClient, L1Error> {
        ZnndClient::with_ca_file(http_url, ws_url, None)
    }

    /// A client of the node a daemon's `[l1]` section names, trusting its `ca_file` too.
    pub fn for_section(l1: &zr_config::L1Section) -> Result<ZnndClient, L1Error> {
        ZnndClient::with_ca_file(&l1.http, &l1.ws, l1.ca_file.as_deref())
    }

    /// A client that also trusts the PEM certificates in `ca_file` (`l1.ca_file`): a node with a self-signed or
    /// private-CA certificate.
    pub fn with_ca_file(
        http_url: impl Into<String>,
        ws_url: impl Into<String>,
        ca_file: Option<&Path>,
    ) -> Result<ZnndClient, L1Error> {
        let http_url = http_url.into();
        let tls = crate::tls::client_config(ca_file)?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .use_preconfigured_tls((*tls).clone())
            .build()
            .map_err(|e| L1Error::Transport { endpoint: http_url.clone(), reason: e.to_string() })?;
        Ok(ZnndClient { http, http_url, ws_url: ws_url.into(), tls, next_id: AtomicU64::new(1) })
    }

    /// Calls `method` once.
    pub async fn call<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, L1Error> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let transport = |reason: String| L1Error::Transport { endpoint: self.http_url.clone(), reason };
        let response = self.http.post(&self.http_url).json(&body).send().await.map_err(|e| transport(chain(&e)))?;
        let status = response.status();
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| transport(chain(&e)))? {
            if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(L1Error::TooLarge { method: method.to_owned(), limit: MAX_RESPONSE_BYTES });
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8_lossy(&body);
        let decode = |reason: String| L1Error::Decode { method: method.to_owned(), reason };
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            if text.contains(INVALID_HOST) {
                decode(format!(
                    "HTTP {status}: {INVALID_HOST}: znnd answers only Host names listed in its config.json's \
                     RPC.HTTPVirtualHosts (an IP address is always accepted); add this URL's host there or use its IP"
                ))
            } else {
                decode(format!("HTTP {status}, body is not JSON ({e}): {}", truncate(&text)))
            }
        })?;
        if let Some(error) = value.get("error") {
            return Err(L1Error::Rpc {
                method: method.to_owned(),
                code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                message: error.get("message").and_then(Value::as_str).unwrap_or("").to_owned(),
            });
        }
        let result = value.get("result").cloned().ok_or_else(|| decode("no result".into()))?;
        serde_json::from_value(result).map_err(|e| decode(e.to_string()))
    }

    /// Calls a read-only `method`, retrying transport errors with back-off.
    async fn read<T: DeserializeOwned>(&self, method: &str, params: Value) -> Result<T, L1Error> {
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            match self.call(method, params.clone()).await {
                Err(err) if err.is_transient() && attempt < READ_ATTEMPTS => {
                    tracing::debug!(target: "zr::l1", %method, error = %err, "retrying");
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// go-zenon's plain-text 403 to a request whose Host header is a name not in `RPC.HTTPVirtualHosts`
/// (`node/rpcstack.go`, `virtualHostHandler`).
const INVALID_HOST: &str = "invalid host specified";

/// An error with its causes: reqwest's own text ("error sending request") hides the reason (refused, a
/// certificate not trusted, a timeout) in its sources.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn truncate(text: &str) -> &str {
    let end = text.char_indices().nth(200).map_or(text.len(), |(i, _)| i);
    &text[..end]
}

impl L1 for ZnndClient {
    async fn frontier_momentum(&self) -> Result<Momentum, L1Error> {
        let momentum: RpcMomentum = self.read("ledger.getFrontierMomentum", json!([])).await?;
        Ok(momentum.momentum)
    }

    async fn detailed_momentums(&self, height: u64, count: u64) -> Result<Vec<DetailedMomentum>, L1Error> {
        let list: DetailedMomentumList =
            self.read("ledger.getDetailedMomentumsByHeight", json!([height, count])).await?;
        Ok(list.list)
    }

    async fn subscribe_momentums(&self) -> Result<MomentumSubscription, L1Error> {
        let transport = |reason: String| L1Error::Transport { endpoint: self.ws_url.clone(), reason };
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_WS_MESSAGE))
            .max_frame_size(Some(MAX_WS_MESSAGE));
        let connector = tokio_tungstenite::Connector::Rustls(self.tls.clone());
        let (mut socket, _) =
            tokio_tungstenite::connect_async_tls_with_config(&self.ws_url, Some(config), false, Some(connector))
                .await
                .map_err(|e| transport(e.to_string()))?;
        let request = json!({ "jsonrpc": "2.0", "id": 1, "method": "ledger.subscribe", "params": ["momentums"] });
        socket.send(Message::text(request.to_string())).await.map_err(|e| transport(e.to_string()))?;
        // The first answer with id 1 carries the subscription id.
        let subscription = loop {
            let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
                .await
                .map_err(|_| transport("no answer to ledger.subscribe".into()))?
                .ok_or_else(|| transport("closed before answering ledger.subscribe".into()))?
                .map_err(|e| transport(e.to_string()))?;
            let Message::Text(text) = message else { continue };
            let value: Value = serde_json::from_str(&text)
                .map_err(|e| L1Error::Decode { method: "ledger.subscribe".into(), reason: e.to_string() })?;
            if value.get("id") != Some(&json!(1)) {
                continue;
            }
            if let Some(error) = value.get("error") {
                return Err(L1Error::Rpc {
                    method: "ledger.subscribe".into(),
                    code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
                    message: error.get("message").and_then(Value::as_str).unwrap_or("").to_owned(),
                });
            }
            break value.get("result").cloned().unwrap_or(Value::Null);
        };
        let (tx, events) = mpsc::channel(256);
        tokio::spawn(async move {
            while let Some(Ok(message)) = socket.next().await {
                let Message::Text(text) = message else { continue };
                let Ok(value) = serde_json::from_str::<Value>(&text) else { continue };
                if value.get("method").and_then(Value::as_str) != Some("ledger.subscription")
                    || value["params"]["subscription"] != subscription
                {
                    continue;
                }
                let Ok(items) = serde_json::from_value::<Vec<MomentumEvent>>(value["params"]["result"].clone()) else {
                    tracing::warn!(target: "zr::l1", "malformed momentum notification ignored");
                    continue;
                };
                for item in items {
                    if tx.send(item).await.is_err() {
                        return;
                    }
                }
            }
        });
        Ok(MomentumSubscription { events })
    }

    async fn publish(&self, block: &AccountBlock) -> Result<(), L1Error> {
        match self.call::<Value>("ledger.publishRawTransaction", json!([block])).await {
            Ok(_) => Ok(()),
            Err(L1Error::Rpc { message, .. }) => {
                Err(L1Error::Refused { reason: Refusal::of_message(&message), message })
            }
            Err(other) => Err(other),
        }
    }

    async fn frontier_block(&self, address: &Address) -> Result<Option<AccountBlock>, L1Error> {
        let block: Option<RpcAccountBlock> = self.read("ledger.getFrontierAccountBlock", json!([address])).await?;
        Ok(block.map(|b| b.block))
    }

    async fn account_info(&self, address: &Address) -> Result<AccountInfo, L1Error> {
        self.read("ledger.getAccountInfoByAddress", json!([address])).await
    }

    async fn plasma(&self, address: &Address) -> Result<PlasmaInfo, L1Error> {
        self.read("embedded.plasma.get", json!([address])).await
    }

    async fn required_pow(&self, param: &GetRequiredParam) -> Result<GetRequiredResult, L1Error> {
        self.read("embedded.plasma.getRequiredPoWForAccountBlock", json!([param])).await
    }

    async fn rollup_final(&self) -> Result<Option<FinalRoot>, L1Error> {
        self.read("embedded.rollup.getFinal", json!([])).await
    }

    async fn rollup_bond(&self, address: &Address) -> Result<Option<Bond>, L1Error> {
        self.read("embedded.rollup.getBond", json!([address])).await
    }

    async fn rollup_claims(&self, height: u64, count: u64) -> Result<Vec<ClaimRecord>, L1Error> {
        self.read("embedded.rollup.getClaims", json!([height, count])).await
    }

    async fn rollup_da_challenges(&self, height: u64, count: u64) -> Result<Vec<DaRecord>, L1Error> {
        self.read("embedded.rollup.getDaChallenges", json!([height, count])).await
    }

    async fn unreceived_blocks(&self, address: &Address, page: u32) -> Result<Vec<AccountBlock>, L1Error> {
        let page: AccountBlockList =
            self.read("ledger.getUnreceivedBlocksByAddress", json!([address, page, crate::UNRECEIVED_PAGE])).await?;
        Ok(page.list.into_iter().map(|b| b.block).collect())
    }

    async fn rollup_open_da_challenges(&self) -> Result<Vec<DaRecord>, L1Error> {
        self.read("embedded.rollup.getOpenDaChallenges", json!([])).await
    }

    async fn rollup_challenges(&self, height: u64, count: u64) -> Result<Vec<ChallengeRecord>, L1Error> {
        self.read("embedded.rollup.getChallenges", json!([height, count])).await
    }

    async fn rollup_withdrawal(&self, tx_hash: &Hash) -> Result<Option<Hash>, L1Error> {
        let paid: Option<crate::l1::PaidWithdrawal> =
            self.read("embedded.rollup.getWithdrawal", json!([tx_hash])).await?;
        Ok(paid.map(|p| p.l1_block))
    }
}
