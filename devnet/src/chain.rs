//! The chain: confirmed state in redb, the frontier (confirmed + unconfirmed blocks) in memory, and
//! momentum production.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;
use zr_common::hash::sha3_256_concat;
use zr_common::nom::{AccountBlock, BlockType, HashHeight, MAX_BLOCKS_PER_MOMENTUM, Momentum, VERSION};
use zr_common::{Address, Hash, KeyPair, codec};

use crate::embedded::{Judge, L1View, Settlement};
use crate::genesis::Genesis;
use crate::state::AccountState;
use crate::store::{MomentumWrite, Store, StoredBlock};
use crate::{DevnetError, PublishError};

/// A momentum just confirmed, with its blocks in content order; sent to subscribers.
#[derive(Debug, Clone)]
pub struct NewMomentum {
    /// The momentum.
    pub momentum: Momentum,
    /// Its blocks, in content order.
    pub blocks: Vec<AccountBlock>,
    /// What the rollup's settlement took in it: verdicts reached, and the time judging and settling took.
    pub settlement: SettlementWork,
}

/// The settlement's work in one momentum (for metrics; never part of any state).
#[derive(Debug, Clone, Copy, Default)]
pub struct SettlementWork {
    /// Challenges judged.
    pub verdicts: usize,
    /// Judging and settling finality.
    pub took: std::time::Duration,
}

/// In-memory state guarded by the chain's lock.
pub struct Inner {
    confirmed: BTreeMap<Address, AccountState>,
    /// Accounts with unconfirmed blocks: their confirmed state plus those blocks' effects.
    frontier: BTreeMap<Address, AccountState>,
    pool: VecDeque<AccountBlock>,
    pub(crate) pending_received: BTreeSet<Hash>,
    frontier_momentum: Momentum,
    /// The rollup's settlement state as of the frontier momentum.
    settlement: Arc<Settlement>,
}

impl Inner {
    pub(crate) fn frontier_state(&self, address: &Address) -> AccountState {
        self.frontier.get(address).or_else(|| self.confirmed.get(address)).cloned().unwrap_or_default()
    }

    pub(crate) fn pool_len(&self) -> usize {
        self.pool.len()
    }
}

/// The devnet chain.
pub struct Chain {
    genesis: Genesis,
    store: Store,
    /// The pillars' VM for verdicts on challenges.
    judge: Judge,
    inner: Mutex<Inner>,
    events: broadcast::Sender<Arc<NewMomentum>>,
}

impl Chain {
    /// Opens the chain in `dir`, creating it from `genesis` the first time. A later start with a genesis
    /// that differs from the stored one is an error (it would be another chain).
    pub fn open(dir: &Path, genesis: Option<&Genesis>) -> Result<Chain, DevnetError> {
        let store = Store::open(dir)?;
        let genesis = match (store.genesis()?, genesis) {
            (Some(stored), Some(given)) if &stored != given => {
                return Err(DevnetError::Genesis(format!(
                    "the genesis given differs from the one {} was created with; use another data_dir",
                    dir.display()
                )));
            }
            (Some(stored), _) => stored,
            (None, Some(given)) => {
                given.validate()?;
                init_genesis(&store, given)?;
                given.clone()
            }
            (None, None) => {
                return Err(DevnetError::Genesis(format!(
                    "{} holds no chain yet: pass a genesis file (`--genesis`)",
                    dir.display()
                )));
            }
        };
        let frontier_momentum = store.frontier_momentum()?.ok_or_else(|| DevnetError::Store("no momentum".into()))?;
        let inner = Inner {
            confirmed: store.accounts()?.into_iter().collect(),
            frontier: BTreeMap::new(),
            pool: VecDeque::new(),
            pending_received: BTreeSet::new(),
            frontier_momentum,
            settlement: Arc::new(match store.settlement()? {
                Some(settlement) => settlement,
                None => Settlement::new(genesis.rollup.parameters()).map_err(DevnetError::Genesis)?,
            }),
        };
        let (events, _) = broadcast::channel(1024);
        let judge = Judge::new().map_err(DevnetError::Store)?;
        Ok(Chain { genesis, store, judge, inner: Mutex::new(inner), events })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock would be a bug; the state it guards is still consistent because
        // every change is computed first and applied after its commit.
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The L1 chain identifier.
    pub fn chain_identifier(&self) -> u64 {
        self.genesis.chain_identifier
    }

    /// Subscribes to confirmed momentums.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<NewMomentum>> {
        self.events.subscribe()
    }

