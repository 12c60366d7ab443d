//! The relay's mempool and its one owner, [`Mempool`]: the transactions in memory ([`pool`]: lanes and
//! ordering; [`statuses`]: what became of them and who follows them), their rows on disk ([`store`]), the
//! sponsor grants made, and the mempool's metrics.
//!
//! **Every change of a transaction's status is one of the event methods in this file**: [`Mempool::admit`],
//! [`Mempool::bundled`], [`Mempool::unposted`], [`Mempool::sequenced`], [`Mempool::outcomes`],
//! [`Mempool::nonces_passed`] (and [`Mempool::accounts`], which changes what is ready). Each applies memory and
//! disk together, so no failure leaves them apart and no caller builds a row:
//! - an admission is held in memory only to reserve its nonce and room; it is shown, followed and bundled only
//!   once its row has committed, and taken back (with whatever it displaced restored) when the write fails;
//! - a stage or an outcome is applied in memory and recorded with [`Store::record`], whose rows are kept and
//!   written first with the next write that commits, so the disk catches up as soon as it can and a restart
//!   never brings back a finished transaction or repeats a grant.

pub mod pool;
pub mod statuses;
pub mod store;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use zr_common::metrics::{Counter, CounterVec, Gauge, GaugeVec, Registry};
use zr_common::rollup::{DropReason, ReceiptStatus, Transaction};
use zr_common::{Address, Hash};
use zr_rpc_api::{AccountView, TransactionStatus, TransactionView};

use crate::admission::Rejection;
use pool::{Pool, PoolConfig, Stage};
use store::{Change, Store, StoreError};

/// Why the relay stops holding a transaction that did not execute (`zr_relay_dropped_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropped {
    /// Stuck (behind a nonce gap, or past what its sender can pay) longer than the queued TTL.
    QueuedExpired,
    /// The executor found its nonce used.
    NonceUsed,
    /// The executor dropped it too many times.
    ExecutorDrops,
    /// Its sender's account moved past its nonce without it.
    NoncePassed,
}

impl Dropped {
    /// Every reason, for the metric's series.
    pub const ALL: [Dropped; 4] =
        [Dropped::QueuedExpired, Dropped::NonceUsed, Dropped::ExecutorDrops, Dropped::NoncePassed];

    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Dropped::QueuedExpired => "queued_expired",
            Dropped::NonceUsed => "nonce_used",
            Dropped::ExecutorDrops => "executor_drops",
            Dropped::NoncePassed => "nonce_passed",
        }
    }
}

/// The mempool's metrics.
struct Metrics {
    held: Arc<Gauge>,
    lanes: GaugeVec,
    oldest: Arc<Gauge>,
    watched: Arc<Gauge>,
    executed: Arc<Counter>,
    dropped: CounterVec,
    grants: Arc<Counter>,
}

impl Metrics {
    /// Registers them; every drop reason's series starts at zero, so dashboards and alerts see it before it
    /// first happens.
    fn register(registry: &Registry) -> Metrics {
        let metrics = Metrics {
            held: registry.gauge("zr_relay_mempool_transactions", "Transactions in the mempool"),
            lanes: registry.gauge_vec(
                "zr_relay_mempool_lane_transactions",
                "Transactions in the mempool by lane (ready, queued, bundled, sequenced, peer)",
                &["lane"],
            ),
            oldest: registry
                .gauge("zr_relay_mempool_oldest_seconds", "How long the oldest held transaction has waited"),
            watched: registry.gauge("zr_relay_watched_transactions", "Transactions whose status a subscriber follows"),
            executed: registry.counter("zr_relay_executed_total", "Held transactions the executor executed"),
            dropped: registry.counter_vec(
                "zr_relay_dropped_total",
                "Transactions no longer held without executing, by reason",
                &["reason"],
            ),
            grants: registry.counter("zr_relay_sponsor_grants_total", "Sponsor grants to new senders"),
        };
        for reason in Dropped::ALL {
            metrics.dropped.with_label_values(&[reason.label()]);
        }
        metrics
    }

    fn dropped(&self, reason: Dropped) {
        self.dropped.with_label_values(&[reason.label()]).inc();
    }
}

/// A transaction to admit, checked on its own already (encoding, chain, signature, limits, relay fee).
pub struct Admission {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Its hash.
    pub hash: Hash,
    /// Its sender's account as the executor reports it (with a grant still held counted in).
    pub account: AccountView,
    /// The relay funds its sender: it may be admitted before the sender can pay its maximum fee.
    pub sponsored: bool,
    /// Another relay gossiped it (and bundles it).
    pub from_peer: bool,
    /// Follow its status from admission on.
    pub watch: bool,
}

