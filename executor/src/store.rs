//! The state database (redb). One momentum's results commit in one write transaction, so a crash never
//! leaves half a momentum.
//!
//! State values live in two places: the `state` table holds them as of the last *fold*, and the journal
//! holds, per momentum since, one row per value it changed and one per transaction it placed. A momentum's
//! commit appends its rows at the journal's end (sequential writes) instead of updating thousands of random
//! B-tree pages; once the journal holds [`FOLD_AFTER_ENTRIES`] rows or [`FOLD_AFTER_BYTES`] of values, a
//! commit folds it into `state` and the transaction index, oldest momentum first, so each page is rewritten
//! once for many changes. Opening the store replays the journal over `state`. Receipts are keyed by
//! (height, position), so they too are appended.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, RwLock};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use zr_common::rollup::{Claim, Receipt, ReceiptStatus};
use zr_common::{Canonical, Hash};
use zr_protocol::{ClaimLeaf, Tree};

/// redb's page cache, in bytes: its default (1 GiB) let memory grow with the file over a long run, and
/// the state lives in memory as a tree, so the cache serves receipts, claims and the journal.
const CACHE_BYTES: usize = 256 * 1024 * 1024;

const STATE: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("state");
/// (height, key) → the key's value after that momentum (`None`: removed).
const JOURNAL: TableDefinition<'_, (u64, [u8; 32]), Option<&[u8]>> = TableDefinition::new("journal_values");
/// (height, position) → (transaction hash, executed).
/// Per momentum, the value each key it changed had before it (`None`: absent): what rebuilds an older state
/// for a witness, kept as long as the momentum's leaves.
const UNDO: TableDefinition<'_, (u64, [u8; 32]), Option<&[u8]>> = TableDefinition::new("undo_values");
const JOURNAL_TXS: TableDefinition<'_, (u64, u32), ([u8; 32], bool)> = TableDefinition::new("journal_transactions");
const RECEIPTS: TableDefinition<'_, (u64, u32), &[u8]> = TableDefinition::new("receipts_by_position");
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const TXS: TableDefinition<'_, [u8; 32], (u64, u32, bool)> = TableDefinition::new("transaction_locations");
/// Transaction hash → where it was last dropped, for [`DROPPED_KEPT_HEIGHTS`] momentums: a dropped transaction
/// paid nothing, so it is not in the lasting index.
const DROPPED: TableDefinition<'_, [u8; 32], (u64, u32)> = TableDefinition::new("dropped_transactions");
/// (height, position) → the hash dropped there: what prunes [`DROPPED`] and the drops' receipts by height.
const DROPPED_AT: TableDefinition<'_, (u64, u32), [u8; 32]> = TableDefinition::new("dropped_by_position");
const LEAVES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("claim_leaves");
const CLAIMS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("claims");
const ROOTS: TableDefinition<'_, u64, [u8; 32]> = TableDefinition::new("state_roots");
const HEAD: &str = "head";
/// The next height whose receipts, undo and leaves are to be pruned.
const PRUNE_NEXT: &str = "prune_next";
/// The highest height L1 made final with this executor's root, as last committed: pruning never passes it, also
/// right after a restart (before L1 is read again).
const FINAL_HEIGHT: &str = "final_height";
/// Heights pruned at most per commit: pruning catches up a few heights at a time after finality stalled.
const PRUNE_PER_COMMIT: u64 = 16;
/// Momentums a dropped transaction's receipt and location are kept (an hour of NoM momentums): long enough for
/// its relay and its sender to see the drop and post again. A drop pays no fee, so anyone could otherwise
/// make executors keep a receipt and an index row a transaction, forever, for the price of signing it.
pub const DROPPED_KEPT_HEIGHTS: u64 = 360;
/// Dropped transactions forgotten at most per commit (a momentum holds at most 16 383).
const DROPPED_PRUNED_PER_COMMIT: usize = 32 * 1024;
const SCHEMA: &str = "schema";
/// The layout version; a database of another layout is refused rather than misread.
const SCHEMA_VERSION: u32 = 5;

/// Journal rows (changed values plus transaction locations) after which a commit folds the journal. It
/// bounds the replay at start-up and the in-memory index; larger folds rewrite fewer pages per change.
pub const FOLD_AFTER_ENTRIES: usize = zr_config::ExecutorConfig::DEFAULT_JOURNAL_FOLD_ROWS;
/// Bytes of journaled values after which a commit folds the journal, whatever the row count.
pub const FOLD_AFTER_BYTES: usize = 256 * 1024 * 1024;

