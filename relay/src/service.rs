//! The relay's core: what it is configured with, its metrics, and admission (checks, then the mempool's
//! admit event, with a sponsor grant for a new sender who cannot pay its fee).

use std::sync::Arc;
use std::time::Duration;

use jsonrpsee_http_client::HttpClient;
use tokio::sync::mpsc;
use zr_common::metrics::{Counter, CounterVec, Gauge, Registry};
use zr_common::rollup::{Transaction, TxBody, TxKind};
use zr_common::{Address, Canonical, Hash, KeyPair, TokenStandard};
use zr_protocol::gas::{COSTS, MOMENTUM, intrinsic_gas};
use zr_rpc_api::TransactionView;

use crate::accounts::Accounts;
use crate::admission::{Rejection, check_alone, check_bytes};
use crate::mempool::{Admission, Following, Grant, Mempool};

/// How long a user's transaction waits for the same transaction's write in flight (from a peer or another
/// connection) before the relay answers that it is busy.
const STORING_WAIT: Duration = Duration::from_secs(2);

/// What the relay's core is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The rollup chain id.
    pub chain_id: u64,
    /// The lowest fee per gas accepted (at least the protocol's).
    pub min_fee_per_gas: u64,
    /// ZNN granted once to a new sender that cannot pay its fee (0: sponsor mode off).
    pub sponsor_grant: u128,
    /// Bundles posted per momentum at most.
    pub max_bundles_per_momentum: usize,
}

/// The relay's counters.
pub struct Metrics {
    pub(crate) admitted: Arc<Counter>,
    pub(crate) rejected: CounterVec,
    pub(crate) bundles: Arc<Counter>,
    pub(crate) bundle_bytes: Arc<Counter>,
    pub(crate) bundled_txs: Arc<Counter>,
    pub(crate) l1_height: Arc<Gauge>,
    pub(crate) plasma_exhausted: Arc<Gauge>,
    pub(crate) bundle_plasma: Arc<Counter>,
    pub(crate) plasma_available: Arc<Gauge>,
    pub(crate) plasma_momentums_left: Arc<Gauge>,
    pub(crate) rate_limited: Arc<Counter>,
    pub(crate) since_post: Arc<Gauge>,
    pub(crate) l1_silent: Arc<Gauge>,
    pub(crate) peers: Arc<Gauge>,
    pub(crate) executor_subscribed: Arc<Gauge>,
}

impl Metrics {
    /// Registers the relay's metrics (the mempool registers its own); every rejection reason's series starts at
    /// zero, so dashboards and alerts see it before it first happens.
    pub fn register(registry: &Registry) -> Metrics {
        let metrics = Metrics {
            admitted: registry.counter("zr_relay_admitted_total", "Transactions admitted to the mempool"),
            rejected: registry.counter_vec(
                "zr_relay_rejected_total",
                "Transactions refused at admission, by reason",
                &["reason"],
            ),
            bundles: registry.counter("zr_relay_bundles_posted_total", "Bundles published to L1"),
            bundle_bytes: registry.counter("zr_relay_bundle_bytes_total", "Bytes of bundle data published to L1"),
            bundled_txs: registry.counter("zr_relay_bundled_transactions_total", "Transactions put in bundles"),
            l1_height: registry.gauge("zr_relay_l1_height", "Last L1 momentum the relay processed"),
            plasma_exhausted: registry
                .gauge("zr_relay_plasma_exhausted", "1 while bundles cannot be posted for want of plasma"),
            bundle_plasma: registry.counter("zr_relay_bundle_plasma_total", "Plasma the posted bundles' blocks needed"),
            plasma_available: registry
                .gauge("zr_relay_plasma_available", "Plasma the relay's L1 account has now (fused, not held)"),
            plasma_momentums_left: registry.gauge(
                "zr_relay_plasma_momentums_left",
                "Momentums the available plasma lasts at the last momentum's spending (0 until it posts)",
            ),
            rate_limited: registry
                .counter("zr_relay_rate_limited_total", "RPC calls and connections refused by the per-IP limits"),
            peers: registry.gauge("zr_relay_peers", "Gossip peers connected"),
            executor_subscribed: registry.gauge(
                "zr_relay_executor_subscribed",
                "1 while the executor's claims subscription tells the relay its new heights (0: polling its head)",
            ),
            since_post: registry.gauge(
                "zr_relay_momentums_since_post",
                "Momentums since this relay last posted a bundle (since it started, if it has not)",
            ),
            l1_silent: registry.gauge(
                "zr_relay_l1_silent_seconds",
                "Seconds since the relay last received a momentum from L1 (it keeps admitting and queues meanwhile)",
            ),
        };
        for reason in Rejection::LABELS {
            metrics.rejected.with_label_values(&[reason]);
        }
        metrics
    }
}

/// The relay's shared state.
pub struct Relay {
    pub(crate) mempool: Mempool,
    pub(crate) accounts: Accounts,
    pub(crate) executor: HttpClient,
    pub(crate) settings: Settings,
    pub(crate) key: KeyPair,
    pub(crate) metrics: Metrics,
    /// Transaction gossip with other relays, when configured.
    pub(crate) gossip: Option<Gossip>,
    /// The L1 height at which this relay last posted a bundle (its start, before the first).
    pub(crate) last_post: std::sync::atomic::AtomicU64,
}

/// This relay's side of transaction gossip.
pub struct Gossip {
    /// Publishes a transaction's bytes.
    pub publish: mpsc::Sender<Vec<u8>>,
    /// This relay's peer id.
    pub peer_id: zr_p2p::Peer,
    /// Peers connected now.
    pub peers: Arc<std::sync::atomic::AtomicUsize>,
}