/// A sponsor grant to make with an admission, from the relay's account.
pub struct Grant<'a> {
    /// Its reservation, for the sender granted ([`Mempool::reserve_grant`]).
    pub reservation: GrantReservation,
    /// How much ZNN.
    pub amount: u128,
    /// The relay's account as the executor reports it.
    pub relay: AccountView,
    /// Signs the grant's transfer with the given nonce.
    pub sign: &'a (dyn Fn(u64) -> Arc<Transaction> + Sync),
}

/// The mempool: memory, disk, grants and metrics, changed only through its event methods.
pub struct Mempool {
    pool: Arc<Mutex<Pool>>,
    store: Store,
    granted: Granted,
    metrics: Arc<Metrics>,
}

/// Addresses granted ZNN in sponsor mode, with the grant's transaction when it was made since start (`None`
/// while one is reserved, or for grants made before a restart).
type Granted = Arc<Mutex<BTreeMap<Address, Option<Hash>>>>;

impl Mempool {
    /// Opens (or creates) `dir/mempool.redb` and restores what it holds; returns the mempool and the L1
    /// height the relay had followed to.
    pub fn open(dir: &Path, config: PoolConfig, registry: &Registry) -> Result<(Mempool, Option<u64>), StoreError> {
        let (store, contents) = Store::open(dir, config.finished_kept)?;
        let mut pool = Pool::new(config);
        for loaded in contents.held {
            pool.restore(loaded.tx, loaded.seq, loaded.stage, loaded.from_peer);
        }
        for view in contents.finished {
            pool.restore_finished(view);
        }
        let metrics = Metrics::register(registry);
        metrics.held.set(pool.len() as u64);
        let granted = contents.granted.into_iter().map(|a| (a, None)).collect();
        let mempool = Mempool {
            pool: Arc::new(Mutex::new(pool)),
            store,
            granted: Arc::new(Mutex::new(granted)),
            metrics: Arc::new(metrics),
        };
        Ok((mempool, contents.cursor))
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool.lock().expect("pool lock")
    }

    // ---- Reads ----

    /// The status of `hash`, if the mempool holds or remembers it.
    pub fn view(&self, hash: &Hash) -> Option<TransactionView> {
        self.pool().view(hash)
    }

    /// Whether `hash` is held (stored or not).
    pub fn holds(&self, hash: &Hash) -> bool {
        self.pool().get(hash).is_some()
    }

