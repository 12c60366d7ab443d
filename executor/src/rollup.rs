//! The rollup chain an executor keeps: each L1 momentum's inbox traffic, ordered canonically, executed, and
//! committed with its receipts, claim leaves and signed claim in one redb write transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use zr_common::nom::rpc::DetailedMomentum;
use zr_common::rollup::settlement::FinalRoot;
use zr_common::rollup::{Claim, ClaimBody, Receipt};
use zr_common::{Address, Hash, KeyPair};
use zr_protocol::{BlockInfo, ClaimLeaf, TransitionError, Tree, leaves_root};
use zr_sequencing::{Verified, order_verified, verify_inbox};

use crate::execute::{MomentumRun, run_momentum};
use crate::store::{BlockCommit, Head, StoreError};
use zr_vm::Vm;

use crate::StateStore;

/// Processing a momentum failed; nothing of it was committed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Execution hit a node fault (or the full state could not answer, which is one too).
    #[error("node fault: {0}")]
    Fault(#[from] TransitionError),
    /// An earlier momentum failed to execute or commit (or execution panicked): the executing state is no
    /// longer trusted, and nothing more is executed or committed until the executor restarts.
    #[error("an earlier momentum failed; restart the executor to resume from its last committed momentum")]
    Halted,
    /// Momentums arrived out of order.
    #[error("expected momentum {expected}, got {got}")]
    Gap {
        /// The next height expected.
        expected: u64,
        /// The height received.
        got: u64,
    },
}

/// A state query could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// The height is older than the history kept.
    #[error("height {height} is pruned: state is kept for the last {kept} momentums (from {oldest})")]
    Pruned {
        /// The height asked.
        height: u64,
        /// The history depth.
        kept: usize,
        /// The oldest height kept.
        oldest: u64,
    },
    /// The height is not executed yet.
    #[error("height {height} is not executed yet (head is {head})")]
    Future {
        /// The height asked.
        height: u64,
        /// The head.
        head: u64,
    },
}

/// An older state could not be had.
#[derive(Debug, thiserror::Error)]
pub enum StateAtError {
    /// Not executed yet.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Its undo values are pruned, or the store begins after it (a snapshot).
    #[error("the state after height {height} can no longer be rebuilt: its undo values are pruned")]
    Gone {
        /// The height asked.
        height: u64,
    },
}

/// One processed momentum.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The momentum height.
    pub height: u64,
    /// The signed claim.
    pub claim: Claim,
    /// Receipts in canonical order.
    pub receipts: Vec<Receipt>,
    /// Where the time went.
    pub timings: Timings,
}

/// Time spent on one momentum, by stage (for metrics and benchmarks; never part of any state).
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Decoding bundles, checking signatures, ordering.
    pub order: std::time::Duration,
    /// Executing (wasm, state writes, per-transaction roots).
    pub execute: std::time::Duration,
    /// Signing the claim and the redb commit.
    pub commit: std::time::Duration,
}

/// What the executing side works on: the state after the last momentum executed, which may be ahead of
/// what is committed. Locked for the whole of an execution, so one runs at a time.
struct Executing {
    head: Head,
    tree: Tree,
}

struct Snapshot {
    head: Head,
    tree: Tree,
    /// Recent versions for queries at a height (structurally shared, so cheap).
    history: BTreeMap<u64, Tree>,
}

/// The executor's rollup chain.
pub struct Rollup {
    vm: Arc<Vm>,
    store: StateStore,
    chain_id: u64,
    key: KeyPair,
    history_depth: usize,
    prune_depth: u64,
    snapshot: RwLock<Snapshot>,
    executing: Mutex<Executing>,
    /// Set by a node fault or failed commit: see [`ProcessError::Halted`].
    halted: AtomicBool,
    /// Tests and demos: the leaf (height, index) whose post-state root this executor claims wrongly.
    fault: Option<zr_config::InjectedFault>,
    /// The highest height L1 settled as final with this executor's own root there (0: none yet).
    final_height: AtomicU64,
}

