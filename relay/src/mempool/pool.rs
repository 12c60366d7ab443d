//! The mempool's lanes and ordering, in memory: held transactions by hash and, per sender, by nonce. It decides
//! admission against an account's state as the executor last reported it, picks what the next bundle carries
//! (fee order, nonce runs, funds), evicts, expires, and moves transactions through their stages, telling
//! [`super::statuses`] what each one's status becomes. No I/O: [`super::Mempool`] persists what it changes.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use zr_common::rollup::Transaction;
use zr_common::{Address, Hash};
use zr_rpc_api::{AccountView, TransactionStatus, TransactionView};

use super::statuses::Statuses;
use crate::admission::Rejection;

/// Where a held transaction is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "stage")]
pub enum Stage {
    /// Waiting for a bundle (ready, or queued behind a nonce gap).
    Pending,
    /// Posted in a bundle, not yet seen in a momentum.
    Bundled {
        /// The bundle hash.
        bundle: Hash,
        /// The L1 account block carrying it.
        l1_block: Hash,
        /// The L1 frontier height when it was posted.
        posted_at: u64,
    },
    /// In a momentum's canonical order, waiting for the executor.
    Sequenced {
        /// The momentum height.
        height: u64,
        /// The position in the canonical order, from 0.
        index: u32,
    },
}

/// The mempool's limits.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Most transactions held.
    pub max_txs: usize,
    /// Most transactions held per sender.
    pub max_per_sender: usize,
    /// How far ahead of the sender's next nonce a transaction may be.
    pub max_nonce_gap: u64,
    /// How long a transaction may wait behind a nonce gap.
    pub queued_ttl: Duration,
    /// Percent more fee per gas a replacement must offer (reth's 10).
    pub replace_bump_percent: u64,
    /// How many times an executor may drop a transaction (gas budget, fee) before the relay gives up.
    pub max_drops: u32,
    /// Finished transactions whose status is remembered.
    pub finished_kept: usize,
    /// How long a transaction another relay bundles waits before this one bundles it too.
    pub peer_takeover: Duration,
}

/// One held transaction.
#[derive(Debug, Clone)]
pub struct Held {
    /// The transaction.
    pub tx: Arc<Transaction>,
    /// Its hash.
    pub hash: Hash,
    /// Its sender.
    pub sender: Address,
    /// Arrival order.
    pub seq: u64,
    /// Where it is.
    pub stage: Stage,
    /// When it arrived or was last sent back to pending (for the queued TTL).
    pub since: Instant,
    /// When it arrived.
    pub arrived: Instant,
    /// Another relay took it from its user and bundles it: this relay holds it only in case that one fails
    /// (it bundles it once it has waited [`PoolConfig::peer_takeover`]).
    pub from_peer: bool,
    /// Times an executor dropped it.
    pub drops: u32,
    /// Its admission is on disk: until then it is not bundled (a transaction whose write fails is taken back,
    /// and one posted meanwhile would land though its sender was told to send it again), shown, replaced or
    /// evicted.
    pub stored: bool,
    /// What its admission displaced (replaced or evicted), told to that one's followers once this is stored.
    pub displaces: Option<TransactionView>,
}

impl Held {
    /// `tx` (whose hash is `hash`) held from now, with its arrival sequence `seq`, at `stage`.
    fn new(tx: Arc<Transaction>, hash: Hash, seq: u64, stage: Stage, from_peer: bool) -> Held {
        let now = Instant::now();
        Held {
            hash,
            sender: tx.body.sender_address(),
            tx,
            seq,
            stage,
            since: now,
            arrived: now,
            from_peer,
            drops: 0,
            stored: false,
            displaces: None,
        }
    }

    fn max_fee(&self) -> u128 {
        u128::from(self.tx.body.gas_limit) * u128::from(self.tx.body.fee_per_gas)
    }
}

#[derive(Debug, Default)]
struct SenderState {
    /// The account's next nonce as last reported (or implied by what executed since).
    next_nonce: u64,
    /// The account's ZNN as last reported.
    balance: u128,
    /// Held transactions by nonce.
    txs: BTreeMap<u64, Hash>,
}

/// What admitting a transaction changed.
#[derive(Debug)]
pub struct Admitted {
    /// Its status now (pending or queued).
    pub view: TransactionView,
    /// The transaction it replaced, or that was evicted to make room, now finished.
    pub displaced: Option<TransactionView>,
    /// That transaction as it was held, for [`Pool::withdraw`].
    pub displaced_held: Option<Held>,
}

/// The mempool.
pub struct Pool {
    config: PoolConfig,
    held: HashMap<Hash, Held>,
    senders: BTreeMap<Address, SenderState>,
    statuses: Statuses,
    next_seq: u64,
}