    /// Waits, up to `within`, while `hash` is held but its admission's write has not committed: until it is
    /// stored, or taken back because the write failed. Looks at the pool only (no I/O) every few milliseconds.
    pub async fn wait_while_storing(&self, hash: &Hash, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.pool().get(hash).is_some_and(|held| !held.stored) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Transactions held.
    pub fn len(&self) -> usize {
        self.pool().len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.pool().is_empty()
    }

    /// The next nonce of `address` counting what the mempool holds (pending-aware `getNonce`).
    pub fn pending_nonce(&self, address: &Address, account_nonce: u64) -> u64 {
        self.pool().pending_nonce(address, account_nonce)
    }

    /// Ready transactions, in the order to bundle them.
    pub fn ready(&self) -> Vec<Arc<Transaction>> {
        self.pool().ready()
    }

    /// Held transactions sequenced at L1 heights up to `height`, in order: what an executor at `height` ran.
    pub fn sequenced_up_to(&self, height: u64) -> Vec<Hash> {
        self.pool().sequenced_up_to(height)
    }

    /// Senders with held transactions.
    pub fn senders(&self) -> Vec<Address> {
        self.pool().senders()
    }

    /// Follows `hash`'s status (see [`statuses::Statuses::watch`]) until the [`Following`] is dropped.
    pub fn watch(&self, hash: Hash) -> Option<Following> {
        let statuses = {
            let mut pool = self.pool();
            let statuses = pool.watch(hash);
            self.metrics.watched.set(pool.watched() as u64);
            statuses
        }?;
        Some(Following { hash, statuses, pool: self.pool.clone(), metrics: self.metrics.clone() })
    }

    // ---- Sponsor grants ----

    /// Reserves `sender`'s one grant, unless it has had one; the reservation is taken back when dropped unless
    /// an admission made the grant meanwhile. Concurrent transactions of one new sender get one grant.
    pub fn reserve_grant(&self, sender: Address) -> Option<GrantReservation> {
        let mut granted = self.granted.lock().expect("grants lock");
        if granted.contains_key(&sender) {
            return None;
        }
        granted.insert(sender, None);
        Some(GrantReservation { granted: self.granted.clone(), sender })
    }

    /// Whether a grant made to `sender` since start is still held (its ZNN counts as the sender's).
    pub fn holds_grant(&self, sender: &Address) -> bool {
        let grant = self.granted.lock().expect("grants lock").get(sender).copied().flatten();
        grant.is_some_and(|hash| self.holds(&hash))
    }

    // ---- Events ----

    /// A transaction arrives (with the sponsor grant its sender needs, if any). Answers once its row (and the
    /// grant's) is on disk; until then it is not shown, followed, bundled, replaced or evicted, and if the write
    /// fails it is taken back with whatever it displaced restored. A grant made for a transaction then refused is
    /// stored all the same (so the sender is never granted twice), or taken back if it cannot be: never paid
    /// unrecorded. Once the write is queued, what follows it runs to its end even if the caller goes away (a
    /// client that disconnects), so no admission is left half done.
    pub async fn admit(&self, admission: Admission, grant: Option<Grant<'_>>) -> Result<Option<Following>, Rejection> {
        let Admission { tx, hash, mut account, sponsored, from_peer, watch } = admission;
        let mut rows = Vec::new();
        let (made, admitted, written) = {
            let mut pool = self.pool();
            let made = match grant {
                Some(grant) => {
                    let (made, displaced) = self.make_grant(&mut pool, &grant)?;
                    rows.push(Change::Grant(grant.reservation.sender));
                    rows.extend(admission_rows(&pool, made, &displaced));
                    account.znn += grant.amount;
                    Some(MadeGrant {
                        hash: made,
                        amount: grant.amount,
                        displaced: displaced.displaced_held,
                        reservation: grant.reservation,
                    })
                }
                None => None,
            };
            // (It cannot make its room by evicting its own grant: nothing unstored is evicted.)
            let admitted = pool.admit(tx, hash, &account, sponsored, from_peer).map(|admitted| {
                rows.extend(admission_rows(&pool, hash, &admitted));
                (watch.then(|| pool.watch(hash)).flatten(), admitted.displaced_held)
            });
            self.metrics.watched.set(pool.watched() as u64);
            // Queued under the lock: rows reach the disk in the order memory changed.
            (made, admitted, self.store.write(rows))
        };
        let (pool, granted, metrics) = (self.pool.clone(), self.granted.clone(), self.metrics.clone());
        let follow_up = tokio::spawn(async move {
            let written = written.await;
            let result = Self::finish_admission(&pool, &metrics, &granted, hash, admitted, made, &written);
            // Outside the pool's lock: a `Following` takes it when dropped.
            match result {
                Ok(statuses) => Ok(statuses.map(|statuses| Following { hash, statuses, pool, metrics })),
                Err(refusal) => {
                    // A follower of a refused admission is gone with it.
                    forget_gone_followers(&pool, &metrics, &hash);
                    Err(refusal)
                }
            }
        });
        follow_up.await.unwrap_or_else(|_| Err(Rejection::Unavailable("the relay is stopping".into())))
    }

    /// Applies an admission's write, under the pool's lock: what was written is stored, what was not is taken
    /// back (the transaction, then the grant: each with exactly what its own admission displaced).
    fn finish_admission(
        pool: &Mutex<Pool>,
        metrics: &Metrics,
        granted: &Granted,
        hash: Hash,
        admitted: Result<(Option<mpsc::UnboundedReceiver<TransactionView>>, Option<pool::Held>), Rejection>,
        made: Option<MadeGrant>,
        written: &Result<(), StoreError>,
    ) -> Result<Option<mpsc::UnboundedReceiver<TransactionView>>, Rejection> {
        let mut pool = pool.lock().expect("pool lock");
        // The transaction first, then the grant: each takes back exactly what its own admission displaced.
        let result = match (admitted, &written) {
            (Ok((statuses, _)), Ok(())) => {
                pool.stored(&[hash]);
                Ok(statuses)
            }
            (Ok((_, displaced)), Err(err)) => {
                // Not durable, so not accepted: to be sent again once the relay can store it (a full disk).
                pool.withdraw(&hash, displaced);
                Err(Rejection::Unavailable(format!("cannot store the transaction, send it again later: {err}")))
            }
            (Err(refusal), _) => Err(refusal),
        };
        if let Some(grant) = made {
            let to = grant.reservation.sender;
            match &written {
                Ok(()) => {
                    pool.stored(&[grant.hash]);
                    metrics.grants.inc();
                    tracing::info!(target: "zr::relay", %to, amount = grant.amount, "sponsor grant");
                }
                Err(err) => {
                    // Out before it is bundled (an unstored grant is never ready); back to reserved, so that
                    // the reservation, let go below, frees the sender to be granted again.
                    pool.withdraw(&grant.hash, grant.displaced);
                    granted.lock().expect("grants lock").insert(to, None);
                    tracing::warn!(target: "zr::relay", %to, error = %err, "cannot store a sponsor grant; taken back");
                }
            }
        }
        metrics.held.set(pool.len() as u64);
        result
    }

    /// Puts `grant` in the pool (not ready until stored) with the relay's next nonce; returns its hash.
    fn make_grant(&self, pool: &mut Pool, grant: &Grant<'_>) -> Result<(Hash, pool::Admitted), Rejection> {
        let nonce = pool.pending_nonce(&grant.relay.address, grant.relay.nonce);
        let tx = (grant.sign)(nonce);
        let hash = tx.hash();
        let needed = grant.amount + u128::from(tx.body.gas_limit) * u128::from(tx.body.fee_per_gas);
        if grant.relay.znn < needed {
            tracing::warn!(target: "zr::relay", relay = %grant.relay.address, has = grant.relay.znn, "sponsor funds exhausted");
            return Err(Rejection::InsufficientFunds { needs: needed, has: 0 });
        }
        let admitted = pool.admit(tx, hash, &grant.relay, false, false)?;
        self.granted.lock().expect("grants lock").insert(grant.reservation.sender, Some(hash));
        Ok((hash, admitted))
    }

    /// Bundle `bundle`, carrying `txs`, is about to be published in L1 block `l1_block` at L1 height
    /// `posted_at`: their stage is written before it goes out (a crash never posts a bundle the relay does not
    /// know about). Refused, changing nothing, when one of them changed since the bundle was built (replaced,
    /// say: the bundle would land a transaction its sender was told is gone). On an error the bundle must not
    /// be published, and [`Mempool::unposted`] sends them back.
    pub async fn bundled(
        &self,
        txs: &[Arc<Transaction>],
        bundle: Hash,
        l1_block: Hash,
        posted_at: u64,
    ) -> Result<(), NotBundled> {
        let written = {
            let mut pool = self.pool();
            let hashes: Vec<Hash> = txs.iter().map(|tx| tx.hash()).collect();
            // Pending, or already in this bundle (a block refused and posted again).
            let unchanged = |hash: &Hash| match pool.get(hash).map(|held| &held.stage) {
                Some(Stage::Pending) => true,
                Some(Stage::Bundled { bundle: carried, .. }) => *carried == bundle,
                _ => false,
            };
            if let Some(changed) = hashes.iter().find(|hash| !unchanged(hash)) {
                return Err(NotBundled::Changed(*changed));
            }
            let rows = set_stage(&mut pool, hashes, &Stage::Bundled { bundle, l1_block, posted_at });
            self.store.write(rows)
        };
        written.await.map_err(NotBundled::Store)
    }

    /// Bundle `bundle`, carrying `txs`, was not published: those it holds wait for the next momentum's bundles.
    pub async fn unposted(&self, txs: &[Arc<Transaction>], bundle: Hash) {
        let recorded = {
            let mut pool = self.pool();
            let carried = txs
                .iter()
                .map(|tx| tx.hash())
                .filter(|hash| {
                    matches!(pool.get(hash).map(|h| &h.stage), Some(Stage::Bundled { bundle: b, .. }) if *b == bundle)
                })
                .collect::<Vec<_>>();
            self.store.record(set_stage(&mut pool, carried, &Stage::Pending))
        };
        if let Err(err) = recorded.await {
            tracing::error!(target: "zr::relay", error = %err, "cannot record the unposted bundle");
        }
    }

    /// L1 momentum `height` sequenced `order` (every transaction of its canonical order, whoever posted it):
    /// those held are sequenced at their positions; bundles posted before L1 height `lost_before` and still
    /// not seen go back to pending; transactions stuck past the queued TTL are dropped. Recorded with the L1
    /// cursor, so a restart follows on from the next momentum.
    pub async fn sequenced(&self, height: u64, order: impl IntoIterator<Item = Hash>, lost_before: u64) {
        let mut rows = Vec::new();
        let recorded = {
            let mut pool = self.pool();
            for (position, hash) in order.into_iter().enumerate() {
                if pool.set_stage(&hash, Stage::Sequenced { height, index: position as u32 }) {
                    rows.push(Change::held(pool.get(&hash).expect("held")));
                }
            }
            for hash in pool.requeue_lost(lost_before) {
                if let Some(held) = pool.get(&hash) {
                    rows.push(Change::held(held));
                }
            }
            let now = Instant::now();
            for view in pool.expire_queued(now) {
                self.metrics.dropped(Dropped::QueuedExpired);
                rows.push(Change::Finish(Box::new(view)));
            }
            self.census(&pool, now);
            rows.push(Change::Cursor(height));
            self.store.record(rows)
        };
        if let Err(err) = recorded.await {
            tracing::error!(target: "zr::relay", height, error = %err, "cannot record the momentum");
        }
    }

    /// What the executor says became of sequenced transactions (`None`: it skipped one). Executed or failed:
    /// finished. Dropped for its nonce: finished. Dropped for the momentum's budget, or skipped: back to pending.
    /// Dropped otherwise (fee, nonce ahead): back to pending, until dropped too often.
    pub async fn outcomes(&self, outcomes: impl IntoIterator<Item = (Hash, Option<TransactionView>)>) {
        self.settle(outcomes, "cannot record executed transactions", |pool, hash, view| {
            let Some(view) = view else { return self.requeue(pool, hash) };
            if matches!(view.status, TransactionStatus::Executed | TransactionStatus::Failed) {
                return self.finish(pool, view, None);
            }
            let reason = view.reason.clone().unwrap_or_default();
            match view.receipt.as_ref().map(|r| &r.status) {
                Some(ReceiptStatus::Dropped { reason: DropReason::NonceTooLow { .. } }) => {
                    let view = TransactionView::with_reason(hash, TransactionStatus::Dropped, reason);
                    self.finish(pool, view, Some(Dropped::NonceUsed))
                }
                Some(ReceiptStatus::Dropped {
                    reason: DropReason::GasBudget | DropReason::ReceiptBudget | DropReason::StateBudget,
                }) => self.requeue(pool, hash),
                _ => match pool.dropped_by_executor(&hash, &reason) {
                    Some(view) => {
                        self.metrics.dropped(Dropped::ExecutorDrops);
                        Change::Finish(Box::new(view))
                    }
                    None => Change::held(pool.get(&hash).expect("held")),
                },
            }
        })
        .await;
    }

    /// Senders' accounts as the executor now reports them (balances and nonces decide what is ready); returns
    /// the held transactions whose nonce an account has passed, for [`Mempool::nonces_passed`]. Memory only:
    /// accounts are read again after a restart.
    pub fn accounts(&self, accounts: &[AccountView]) -> Vec<Hash> {
        let mut pool = self.pool();
        accounts.iter().flat_map(|account| pool.update_account(account)).collect()
    }

    /// What the executor says became of held transactions whose nonce their sender's account passed: executed
    /// (through this relay or another), or dropped because another transaction used the nonce.
    pub async fn nonces_passed(&self, outcomes: impl IntoIterator<Item = (Hash, Option<TransactionView>)>) {
        self.settle(outcomes, "cannot record settled transactions", |pool, hash, view| match view {
            Some(view) if matches!(view.status, TransactionStatus::Executed | TransactionStatus::Failed) => {
                self.finish(pool, view, None)
            }
            _ => {
                let reason = "its nonce was used by another transaction of the sender";
                let view = TransactionView::with_reason(hash, TransactionStatus::Dropped, reason);
                self.finish(pool, view, Some(Dropped::NoncePassed))
            }
        })
        .await;
    }

    /// Applies `apply` to each held transaction of `outcomes` in memory, then records the rows it returns.
    async fn settle(
        &self,
        outcomes: impl IntoIterator<Item = (Hash, Option<TransactionView>)>,
        failure: &str,
        apply: impl Fn(&mut Pool, Hash, Option<TransactionView>) -> Change,
    ) {
        let recorded = {
            let mut pool = self.pool();
            let mut rows = Vec::new();
            // Checked one at a time: a hash given twice is applied once.
            for (hash, view) in outcomes {
                // An answer about another transaction (a wrong or hostile executor) moves nothing.
                if pool.get(&hash).is_some() && view.as_ref().is_none_or(|view| view.hash == hash) {
                    rows.push(apply(&mut pool, hash, view));
                }
            }
            self.metrics.held.set(pool.len() as u64);
            self.store.record(rows)
        };
        if let Err(err) = recorded.await {
            tracing::error!(target: "zr::relay", error = %err, "{failure}");
        }
    }

    /// A held transaction is done (`dropped` says why when it did not execute); returns its row.
    fn finish(&self, pool: &mut Pool, view: TransactionView, dropped: Option<Dropped>) -> Change {
        match dropped {
            Some(reason) => self.metrics.dropped(reason),
            None => self.metrics.executed.inc(),
        }
        pool.finish(view.clone());
        Change::Finish(Box::new(view))
    }

    /// A held transaction goes back to pending, to be bundled again; returns its row.
    fn requeue(&self, pool: &mut Pool, hash: Hash) -> Change {
        pool.set_stage(&hash, Stage::Pending);
        Change::held(pool.get(&hash).expect("held"))
    }

    /// Sets the gauges of what the mempool holds.
    fn census(&self, pool: &Pool, now: Instant) {
        self.metrics.held.set(pool.len() as u64);
        let (lanes, oldest) = pool.census(now);
        for (lane, count) in lanes {
            self.metrics.lanes.with_label_values(&[lane]).set(i64::try_from(count).unwrap_or(i64::MAX));
        }
        self.metrics.oldest.set(oldest.as_secs());
        self.metrics.watched.set(pool.watched() as u64);
    }
}

/// A follower of one transaction's statuses. However it ends (the transaction finished, the subscriber left, or
/// its task was dropped, as jsonrpsee drops a subscription's when its connection closes before the subscription
/// is confirmed), dropping it forgets the follower, so a client that subscribes and leaves holds nothing.
pub struct Following {
    hash: Hash,
    statuses: mpsc::UnboundedReceiver<TransactionView>,
    pool: Arc<Mutex<Pool>>,
    metrics: Arc<Metrics>,
}

impl Following {
    /// The transaction followed.
    pub fn hash(&self) -> Hash {
        self.hash
    }