/// How L1's final root compares with this executor's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinalCheck {
    /// The final root is this executor's root at that height: its receipts up to there are final.
    Agrees,
    /// This executor has not executed that height yet.
    Ahead,
    /// L1 made another root final: this executor's state is not the rollup's.
    Differs {
        /// This executor's root at the height.
        ours: Hash,
    },
}

impl Rollup {
    /// The rollup over `store` (rebuilding the tree and checking it against the committed root). State
    /// versions are kept for `history_depth` momentums; receipts and claim leaves for `prune_depth` (0: all).
    pub fn with_store(
        store: StateStore,
        vm: Arc<Vm>,
        chain_id: u64,
        key: KeyPair,
        history_depth: usize,
        prune_depth: u64,
    ) -> Result<Rollup, StoreError> {
        let head = store.head()?;
        let tree = store.load_tree()?;
        let final_height = store.final_height()?;
        let history = BTreeMap::from([(head.height, tree.clone())]);
        Ok(Rollup {
            vm,
            store,
            chain_id,
            key,
            history_depth: history_depth.max(1),
            prune_depth,
            executing: Mutex::new(Executing { head, tree: tree.clone() }),
            halted: AtomicBool::new(false),
            fault: None,
            final_height: AtomicU64::new(final_height),
            snapshot: RwLock::new(Snapshot { head, tree, history }),
        })
    }