    /// Verifies and accepts a user block into the pool of unconfirmed blocks.
    pub fn publish(&self, block: AccountBlock) -> Result<(), PublishError> {
        let mut inner = self.lock();
        let accepted = inner.verify(&block, &self.store, self.genesis.chain_identifier)?;
        if block.kind() == Some(BlockType::UserReceive) {
            inner.pending_received.insert(block.from_block_hash);
        }
        inner.frontier.insert(block.address, accepted.state);
        inner.pool.push_back(block);
        Ok(())
    }

    /// Produces the next momentum with up to 100 unconfirmed blocks, signed by `key`, and commits it
    /// durably. `now` is unix seconds; the timestamp is `max(now, previous + 1)`.
    pub fn produce(&self, key: &KeyPair, now: u64) -> Result<Arc<NewMomentum>, DevnetError> {
        let mut inner = self.lock();
        let take = inner.pool.len().min(MAX_BLOCKS_PER_MOMENTUM);
        let mut blocks: Vec<AccountBlock> = inner.pool.iter().take(take).cloned().collect();

        // The confirmed states these blocks lead to, computed before anything is committed.
        let mut touched: BTreeMap<Address, AccountState> = BTreeMap::new();
        let mut received = Vec::new();
        let mut effects: Vec<&AccountBlock> = Vec::new();
        for block in &blocks {
            let mut state = touched
                .get(&block.address)
                .or_else(|| inner.confirmed.get(&block.address))
                .cloned()
                .unwrap_or_default();
            state.height = block.height;
            state.frontier_hash = block.hash;
            state.last_acknowledged = block.momentum_acknowledged.height;
            if block.kind() == Some(BlockType::UserSend) {
                state.debit(block.token_standard, block.amount);
            } else {
                let send = self
                    .store
                    .block(&block.from_block_hash)?
                    .ok_or_else(|| DevnetError::Store(format!("send {} vanished", block.from_block_hash)))?;
                state.credit(send.block.token_standard, send.block.amount);
                received.push((block.from_block_hash, block.hash));
            }
            touched.insert(block.address, state);
            if block.kind() == Some(BlockType::UserSend) {
                effects.push(block);
            }
        }
        // Sends to embedded contracts take effect in the momentum that confirms them, in content order; then
        // the settlement decides what this momentum makes final.
        let height = inner.frontier_momentum.height + 1;
        let mut settlement = Settlement::clone(&inner.settlement);
        let l1 = StoredMomentums(&self.store);
        let mut changes = crate::embedded::Changes::new(&mut touched, &inner.confirmed, &mut settlement, height, &l1);
        for block in effects {
            // Publishing checked the address; a contract that vanished would be a bug, and changes nothing.
            if let Ok(Some(contract)) = crate::embedded::at(&block.to_address) {
                contract.on_confirmed(block, &mut changes);
            }
        }
        let fused = std::mem::take(&mut changes.fused);
        let mut payouts = std::mem::take(&mut changes.payouts);
        let settling = std::time::Instant::now();
        let waiting = settlement.waiting();
        // The claimed momentum is read once: for the verdict's work, then for the verdict itself.
        let read: std::cell::RefCell<Option<(u64, ClaimedMomentum)>> = std::cell::RefCell::new(None);
        let claimed = |at: u64| -> ClaimedMomentum {
            match read.borrow_mut().take() {
                Some((h, found)) if h == at => found,
                _ => self.momentum_with_blocks(at).map_err(|e| {
                    tracing::error!(target: "zr::devnet", error = %e, "cannot read a challenged momentum");
                    e.to_string()
                }),
            }
        };
        let mut work = |at: u64| {
            let found = claimed(at);
            let cost = zr_settlement::inbox::verdict_work(&found);
            *read.borrow_mut() = Some((at, found));
            cost
        };
        let mut judge = |dispute: &_, claim: &zr_common::rollup::settlement::ClaimRecord, params: &_| {
            self.judge.verdict(dispute, claim, params, claimed(claim.height))
        };
        // Paid by contract sends on the inbox's own chain, in this momentum (the recipient receives them as any
        // send), from the inbox's balance: withdrawals were debited when their proof was checked, the rest
        // here, in the order they fell due, as far as the balance goes (never from nothing).
        let inbox_state = touched
            .entry(Address::INBOX)
            .or_insert_with(|| inner.confirmed.get(&Address::INBOX).cloned().unwrap_or_default());
        let verdicts = zr_settlement::inbox::Verdicts { work: &mut work, judge: &mut judge };
        payouts.extend(zr_settlement::inbox::step_momentum(
            &mut settlement,
            height,
            Some(verdicts),
            inbox_state,
            usize::MAX,
        ));
        let work = SettlementWork { verdicts: waiting - settlement.waiting(), took: settling.elapsed() };
        for owed in settlement.owed() {
            tracing::warn!(target: "zr::devnet", recipient = %owed.recipient, amount = owed.amount,
                token = %owed.token, "the inbox cannot cover a payout yet; it stays owed");
        }
        if !payouts.is_empty() {
            let acknowledged =
                HashHeight { hash: inner.frontier_momentum.hash, height: inner.frontier_momentum.height };
            let inbox = touched
                .entry(Address::INBOX)
                .or_insert_with(|| inner.confirmed.get(&Address::INBOX).cloned().unwrap_or_default());
            for payout in payouts {
                let mut block = AccountBlock {
                    version: VERSION,
                    chain_identifier: self.genesis.chain_identifier,
                    block_type: BlockType::ContractSend as u64,
                    previous_hash: inbox.frontier_hash,
                    height: inbox.height + 1,
                    momentum_acknowledged: acknowledged,
                    address: Address::INBOX,
                    to_address: payout.recipient,
                    amount: payout.amount,
                    token_standard: payout.token,
                    data: payout.withdrawal.map_or_else(|| b"bond".to_vec(), |h| h.0.to_vec()),
                    ..AccountBlock::default()
                };
                block.hash = block.compute_hash();
                inbox.height = block.height;
                inbox.frontier_hash = block.hash;
                if let Some(tx_hash) = payout.withdrawal {
                    settlement.paid(tx_hash, block.hash);
                }
                blocks.push(block);
            }
        }
        let accounts: Vec<(Address, AccountState)> = touched.into_iter().collect();
        // The settlement's large maps are written key by key, only what this momentum changed.
        let stored = settlement.take_stored_changes();

        let previous = &inner.frontier_momentum;
        let mut momentum = Momentum {
            version: VERSION,
            chain_identifier: self.genesis.chain_identifier,
            hash: Hash::ZERO,
            previous_hash: previous.hash,
            height,
            timestamp: now.max(previous.timestamp + 1),
            data: Vec::new(),
            content: blocks.iter().map(AccountBlock::header).collect(),
            changes_hash: changes_hash(&accounts),
            public_key: Vec::new(),
            signature: Vec::new(),
        };
        momentum.seal(key);
        let blocks = in_content_order(&momentum, blocks);

        self.store.commit_momentum(MomentumWrite {
            momentum: &momentum,
            blocks: &blocks,
            accounts: &accounts,
            received: &received,
            settlement: Some((&settlement, &stored)),
        })?;

        // Committed: now the in-memory state follows.
        inner.pool.drain(..take);
        for block in &blocks {
            inner.pending_received.remove(&block.from_block_hash);
            if let Some(front) = inner.frontier.get_mut(&block.address) {
                front.pending_plasma = front.pending_plasma.saturating_sub(block.fused_plasma);
                front.pending_blocks = front.pending_blocks.saturating_sub(1);
            }
        }
        for (beneficiary, amount) in fused {
            if let Some(front) = inner.frontier.get_mut(&beneficiary) {
                front.fused_qsr += amount;
            }
        }
        for (address, state) in &accounts {
            inner.confirmed.insert(*address, state.clone());
        }
        inner.frontier.retain(|_, state| state.pending_blocks > 0);
        inner.frontier_momentum = momentum.clone();
        inner.settlement = Arc::new(settlement);
        drop(inner);

        let event = Arc::new(NewMomentum { momentum, blocks, settlement: work });
        // No subscriber is fine.
        let _ = self.events.send(event.clone());
        Ok(event)
    }