    /// The next status, or `None` once no more will come.
    pub async fn next(&mut self) -> Option<TransactionView> {
        self.statuses.recv().await
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        // Closed first, so the pool counts this follower gone.
        self.statuses.close();
        forget_gone_followers(&self.pool, &self.metrics, &self.hash);
    }
}

/// Forgets `hash`'s followers that have gone.
fn forget_gone_followers(pool: &Mutex<Pool>, metrics: &Metrics, hash: &Hash) {
    let mut pool = pool.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    pool.unwatch(hash);
    metrics.watched.set(pool.watched() as u64);
}

/// Moves the held ones of `hashes` to `stage`; returns their rows.
fn set_stage(pool: &mut Pool, hashes: impl IntoIterator<Item = Hash>, stage: &Stage) -> Vec<Change> {
    let mut rows = Vec::new();
    for hash in hashes {
        if pool.set_stage(&hash, stage.clone()) {
            rows.push(Change::held(pool.get(&hash).expect("held")));
        }
    }
    rows
}

/// Why a bundle's stage was not recorded (and the bundle must not be published).
#[derive(Debug, thiserror::Error)]
pub enum NotBundled {
    /// One of its transactions changed since the bundle was built.
    #[error("transaction {0} changed while its bundle was built")]
    Changed(Hash),
    /// The write failed.
    #[error(transparent)]
    Store(StoreError),
}

/// The rows of an admission: the transaction held, and what it displaced finished.
fn admission_rows(pool: &Pool, hash: Hash, admitted: &pool::Admitted) -> Vec<Change> {
    let mut rows = vec![Change::held(pool.get(&hash).expect("just admitted"))];
    if let Some(displaced) = &admitted.displaced {
        rows.push(Change::Finish(Box::new(displaced.clone())));
    }
    rows
}

/// A sponsor grant reserved for a sender (`None` in the granted map) and not made yet: taken back when dropped
/// unless the grant was made meanwhile (its transaction's hash then stands in the map).
pub struct GrantReservation {
    granted: Granted,
    sender: Address,
}

/// A grant put in the pool with an admission, until its row is stored or it is taken back.
struct MadeGrant {
    hash: Hash,
    amount: u128,
    /// What its admission displaced (restored if it is taken back).
    displaced: Option<pool::Held>,
    reservation: GrantReservation,
}

impl Drop for GrantReservation {
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