    /// Makes this rollup claim a wrong post-state root (or step) at one leaf (tests and demos: the
    /// configuration refuses it off the dev chain).
    pub fn inject_fault(mut self, fault: zr_config::InjectedFault) -> Rollup {
        self.fault = Some(fault);
        self
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Snapshot> {
        self.snapshot.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The last committed momentum height and state root.
    pub fn head(&self) -> Head {
        self.read().head
    }

    /// Follows L1's final root: records it as this executor's final height when its own root agrees.
    pub fn follow_final(&self, settled: FinalRoot) -> Result<FinalCheck, StoreError> {
        match self.store.state_root(settled.height)? {
            Some(ours) if ours == settled.root => {
                self.final_height.fetch_max(settled.height, Ordering::SeqCst);
                Ok(FinalCheck::Agrees)
            }
            Some(ours) => Ok(FinalCheck::Differs { ours }),
            None => Ok(FinalCheck::Ahead),
        }
    }

    /// The height whose receipts and leaves a commit at `head` may prune: `prune_depth` below it, and never above
    /// L1's final height once L1 has one (a claim not final may still be challenged for its leaves, which the
    /// executor must then post). The final height is kept in the store, so a restarted executor does not prune
    /// by depth alone before it reads L1 again; an L1 that never made a root final (a node without the rollup's
    /// settlement) leaves pruning by depth.
    fn prune_height(&self, head: u64) -> Option<u64> {
        let by_depth = head.checked_sub(self.prune_depth).filter(|_| self.prune_depth > 0)?;
        match self.final_height() {
            0 => Some(by_depth),
            settled => Some(by_depth.min(settled)),
        }
    }

    /// The highest height final on L1 with this executor's root (0: none yet): receipts at or below it are
    /// final.
    pub fn final_height(&self) -> u64 {
        self.final_height.load(Ordering::SeqCst)
    }

    /// The rollup chain id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The executor's public key.
    pub fn executor_key(&self) -> zr_common::PublicKey {
        self.key.public()
    }

    /// The store, for queries.
    pub fn store(&self) -> &StateStore {
        &self.store
    }

    /// The VM, for read-only calls.
    pub fn vm(&self) -> &Arc<Vm> {
        &self.vm
    }

    /// The state after momentum `height` (the head if `None`).
    pub fn tree_at(&self, height: Option<u64>) -> Result<(u64, Tree), QueryError> {
        let snapshot = self.read();
        let height = height.unwrap_or(snapshot.head.height);
        if height > snapshot.head.height {
            return Err(QueryError::Future { height, head: snapshot.head.height });
        }
        match snapshot.history.get(&height) {
            Some(tree) => Ok((height, tree.clone())),
            None => Err(QueryError::Pruned {
                height,
                kept: self.history_depth,
                oldest: snapshot.history.keys().next().copied().unwrap_or(snapshot.head.height),
            }),
        }
    }

    /// The state after momentum `height`, kept or not: a version in memory when it is within
    /// `history_depth`, else rebuilt from the oldest version in memory by undoing each later momentum with the
    /// undo values the store keeps beside its leaves, and checked against the root committed for `height`.
    /// Reads the store: call it off the async runtime.
    pub fn state_after(&self, height: u64) -> Result<Tree, StateAtError> {
        let (oldest, mut tree) = {
            let snapshot = self.read();
            if height > snapshot.head.height {
                return Err(QueryError::Future { height, head: snapshot.head.height }.into());
            }
            if let Some(tree) = snapshot.history.get(&height) {
                return Ok(tree.clone());
            }
            let (oldest, tree) = snapshot.history.first_key_value().expect("the head is always kept");
            (*oldest, tree.clone())
        };
        let expected = match self.store.state_root(height)? {
            Some(root) => root,
            // Before the first momentum: the empty state.
            None if height == 0 => Hash::ZERO,
            None => return Err(StateAtError::Gone { height }),
        };
        for undone in (height + 1..=oldest).rev() {
            for (key, value) in self.store.undo(undone)? {
                tree.set(key, value.map(Arc::new)).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            }
        }
        // Pruned undo values (or a state loaded from a snapshot after `height`) leave another root.
        if tree.root() != expected {
            return Err(StateAtError::Gone { height });
        }
        Ok(tree)
    }

    /// Executes and commits one momentum. Momentums at or below the head are skipped (`Ok(None)`).
    pub fn process(&self, momentum: &DetailedMomentum) -> Result<Option<Processed>, ProcessError> {
        let verified = self.verify(momentum);
        match self.execute(momentum, verified)? {
            Some(executed) => self.commit(executed).map(Some),
            None => Ok(None),
        }
    }

    /// Decodes a momentum's inbox traffic and checks every signature: the part of processing that depends
    /// on nothing but the momentum, so it can run ahead of [`Rollup::execute`].
    pub fn verify(&self, momentum: &DetailedMomentum) -> Prepared {
        let started = std::time::Instant::now();
        let blocks: Vec<_> = momentum.blocks.iter().map(|b| b.block.clone()).collect();
        let verified = verify_inbox(self.chain_id, &Address::INBOX, &blocks);
        Prepared { verified, took: started.elapsed() }
    }

    /// Orders and executes a verified momentum on top of the last one executed (committed or not), and
    /// signs its claim; [`Rollup::commit`] makes it durable and visible. Momentums at or below the last
    /// executed are skipped (`Ok(None)`).
    pub fn execute(&self, momentum: &DetailedMomentum, prepared: Prepared) -> Result<Option<Executed>, ProcessError> {
        let m = &momentum.momentum.momentum;
        // A panic during an earlier execution poisons the lock and leaves the state half-updated.
        let (Ok(mut state), false) = (self.executing.lock(), self.halted.load(Ordering::SeqCst)) else {
            self.halted.store(true, Ordering::SeqCst);
            return Err(ProcessError::Halted);
        };
        let head = state.head;
        if head.height != 0 && m.height <= head.height {
            return Ok(None);
        }
        if head.height != 0 && m.height != head.height + 1 {
            return Err(ProcessError::Gap { expected: head.height + 1, got: m.height });
        }
        let started = std::time::Instant::now();
        let block = BlockInfo { height: m.height, timestamp: m.timestamp };
        let ordered = order_verified(prepared.verified, &m.previous_hash);
        for (block_hash, reason) in &ordered.skipped {
            tracing::info!(target: "zr::executor", height = m.height, block = %block_hash, %reason, "bundle skipped");
        }

        let ordered_at = std::time::Instant::now();
        // Shared already with the last executed momentum's own copy, so keeping it costs no copying.
        let previous = state.tree.clone();
        let run = run_momentum(self.vm.as_ref(), std::mem::take(&mut state.tree), block, &ordered).map_err(|e| {
            // A failure leaves the executing state mid-momentum: nothing more runs until a restart.
            self.halted.store(true, Ordering::SeqCst);
            ProcessError::Fault(e)
        })?;
        let MomentumRun { tree, mut leaves, receipts, written: changed } = run;
        let index = crate::index::MomentumIndex::of(momentum, &ordered);
        if let Some(fault) = self.fault.filter(|f| f.height == m.height)
            && let Some(leaf) = leaves.get_mut(fault.index as usize)
        {
            tracing::warn!(target: "zr::executor", height = m.height, index = fault.index, step = fault.step,
                "FAULT INJECTION: claiming a wrong leaf");
            match fault.step {
                true => leaf.tx_hash.0[0] ^= 0xff,
                false => leaf.post_state_root.0[0] ^= 0xff,
            }
        }
        let executed_at = std::time::Instant::now();
        let new_root = tree.root();
        let claim = ClaimBody {
            chain_id: self.chain_id,
            executor: self.key.public(),
            height: m.height,
            timestamp: m.timestamp,
            prev_state_root: head.root,
            new_state_root: new_root,
            leaves_root: leaves_root(&leaves),
            vm_version: self.vm.version(),
        }
        .sign(&self.key);
        let new_head = Head { height: m.height, root: new_root };
        state.head = new_head;
        state.tree = tree.clone();
        let timings = Timings {
            order: prepared.took + (ordered_at - started),
            execute: executed_at - ordered_at,
            ..Timings::default()
        };
        Ok(Some(Executed { head: new_head, previous, tree, changed, receipts, leaves, claim, index, timings }))
    }

    /// Commits an executed momentum durably and makes it visible to queries. Momentums must be committed in
    /// the order they were executed.
    pub fn commit(&self, executed: Executed) -> Result<Processed, ProcessError> {
        // Each commit must extend the last: a momentum executed on top of one whose commit failed never lands.
        let committed = self.read().head;
        if committed.height != 0 && executed.head.height != committed.height + 1 {
            // The executing state is past a momentum that will never commit.
            self.halted.store(true, Ordering::SeqCst);
            return Err(ProcessError::Gap { expected: committed.height + 1, got: executed.head.height });
        }
        let started = std::time::Instant::now();
        let Executed { head, previous, tree, changed, receipts, leaves, claim, index, mut timings } = executed;
        let result = self.store.commit(BlockCommit {
            head,
            previous: Some(&previous),
            tree: &tree,
            changed: &changed,
            receipts: &receipts,
            leaves: &leaves,
            claim: Some(&claim),
            prune_height: self.prune_height(head.height),
            final_height: self.final_height(),
            fold: false,
            index: Some(&index),
        });
        if let Err(e) = result {
            // Whatever was executed after the last commit is void; a restart resumes from the store.
            self.halted.store(true, Ordering::SeqCst);
            return Err(e.into());
        }
        {
            let mut snapshot = self.snapshot.write().unwrap_or_else(|p| p.into_inner());
            snapshot.head = head;
            snapshot.tree = tree.clone();
            snapshot.history.insert(head.height, tree);
            while snapshot.history.len() > self.history_depth {
                snapshot.history.pop_first();
            }
        }
        timings.commit = started.elapsed();
        Ok(Processed { height: head.height, claim, receipts, timings })
    }
}

/// A momentum whose inbox traffic is decoded and checked, ready for [`Rollup::execute`].
pub struct Prepared {
    verified: Verified,
    took: std::time::Duration,
}

/// A momentum executed but not yet committed.
pub struct Executed {
    head: Head,
    /// The state before the momentum (its undo values are committed with it).
    previous: Tree,
    tree: Tree,
    changed: BTreeSet<Hash>,
    receipts: Vec<Receipt>,
    leaves: Vec<ClaimLeaf>,
    claim: Claim,
    /// The explorer's rows of the momentum.
    index: crate::index::MomentumIndex,
    timings: Timings,
}
