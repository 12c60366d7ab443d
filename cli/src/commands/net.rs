//! Talking to the network: a relay (by default: it takes signed transactions, pays the L1 plasma and answers
//! the state queries), or with `--direct` an executor's query RPC and the L1, posting bundles to the inbox
//! from the user's own L1 account (forced inclusion: no relay can censor it).

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use eyre::{Context, bail, eyre};
use jsonrpsee_http_client::{HttpClient, HttpClientBuilder};
use zr_common::rollup::{BundleBody, Transaction, TxBody, TxKind};
use zr_common::{Address, KeyPair, TokenStandard};
use zr_rpc_api::{
    AccountView, RollupRelayApiClient, RollupStateApiClient, RollupTxApiClient, TransactionStatus, TransactionView,
};
use zr_sequencing::bundle::encode_bundle;
use zr_sequencing::{L1, L1Error, SendRequest, ZnndClient, send_block};

/// Where the network is.
#[derive(Args, Clone)]
pub struct NetArgs {
    /// L1 JSON-RPC over HTTP
    #[arg(long, env = "ZR_L1_HTTP", default_value = zr_config::defaults::L1_HTTP_URL, global = true)]
    pub l1_http: String,
    /// L1 JSON-RPC over WebSocket
    #[arg(long, env = "ZR_L1_WS", default_value = zr_config::defaults::L1_WS_URL, global = true)]
    pub l1_ws: String,
    /// PEM certificates to trust for an https/wss L1 besides Mozilla's roots
    #[arg(long, env = "ZR_L1_CA_FILE", value_name = "FILE", global = true)]
    pub l1_ca_file: Option<std::path::PathBuf>,
    /// The relay that takes your transactions and answers queries
    #[arg(long, env = "ZR_RELAY", default_value = zr_config::defaults::RELAY_URL, global = true)]
    pub relay: String,
    /// Post bundles to the L1 inbox from your own L1 account (it pays the plasma) and query an executor,
    /// instead of going through a relay
    #[arg(long, global = true)]
    pub direct: bool,
    /// An executor's query RPC (with --direct)
    #[arg(long, env = "ZR_EXECUTOR", default_value = zr_config::defaults::EXECUTOR_URL, global = true)]
    pub executor: String,
    /// The rollup chain id transactions are signed for; by default the one the relay (with --direct, the
    /// executor) serves, from its `rollup.getHead`
    #[arg(long, env = "ZR_CHAIN_ID", global = true)]
    pub chain_id: Option<u64>,
    /// Gas limit of each transaction
    #[arg(long, default_value_t = 5_000_000, global = true)]
    pub gas: u64,
    /// Fee per gas (ZNN smallest unit) paid to the bundle's poster (the relay); the protocol's minimum (1) by
    /// default
    #[arg(long, default_value_t = zr_protocol::gas::MOMENTUM.min_fee_per_gas, global = true)]
    pub fee_per_gas: u64,
    /// How long to wait for a result, in seconds
    #[arg(long, default_value_t = 120, global = true)]
    pub timeout: u64,
}

/// A connection to a relay, or (`--direct`) to the L1 and an executor.
pub struct Net {
    pub args: NetArgs,
    pub l1: Arc<ZnndClient>,
    /// The `rollup` API queries go to: the relay's, or with `--direct` the executor's.
    pub executor: HttpClient,
    /// Print progress lines (not with --json).
    pub progress: bool,
    /// The chain id, once given or asked for.
    chain_id: tokio::sync::OnceCell<u64>,
}