    fn config() -> PoolConfig {
        PoolConfig {
            max_txs: 10,
            max_per_sender: 4,
            max_nonce_gap: 8,
            queued_ttl: std::time::Duration::from_secs(60),
            replace_bump_percent: 10,
            max_drops: 2,
            finished_kept: 100,
            peer_takeover: std::time::Duration::from_secs(30),
        }
    }

    /// Attack (seen once in CI): jsonrpsee drops a subscription's task when the connection closes before the
    /// subscription is confirmed, so the code after its stream never ran and the follower stayed counted.
    /// Subscribing and leaving over and over held room among the followed (and the gauge said so). A follower
    /// is now forgotten when it is dropped, however that happens, and only its own.
    #[tokio::test]
    async fn attack_a_follower_dropped_mid_stream_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::default();
        let (mempool, _) = Mempool::open(dir.path(), config(), &registry).unwrap();
        let watched = || (mempool.pool().watched(), registry.render().contains("zr_relay_watched_transactions 0"));
        let followers: Vec<Following> = (0..10u8).map(|n| mempool.watch(zr_common::sha3_256(&[n])).unwrap()).collect();
        let kept = mempool.watch(zr_common::sha3_256(&[0])).unwrap();
        assert_eq!(watched(), (10, false));
        // Dropped as a cancelled task drops it: mid-stream, never having seen an end.
        let cancelled = tokio::spawn(async move {
            let mut followers = followers;
            followers[0].next().await
        });
        cancelled.abort();
        assert!(cancelled.await.unwrap_err().is_cancelled());
        assert_eq!(watched(), (1, false), "only the follower still held is counted");
        assert_eq!(kept.hash(), zr_common::sha3_256(&[0]));
        drop(kept);
        assert_eq!(watched(), (0, true));
    }