/// The state store failed; the executor must stop rather than go on from an unknown state.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed (I/O, a full disk, a broken file).
    #[error("state store: {0}")]
    Database(#[from] redb::Error),
    /// A stored record does not decode.
    #[error("state store: {0}")]
    Codec(#[from] zr_common::CodecError),
    /// The data directory was written by another layout of the store.
    #[error("state store: {0}")]
    Layout(String),
    /// What is stored contradicts itself (a state that does not hash to its committed root, …).
    #[error("state store: {0}")]
    Corrupt(String),
    /// A file outside the database (the data directory, a snapshot) could not be used.
    #[error("state store: {0}")]
    Io(String),
}

zr_common::from_errors!(StoreError => |err| StoreError::Database(err.into());
    redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);

/// The committed head: the last momentum height executed and the state root after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, bincode::Encode, bincode::Decode)]
pub struct Head {
    /// The L1 momentum height.
    pub height: u64,
    /// The state root.
    pub root: Hash,
}

/// Where a transaction landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// The momentum height.
    pub height: u64,
    /// Its position among the momentum's receipts.
    pub index: u32,
    /// Executed (success or failure); `false` for dropped, which may be posted again.
    pub executed: bool,
}

/// A key and the value it had before a momentum changed it (`None`: absent).
pub type UndoValue = (Hash, Option<Vec<u8>>);

/// What one momentum commits.
pub struct BlockCommit<'a> {
    /// The new head.
    pub head: Head,
    /// The tree before the momentum, for its undo values (none for state alone: genesis, snapshots).
    pub previous: Option<&'a Tree>,
    /// The tree after the momentum.
    pub tree: &'a Tree,
    /// Keys written during the momentum.
    pub changed: &'a BTreeSet<Hash>,
    /// The momentum's receipts, in order; executed ones are never executed again.
    pub receipts: &'a [Receipt],
    /// The claim's leaves.
    pub leaves: &'a [ClaimLeaf],
    /// The executor's claim for the momentum.
    pub claim: Option<&'a Claim>,
    /// Receipts, undo and leaves of heights up to this one not pruned yet are deleted in the same commit (at
    /// most [`PRUNE_PER_COMMIT`] heights a commit; the first prune of a store starts at this height).
    pub prune_height: Option<u64>,
    /// The highest height L1 made final with this executor's root (0: none yet), kept for the next start.
    pub final_height: u64,
    /// Fold the journal and write this commit straight into the state table (bulk loads), whatever the
    /// journal's size.
    pub fold: bool,
    /// The explorer's index rows of the momentum (none for state alone).
    pub index: Option<&'a crate::index::MomentumIndex>,
}

impl<'a> BlockCommit<'a> {
    /// A commit of state alone (genesis, snapshots, tools): no receipts, leaves or claim; folded at once.
    pub fn state_only(head: Head, tree: &'a Tree, changed: &'a BTreeSet<Hash>) -> Self {
        BlockCommit {
            head,
            previous: None,
            tree,
            changed,
            receipts: &[],
            leaves: &[],
            claim: None,
            prune_height: None,
            final_height: 0,
            fold: true,
            index: None,
        }
    }
}

/// Transaction locations still in the journal (the table holds the folded ones), and the journal's size.
#[derive(Default)]
struct Unfolded {
    locations: HashMap<Hash, TxLocation>,
    entries: usize,
    bytes: usize,
}

/// The redb state store.
pub struct StateStore {
    db: Database,
    unfolded: Arc<RwLock<Unfolded>>,
    fold_after: usize,
}

/// The largest leaf list read back: a momentum holds at most 100 blocks of 512 transactions, 64 bytes a leaf.
const MAX_LEAVES_BYTES: usize = 8 * 1024 * 1024;

impl StateStore {
    /// Opens (or creates) `dir/state.redb`.
    pub fn open(dir: &Path) -> Result<StateStore, StoreError> {
        StateStore::open_folding_after(dir, FOLD_AFTER_ENTRIES)
    }