impl Relay {
    /// The status of `hash` as the relay knows it (the pool, then what it remembers).
    pub fn view(&self, hash: &Hash) -> Option<TransactionView> {
        self.mempool.view(hash)
    }

    /// The relay's rollup address (fees go there; sponsor grants come from there).
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// Admits the hex-encoded transaction `hex_tx`; with `watch`, also returns its status stream (registered
    /// at admission, so no change is missed). Answers once the transaction is stored durably.
    pub async fn submit(&self, hex_tx: &str, watch: bool) -> Result<(Hash, Option<Following>), Rejection> {
        let result = self.admit(hex_tx, watch).await;
        match &result {
            Ok(_) => self.metrics.admitted.inc(),
            Err(rejection) => {
                self.metrics.rejected.with_label_values(&[rejection.label()]).inc();
                tracing::debug!(target: "zr::relay", reason = rejection.label(), error = %rejection, "transaction refused");
            }
        }
        result
    }

    async fn admit(&self, hex_tx: &str, watch: bool) -> Result<(Hash, Option<Following>), Rejection> {
        let (tx, hash) = check_alone(hex_tx, self.settings.chain_id, self.settings.min_fee_per_gas)?;
        let tx = Arc::new(tx);
        let admitted = match self.admit_checked(tx.clone(), hash, watch, false).await {
            // The same transaction arrived a moment earlier (from a peer relay, or the user's other connection)
            // and its write is in flight: wait for that write rather than tell the user to send again, then ask
            // once more (it is known by then, or admitted if the write failed and it was taken back). A write
            // slower than the wait (a failing disk) is reported as the relay being busy.
            Err(Rejection::BeingStored { .. }) => {
                self.mempool.wait_while_storing(&hash, STORING_WAIT).await;
                self.admit_checked(tx.clone(), hash, watch, false).await
            }
            other => other,
        };
        let statuses = match admitted {
            // The same transaction again (the user retrying, or another relay gossiped it first): a watcher
            // follows the one already held or done, which is not refused.
            Err(Rejection::Known { hash }) if watch => {
                return Ok((hash, self.mempool.watch(hash)));
            }
            other => other?,
        };
        if let Some(gossip) = &self.gossip {
            // Other relays hold it too, in case this one fails before it lands.
            let _ = gossip.publish.try_send(tx.to_bytes());
        }
        Ok((hash, statuses))
    }

    /// Admits a transaction another relay gossiped: checked as a user's would be, held as the other relay's
    /// to bundle (this relay bundles it only after the takeover delay). One this relay holds already — from
    /// its own user, say — stays as it is: a relay bundles what its users gave it without waiting for anyone (a
    /// stranger could connect with any peer id and take them, with their fees). Returns whether to forward it.
    pub async fn admit_gossiped(&self, data: &[u8]) -> Result<bool, Rejection> {
        let (tx, hash) = check_bytes(data, self.settings.chain_id, self.settings.min_fee_per_gas)?;
        if self.mempool.holds(&hash) {
            return Ok(true);
        }
        self.admit_checked(Arc::new(tx), hash, false, true).await?;
        Ok(true)
    }

    /// Admits a transaction already checked on its own, against its sender's account; a new sender who cannot
    /// pay its fee is granted ZNN with it in sponsor mode.
    async fn admit_checked(
        &self,
        tx: Arc<Transaction>,
        hash: Hash,
        watch: bool,
        from_peer: bool,
    ) -> Result<Option<Following>, Rejection> {
        let sender = tx.body.sender_address();
        let mut account = self.accounts.get(sender).await.map_err(Rejection::Unavailable)?;
        let max_fee = u128::from(tx.body.gas_limit) * u128::from(tx.body.fee_per_gas);
        // A grant still in the mempool counts as the sender's: its next transactions need not wait for it.
        if self.mempool.holds_grant(&sender) {
            account.znn += self.settings.sponsor_grant;
        }
        let amount = self.settings.sponsor_grant;
        let may_sponsor =
            !from_peer && account.znn < max_fee && amount > 0 && max_fee <= amount && sender != self.address();
        // Until the grant is made, the reservation goes with this admission if it fails or is dropped (a client
        // that leaves mid-admission).
        let reservation = may_sponsor.then(|| self.mempool.reserve_grant(sender)).flatten();
        let sign = |nonce| self.grant_transfer(sender, nonce);
        let grant = match reservation {
            Some(reservation) => {
                let relay = self.accounts.get(self.address()).await.map_err(Rejection::Unavailable)?;
                Some(Grant { reservation, amount, relay, sign: &sign })
            }
            None => None,
        };
        let sponsored = grant.is_some();
        let has = account.znn;
        let admission = Admission { tx, hash, account, sponsored, from_peer, watch };
        self.mempool.admit(admission, grant).await.map_err(|refusal| match refusal {
            // The relay cannot fund it after all: the sender's own refusal.
            Rejection::InsufficientFunds { .. } if sponsored => Rejection::InsufficientFunds { needs: max_fee, has },
            other => other,
        })
    }

    /// The signed transfer of a sponsor grant to `to`, with the relay's `nonce`.
    fn grant_transfer(&self, to: Address, nonce: u64) -> Arc<Transaction> {
        let kind = TxKind::Transfer { to, token: TokenStandard::ZNN, amount: self.settings.sponsor_grant };
        let body = TxBody {
            chain_id: self.settings.chain_id,
            sender: self.key.public(),
            nonce,
            gas_limit: 0,
            fee_per_gas: MOMENTUM.min_fee_per_gas,
            kind,
        };
        let gas_limit =
            intrinsic_gas(&Transaction { body: body.clone(), signature: self.key.sign(&body.hash()) }) + COSTS.transfer;
        Arc::new(TxBody { gas_limit, ..body }.sign(&self.key))
    }
}