    /// A reservation whose grant was never made (the admission failed, or its future was dropped) is taken
    /// back; one held stops a second reservation for the same sender.
    #[test]
    fn a_reservation_without_its_grant_is_taken_back() {
        let dir = tempfile::tempdir().unwrap();
        let (mempool, cursor) = Mempool::open(dir.path(), config(), &Registry::default()).unwrap();
        assert_eq!(cursor, None);
        let (left, served) = (Address([1; 20]), Address([2; 20]));
        let reservation = mempool.reserve_grant(left).expect("a first reservation");
        assert!(mempool.reserve_grant(left).is_none(), "one grant a sender, even while reserved");
        drop(reservation);
        drop(mempool.reserve_grant(left).expect("taken back, so reserved again"));
        let reservation = mempool.reserve_grant(served).unwrap();
        mempool.granted.lock().unwrap().insert(served, Some(Hash([9; 32])));
        drop(reservation);
        assert_eq!(mempool.granted.lock().unwrap().get(&served), Some(&Some(Hash([9; 32]))));
        assert!(mempool.reserve_grant(served).is_none(), "a made grant stays");
    }

    fn transfer(sender: u8, nonce: u64, fee_per_gas: u64) -> Arc<Transaction> {
        use zr_common::rollup::{TxBody, TxKind};
        let key = zr_common::keys::fixtures::key(sender);
        let kind = TxKind::Transfer { to: key.address(), token: zr_common::TokenStandard::ZNN, amount: 1 };
        Arc::new(TxBody { chain_id: 1, sender: key.public(), nonce, gas_limit: 100, fee_per_gas, kind }.sign(&key))
    }

