//! The relay's core: admission into the mempool with its durable write, and the grants of sponsor mode.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use jsonrpsee_http_client::HttpClient;
use tokio::sync::mpsc;
use zr_common::metrics::{Counter, CounterVec, Gauge, GaugeVec, Registry};
use zr_common::rollup::{Transaction, TxBody, TxKind};
use zr_common::{Address, Canonical, Hash, KeyPair, TokenStandard};
use zr_protocol::gas::{COSTS, MOMENTUM, intrinsic_gas};
use zr_rpc_api::TransactionView;

use crate::accounts::Accounts;
use crate::admission::{Rejection, check_alone, check_bytes};
use crate::pool::Pool;
use crate::store::{Change, Store};

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
    pub(crate) executed: Arc<Counter>,
    pub(crate) dropped: CounterVec,
    pub(crate) held: Arc<Gauge>,
    pub(crate) l1_height: Arc<Gauge>,
    pub(crate) plasma_exhausted: Arc<Gauge>,
    pub(crate) bundle_plasma: Arc<Counter>,
    pub(crate) plasma_available: Arc<Gauge>,
    pub(crate) plasma_momentums_left: Arc<Gauge>,
    pub(crate) grants: Arc<Counter>,
    pub(crate) rate_limited: Arc<Counter>,
    pub(crate) lanes: GaugeVec,
    pub(crate) oldest: Arc<Gauge>,
    pub(crate) watched: Arc<Gauge>,
    pub(crate) since_post: Arc<Gauge>,
    pub(crate) l1_silent: Arc<Gauge>,
    pub(crate) peers: Arc<Gauge>,
    pub(crate) executor_subscribed: Arc<Gauge>,
}

/// Why the relay stops holding a transaction that did not execute (`zr_relay_dropped_total{reason}`).
pub(crate) const DROP_REASONS: [&str; 4] = ["queued_expired", "nonce_used", "executor_drops", "nonce_passed"];

impl Metrics {
    /// Registers the relay's metrics; every reason's series starts at zero, so dashboards and alerts see
    /// it before it first happens.
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
            executed: registry.counter("zr_relay_executed_total", "Held transactions the executor executed"),
            dropped: registry.counter_vec(
                "zr_relay_dropped_total",
                "Transactions no longer held without executing, by reason",
                &["reason"],
            ),
            held: registry.gauge("zr_relay_mempool_transactions", "Transactions in the mempool"),
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
            grants: registry.counter("zr_relay_sponsor_grants_total", "Sponsor grants to new senders"),
            rate_limited: registry
                .counter("zr_relay_rate_limited_total", "RPC calls and connections refused by the per-IP limits"),
            lanes: registry.gauge_vec(
                "zr_relay_mempool_lane_transactions",
                "Transactions in the mempool by lane (ready, queued, bundled, sequenced, peer)",
                &["lane"],
            ),
            oldest: registry
                .gauge("zr_relay_mempool_oldest_seconds", "How long the oldest held transaction has waited"),
            watched: registry.gauge("zr_relay_watched_transactions", "Transactions whose status a subscriber follows"),
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
        for reason in DROP_REASONS {
            metrics.dropped.with_label_values(&[reason]);
        }
        metrics
    }
}