    /// The momentum at `height` with its confirmed blocks, in content order.
    fn momentum_with_blocks(&self, height: u64) -> Result<Option<(Momentum, Vec<AccountBlock>)>, DevnetError> {
        let Some(momentum) = self.store.momentum(height)? else { return Ok(None) };
        let blocks = self.momentum_blocks(&momentum)?.into_iter().map(|stored| stored.block).collect();
        Ok(Some((momentum, blocks)))
    }

    /// The frontier momentum.
    pub fn frontier_momentum(&self) -> Momentum {
        self.lock().frontier_momentum.clone()
    }

    /// The momentums from `height`, at most `count`.
    pub fn momentums(&self, height: u64, count: u64) -> Result<Vec<Momentum>, DevnetError> {
        self.store.momentums(height, count)
    }

    /// The confirmed blocks of a momentum, in content order.
    pub fn momentum_blocks(&self, momentum: &Momentum) -> Result<Vec<StoredBlock>, DevnetError> {
        let mut out = Vec::with_capacity(momentum.content.len());
        for header in &momentum.content {
            if let Some(block) = self.store.block(&header.hash)? {
                out.push(block);
            }
        }
        Ok(out)
    }

    /// A confirmed block by hash.
    pub fn confirmed_block(&self, hash: &Hash) -> Result<Option<StoredBlock>, DevnetError> {
        self.store.block(hash)
    }