impl Net {
    pub fn new(args: NetArgs, progress: bool) -> eyre::Result<Net> {
        let l1 = Arc::new(ZnndClient::with_ca_file(&args.l1_http, &args.l1_ws, args.l1_ca_file.as_deref())?);
        let url = args.api_url();
        let executor = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(30))
            .build(url)
            .wrap_err_with(|| format!("invalid URL {url}"))?;
        Ok(Net { args, l1, executor, progress, chain_id: tokio::sync::OnceCell::new() })
    }

    pub async fn account(&self, address: &Address) -> eyre::Result<AccountView> {
        self.executor.get_balance(*address, None).await.map_err(|e| self.executor_error("rollup.getBalance", e))
    }

    /// The chain id to sign for: `--chain-id`, or else the one the relay (executor) says it serves.
    pub async fn chain_id(&self) -> eyre::Result<u64> {
        let ask = || async {
            match self.args.chain_id {
                Some(id) => Ok(id),
                None => {
                    Ok(self.executor.get_head().await.map_err(|e| self.executor_error("rollup.getHead", e))?.chain_id)
                }
            }
        };
        self.chain_id.get_or_try_init(ask).await.copied()
    }

    /// The next nonce to sign with (a relay counts what it holds for the account).
    pub async fn next_nonce(&self, address: &Address) -> eyre::Result<u64> {
        self.executor.get_nonce(*address, None).await.map_err(|e| self.executor_error("rollup.getNonce", e))
    }

    /// A call's error, naming the endpoint and the method.
    pub fn executor_error(&self, method: &str, error: jsonrpsee::core::ClientError) -> eyre::Report {
        let who = if self.args.direct { "executor" } else { "relay" };
        match error {
            jsonrpsee::core::ClientError::Call(e) => eyre!("{who} refused {method}: {}", e.message()),
            other => eyre!(
                "{who} at {} failed on {method}: {other}{}",
                self.args.api_url(),
                if self.args.direct { "" } else { " (is a relay running? `zr up` starts one; --direct posts without)" }
            ),
        }
    }

    pub fn progress(&self, line: &str) {
        if self.progress {
            eprint!("\r\x1b[2K{line}");
            let _ = std::io::stderr().flush();
        }
    }

    /// A finished step, on its own line (not with --json).
    pub fn progress_line(&self, line: &str) {
        if self.progress {
            eprintln!("\r\x1b[2K{line}");
        }
    }

    pub fn progress_done(&self) {
        if self.progress {
            eprintln!();
        }
    }

    /// Posts a send from `key`'s L1 account. Plasma held by the account's unconfirmed blocks comes back with
    /// the next momentum, so that is waited for; an account whose fused QSR can never pay the block gets an
    /// error saying how much to fuse.
    pub async fn post(&self, key: &KeyPair, send: SendRequest) -> eyre::Result<zr_common::nom::AccountBlock> {
        let chain_identifier = self.l1.frontier_momentum().await?.chain_identifier;
        let deadline = Instant::now() + Duration::from_secs(self.args.timeout);
        loop {
            match send_block(self.l1.as_ref(), chain_identifier, key, send.clone()).await {
                Ok(block) => return Ok(block),
                Err(L1Error::NeedsFusedPlasma { address, required, .. })
                    if self.never_enough(&address, required).await =>
                {
                    let qsr = required.div_ceil(zr_common::nom::plasma::PLASMA_PER_FUSED_QSR);
                    bail!(
                        "{address} cannot pay this block's {required} plasma: PoW pays at most {} a block and its fused \
                         QSR gives less. Fuse at least {qsr} QSR to {address} on L1 (the plasma contract's Fuse), or \
                         leave out --direct and submit through a relay, which pays the plasma",
                        zr_common::nom::plasma::MAX_POW_PLASMA_PER_BLOCK
                    );
                }
                // Plasma held by unconfirmed blocks comes back when a momentum confirms them.
                Err(err) if err.clears_with_next_momentum() && Instant::now() < deadline => {
                    self.progress("waiting for plasma (the next momentum frees it)…");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(err) => return Err(err).wrap_err("the L1 refused the inbox block"),
            }
        }
    }

    /// Whether `address`'s fused QSR gives less than `required` plasma even with nothing unconfirmed.
    async fn never_enough(&self, address: &Address, required: u64) -> bool {
        self.l1.plasma(address).await.is_ok_and(|p| p.max_plasma < required)
    }

    /// Signs `kinds` with consecutive nonces from `nonce` and submits them (to the relay, or with `--direct`
    /// in one bundle from the user's L1 account); returns the transactions.
    pub async fn submit(&self, key: &KeyPair, nonce: u64, kinds: Vec<TxKind>) -> eyre::Result<Vec<Transaction>> {
        self.submit_with_gas(key, nonce, kinds, self.args.gas).await
    }

    /// Submits signed transactions to the relay, in order; a relay that holds as many of the sender's as it
    /// allows is given time to post some.
    pub async fn send_to_relay(&self, transactions: &[Transaction]) -> eyre::Result<()> {
        let started = Instant::now();
        for tx in transactions {
            let hex_tx = hex::encode(zr_common::Canonical::to_bytes(tx));
            loop {
                match self.executor.send_transaction(hex_tx.clone()).await {
                    Ok(_) => break,
                    Err(jsonrpsee::core::ClientError::Call(e))
                        if e.code() == zr_rpc_api::codes::rejected::SENDER_FULL
                            && started.elapsed() < Duration::from_secs(self.args.timeout) =>
                    {
                        self.progress("the relay holds as many of your transactions as it allows; waiting…");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(e) => return Err(self.executor_error("rollup.sendTransaction", e)),
                }
            }
        }
        Ok(())
    }

    /// As [`Net::submit`], with an explicit gas limit.
    pub async fn submit_with_gas(
        &self,
        key: &KeyPair,
        nonce: u64,
        kinds: Vec<TxKind>,
        gas: u64,
    ) -> eyre::Result<Vec<Transaction>> {
        let chain_id = self.chain_id().await?;
        let transactions: Vec<Transaction> = kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| self.sign(chain_id, key, nonce + i as u64, kind, gas))
            .collect();
        if self.args.direct {
            self.post_bundle(key, transactions.clone()).await?;
        } else {
            self.send_to_relay(&transactions).await?;
        }
        Ok(transactions)
    }

    /// Signs one transaction for `chain_id` ([`Net::chain_id`]).
    pub fn sign(&self, chain_id: u64, key: &KeyPair, nonce: u64, kind: TxKind, gas: u64) -> Transaction {
        TxBody { chain_id, sender: key.public(), nonce, gas_limit: gas, fee_per_gas: self.args.fee_per_gas, kind }
            .sign(key)
    }

    /// Posts `transactions` in one bundle from `key`'s own L1 account.
    pub async fn post_bundle(&self, key: &KeyPair, transactions: Vec<Transaction>) -> eyre::Result<()> {
        let bundle = BundleBody { chain_id: self.chain_id().await?, poster: key.public(), transactions }.sign(key);
        let data = encode_bundle(&bundle).map_err(|e| eyre!("{e}"))?;
        self.post(key, SendRequest { to: Address::INBOX, token: TokenStandard::ZERO, amount: 0, data }).await?;
        Ok(())
    }

    /// Waits until `hash` is executed (or, with `--direct`, dropped by the executor; through a relay, until a
    /// terminal status); returns where it landed.
    pub async fn wait(&self, hash: &zr_common::Hash, what: &str) -> eyre::Result<TransactionView> {
        self.wait_after(hash, what, None).await
    }

    /// [`Net::wait`], ignoring a drop at or before `dropped_at` (the transaction was posted again since).
    pub async fn wait_after(
        &self,
        hash: &zr_common::Hash,
        what: &str,
        dropped_at: Option<u64>,
    ) -> eyre::Result<TransactionView> {
        let started = Instant::now();
        loop {
            let found = self.executor.get_transaction(*hash).await;
            let found = found.map_err(|e| self.executor_error("rollup.getTransaction", e))?;
            let stale = |view: &TransactionView| {
                view.status == TransactionStatus::Dropped
                    && dropped_at.is_some_and(|at| view.height.is_none_or(|h| h <= at))
            };
            let last = found.as_ref().map(|v| v.status);
            if let Some(view) = found.filter(|view| view.status.is_terminal() && !stale(view)) {
                self.progress_done();
                return Ok(view);
            }
            if started.elapsed() > Duration::from_secs(self.args.timeout) {
                self.progress_done();
                bail!(
                    "{what} {hash} was not executed within {} s (it may still land; `zr tx {hash} --watch`)",
                    self.args.timeout
                );
            }
            let stage = last.map_or("submitted".to_owned(), |s| s.to_string());
            self.progress(&format!("{what} {hash}: {stage}, waiting for a momentum… {}s", started.elapsed().as_secs()));
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
}

/// Parses an amount of ZNN or QSR with up to 8 decimals (`1.5` is 150000000).
pub fn parse_amount(text: &str) -> eyre::Result<u128> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 8 || whole.is_empty() && fraction.is_empty() {
        bail!("invalid amount {text:?}: a number with at most 8 decimals");
    }
    let whole: u128 =
        if whole.is_empty() { 0 } else { whole.parse().wrap_err_with(|| format!("invalid amount {text:?}"))? };
    let fraction: u128 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<8}").parse().wrap_err_with(|| format!("invalid amount {text:?}"))?
    };
    whole
        .checked_mul(100_000_000)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(|| eyre!("amount {text:?} is too large"))
}

