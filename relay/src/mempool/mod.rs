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
use std::time::Instant;

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
    /// Who is granted.
    pub to: Address,
    /// How much ZNN.
    pub amount: u128,
    /// The relay's account as the executor reports it.
    pub relay: AccountView,
    /// Signs the grant's transfer with the given nonce.
    pub sign: &'a (dyn Fn(u64) -> Arc<Transaction> + Sync),
}

/// The mempool: memory, disk, grants and metrics, changed only through its event methods.
pub struct Mempool {
    pool: Mutex<Pool>,
    store: Store,
    /// Addresses granted ZNN in sponsor mode, with the grant's transaction when it was made since start
    /// (`None` while one is reserved, or for grants made before a restart).
    granted: Mutex<BTreeMap<Address, Option<Hash>>>,
    metrics: Metrics,
}

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
        let mempool = Mempool { pool: Mutex::new(pool), store, granted: Mutex::new(granted), metrics };
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

    /// Follows `hash`'s status (see [`statuses::Statuses::watch`]).
    pub fn watch(&self, hash: Hash) -> Option<mpsc::UnboundedReceiver<TransactionView>> {
        let mut pool = self.pool();
        let statuses = pool.watch(hash);
        self.metrics.watched.set(pool.watched() as u64);
        statuses
    }

    /// A follower of `hash` has gone.
    pub fn unwatch(&self, hash: &Hash) {
        let mut pool = self.pool();
        pool.unwatch(hash);
        self.metrics.watched.set(pool.watched() as u64);
    }

    // ---- Sponsor grants ----

    /// Reserves `sender`'s one grant, unless it has had one; the reservation is taken back when dropped unless
    /// an admission made the grant meanwhile. Concurrent transactions of one new sender get one grant.
    pub fn reserve_grant(&self, sender: Address) -> Option<GrantReservation<'_>> {
        let mut granted = self.granted.lock().expect("grants lock");
        if granted.contains_key(&sender) {
            return None;
        }
        granted.insert(sender, None);
        Some(GrantReservation { granted: &self.granted, sender })
    }

    /// Whether a grant made to `sender` since start is still held (its ZNN counts as the sender's).
    pub fn holds_grant(&self, sender: &Address) -> bool {
        let grant = self.granted.lock().expect("grants lock").get(sender).copied().flatten();
        grant.is_some_and(|hash| self.holds(&hash))
    }

    // ---- Events ----

    /// A transaction arrives (with the sponsor grant its sender needs, if any). Answers once its row (and the
    /// grant's) is on disk; until then it is not shown, followed or bundled, and if the write fails it is taken
    /// back with whatever it displaced restored. A grant made for a transaction then refused is stored all the
    /// same (so the sender is never granted twice), or taken back if it cannot be: never paid unrecorded.
    pub async fn admit(
        &self,
        admission: Admission,
        grant: Option<Grant<'_>>,
    ) -> Result<Option<mpsc::UnboundedReceiver<TransactionView>>, Rejection> {
        let Admission { tx, hash, mut account, sponsored, from_peer, watch } = admission;
        let mut rows = Vec::new();
        let (made, admitted) = {
            let mut pool = self.pool();
            let made = match &grant {
                Some(grant) => {
                    let (made, displaced) = self.make_grant(&mut pool, grant)?;
                    rows.push(Change::Grant(grant.to));
                    rows.extend(admission_rows(&pool, made, &displaced));
                    account.znn += grant.amount;
                    Some((grant.to, grant.amount, made, displaced.displaced_held))
                }
                None => None,
            };
            let admitted = pool.admit(tx, hash, &account, sponsored, from_peer).map(|admitted| {
                rows.extend(admission_rows(&pool, hash, &admitted));
                (watch.then(|| pool.watch(hash)).flatten(), admitted.displaced_held)
            });
            self.metrics.watched.set(pool.watched() as u64);
            (made, admitted)
        };
        let written = self.store.write(rows).await;
        let mut pool = self.pool();
        if let Some((to, amount, grant, displaced)) = made {
            if written.is_ok() {
                pool.stored(&[grant]);
                self.metrics.grants.inc();
                tracing::info!(target: "zr::relay", %to, amount, "sponsor grant");
            } else {
                // Out before it is bundled (an unstored grant is never ready), and the sender may be granted again.
                pool.withdraw(&grant, displaced);
                self.granted.lock().expect("grants lock").remove(&to);
                tracing::warn!(target: "zr::relay", %to, "cannot store a sponsor grant; taken back");
            }
        }
        let result = match (admitted, written) {
            (Ok((statuses, _)), Ok(())) => {
                pool.stored(&[hash]);
                Ok(statuses)
            }
            (Ok((_, displaced)), Err(err)) => {
                // Not durable, so not accepted: to be sent again once the relay can store it (a full disk, say).
                pool.withdraw(&hash, displaced);
                Err(Rejection::Unavailable(format!("cannot store the transaction, send it again later: {err}")))
            }
            (Err(refusal), _) => Err(refusal),
        };
        self.metrics.held.set(pool.len() as u64);
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
        self.granted.lock().expect("grants lock").insert(grant.to, Some(hash));
        Ok((hash, admitted))
    }

    /// A bundle carrying `txs` is about to be published in L1 block `stage`: their stage is written before it
    /// goes out (a crash never posts a bundle the relay does not know about). On an error the bundle must not
    /// be published, and [`Mempool::unposted`] sends them back.
    pub async fn bundled(&self, txs: &[Arc<Transaction>], stage: Stage) -> Result<(), StoreError> {
        let rows = self.set_stage(txs.iter().map(|tx| tx.hash()), &stage);
        self.store.write(rows).await
    }

    /// The bundle carrying `txs` was not published: they wait for the next momentum's bundles.
    pub async fn unposted(&self, txs: &[Arc<Transaction>]) {
        let rows = self.set_stage(txs.iter().map(|tx| tx.hash()), &Stage::Pending);
        if let Err(err) = self.store.record(rows).await {
            tracing::error!(target: "zr::relay", error = %err, "cannot record the unposted bundle");
        }
    }

    /// L1 momentum `height` sequenced `order` (every transaction of its canonical order, whoever posted it):
    /// those held are sequenced at their positions; bundles posted before L1 height `lost_before` and still
    /// not seen go back to pending; transactions stuck past the queued TTL are dropped. Recorded with the L1
    /// cursor, so a restart follows on from the next momentum.
    pub async fn sequenced(&self, height: u64, order: impl IntoIterator<Item = Hash>, lost_before: u64) {
        let mut rows = Vec::new();
        {
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
        }
        rows.push(Change::Cursor(height));
        if let Err(err) = self.store.record(rows).await {
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
        let rows: Vec<Change> = {
            let mut pool = self.pool();
            let mut rows = Vec::new();
            // Checked one at a time: a hash given twice is applied once.
            for (hash, view) in outcomes {
                if pool.get(&hash).is_some() {
                    rows.push(apply(&mut pool, hash, view));
                }
            }
            self.metrics.held.set(pool.len() as u64);
            rows
        };
        if let Err(err) = self.store.record(rows).await {
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

    /// Moves the held ones of `hashes` to `stage`; returns their rows.
    fn set_stage(&self, hashes: impl IntoIterator<Item = Hash>, stage: &Stage) -> Vec<Change> {
        let mut pool = self.pool();
        let mut rows = Vec::new();
        for hash in hashes {
            if pool.set_stage(&hash, stage.clone()) {
                rows.push(Change::held(pool.get(&hash).expect("held")));
            }
        }
        rows
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
pub struct GrantReservation<'a> {
    granted: &'a Mutex<BTreeMap<Address, Option<Hash>>>,
    sender: Address,
}

impl Drop for GrantReservation<'_> {
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
            let grant = Grant { to: account(2, 0).address, amount: 50, relay: account(9, 1_000_000), sign: &sign };
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
}