    /// The receive block of a send, if confirmed.
    pub fn receive_of(&self, send: &Hash) -> Result<Option<StoredBlock>, DevnetError> {
        match self.store.receive_of(send)? {
            Some(hash) => self.store.block(&hash),
            None => Ok(None),
        }
    }

    /// Confirmed sends to `address` that no block of it receives yet (confirmed or waiting in the pool), as
    /// go-zenon's `ledger.getUnreceivedBlocksByAddress` lists them: it reads the account's mailbox in hash order,
    /// at most [`UNRECEIVED_QUERY_SIZE`] of them, then leaves out those received in the pool; `more` when it
    /// read that many (`rpc/api/ledger.go`).
    pub fn unreceived(&self, address: &Address) -> Result<Unreceived, DevnetError> {
        // Under the lock: a momentum moves receives from the pool to the store while holding it.
        let inner = self.lock();
        let mut sends = self.store.unreceived(address)?;
        sends.sort_by_key(|send| send.block.hash);
        sends.truncate(UNRECEIVED_QUERY_SIZE);
        let more = sends.len() == UNRECEIVED_QUERY_SIZE;
        sends.retain(|send| !inner.pending_received.contains(&send.block.hash));
        Ok(Unreceived { sends, more })
    }

    /// The blocks of `address` waiting for a momentum, in height order.
    pub fn unconfirmed(&self, address: &Address) -> Vec<AccountBlock> {
        let mut blocks: Vec<AccountBlock> =
            self.lock().pool.iter().filter(|b| b.address == *address).cloned().collect();
        blocks.sort_by_key(|b| b.height);
        blocks
    }

    /// The momentum at `height`.
    pub fn momentum(&self, height: u64) -> Result<Option<Momentum>, DevnetError> {
        self.store.momentum(height)
    }

    /// A block of `address` at `height`, confirmed or not; the flag says whether it is confirmed.
    pub fn account_block(
        &self,
        address: &Address,
        height: u64,
    ) -> Result<Option<(AccountBlock, Option<u64>)>, DevnetError> {
        // Under the lock: a momentum moves blocks from the pool to the store while holding it, so a block is
        // always found in one or the other.
        let inner = self.lock();
        if let Some(block) = inner.pool.iter().find(|b| b.address == *address && b.height == height) {
            return Ok(Some((block.clone(), None)));
        }
        match self.store.block_at(address, height)? {
            Some(hash) => Ok(self.store.block(&hash)?.map(|s| (s.block, Some(s.momentum_height)))),
            None => Ok(None),
        }
    }

    /// The frontier state of an account (unconfirmed blocks included).
    pub fn account(&self, address: &Address) -> AccountState {
        self.lock().frontier_state(address)
    }

    /// The rollup's settlement state as of the frontier momentum.
    pub fn settlement(&self) -> Arc<Settlement> {
        self.lock().settlement.clone()
    }

    /// Unconfirmed blocks waiting for a momentum.
    pub fn pool_len(&self) -> usize {
        self.lock().pool_len()
    }
}

/// Blocks reordered as the momentum content lists them.
fn in_content_order(momentum: &Momentum, blocks: Vec<AccountBlock>) -> Vec<AccountBlock> {
    let mut by_hash: BTreeMap<Hash, AccountBlock> = blocks.into_iter().map(|b| (b.hash, b)).collect();
    momentum.content.iter().filter_map(|h| by_hash.remove(&h.hash)).collect()
}