/// The relay's shared state.
pub struct Relay {
    pub(crate) pool: Mutex<Pool>,
    pub(crate) store: Store,
    pub(crate) accounts: Accounts,
    pub(crate) executor: HttpClient,
    pub(crate) settings: Settings,
    pub(crate) key: KeyPair,
    /// Addresses granted ZNN in sponsor mode, with the grant's transaction when it was made since start.
    pub(crate) granted: Mutex<BTreeMap<Address, Option<Hash>>>,
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
        self.pool.lock().expect("pool lock").view(hash)
    }

    /// The relay's rollup address (fees go there; sponsor grants come from there).
    pub fn address(&self) -> Address {
        self.key.address()
    }

    /// Admits the hex-encoded transaction `hex_tx`; with `watch`, also returns its status stream (registered
    /// at admission, so no change is missed). Answers once the transaction is stored durably.
    pub async fn submit(
        &self,
        hex_tx: &str,
        watch: bool,
    ) -> Result<(Hash, Option<mpsc::UnboundedReceiver<TransactionView>>), Rejection> {
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

    async fn admit(
        &self,
        hex_tx: &str,
        watch: bool,
    ) -> Result<(Hash, Option<mpsc::UnboundedReceiver<TransactionView>>), Rejection> {
        let (tx, hash) = check_alone(hex_tx, self.settings.chain_id, self.settings.min_fee_per_gas)?;
        let tx = Arc::new(tx);
        let statuses = match self.admit_checked(tx.clone(), hash, watch, false).await {
            // The same transaction again (the user retrying, or another relay gossiped it first): a watcher
            // follows the one already held or done, which is not refused.
            Err(Rejection::Known { hash }) if watch => {
                return Ok((hash, self.pool.lock().expect("pool lock").watch(hash)));
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
        if self.pool.lock().expect("pool lock").get(&hash).is_some() {
            return Ok(true);
        }
        self.admit_checked(Arc::new(tx), hash, false, true).await?;
        Ok(true)
    }

    /// Admits a transaction already checked on its own, against its sender's account.
    async fn admit_checked(
        &self,
        tx: Arc<Transaction>,
        hash: Hash,
        watch: bool,
        from_peer: bool,
    ) -> Result<Option<mpsc::UnboundedReceiver<TransactionView>>, Rejection> {
        let sender = tx.body.sender_address();
        let account = self.accounts.get(sender).await.map_err(Rejection::Unavailable)?;
        let max_fee = u128::from(tx.body.gas_limit) * u128::from(tx.body.fee_per_gas);
        let mut changes = Vec::new();
        // A grant still in the mempool counts as the sender's: its next transactions need not wait for it.
        let mut account = account;
        account.znn += self.pending_grant(&sender);
        let sponsored = !from_peer && account.znn < max_fee && self.reserve_sponsor(&sender, max_fee);
        // Until the grant is made, the reservation goes with this admission if it fails or is dropped (a client
        // that leaves mid-admission).
        let _reservation = sponsored.then(|| Reservation { granted: &self.granted, sender });
        let mut grant_hash = None;
        if sponsored {
            match self.grant(sender).await {
                Ok((hash, grant)) => {
                    grant_hash = Some(hash);
                    changes.extend(grant);
                }
                Err(refusal) => {
                    return Err(match refusal {
                        // The relay cannot fund it after all: the sender's own refusal.
                        Rejection::InsufficientFunds { .. } => {
                            Rejection::InsufficientFunds { needs: max_fee, has: account.znn }
                        }
                        other => other,
                    });
                }
            }
        }
        if sponsored {
            // The grant just made is the sender's too: its transaction is not stuck for want of it.
            account.znn += self.settings.sponsor_grant;
        }
        let admission = {
            let mut pool = self.pool.lock().expect("pool lock");
            pool.admit(tx, hash, &account, sponsored, from_peer).map(|admitted| {
                let rx = if watch { pool.watch(hash) } else { None };
                let row = Change::held(pool.get(&hash).expect("just admitted"));
                self.metrics.held.set(pool.len() as u64);
                (admitted, rx, row)
            })
        };
        let (admitted, rx, row) = match admission {
            Ok(admitted) => admitted,
            Err(refusal) => {
                // The grant is made (it is in the mempool) though this transaction is refused: it is stored, so
                // that the sender is not granted again, even after a restart; a grant that cannot be stored is
                // taken back, never paid without its record.
                if let Some(grant) = grant_hash {
                    match self.store.write(changes).await {
                        Ok(()) => self.grant_stored(sender, grant),
                        Err(err) => {
                            tracing::warn!(target: "zr::relay", %sender, error = %err, "cannot store a sponsor grant; taken back");
                            self.take_back_grant(sender, grant);
                        }
                    }
                }
                return Err(refusal);
            }
        };
        changes.push(row);
        if let Some(displaced) = admitted.displaced {
            changes.push(Change::Finish(Box::new(displaced)));
        }
        if let Err(err) = self.store.write(changes).await {
            // Not durable, so not accepted: taken back out, to be sent again once the relay can store it (a
            // full disk, say), and what it displaced held again; its grant, not stored either, with it.
            let mut pool = self.pool.lock().expect("pool lock");
            pool.withdraw(&hash, admitted.displaced_held);
            self.metrics.held.set(pool.len() as u64);
            drop(pool);
            if let Some(grant) = grant_hash {
                self.take_back_grant(sender, grant);
            }
            return Err(Rejection::Unavailable(format!("cannot store the transaction, send it again later: {err}")));
        }
        // On disk: now it may be bundled.
        self.pool.lock().expect("pool lock").stored(&[hash]);
        if let Some(grant) = grant_hash {
            self.grant_stored(sender, grant);
        }
        Ok(rx)
    }

    /// A grant to `sender` is on disk with its record: it may be bundled, and counts as made.
    fn grant_stored(&self, sender: Address, grant: Hash) {
        self.pool.lock().expect("pool lock").stored(&[grant]);
        self.metrics.grants.inc();
        tracing::info!(target: "zr::relay", to = %sender, amount = self.settings.sponsor_grant, "sponsor grant");
    }

    /// Takes back a grant to `sender` whose record could not be stored: out of the mempool before it is
    /// bundled (an unstored grant is never ready), and `sender` may be granted again.
    fn take_back_grant(&self, sender: Address, grant: Hash) {
        let mut pool = self.pool.lock().expect("pool lock");
        pool.withdraw(&grant, None);
        self.metrics.held.set(pool.len() as u64);
        drop(pool);
        self.granted.lock().expect("grants lock").remove(&sender);
    }

    /// Whether `sender` may be granted ZNN for a transaction of `max_fee`; if so its grant is reserved at once
    /// (in the same lock as the check), so concurrent transactions of one new sender get one grant between them.
    fn reserve_sponsor(&self, sender: &Address, max_fee: u128) -> bool {
        if self.settings.sponsor_grant == 0 || max_fee > self.settings.sponsor_grant || *sender == self.address() {
            return false;
        }
        let mut granted = self.granted.lock().expect("grants lock");
        if granted.contains_key(sender) {
            return false;
        }
        granted.insert(*sender, None);
        true
    }

    /// The grant made to `sender` that is still in the mempool, if any.
    fn pending_grant(&self, sender: &Address) -> u128 {
        let grant = self.granted.lock().expect("grants lock").get(sender).copied().flatten();
        match grant {
            Some(hash) if self.pool.lock().expect("pool lock").get(&hash).is_some() => self.settings.sponsor_grant,
            _ => 0,
        }
    }

    /// Puts a grant of `sponsor_grant` ZNN to `to` in the mempool, from the relay's account (not ready until
    /// stored); returns its hash and what to persist.
    async fn grant(&self, to: Address) -> Result<(Hash, Vec<Change>), Rejection> {
        let relay = self.accounts.get(self.address()).await.map_err(Rejection::Unavailable)?;
        let mut pool = self.pool.lock().expect("pool lock");
        let nonce = pool.pending_nonce(&self.address(), relay.nonce);
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
        let grant = Arc::new(TxBody { gas_limit, ..body }.sign(&self.key));
        let hash = grant.hash();
        let needed = self.settings.sponsor_grant + u128::from(gas_limit) * u128::from(MOMENTUM.min_fee_per_gas);
        if relay.znn < needed {
            tracing::warn!(target: "zr::relay", relay = %self.address(), has = relay.znn, "sponsor funds exhausted");
            return Err(Rejection::InsufficientFunds { needs: needed, has: 0 });
        }
        pool.admit(grant, hash, &relay, false, false)?;
        let row = Change::held(pool.get(&hash).expect("just admitted"));
        drop(pool);
        self.granted.lock().expect("grants lock").insert(to, Some(hash));
        Ok((hash, vec![Change::Grant(to), row]))
    }
}

/// A sponsor grant reserved for `sender` (`None` in the granted map) and not made yet: taken back when dropped
/// unless the grant was made meanwhile (its transaction's hash then stands in the map).
struct Reservation<'a> {
    granted: &'a Mutex<BTreeMap<Address, Option<Hash>>>,
    sender: Address,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut granted = self.granted.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if granted.get(&self.sender) == Some(&None) {
            granted.remove(&self.sender);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reservation whose grant was never made (the admission failed, or its future was dropped) is taken
    /// back; a made grant stays.
    #[test]
    fn a_reservation_without_its_grant_is_taken_back() {
        let granted = Mutex::new(BTreeMap::new());
        let (left, served) = (Address([1; 20]), Address([2; 20]));
        granted.lock().unwrap().insert(left, None);
        drop(Reservation { granted: &granted, sender: left });
        assert!(!granted.lock().unwrap().contains_key(&left));
        granted.lock().unwrap().insert(served, None);
        let reservation = Reservation { granted: &granted, sender: served };
        granted.lock().unwrap().insert(served, Some(Hash([9; 32])));
        drop(reservation);
        assert_eq!(granted.lock().unwrap().get(&served), Some(&Some(Hash([9; 32]))));
    }
}