/// Formats a smallest-unit amount with 8 decimals.
pub fn format_amount(amount: u128) -> String {
    let fraction = amount % 100_000_000;
    if fraction == 0 {
        format!("{}", amount / 100_000_000)
    } else {
        format!("{}.{}", amount / 100_000_000, format!("{fraction:08}").trim_end_matches('0'))
    }
}

/// Parses a token name: ZNN, QSR or a `zts1…` standard.
pub fn parse_token(text: &str) -> eyre::Result<TokenStandard> {
    match text.to_ascii_uppercase().as_str() {
        "ZNN" => Ok(TokenStandard::ZNN),
        "QSR" => Ok(TokenStandard::QSR),
        _ => text.parse().map_err(|e| eyre!("unknown token {text:?}: {e}")),
    }
}

/// Encodes contract arguments: `address:z1…`, `u128:N`, `u64:N`, `hex:…`, `bytes:…` (length-prefixed hex).
pub fn encode_args(args: &[String]) -> eyre::Result<Vec<u8>> {
    let mut out = Vec::new();
    for arg in args {
        let (kind, value) = arg
            .split_once(':')
            .ok_or_else(|| eyre!("argument {arg:?} must be TYPE:VALUE (address, u128, u64, hex, bytes)"))?;
        match kind {
            "address" => out.extend_from_slice(&value.parse::<Address>().map_err(|e| eyre!("{arg}: {e}"))?.0),
            "u128" => out.extend_from_slice(
                &value.parse::<u128>().wrap_err_with(|| format!("{arg}: not a u128"))?.to_le_bytes(),
            ),
            "u64" => out
                .extend_from_slice(&value.parse::<u64>().wrap_err_with(|| format!("{arg}: not a u64"))?.to_le_bytes()),
            "hex" => out.extend_from_slice(
                &hex::decode(value.trim_start_matches("0x")).wrap_err_with(|| format!("{arg}: not hex"))?,
            ),
            "bytes" => {
                let bytes = hex::decode(value.trim_start_matches("0x")).wrap_err_with(|| format!("{arg}: not hex"))?;
                out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
                out.extend_from_slice(&bytes);
            }
            other => bail!("argument type {other:?} unknown: use address, u128, u64, hex or bytes"),
        }
    }
    Ok(out)
}

impl NetArgs {
    /// Where `rollup` queries go: the relay, or with `--direct` the executor.
    pub fn api_url(&self) -> &str {
        if self.direct { &self.executor } else { &self.relay }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("1.5").unwrap(), 150_000_000);
        assert_eq!(parse_amount("0.00000001").unwrap(), 1);
        assert_eq!(parse_amount("10").unwrap(), 1_000_000_000);
        assert!(parse_amount("0.000000001").is_err());
        assert!(parse_amount("abc").is_err());
        assert_eq!(format_amount(150_000_000), "1.5");
        assert_eq!(format_amount(1), "0.00000001");
    }

    #[test]
    fn args() {
        let encoded = encode_args(&["u64:5".into(), "hex:ab".into(), "bytes:cd".into()]).unwrap();
        assert_eq!(encoded, [5, 0, 0, 0, 0, 0, 0, 0, 0xab, 1, 0, 0, 0, 0xcd]);
        assert!(encode_args(&["float:1".into()]).is_err());
        assert!(encode_args(&["u64".into()]).is_err());
    }
}