    /// [`StateStore::open`], folding the journal after `fold_after` entries instead of the default.
    pub fn open_folding_after(dir: &Path, fold_after: usize) -> Result<StateStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dir.display())))?;
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(dir.join("state.redb"))?;
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let schema = meta.get(SCHEMA)?.map(|v| v.value().to_vec());
            match schema {
                Some(bytes) if bytes == SCHEMA_VERSION.to_le_bytes() => {}
                Some(_) => {
                    return Err(StoreError::Layout(format!(
                        "{} was written by another version of zr-executor (layout differs); start from an empty data \
                         directory",
                        dir.display()
                    )));
                }
                None if meta.get(HEAD)?.is_some() => {
                    return Err(StoreError::Layout(format!(
                        "{} was written by an older zr-executor (layout 1); start from an empty data directory",
                        dir.display()
                    )));
                }
                None => {
                    meta.insert(SCHEMA, SCHEMA_VERSION.to_le_bytes().as_slice())?;
                }
            }
        }
        txn.open_table(STATE)?;
        txn.open_table(JOURNAL)?;
        txn.open_table(JOURNAL_TXS)?;
        txn.open_table(UNDO)?;
        txn.open_table(RECEIPTS)?;
        txn.open_table(TXS)?;
        txn.open_table(DROPPED)?;
        txn.open_table(DROPPED_AT)?;
        txn.open_table(LEAVES)?;
        txn.open_table(CLAIMS)?;
        txn.open_table(ROOTS)?;
        txn.open_table(crate::index::MOMENTUMS)?;
        txn.open_table(crate::index::TXS)?;
        txn.open_table(crate::index::BY_ADDRESS)?;
        txn.commit()?;
        let store = StateStore { db, unfolded: Arc::default(), fold_after: fold_after.max(1) };
        let mut unfolded = Unfolded::default();
        {
            let txn = store.db.begin_read()?;
            for row in txn.open_table(JOURNAL)?.iter()? {
                let (_, value) = row?;
                unfolded.entries += 1;
                unfolded.bytes += value.value().map_or(0, <[u8]>::len);
            }
            for row in txn.open_table(JOURNAL_TXS)?.iter()? {
                let (at, placed) = row?;
                let ((height, index), (hash, executed)) = (at.value(), placed.value());
                unfolded.entries += 1;
                unfolded.locations.insert(Hash(hash), TxLocation { height, index, executed });
            }
        }
        *store.unfolded.write().unwrap_or_else(|p| p.into_inner()) = unfolded;
        Ok(store)
    }

    /// The value each key changed by momentum `height` had before it (empty if it changed nothing, or its
    /// undo values are pruned).
    pub fn undo(&self, height: u64) -> Result<Vec<UndoValue>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(UNDO)?;
        let mut out = Vec::new();
        for row in table.range((height, [0; 32])..=(height, [0xff; 32]))? {
            let (at, value) = row?;
            out.push((Hash(at.value().1), value.value().map(<[u8]>::to_vec)));
        }
        Ok(out)
    }

    /// The committed head.
    pub fn head(&self) -> Result<Head, StoreError> {
        Ok(self.meta(HEAD, "head", 64)?.unwrap_or_default())
    }

    /// The final height last committed (0: none).
    pub fn final_height(&self) -> Result<u64, StoreError> {
        Ok(self.meta(FINAL_HEIGHT, "final height", 16)?.unwrap_or(0))
    }

    /// The meta row `key`, decoded as `what` of at most `max_len` bytes; `None` before it is first written.
    fn meta<T: bincode::Encode + bincode::Decode<()>>(
        &self,
        key: &str,
        what: &'static str,
        max_len: usize,
    ) -> Result<Option<T>, StoreError> {
        let txn = self.db.begin_read()?;
        let value = txn.open_table(META)?.get(key)?;
        Ok(match value {
            Some(bytes) => Some(zr_common::codec::decode(what, bytes.value(), max_len)?),
            None => None,
        })
    }

    /// Rebuilds the tree from the folded values and the journal, and checks it against the committed root.
    pub fn load_tree(&self) -> Result<Tree, StoreError> {
        // One read transaction: the state, the journal and the head of the same commit.
        let txn = self.db.begin_read()?;
        let mut entries = Vec::new();
        for entry in txn.open_table(STATE)?.iter()? {
            let (key, value) = entry?;
            entries.push((Hash(key.value()), Arc::new(value.value().to_vec())));
        }
        let mut tree = Tree::from_sorted(&entries);
        drop(entries);
        for row in txn.open_table(JOURNAL)?.iter()? {
            let (at, value) = row?;
            tree.set(Hash(at.value().1), value.value().map(|v| Arc::new(v.to_vec())))
                .map_err(|e| StoreError::Corrupt(format!("the stored state is not a full tree: {e}")))?;
        }
        let head = match txn.open_table(META)?.get(HEAD)? {
            Some(bytes) => zr_common::codec::decode("head", bytes.value(), 64)?,
            None => Head::default(),
        };
        if tree.root() != head.root {
            return Err(StoreError::Corrupt(format!(
                "stored state hashes to {}, but the committed root is {}: the database is corrupt",
                tree.root(),
                head.root
            )));
        }
        Ok(tree)
    }

    /// Commits one momentum's results atomically and durably, folding the journal when it is due.
    pub fn commit(&self, commit: BlockCommit<'_>) -> Result<(), StoreError> {
        let height = commit.head.height;
        let values = commit
            .changed
            .iter()
            .map(|key| Ok((key, commit.tree.get(key)?.map(|v| v.as_slice()))))
            .collect::<Result<Vec<(&Hash, Option<&[u8]>)>, zr_protocol::Incomplete>>()
            .map_err(|e| StoreError::Corrupt(format!("committing a partial tree: {e}")))?;
        let undo = match commit.previous {
            Some(previous) => commit
                .changed
                .iter()
                .map(|key| Ok((key, previous.get(key)?.map(|v| v.as_slice()))))
                .collect::<Result<Vec<(&Hash, Option<&[u8]>)>, zr_protocol::Incomplete>>()
                .map_err(|e| StoreError::Corrupt(format!("committing over a partial tree: {e}")))?,
            None => Vec::new(),
        };
        // A transaction hash points at the receipt that executed it, for good. One that was dropped (a re-post,
        // a nonce gap, the gas budget) points at its drop for `DROPPED_KEPT_HEIGHTS` momentums, and never
        // replaces an execution.
        let (placed, dropped) = self.with_tx_index(|index| {
            let mut placed: Vec<(Hash, u32, bool)> = Vec::with_capacity(commit.receipts.len());
            let mut dropped: Vec<(Hash, u32)> = Vec::new();
            for (i, receipt) in commit.receipts.iter().enumerate() {
                if !matches!(receipt.status, ReceiptStatus::Dropped { .. }) {
                    placed.push((receipt.tx_hash, i as u32, true));
                } else if !index.executed(&receipt.tx_hash)? {
                    dropped.push((receipt.tx_hash, i as u32));
                }
            }
            Ok::<_, StoreError>((placed, dropped))
        })??;
        let new_bytes: usize = values.iter().map(|(_, v)| v.map_or(0, <[u8]>::len)).sum();
        let fold = {
            let unfolded = self.unfolded.read().unwrap_or_else(|p| p.into_inner());
            commit.fold
                || unfolded.entries + values.len() + placed.len() >= self.fold_after
                || unfolded.bytes + new_bytes >= FOLD_AFTER_BYTES
        };

        let txn = self.db.begin_write()?;
        {
            let mut receipts = txn.open_table(RECEIPTS)?;
            for (i, receipt) in commit.receipts.iter().enumerate() {
                receipts.insert((height, i as u32), receipt.to_bytes().as_slice())?;
            }
            if fold {
                // The journal first (older momentums), then this one over it: the latest value wins.
                fold_journal(&txn)?;
                let mut state = txn.open_table(STATE)?;
                for (key, value) in &values {
                    match value {
                        Some(value) => state.insert(key.0, *value)?,
                        None => state.remove(key.0)?,
                    };
                }
                let mut txs = txn.open_table(TXS)?;
                for (hash, index, executed) in &placed {
                    txs.insert(hash.0, (height, *index, *executed))?;
                }
            } else {
                let mut journal = txn.open_table(JOURNAL)?;
                for (key, value) in &values {
                    journal.insert((height, key.0), *value)?;
                }
                let mut journal_txs = txn.open_table(JOURNAL_TXS)?;
                for (hash, index, executed) in &placed {
                    journal_txs.insert((height, *index), (hash.0, *executed))?;
                }
            }
            forget_old_drops(&txn, &mut receipts, height)?;
            let mut dropped_table = txn.open_table(DROPPED)?;
            let mut dropped_at = txn.open_table(DROPPED_AT)?;
            for (hash, index) in &dropped {
                dropped_table.insert(hash.0, (height, *index))?;
                dropped_at.insert((height, *index), hash.0)?;
            }
            let mut undo_table = txn.open_table(UNDO)?;
            for (key, value) in &undo {
                undo_table.insert((height, key.0), *value)?;
            }
            let mut leaves = txn.open_table(LEAVES)?;
            leaves.insert(height, zr_common::codec::encode(&commit.leaves.to_vec()).as_slice())?;
            if let Some(claim) = commit.claim {
                txn.open_table(CLAIMS)?.insert(height, claim.to_bytes().as_slice())?;
            }
            txn.open_table(ROOTS)?.insert(height, commit.head.root.0)?;
            if let Some(index) = commit.index {
                crate::index::write(&txn, index, commit.receipts, unix_millis())?;
            }
            if let Some(up_to) = commit.prune_height {
                let mut meta = txn.open_table(META)?;
                let next = match meta.get(PRUNE_NEXT)? {
                    Some(bytes) => zr_common::codec::decode::<u64>("prune height", bytes.value(), 16)?,
                    None => up_to,
                };
                let last = up_to.min(next.saturating_add(PRUNE_PER_COMMIT - 1));
                for old in next..=last {
                    // The transaction index is kept (40 bytes a transaction): `getTransaction` answers "pruned"
                    // rather than "unknown" for old transactions.
                    receipts.retain_in((old, 0)..=(old, u32::MAX), |_, _| false)?;
                    undo_table.retain_in((old, [0; 32])..=(old, [0xff; 32]), |_, _| false)?;
                    leaves.remove(old)?;
                    crate::index::prune(&txn, old)?;
                }
                if next <= last {
                    meta.insert(PRUNE_NEXT, zr_common::codec::encode(&(last + 1)).as_slice())?;
                }
            }
            let mut meta = txn.open_table(META)?;
            meta.insert(HEAD, zr_common::codec::encode(&commit.head).as_slice())?;
            if commit.final_height > 0 {
                meta.insert(FINAL_HEIGHT, zr_common::codec::encode(&commit.final_height).as_slice())?;
            }
        }
        if fold {
            // Readers hold the read lock while they use the index (`with_tx_index`): none may see the journal's
            // locations gone while its view of the table predates the fold.
            let mut unfolded = self.unfolded.write().unwrap_or_else(|p| p.into_inner());
            txn.commit()?;
            *unfolded = Unfolded::default();
        } else {
            txn.commit()?;
            let mut unfolded = self.unfolded.write().unwrap_or_else(|p| p.into_inner());
            unfolded.entries += values.len() + placed.len();
            unfolded.bytes += new_bytes;
            for (hash, index, executed) in placed {
                unfolded.locations.insert(hash, TxLocation { height, index, executed });
            }
        }
        Ok(())
    }
}