    fn account(sender: u8, znn: u128) -> AccountView {
        AccountView { address: zr_common::keys::fixtures::key(sender).address(), nonce: 0, znn, qsr: 0, height: 1 }
    }

    fn admission(tx: Arc<Transaction>, account: AccountView, sponsored: bool) -> Admission {
        Admission { hash: tx.hash(), tx, account, sponsored, from_peer: false, watch: false }
    }

    /// Attack: a sponsor grant admitted into a full mempool evicts a stuck transaction. Its eviction was
    /// applied in memory and never written, so after a restart the evicted transaction was held again (and a
    /// failed write left it evicted in memory). The admission's rows now carry every eviction it made.
    #[tokio::test]
    async fn attack_what_a_grant_evicts_is_written_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let config = PoolConfig { max_txs: 2, ..config() };
        let stuck = [transfer(1, 5, 1), transfer(1, 6, 1)];
        {
            let (mempool, _) = Mempool::open(dir.path(), config.clone(), &Registry::default()).unwrap();
            for tx in &stuck {
                mempool.admit(admission(tx.clone(), account(1, 1_000), false), None).await.unwrap();
            }
            let sign = |nonce| transfer(9, nonce, 1);
            let reservation = mempool.reserve_grant(account(2, 0).address).unwrap();
            let grant = Grant { reservation, amount: 50, relay: account(9, 1_000_000), sign: &sign };
            mempool.admit(admission(transfer(2, 0, 1), account(2, 0), true), Some(grant)).await.unwrap();
            assert!(stuck.iter().all(|tx| !mempool.holds(&tx.hash())), "both stuck transactions made room");
            assert!(mempool.holds_grant(&account(2, 0).address));
        }
        let (mempool, _) = Mempool::open(dir.path(), config, &Registry::default()).unwrap();
        for tx in &stuck {
            assert!(!mempool.holds(&tx.hash()), "an evicted transaction is held again after a restart");
            assert_eq!(mempool.view(&tx.hash()).unwrap().status, TransactionStatus::Dropped);
        }
        assert_eq!(mempool.len(), 2, "the grant and its sender's transaction");
        assert!(mempool.reserve_grant(account(2, 0).address).is_none(), "the grant is remembered");
    }

    /// Outcomes from the executor move each held transaction once, on disk too: executed ones are finished
    /// (a hash reported twice changes nothing more), a skipped one goes back to pending.
    #[tokio::test]
    async fn outcomes_finish_or_requeue_and_reach_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let (executed, skipped) = (transfer(1, 0, 1), transfer(1, 1, 1));
        {
            let (mempool, _) = Mempool::open(dir.path(), config(), &Registry::default()).unwrap();
            for tx in [&executed, &skipped] {
                mempool.admit(admission(tx.clone(), account(1, 1_000), false), None).await.unwrap();
            }
            mempool.sequenced(4, [executed.hash(), skipped.hash()], 0).await;
            assert_eq!(mempool.sequenced_up_to(4), [executed.hash(), skipped.hash()]);
            let done = TransactionView::new(executed.hash(), TransactionStatus::Executed);
            mempool
                .outcomes([
                    (executed.hash(), Some(done.clone())),
                    (executed.hash(), Some(done)),
                    (skipped.hash(), None),
                ])
                .await;
            assert_eq!(mempool.view(&skipped.hash()).unwrap().status, TransactionStatus::Pending);
        }
        let (mempool, cursor) = Mempool::open(dir.path(), config(), &Registry::default()).unwrap();
        assert_eq!(cursor, Some(4));
        assert_eq!(mempool.view(&executed.hash()).unwrap().status, TransactionStatus::Executed);
        // After a restart the relay reads its senders' accounts first (nonce 0 is used).
        assert!(mempool.accounts(&[AccountView { nonce: 1, ..account(1, 1_000) }]).is_empty());
        assert_eq!(mempool.view(&skipped.hash()).unwrap().status, TransactionStatus::Pending);
        assert_eq!(mempool.ready().len(), 1, "the skipped one is bundled again");
    }

    /// Attack (review of the mempool's owner): a client that disconnects while its admission is being written
    /// dropped the admission's future after the write was queued, so the transaction stayed in memory, never
    /// shown, never bundled, blocking its sender's later nonces (a sponsor grant left so blocked every later
    /// grant). What follows the write now runs to its end whoever waits for it.
    #[tokio::test]
    async fn attack_an_admission_whose_caller_leaves_mid_write_is_still_completed() {
        let dir = tempfile::tempdir().unwrap();
        let (mempool, _) = Mempool::open(dir.path(), config(), &Registry::default()).unwrap();
        let tx = transfer(1, 0, 1);
        // Polled once (up to the write), then dropped: the client has gone.
        let admit = mempool.admit(admission(tx.clone(), account(1, 1_000), false), None);
        assert!(futures::FutureExt::now_or_never(admit).is_none(), "the write is not done at once");
        for _ in 0..500 {
            if mempool.view(&tx.hash()).is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(mempool.view(&tx.hash()).map(|v| v.status), Some(TransactionStatus::Pending));
        assert_eq!(mempool.ready().len(), 1, "it is bundled like any other");
    }

    /// Attack (review): a bundle is built from a snapshot of what is ready, then waits for its L1 slot and its
    /// PoW; a replacement admitted meanwhile removed a transaction the bundle still carried, which then landed
    /// though its sender was told it was replaced. The bundle's stage is now refused when one of its transactions
    /// changed, so it is not published.
    #[tokio::test]
    async fn attack_a_transaction_replaced_while_its_bundle_is_built_is_not_published() {
        let dir = tempfile::tempdir().unwrap();
        let (mempool, _) = Mempool::open(dir.path(), config(), &Registry::default()).unwrap();
        let (first, replacement) = (transfer(1, 0, 1), transfer(1, 0, 2));
        mempool.admit(admission(first.clone(), account(1, 1_000), false), None).await.unwrap();
        let bundle = mempool.ready();
        mempool.admit(admission(replacement.clone(), account(1, 1_000), false), None).await.unwrap();
        let refused = mempool.bundled(&bundle, Hash([1; 32]), Hash([2; 32]), 3).await;
        assert!(matches!(refused, Err(NotBundled::Changed(hash)) if hash == first.hash()), "{refused:?}");
        mempool.unposted(&bundle, Hash([1; 32])).await;
        assert_eq!(mempool.view(&first.hash()).unwrap().status, TransactionStatus::Replaced);
        assert_eq!(mempool.view(&replacement.hash()).unwrap().status, TransactionStatus::Pending);
        // The same bundle posted again after a refused block is its own stage, not a change.
        let bundle = mempool.ready();
        mempool.bundled(&bundle, Hash([1; 32]), Hash([2; 32]), 3).await.unwrap();
        mempool.bundled(&bundle, Hash([1; 32]), Hash([3; 32]), 4).await.unwrap();
        assert_eq!(mempool.view(&replacement.hash()).unwrap().l1_block, Some(Hash([3; 32])));
    }

    /// Attack (review): in a full mempool a sponsored transaction paying more than the grant made for it could
    /// evict that grant (the cheapest, newest), so the sender counted as granted and was never paid. Nothing
    /// whose admission is still being written is evicted now.
    #[tokio::test]
    async fn attack_a_sponsored_transaction_cannot_evict_its_own_grant() {
        let dir = tempfile::tempdir().unwrap();
        let (mempool, _) =
            Mempool::open(dir.path(), PoolConfig { max_txs: 2, ..config() }, &Registry::default()).unwrap();
        // One transaction stuck behind a gap (the grant evicts it) and one paying the least.
        mempool.admit(admission(transfer(1, 5, 1), account(1, 1_000), false), None).await.unwrap();
        mempool.admit(admission(transfer(3, 0, 1), account(3, 1_000), false), None).await.unwrap();
        let sign = |nonce| transfer(9, nonce, 1);
        let reservation = mempool.reserve_grant(account(2, 0).address).unwrap();
        let grant = Grant { reservation, amount: 1_000, relay: account(9, 1_000_000), sign: &sign };
        mempool.admit(admission(transfer(2, 0, 5), account(2, 0), true), Some(grant)).await.unwrap();
        assert!(mempool.holds_grant(&account(2, 0).address), "the grant stays, with its sender's transaction");
        assert!(!mempool.holds(&transfer(3, 0, 1).hash()), "the cheapest stored one made the room");
    }
}