/// SHA3-256 over (address ‖ canonical state) of every changed account, by address: a commitment to what the
/// momentum changed (go-zenon hashes its state-DB patch; the devnet commits to its account states).
fn changes_hash(accounts: &[(Address, AccountState)]) -> Hash {
    let encoded: Vec<Vec<u8>> =
        accounts.iter().map(|(a, s)| [a.0.as_slice(), codec::encode(s).as_slice()].concat()).collect();
    sha3_256_concat(encoded.iter().map(Vec::as_slice))
}

fn init_genesis(store: &Store, genesis: &Genesis) -> Result<(), DevnetError> {
    let mut blocks = Vec::new();
    let mut accounts = Vec::new();
    for account in &genesis.accounts {
        let block = genesis.genesis_block(account.address);
        let mut state = AccountState {
            height: 1,
            frontier_hash: block.hash,
            fused_qsr: u128::from(account.fused_qsr),
            ..AccountState::default()
        };
        state.credit(zr_common::TokenStandard::ZNN, u128::from(account.znn));
        state.credit(zr_common::TokenStandard::QSR, u128::from(account.qsr));
        accounts.push((account.address, state));
        blocks.push(block);
    }
    accounts.sort_by_key(|(a, _)| *a);
    let mut momentum = Momentum {
        version: VERSION,
        chain_identifier: genesis.chain_identifier,
        hash: Hash::ZERO,
        previous_hash: Hash::ZERO,
        height: 1,
        timestamp: genesis.timestamp,
        data: Vec::new(),
        content: blocks.iter().map(AccountBlock::header).collect(),
        changes_hash: changes_hash(&accounts),
        public_key: Vec::new(),
        signature: Vec::new(),
    };
    momentum.content.sort_unstable_by_key(|h| h.to_bytes());
    momentum.hash = momentum.compute_hash();
    let blocks = in_content_order(&momentum, blocks);
    store.init(
        genesis,
        MomentumWrite { momentum: &momentum, blocks: &blocks, accounts: &accounts, received: &[], settlement: None },
    )
}

use zr_settlement::inbox::ClaimedMomentum;

/// The momentums the store holds, as the settlement asks for them when it records a claim.
struct StoredMomentums<'a>(&'a Store);

impl L1View for StoredMomentums<'_> {
    fn momentum_timestamp(&self, height: u64) -> Result<Option<u64>, String> {
        self.0.momentum(height).map(|m| m.map(|m| m.timestamp)).map_err(|e| e.to_string())
    }
}

/// go-zenon reads at most this many of an account's unreceived sends (`unreceivedQuerySize`: 10 pages of 50).
pub const UNRECEIVED_QUERY_SIZE: usize = 500;

/// An account's unreceived sends as go-zenon lists them ([`Chain::unreceived`]).
pub struct Unreceived {
    /// The sends, in hash order.
    pub sends: Vec<StoredBlock>,
    /// Whether the account's mailbox may hold more than were read.
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn genesis(chain: u64) -> Genesis {
        Genesis::dev(
            chain,
            1_700_000_000,
            &[KeyPair::from_seed(&[1; 32]).public()],
            &[Address::from_public_key(&[2; 32])],
        )
    }

    #[test]
    fn reopening_with_another_genesis_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Chain::open(dir.path(), Some(&genesis(5))).unwrap();
        let hash = first.frontier_momentum().hash;
        drop(first);
        let err = Chain::open(dir.path(), Some(&genesis(6))).err().unwrap().to_string();
        assert!(err.contains("differs"), "{err}");
        // Without a genesis the stored one is used.
        assert_eq!(Chain::open(dir.path(), None).unwrap().frontier_momentum().hash, hash);
    }

    #[test]
    fn produced_momentums_link_and_timestamps_increase() {
        let dir = tempfile::tempdir().unwrap();
        let chain = Chain::open(dir.path(), Some(&genesis(5))).unwrap();
        let key = KeyPair::from_seed(&[1; 32]);
        let a = chain.produce(&key, 10).unwrap();
        let b = chain.produce(&key, 10).unwrap();
        assert_eq!(b.momentum.previous_hash, a.momentum.hash);
        assert_eq!(b.momentum.timestamp, a.momentum.timestamp + 1);
        assert_eq!(a.momentum.timestamp, 1_700_000_001);
        assert_eq!(b.momentum.compute_hash(), b.momentum.hash);
    }
}