/// This machine's clock, for the explorer's "executed at" (never part of any state or hash).
fn unix_millis() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Forgets the drops of momentums more than [`DROPPED_KEPT_HEIGHTS`] below `height`: their receipts, and
/// their locations unless a later drop of the same transaction moved them.
fn forget_old_drops(
    txn: &redb::WriteTransaction,
    receipts: &mut redb::Table<'_, (u64, u32), &[u8]>,
    height: u64,
) -> Result<(), StoreError> {
    let Some(last) = height.checked_sub(DROPPED_KEPT_HEIGHTS + 1) else { return Ok(()) };
    let mut dropped_at = txn.open_table(DROPPED_AT)?;
    let mut dropped = txn.open_table(DROPPED)?;
    let due: Vec<((u64, u32), [u8; 32])> = dropped_at
        .range(..=(last, u32::MAX))?
        .take(DROPPED_PRUNED_PER_COMMIT)
        .map(|row| row.map(|(at, hash)| (at.value(), hash.value())))
        .collect::<Result<_, _>>()?;
    for (at, hash) in due {
        receipts.remove(at)?;
        dropped_at.remove(at)?;
        let moved = dropped.get(hash)?.is_some_and(|latest| latest.value() != at);
        if !moved {
            dropped.remove(hash)?;
        }
    }
    Ok(())
}