impl Pool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Pool {
        Pool {
            statuses: Statuses::new(config.finished_kept),
            config,
            held: HashMap::new(),
            senders: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// Transactions held.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }

    /// A held transaction.
    pub fn get(&self, hash: &Hash) -> Option<&Held> {
        self.held.get(hash)
    }

    /// Senders with held transactions.
    pub fn senders(&self) -> Vec<Address> {
        self.senders.keys().copied().collect()
    }

    /// Restores a transaction from the store, as it was (no admission checks: it was admitted before).
    pub fn restore(&mut self, tx: Transaction, seq: u64, stage: Stage, from_peer: bool) {
        let hash = tx.hash();
        let sender = tx.body.sender_address();
        self.senders.entry(sender).or_default().txs.insert(tx.body.nonce, hash);
        self.next_seq = self.next_seq.max(seq + 1);
        let held = Held { stored: true, ..Held::new(Arc::new(tx), hash, seq, stage, from_peer) };
        self.held.insert(hash, held);
    }

    /// Restores a finished status from the store.
    pub fn restore_finished(&mut self, view: TransactionView) {
        self.statuses.remember(view);
    }

    /// Records an account's state as the executor reports it; held transactions whose nonce it has passed
    /// are returned (their fate is for the caller to find out).
    pub fn update_account(&mut self, account: &AccountView) -> Vec<Hash> {
        let Some(state) = self.senders.get_mut(&account.address) else { return Vec::new() };
        state.balance = account.znn;
        state.next_nonce = state.next_nonce.max(account.nonce);
        state.txs.range(..state.next_nonce).map(|(_, hash)| *hash).collect()
    }

    /// The next nonce of `address` counting what the pool holds ready (pending-aware `getNonce`).
    pub fn pending_nonce(&self, address: &Address, account_nonce: u64) -> u64 {
        let Some(state) = self.senders.get(address) else { return account_nonce };
        let mut next = state.next_nonce.max(account_nonce);
        while state.txs.contains_key(&next) {
            next += 1;
        }
        next
    }

    /// Admits `tx` (already checked on its own: encoding, chain, signature, limits, relay fee) against
    /// `account`. `sponsored` accepts a sender who cannot pay the maximum fee yet (the relay funds it). It is
    /// not bundled before [`Pool::stored`] says its row is on disk.
    pub fn admit(
        &mut self,
        tx: Arc<Transaction>,
        hash: Hash,
        account: &AccountView,
        sponsored: bool,
        from_peer: bool,
    ) -> Result<Admitted, Rejection> {
        match self.held.get(&hash) {
            Some(held) if !held.stored => {
                return Err(Rejection::BeingStored { hash });
            }
            Some(_) => return Err(Rejection::Known { hash }),
            None => {}
        }
        if let Some(done) = self.statuses.finished(&hash)
            && !matches!(done.status, TransactionStatus::Rejected | TransactionStatus::Dropped)
        {
            return Err(Rejection::Known { hash });
        }
        let sender = tx.body.sender_address();
        let nonce = tx.body.nonce;
        let state = self.senders.entry(sender).or_default();
        state.balance = account.znn;
        state.next_nonce = state.next_nonce.max(account.nonce);
        let expected = state.next_nonce;
        if nonce < expected {
            self.forget_empty(&sender);
            return Err(Rejection::NonceTooLow { expected });
        }
        let max_ahead = expected + self.config.max_nonce_gap;
        if nonce > max_ahead {
            self.forget_empty(&sender);
            return Err(Rejection::NonceTooHigh { expected, max: max_ahead });
        }
        // Every held transaction of the sender not executed yet may spend its maximum fee: this one must be
        // payable after them (one replaced is not counted), or it would sit in the ready lane forever.
        let max_fee = u128::from(tx.body.gas_limit) * u128::from(tx.body.fee_per_gas);
        let state = &self.senders[&sender];
        let committed: u128 = state
            .txs
            .range(state.next_nonce..)
            .filter(|(held_nonce, _)| **held_nonce != nonce)
            .map(|(_, hash)| self.held[hash].max_fee())
            .sum();
        let needs = committed.saturating_add(max_fee);
        if account.znn < needs && !sponsored {
            self.forget_empty(&sender);
            return Err(Rejection::InsufficientFunds { needs, has: account.znn });
        }
        let (mut displaced, mut displaced_held) = (None, None);
        let same_nonce = self.senders.get(&sender).and_then(|s| s.txs.get(&nonce)).copied();
        if let Some(old_hash) = same_nonce {
            let old = &self.held[&old_hash];
            // One still being stored may yet be taken back (and would then be restored over its replacement).
            if !old.stored {
                return Err(Rejection::Unavailable(format!(
                    "transaction {old_hash} with nonce {nonce} is being stored; send the replacement again shortly"
                )));
            }
            if old.stage != Stage::Pending {
                return Err(Rejection::Underpriced {
                    reason: format!("transaction {old_hash} with nonce {nonce} is already posted to L1"),
                });
            }
            let needs =
                old.tx.body.fee_per_gas + (old.tx.body.fee_per_gas * self.config.replace_bump_percent).div_ceil(100);
            if tx.body.fee_per_gas < needs {
                return Err(Rejection::Underpriced {
                    reason: format!(
                        "transaction {old_hash} holds nonce {nonce} at fee per gas {}; a replacement offers at least {needs}",
                        old.tx.body.fee_per_gas
                    ),
                });
            }
            let view = TransactionView {
                replaced_by: Some(hash),
                ..TransactionView::new(old_hash, TransactionStatus::Replaced)
            };
            // Out of `held` only: the replacement takes its nonce below, and the sender keeps its state
            // (`remove` would forget a sender left with nothing, and its balance with it).
            displaced_held = self.held.remove(&old_hash);
            displaced = Some(view);
        } else {
            let count = self.senders.get(&sender).map_or(0, |s| s.txs.len());
            if count >= self.config.max_per_sender {
                return Err(Rejection::SenderFull { cap: self.config.max_per_sender });
            }
            if self.held.len() >= self.config.max_txs {
                // A transaction that cannot be posted (behind a gap, or past what its sender can pay) goes first,
                // whatever it offers; then the one paying least, if less than this one.
                let (victim, reason) = match self.stuck_candidate(&sender) {
                    Some(stuck) => (Some(stuck), format!("evicted: the mempool is full, and {hash} can be posted")),
                    None => (
                        self.eviction_candidate().filter(|v| self.held[v].tx.body.fee_per_gas < tx.body.fee_per_gas),
                        format!("evicted: the mempool is full and {hash} pays a higher fee per gas"),
                    ),
                };
                let Some(victim) = victim else { return Err(Rejection::PoolFull { cap: self.config.max_txs }) };
                let view = TransactionView::with_reason(victim, TransactionStatus::Dropped, reason);
                displaced_held = self.held.get(&victim).cloned();
                self.remove(&victim);
                displaced = Some(view);
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.senders.entry(sender).or_default().txs.insert(nonce, hash);
        let held = Held { displaces: displaced.clone(), ..Held::new(tx, hash, seq, Stage::Pending, from_peer) };
        self.held.insert(hash, held);
        self.notify_sender(&sender);
        Ok(Admitted { view: self.held_view(&self.held[&hash]), displaced, displaced_held })
    }

    /// The pending transaction paying the least fee per gas among those that are the last nonce their
    /// sender holds (evicting one opens no gap), the newest among equals.
    fn eviction_candidate(&self) -> Option<Hash> {
        self.senders
            .values()
            .filter_map(|s| s.txs.last_key_value().map(|(_, h)| &self.held[h]))
            .filter(|h| h.stage == Stage::Pending && h.stored)
            .min_by_key(|h| (h.tx.body.fee_per_gas, std::cmp::Reverse(h.seq)))
            .map(|h| h.hash)
    }

    /// The first of `state`'s nonces it cannot have posted: its held transactions from its next nonce on, in
    /// order, each spending its maximum fee from the balance; a missing nonce, or one the balance left cannot
    /// pay, ends the run.
    fn unpayable_from(&self, state: &SenderState) -> u64 {
        let mut left = state.balance;
        let mut nonce = state.next_nonce;
        while let Some(hash) = state.txs.get(&nonce) {
            let Some(rest) = left.checked_sub(self.held[hash].max_fee()) else { return nonce };
            left = rest;
            nonce += 1;
        }
        nonce
    }

    /// Whether `held` waits for something that may never come: a nonce before it, or funds.
    fn is_stuck(&self, held: &Held) -> bool {
        let state = self.senders.get(&held.sender);
        held.stage == Stage::Pending && state.is_none_or(|state| held.tx.body.nonce >= self.unpayable_from(state))
    }

    /// The oldest stuck transaction that is the last nonce its sender holds (evicting it opens no gap), of
    /// another sender than `admitting` (whose state the eviction would forget).
    fn stuck_candidate(&self, admitting: &Address) -> Option<Hash> {
        self.senders
            .iter()
            .filter(|(address, _)| *address != admitting)
            .filter_map(|(_, s)| s.txs.last_key_value().map(|(_, h)| &self.held[h]))
            .filter(|h| h.stored && self.is_stuck(h))
            .min_by_key(|h| h.seq)
            .map(|h| h.hash)
    }

    /// How many held transactions are in each lane (`ready`, `queued`, `bundled`, `sequenced`, and
    /// `peer` for those left to another relay), and how long the oldest has been held.
    pub fn census(&self, now: Instant) -> (BTreeMap<&'static str, u64>, Duration) {
        let mut lanes: BTreeMap<&'static str, u64> =
            ["ready", "queued", "bundled", "sequenced", "peer"].into_iter().map(|lane| (lane, 0)).collect();
        let mut oldest = Duration::ZERO;
        for held in self.held.values() {
            let lane = match held.stage {
                Stage::Pending if held.from_peer => "peer",
                Stage::Pending if self.gap_before(held).is_some() => "queued",
                Stage::Pending => "ready",
                Stage::Bundled { .. } => "bundled",
                Stage::Sequenced { .. } => "sequenced",
            };
            *lanes.entry(lane).or_default() += 1;
            oldest = oldest.max(now.saturating_duration_since(held.arrived));
        }
        (lanes, oldest)
    }

    /// The status of `hash`, if the pool holds or remembers it. One whose admission is not on disk yet is
    /// not shown: it may still be taken back.
    pub fn view(&self, hash: &Hash) -> Option<TransactionView> {
        match self.held.get(hash) {
            Some(held) if held.stored => Some(self.held_view(held)),
            Some(_) => None,
            None => self.statuses.finished(hash).cloned(),
        }
    }

    /// The status of a held transaction.
    fn held_view(&self, held: &Held) -> TransactionView {
        let hash = held.hash;
        match &held.stage {
            Stage::Pending => match self.gap_before(held) {
                Some(expected) => TransactionView {
                    expected_nonce: Some(expected),
                    ..TransactionView::new(hash, TransactionStatus::Queued)
                },
                None => TransactionView::new(hash, TransactionStatus::Pending),
            },
            Stage::Bundled { bundle, l1_block, .. } => TransactionView {
                bundle: Some(*bundle),
                l1_block: Some(*l1_block),
                ..TransactionView::new(hash, TransactionStatus::Bundled)
            },
            Stage::Sequenced { height, index } => TransactionView {
                height: Some(*height),
                index: Some(*index),
                ..TransactionView::new(hash, TransactionStatus::Sequenced)
            },
        }
    }

    /// The first missing nonce below `held`'s, if any.
    fn gap_before(&self, held: &Held) -> Option<u64> {
        let state = self.senders.get(&held.sender)?;
        (state.next_nonce..held.tx.body.nonce).find(|n| !state.txs.contains_key(n))
    }

    /// Ready transactions for the next bundles, in the order to post them: each sender's run of pending
    /// transactions from its next nonce (stopping at a gap; transactions already posted count as present),
    /// whose sender can pay its maximum fee; senders by the fee per gas of their first, then arrival.
    pub fn ready(&self) -> Vec<Arc<Transaction>> {
        let now = Instant::now();
        let ours = |held: &Held| {
            let waited = now.duration_since(held.arrived);
            !held.from_peer || waited >= self.config.peer_takeover
        };
        let mut runs: Vec<(u64, u64, Vec<Arc<Transaction>>)> = Vec::new();
        for state in self.senders.values() {
            let mut run = Vec::new();
            let mut nonce = state.next_nonce;
            let mut balance = state.balance;
            while let Some(hash) = state.txs.get(&nonce) {
                let held = &self.held[hash];
                if held.stage == Stage::Pending {
                    // One not on disk yet holds back its sender's later nonces too.
                    if !ours(held) || !held.stored {
                        break;
                    }
                    let max_fee = held.max_fee();
                    if balance < max_fee {
                        break;
                    }
                    balance -= max_fee;
                    run.push(held);
                }
                nonce += 1;
            }
            if let Some(first) = run.first() {
                let key = (first.tx.body.fee_per_gas, first.seq);
                runs.push((key.0, key.1, run.into_iter().map(|h| h.tx.clone()).collect()));
            }
        }
        runs.sort_by_key(|(fee, seq, _)| (std::cmp::Reverse(*fee), *seq));
        runs.into_iter().flat_map(|(_, _, run)| run).collect()
    }

    /// The rows of `hashes`' admission are on disk: they may be bundled, and are shown (their followers
    /// told, and those of what they displaced).
    pub fn stored(&mut self, hashes: &[Hash]) {
        for hash in hashes {
            let Some(held) = self.held.get_mut(hash) else { continue };
            held.stored = true;
            if let Some(displaced) = held.displaces.take() {
                self.finish_view(displaced);
            }
            self.notify(hash);
        }
    }

    /// Moves a held transaction to `stage` (and notifies its watchers); false if it is not held.
    pub fn set_stage(&mut self, hash: &Hash, stage: Stage) -> bool {
        let Some(held) = self.held.get_mut(hash) else { return false };
        if stage == Stage::Pending {
            held.since = Instant::now();
        }
        held.stage = stage;
        self.notify(hash);
        true
    }

    /// An executor dropped a held transaction it could run later (gas budget, fee, nonce ahead): back to
    /// pending; returns its final status instead when it has been dropped too often.
    pub fn dropped_by_executor(&mut self, hash: &Hash, reason: &str) -> Option<TransactionView> {
        let held = self.held.get_mut(hash)?;
        held.drops += 1;
        if held.drops > self.config.max_drops {
            let view = TransactionView::with_reason(
                *hash,
                TransactionStatus::Dropped,
                format!("the executor dropped it {} times, last: {reason}", held.drops),
            );
            self.finish(view.clone());
            return Some(view);
        }
        self.set_stage(hash, Stage::Pending);
        None
    }

    /// Records what became of a held transaction (executed, failed, dropped, …): it is no longer held.
    pub fn finish(&mut self, view: TransactionView) {
        if let Some(held) = self.held.get(&view.hash)
            && matches!(view.status, TransactionStatus::Executed | TransactionStatus::Failed)
        {
            let (sender, nonce) = (held.sender, held.tx.body.nonce);
            if let Some(state) = self.senders.get_mut(&sender) {
                state.next_nonce = state.next_nonce.max(nonce + 1);
            }
        }
        let sender = self.held.get(&view.hash).map(|h| h.sender);
        self.remove(&view.hash);
        self.finish_view(view);
        if let Some(sender) = sender {
            self.notify_sender(&sender);
        }
    }

    /// Takes back a transaction admitted a moment ago whose row could not be stored: as if it had never come,
    /// so its sender can send it again; the transaction its admission displaced (`Admitted::displaced_held`)
    /// is held again (its followers were not told yet: that waits for [`Pool::stored`]).
    pub fn withdraw(&mut self, hash: &Hash, displaced: Option<Held>) {
        let sender = self.held.get(hash).map(|h| h.sender);
        // The displaced one first: a replacement's sender keeps its state (balance, next nonce) throughout.
        // (Only into the nonce it left, while that still holds what is withdrawn: a later replacement keeps it.)
        let slot_free = |pool: &Pool, old: &Held| {
            pool.senders
                .get(&old.sender)
                .and_then(|s| s.txs.get(&old.tx.body.nonce))
                .is_none_or(|holder| holder == hash)
        };
        if let Some(old) = displaced.filter(|old| slot_free(self, old)) {
            self.senders.entry(old.sender).or_default().txs.insert(old.tx.body.nonce, old.hash);
            self.held.insert(old.hash, old);
        }
        self.remove(hash);
        self.statuses.drop_followers(hash);
        if let Some(sender) = sender {
            self.notify_sender(&sender);
        }
    }

    fn finish_view(&mut self, view: TransactionView) {
        self.statuses.finish(view);
    }

    fn remove(&mut self, hash: &Hash) {
        let Some(held) = self.held.remove(hash) else { return };
        if let Some(state) = self.senders.get_mut(&held.sender)
            && state.txs.get(&held.tx.body.nonce) == Some(hash)
        {
            state.txs.remove(&held.tx.body.nonce);
        }
        self.forget_empty(&held.sender);
    }

    fn forget_empty(&mut self, sender: &Address) {
        if self.senders.get(sender).is_some_and(|s| s.txs.is_empty()) {
            self.senders.remove(sender);
        }
    }

    /// Drops transactions stuck for longer than the TTL — queued behind a nonce gap, or past what their sender's
    /// balance can pay (the balance fell since they were admitted) — returns their final status.
    pub fn expire_queued(&mut self, now: Instant) -> Vec<TransactionView> {
        let ttl = self.config.queued_ttl.as_secs();
        let expired: Vec<(Hash, String)> = self
            .held
            .values()
            .filter(|h| h.stage == Stage::Pending && now.duration_since(h.since) > self.config.queued_ttl)
            .filter_map(|h| match self.gap_before(h) {
                Some(gap) => Some((h.hash, format!("queued longer than {ttl} s waiting for nonce {gap}"))),
                None if self.is_stuck(h) => Some((
                    h.hash,
                    format!("its sender could not pay its maximum fee, after those before it, for {ttl} s"),
                )),
                None => None,
            })
            .collect();
        expired
            .into_iter()
            .map(|(hash, reason)| {
                let view = TransactionView::with_reason(hash, TransactionStatus::Dropped, reason);
                self.finish(view.clone());
                view
            })
            .collect()
    }

    /// Bundled transactions not seen in a momentum since L1 height `before` (their block was lost): back to
    /// pending. Returns their hashes.
    pub fn requeue_lost(&mut self, before: u64) -> Vec<Hash> {
        let lost: Vec<Hash> = self
            .held
            .values()
            .filter(|h| matches!(h.stage, Stage::Bundled { posted_at, .. } if posted_at < before))
            .map(|h| h.hash)
            .collect();
        for hash in &lost {
            self.set_stage(hash, Stage::Pending);
        }
        lost
    }

    /// Held transactions sequenced at L1 heights up to `height`, in the order they were sequenced: what an
    /// executor at `height` has run (or skipped). Read from the pool itself, so a restart or a failed query
    /// leaves none of them waiting for ever.
    pub fn sequenced_up_to(&self, height: u64) -> Vec<Hash> {
        let mut due: Vec<(u64, u32, Hash)> = self
            .held
            .values()
            .filter_map(|h| match h.stage {
                Stage::Sequenced { height: at, index } if at <= height => Some((at, index, h.hash)),
                _ => None,
            })
            .collect();
        due.sort();
        due.into_iter().map(|(_, _, hash)| hash).collect()
    }

    /// Follows `hash`'s status: the current one first (if known), then every change until a terminal one
    /// (`None` past the bounds of [`Statuses::watch`]).
    pub fn watch(&mut self, hash: Hash) -> Option<mpsc::UnboundedReceiver<TransactionView>> {
        let current = self.view(&hash);
        self.statuses.watch(hash, current)
    }

    /// Forgets the followers of `hash` that have gone.
    pub fn unwatch(&mut self, hash: &Hash) {
        self.statuses.unwatch(hash);
    }

    /// Transactions whose status someone follows.
    pub fn watched(&self) -> usize {
        self.statuses.watched()
    }

    fn notify_sender(&mut self, sender: &Address) {
        let hashes: Vec<Hash> = self.senders.get(sender).map(|s| s.txs.values().copied().collect()).unwrap_or_default();
        for hash in hashes {
            self.notify(&hash);
        }
    }

    fn notify(&mut self, hash: &Hash) {
        if !self.statuses.is_watched(hash) {
            return;
        }
        if let Some(view) = self.view(hash) {
            self.statuses.tell(hash, &view);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::statuses::{MAX_WATCHED, MAX_WATCHERS_PER_TX};
    use super::*;
    use zr_common::rollup::{TxBody, TxKind};

    fn config() -> PoolConfig {
        PoolConfig {
            max_txs: 6,
            max_per_sender: 4,
            max_nonce_gap: 8,
            queued_ttl: Duration::from_secs(60),
            replace_bump_percent: 10,
            max_drops: 2,
            finished_kept: 100,
            peer_takeover: Duration::from_secs(30),
        }
    }

    use zr_common::keys::fixtures::key;

    fn tx(sender: u8, nonce: u64, fee_per_gas: u64) -> (Arc<Transaction>, Hash) {
        let key = key(sender);
        let kind = TxKind::Transfer { to: key.address(), token: zr_common::TokenStandard::ZNN, amount: 1 };
        let tx = TxBody { chain_id: 1, sender: key.public(), nonce, gas_limit: 100, fee_per_gas, kind }.sign(&key);
        let hash = tx.hash();
        (Arc::new(tx), hash)
    }

    fn account(sender: u8, nonce: u64, znn: u128) -> AccountView {
        AccountView { address: key(sender).address(), nonce, znn, qsr: 0, height: 1 }
    }

    /// Admits and stores (as the service does once the admission's row is written).
    fn admit(pool: &mut Pool, sender: u8, nonce: u64, fee: u64) -> Result<Admitted, Rejection> {
        let (tx, hash) = tx(sender, nonce, fee);
        let admitted = pool.admit(tx, hash, &account(sender, 0, 1_000_000), false, false)?;
        pool.stored(&[hash]);
        Ok(admitted)
    }

    #[test]
    fn nonces_balances_and_lanes() {
        let mut pool = Pool::new(config());
        let (t, h) = tx(1, 0, 1);
        assert_eq!(
            pool.admit(t.clone(), h, &account(1, 3, 1_000), false, false).unwrap_err(),
            Rejection::NonceTooLow { expected: 3 }
        );
        assert_eq!(
            pool.admit(t.clone(), h, &account(1, 0, 99), false, false).unwrap_err(),
            Rejection::InsufficientFunds { needs: 100, has: 99 }
        );
        assert!(
            pool.admit(t.clone(), h, &account(1, 0, 99), true, false).is_ok(),
            "a sponsored sender may wait for funds"
        );
        pool.stored(&[h]);
        assert_eq!(pool.admit(t, h, &account(1, 0, 1_000), false, false).unwrap_err(), Rejection::Known { hash: h });
        assert!(matches!(admit(&mut pool, 2, 9, 1), Err(Rejection::NonceTooHigh { expected: 0, max: 8 })));
        let queued = admit(&mut pool, 2, 2, 1).unwrap().view;
        assert_eq!((queued.status, queued.expected_nonce), (TransactionStatus::Queued, Some(0)));
        admit(&mut pool, 2, 0, 1).unwrap();
        let (_, h1) = tx(2, 1, 1);
        assert_eq!(pool.view(&tx(2, 2, 1).1).unwrap().expected_nonce, Some(1));
        admit(&mut pool, 2, 1, 1).unwrap();
        assert_eq!(pool.view(&tx(2, 2, 1).1).unwrap().status, TransactionStatus::Pending, "the gap is filled");
        assert_eq!(pool.pending_nonce(&key(2).address(), 0), 3);
        assert_eq!(pool.view(&h1).unwrap().status, TransactionStatus::Pending);
    }

    #[test]
    fn replacement_needs_ten_percent_more_and_caps_hold() {
        let mut pool = Pool::new(config());
        let first = admit(&mut pool, 1, 0, 100).unwrap().view.hash;
        assert!(matches!(admit(&mut pool, 1, 0, 109), Err(Rejection::Underpriced { .. })));
        let replaced = admit(&mut pool, 1, 0, 110).unwrap();
        let old = replaced.displaced.unwrap();
        assert_eq!(
            (old.hash, old.status, old.replaced_by),
            (first, TransactionStatus::Replaced, Some(replaced.view.hash))
        );
        assert_eq!(pool.view(&first).unwrap().status, TransactionStatus::Replaced);
        for nonce in 1..4 {
            admit(&mut pool, 1, nonce, 100).unwrap();
        }
        assert_eq!(admit(&mut pool, 1, 4, 100).unwrap_err(), Rejection::SenderFull { cap: 4 });
        admit(&mut pool, 2, 0, 5).unwrap();
        admit(&mut pool, 3, 0, 7).unwrap();
        // Full (6): a better-paying newcomer evicts the cheapest last-nonce transaction; a cheaper one is refused.
        assert_eq!(admit(&mut pool, 4, 0, 5).unwrap_err(), Rejection::PoolFull { cap: 6 });
        let evicted = admit(&mut pool, 4, 0, 6).unwrap().displaced.unwrap();
        assert_eq!((evicted.hash, evicted.status), (tx(2, 0, 5).1, TransactionStatus::Dropped));
        assert!(evicted.reason.unwrap().contains("evicted"));
    }

    #[test]
    fn ready_is_ordered_by_fee_then_arrival_and_stops_at_gaps_and_funds() {
        let mut pool = Pool::new(config());
        admit(&mut pool, 1, 0, 2).unwrap();
        admit(&mut pool, 1, 1, 2).unwrap();
        admit(&mut pool, 2, 0, 9).unwrap();
        admit(&mut pool, 3, 1, 50).unwrap(); // behind a gap
        let (poor, hash) = tx(4, 0, 100);
        pool.admit(poor, hash, &account(4, 0, 10), true, false).unwrap(); // cannot pay 10 000 yet
        pool.stored(&[hash]);
        let ready: Vec<(u8, u64)> = pool
            .ready()
            .iter()
            .map(|t| ((1..=4).find(|n| key(*n).public() == t.body.sender).unwrap(), t.body.nonce))
            .collect();
        assert_eq!(ready, [(2, 0), (1, 0), (1, 1)]);
        pool.update_account(&account(4, 0, 10_000));
        assert_eq!(pool.ready()[0].body.sender, key(4).public(), "funded: it pays the most");
        // A transaction another relay bundles is not ready here (until the takeover delay), nor what follows it.
        let (from_peer, hash5) = tx(5, 0, 1_000);
        pool.admit(from_peer, hash5, &account(5, 0, 1_000_000), false, true).unwrap();
        pool.stored(&[hash5]);
        assert!(pool.ready().iter().all(|t| t.body.sender != key(5).public()));
        // Posted transactions count as present for the run after them.
        let (_, h10) = tx(1, 0, 2);
        pool.set_stage(&h10, Stage::Bundled { bundle: Hash::ZERO, l1_block: Hash::ZERO, posted_at: 1 });
        assert!(pool.ready().iter().any(|t| t.body.sender == key(1).public() && t.body.nonce == 1));
    }

    /// Attack on the full-disk path: a transaction is not bundled while its admission's write is in flight
    /// (refused for the disk, it would still land), and holds back its sender's later nonces.
    #[test]
    fn a_transaction_is_not_shown_or_ready_until_its_admission_is_stored() {
        let mut pool = Pool::new(config());
        let (first, first_hash) = tx(1, 0, 5);
        pool.admit(first, first_hash, &account(1, 0, 1_000_000), false, false).unwrap();
        let mut follower = pool.watch(first_hash).unwrap();
        assert_eq!(pool.view(&first_hash), None, "not shown while it may still be taken back");
        assert!(follower.try_recv().is_err(), "its follower hears nothing before it is stored");
        admit(&mut pool, 1, 1, 5).unwrap();
        admit(&mut pool, 2, 0, 1).unwrap();
        let senders = |pool: &Pool| pool.ready().iter().map(|t| (t.body.sender, t.body.nonce)).collect::<Vec<_>>();
        assert_eq!(senders(&pool), [(key(2).public(), 0)], "sender 1's run waits for its nonce 0 to be stored");
        pool.stored(&[first_hash]);
        assert_eq!(senders(&pool), [(key(1).public(), 0), (key(1).public(), 1), (key(2).public(), 0)]);
        assert_eq!(pool.view(&first_hash).unwrap().status, TransactionStatus::Pending);
        assert_eq!(follower.try_recv().unwrap().status, TransactionStatus::Pending, "told once stored");
    }

    /// Attack (review): a transaction whose admission is still being written may be taken back (and would then
    /// be restored over whatever displaced it): it is not replaced, evicted or reported known meanwhile, and
    /// what a replacement displaces is told to its followers only once the replacement is stored.
    #[test]
    fn attack_nothing_still_being_stored_is_displaced_and_displacements_are_told_once_stored() {
        let mut pool = Pool::new(PoolConfig { max_txs: 2, ..config() });
        let (first, first_hash) = tx(1, 0, 5);
        pool.admit(first.clone(), first_hash, &account(1, 0, 1_000_000), false, false).unwrap();
        let refused = pool.admit(first, first_hash, &account(1, 0, 1_000_000), false, false).unwrap_err();
        assert!(matches!(refused, Rejection::BeingStored { .. }), "not known before it is stored: {refused:?}");
        let (replacement, replacement_hash) = tx(1, 0, 50);
        let refused = pool.admit(replacement.clone(), replacement_hash, &account(1, 0, 1_000_000), false, false);
        assert!(matches!(refused, Err(Rejection::Unavailable(_))), "{refused:?}");
        let (rich, rich_hash) = tx(2, 0, 99);
        pool.admit(rich, rich_hash, &account(2, 0, 1_000_000), false, false).unwrap();
        let (richer, richer_hash) = tx(3, 0, 999);
        let refused = pool.admit(richer, richer_hash, &account(3, 0, 1_000_000), false, false).unwrap_err();
        assert_eq!(refused, Rejection::PoolFull { cap: 2 }, "nothing unstored is evicted");
        pool.stored(&[first_hash, rich_hash]);
        let mut follower = pool.watch(first_hash).unwrap();
        assert_eq!(follower.try_recv().unwrap().status, TransactionStatus::Pending);
        pool.admit(replacement, replacement_hash, &account(1, 0, 1_000_000), false, false).unwrap();
        assert!(follower.try_recv().is_err(), "not told while the replacement may be taken back");
        pool.stored(&[replacement_hash]);
        assert_eq!(follower.try_recv().unwrap().status, TransactionStatus::Replaced);
    }

    #[test]
    fn a_withdrawn_transaction_can_be_sent_again() {
        let mut pool = Pool::new(config());
        let hash = admit(&mut pool, 1, 0, 1).unwrap().view.hash;
        pool.withdraw(&hash, None);
        assert!(pool.get(&hash).is_none() && pool.view(&hash).is_none() && pool.is_empty());
        assert_eq!(admit(&mut pool, 1, 0, 1).unwrap().view.hash, hash);
        // A withdrawn replacement gives the nonce back to the transaction it displaced.
        let replacement = admit(&mut pool, 1, 0, 2).unwrap();
        assert_eq!(replacement.displaced.as_ref().unwrap().status, TransactionStatus::Replaced);
        assert_eq!(pool.ready().iter().map(|t| t.hash()).collect::<Vec<_>>(), vec![replacement.view.hash]);
        pool.withdraw(&replacement.view.hash, replacement.displaced_held);
        assert_eq!(pool.len(), 1);
        assert_eq!(pool.view(&hash).unwrap().status, TransactionStatus::Pending);
        assert_eq!(pool.ready().iter().map(|t| t.hash()).collect::<Vec<_>>(), vec![hash]);
        // A replacement withdrawn after a later one took its nonce does not put the first back over it (the
        // later one would be held with no nonce, and the pool's checks found no sender for it).
        let second = admit(&mut pool, 1, 0, 2).unwrap();
        let third = admit(&mut pool, 1, 0, 3).unwrap();
        pool.withdraw(&second.view.hash, second.displaced_held);
        assert_eq!(pool.ready().iter().map(|t| t.hash()).collect::<Vec<_>>(), vec![third.view.hash]);
        assert_eq!(pool.len(), 1);
        assert!(pool.expire_queued(Instant::now() + Duration::from_secs(61)).is_empty());
    }

    #[test]
    fn statuses_are_watched_until_terminal_and_nonces_advance() {
        let mut pool = Pool::new(config());
        let hash = admit(&mut pool, 1, 0, 1).unwrap().view.hash;
        let mut statuses = pool.watch(hash).unwrap();
        pool.set_stage(&hash, Stage::Bundled { bundle: Hash::ZERO, l1_block: Hash::ZERO, posted_at: 5 });
        pool.set_stage(&hash, Stage::Sequenced { height: 6, index: 1 });
        pool.finish(TransactionView::new(hash, TransactionStatus::Executed));
        let seen: Vec<TransactionStatus> = std::iter::from_fn(|| statuses.try_recv().ok()).map(|v| v.status).collect();
        use TransactionStatus::*;
        assert_eq!(seen, [Pending, Bundled, Sequenced, Executed]);
        assert_eq!(admit(&mut pool, 1, 0, 1).unwrap_err(), Rejection::Known { hash }, "done is remembered");
        // A lost bundle goes back to pending; too many executor drops give up.
        let h1 = admit(&mut pool, 1, 1, 1).unwrap().view.hash;
        pool.set_stage(&h1, Stage::Bundled { bundle: Hash::ZERO, l1_block: Hash::ZERO, posted_at: 5 });
        assert_eq!(pool.requeue_lost(5), Vec::<Hash>::new());
        assert_eq!(pool.requeue_lost(6), vec![h1]);
        assert!(pool.dropped_by_executor(&h1, "fee").is_none());
        assert!(pool.dropped_by_executor(&h1, "fee").is_none());
        assert_eq!(pool.dropped_by_executor(&h1, "fee").unwrap().status, Dropped);
    }

    /// Attack (hardening #4): following the status of a hash the relay does not know, and leaving, in a loop
    /// grew the relay without bound. A follower is forgotten when its stream ends, and bounded while it stays.
    #[test]
    fn attack_watchers_of_unknown_hashes_are_forgotten_and_bounded() {
        let mut pool = Pool::new(config());
        for n in 0..10_000u32 {
            let hash = Hash(zr_common::sha3_256(&n.to_le_bytes()).0);
            drop(pool.watch(hash).unwrap());
            pool.unwatch(&hash);
        }
        assert_eq!(pool.watched(), 0, "every follower left");
        // Followers that stay are bounded per transaction; one that leaves makes room.
        let hash = Hash([7; 32]);
        let mut kept: Vec<_> = (0..MAX_WATCHERS_PER_TX).map(|_| pool.watch(hash).unwrap()).collect();
        assert!(pool.watch(hash).is_none(), "the {}th follower of one transaction", MAX_WATCHERS_PER_TX + 1);
        kept.pop();
        assert!(pool.watch(hash).is_some());
        // And in all: leavers that never said so are swept when the bound is reached.
        let mut pool = Pool::new(config());
        for n in 0..MAX_WATCHED as u32 {
            drop(pool.watch(Hash(zr_common::sha3_256(&n.to_le_bytes()).0)).unwrap());
        }
        assert_eq!(pool.watched(), MAX_WATCHED);
        let staying = pool.watch(Hash([8; 32])).unwrap();
        assert_eq!(pool.watched(), 1, "the gone were swept");
        drop(staying);
    }

    fn admit_with(pool: &mut Pool, sender: u8, nonce: u64, fee: u64, znn: u128) -> Result<Admitted, Rejection> {
        let (tx, hash) = tx(sender, nonce, fee);
        let admitted = pool.admit(tx, hash, &account(sender, 0, znn), false, false)?;
        pool.stored(&[hash]);
        Ok(admitted)
    }

    /// Attack (hardening #3): admission checked each transaction's maximum fee against the balance alone and
    /// `ready()` stops at the first one the sender cannot pay, so a sender who spent its balance at nonce 0 left
    /// nonces 1-63 held forever, and recycled accounts filled the pool until every paying transaction was
    /// refused as pool full.
    #[test]
    fn attack_unpayable_transactions_jam_the_ready_lane() {
        let mut pool = Pool::new(config());
        // Each transaction may spend 100 (gas limit 100 × fee 1): 250 pays for two held at once, not three.
        admit_with(&mut pool, 1, 0, 1, 250).unwrap();
        admit_with(&mut pool, 1, 1, 1, 250).unwrap();
        assert_eq!(
            admit_with(&mut pool, 1, 2, 1, 250).unwrap_err(),
            Rejection::InsufficientFunds { needs: 300, has: 250 }
        );
        // A replacement counts once.
        admit_with(&mut pool, 1, 1, 2, 300).unwrap();
        // The sender spends its balance elsewhere: nothing of it is ready, and it goes after the TTL.
        pool.update_account(&account(1, 0, 50));
        assert!(pool.ready().is_empty());
        assert!(pool.expire_queued(Instant::now() + Duration::from_secs(30)).is_empty(), "not before the TTL");
        let expired = pool.expire_queued(Instant::now() + Duration::from_secs(61));
        assert_eq!(expired.len(), 2, "{expired:?}");
        assert!(expired[0].reason.as_ref().unwrap().contains("could not pay its maximum fee"), "{expired:?}");
        assert!(pool.is_empty());

        // A full pool of stuck transactions paying more gives way to one that can be posted, paying less.
        let mut pool = Pool::new(config());
        for sender in 1..=3 {
            admit_with(&mut pool, sender, 0, 5, 1_000).unwrap();
            admit_with(&mut pool, sender, 1, 5, 1_000).unwrap();
            pool.update_account(&account(sender, 0, 0));
        }
        assert_eq!(pool.len(), 6);
        let paying = admit_with(&mut pool, 9, 0, 1, 1_000_000).unwrap();
        let evicted = paying.displaced.unwrap();
        assert_eq!(evicted.hash, tx(1, 1, 5).1, "the oldest stuck last nonce");
        assert!(evicted.reason.unwrap().contains("can be posted"));
        assert_eq!(pool.ready().iter().map(|t| t.hash()).collect::<Vec<_>>(), vec![paying.view.hash]);
        // Payable transactions paying more are not evicted for it.
        let mut pool = Pool::new(config());
        for sender in 1..=3 {
            admit_with(&mut pool, sender, 0, 5, 1_000).unwrap();
            admit_with(&mut pool, sender, 1, 5, 1_000).unwrap();
        }
        assert_eq!(admit_with(&mut pool, 9, 0, 1, 1_000_000).unwrap_err(), Rejection::PoolFull { cap: 6 });
    }

    /// Hardening #5: what awaited the executor's outcome was only in memory, so after a restart (or one failed
    /// query) a transaction the executor dropped stayed `sequenced` for ever. The pool says what is due.
    #[test]
    fn sequenced_transactions_are_due_from_the_pool_itself() {
        let mut pool = Pool::new(config());
        let a = admit(&mut pool, 1, 0, 1).unwrap().view.hash;
        let b = admit(&mut pool, 2, 0, 1).unwrap().view.hash;
        let c = admit(&mut pool, 3, 0, 1).unwrap().view.hash;
        pool.set_stage(&a, Stage::Sequenced { height: 7, index: 2 });
        pool.set_stage(&b, Stage::Sequenced { height: 7, index: 1 });
        pool.set_stage(&c, Stage::Sequenced { height: 9, index: 0 });
        assert_eq!(pool.sequenced_up_to(6), Vec::<Hash>::new());
        assert_eq!(pool.sequenced_up_to(8), vec![b, a]);
        assert_eq!(pool.sequenced_up_to(9), vec![b, a, c]);
        // Restored after a restart, as stored: still due.
        let mut restarted = Pool::new(config());
        let tx = pool.get(&c).unwrap().tx.as_ref().clone();
        restarted.restore(tx, 0, Stage::Sequenced { height: 9, index: 0 }, false);
        assert_eq!(restarted.sequenced_up_to(9), vec![c]);
    }

    #[test]
    fn queued_transactions_expire() {
        let mut pool = Pool::new(config());
        let queued = admit(&mut pool, 1, 3, 1).unwrap().view.hash;
        let ready = admit(&mut pool, 2, 0, 1).unwrap().view.hash;
        let expired = pool.expire_queued(Instant::now() + Duration::from_secs(61));
        assert_eq!(expired.iter().map(|v| v.hash).collect::<Vec<_>>(), [queued]);
        assert!(expired[0].reason.as_ref().unwrap().contains("waiting for nonce 0"));
        assert_eq!(pool.view(&ready).unwrap().status, TransactionStatus::Pending);
    }
}