/// Moves every journal row into the state table and the transaction index, oldest momentum first (so the
/// latest value of a key wins), and empties the journal.
fn fold_journal(txn: &redb::WriteTransaction) -> Result<(), StoreError> {
    let mut journal = txn.open_table(JOURNAL)?;
    let mut state = txn.open_table(STATE)?;
    for row in journal.iter()? {
        let (at, value) = row?;
        let key = at.value().1;
        match value.value() {
            Some(value) => state.insert(key, value)?,
            None => state.remove(key)?,
        };
    }
    journal.retain(|_, _| false)?;
    let mut journal_txs = txn.open_table(JOURNAL_TXS)?;
    let mut txs = txn.open_table(TXS)?;
    for row in journal_txs.iter()? {
        let (at, placed) = row?;
        let ((height, index), (hash, executed)) = (at.value(), placed.value());
        txs.insert(hash, (height, index, executed))?;
    }
    journal_txs.retain(|_, _| false)?;
    Ok(())
}

impl StateStore {
    /// The database, for the explorer's index reads.
    pub(crate) fn database(&self) -> &Database {
        &self.db
    }

    /// Runs `f` with a consistent view of the transaction index (folded table and journal).
    pub fn with_tx_index<R>(&self, f: impl FnOnce(&TxIndex<'_>) -> R) -> Result<R, StoreError> {
        let unfolded = self.unfolded.read().unwrap_or_else(|p| p.into_inner());
        let txn = self.db.begin_read()?;
        let index = TxIndex { unfolded: &unfolded, table: txn.open_table(TXS)?, dropped: txn.open_table(DROPPED)? };
        Ok(f(&index))
    }

    /// Where a transaction landed.
    pub fn tx_location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError> {
        self.with_tx_index(|index| index.location(hash))?
    }

    /// A stored receipt (`None` if unknown or pruned).
    pub fn receipt(&self, tx_hash: &Hash) -> Result<Option<Receipt>, StoreError> {
        let Some(location) = self.tx_location(tx_hash)? else { return Ok(None) };
        self.receipt_at(location.height, location.index)
    }

    /// The receipt at position `index` of momentum `height` (`None` if pruned or absent).
    pub fn receipt_at(&self, height: u64, index: u32) -> Result<Option<Receipt>, StoreError> {
        let location = TxLocation { height, index, executed: true };
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RECEIPTS)?;
        let value = table.get((location.height, location.index))?;
        Ok(match value {
            Some(bytes) => Some(Receipt::from_bytes(bytes.value())?),
            None => None,
        })
    }

    /// The claim leaves of a momentum.
    pub fn leaves(&self, height: u64) -> Result<Option<Vec<ClaimLeaf>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(LEAVES)?;
        let value = table.get(height)?;
        Ok(match value {
            Some(bytes) => Some(zr_common::codec::decode("claim leaves", bytes.value(), MAX_LEAVES_BYTES)?),
            None => None,
        })
    }

    /// The executor's claim for a momentum.
    pub fn claim(&self, height: u64) -> Result<Option<Claim>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(CLAIMS)?;
        let value = table.get(height)?;
        Ok(match value {
            Some(bytes) => Some(Claim::from_bytes(bytes.value())?),
            None => None,
        })
    }

    /// The state root after a momentum.
    pub fn state_root(&self, height: u64) -> Result<Option<Hash>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(ROOTS)?;
        Ok(table.get(height)?.map(|v| Hash(v.value())))
    }
}

/// A consistent view of the transaction index, for many lookups in a row.
pub struct TxIndex<'a> {
    unfolded: &'a Unfolded,
    table: redb::ReadOnlyTable<[u8; 32], (u64, u32, bool)>,
    dropped: redb::ReadOnlyTable<[u8; 32], (u64, u32)>,
}

impl TxIndex<'_> {
    /// Where `hash` landed.
    pub fn location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError> {
        let indexed = match self.unfolded.locations.get(hash) {
            Some(location) => Some(*location),
            None => self.table.get(hash.0)?.map(|v| {
                let (height, index, executed) = v.value();
                TxLocation { height, index, executed }
            }),
        };
        if indexed.is_some_and(|l| l.executed) {
            return Ok(indexed);
        }
        if let Some(drop) = self.dropped.get(hash.0)? {
            let (height, index) = drop.value();
            return Ok(Some(TxLocation { height, index, executed: false }));
        }
        // Drops indexed by a store from before drops were kept apart.
        Ok(indexed)
    }

    /// Whether `hash` was executed (so it must never be executed again).
    pub fn executed(&self, hash: &Hash) -> Result<bool, StoreError> {
        Ok(self.location(hash)?.is_some_and(|l| l.executed))
    }
}
