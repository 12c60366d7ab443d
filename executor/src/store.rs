//! The state database (redb). One momentum's results commit in one write transaction, so a crash never
//! leaves half a momentum.
//!
//! State values live in two places: the `state` table holds them as of the last *fold*, and the `journal`
//! holds, per momentum since, the values it changed and where its transactions landed. A momentum's commit
//! appends one journal entry (sequential writes, a few hundred bytes per transaction) instead of updating
//! thousands of random B-tree pages; every [`FOLD_AFTER_ENTRIES`] journal entries, a commit folds the
//! journal into `state` and the transaction index in key order, so each page is rewritten once for many
//! changes. Opening the store replays the journal over `state`. Receipts are keyed by (height, position),
//! so they too are appended.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, RwLock};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use zr_common::rollup::{Claim, ClaimLeaf, Receipt, ReceiptStatus};
use zr_common::{Canonical, Hash};

use crate::state::smt::Tree;

const STATE: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("state");
const JOURNAL: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("journal");
const RECEIPTS: TableDefinition<'_, (u64, u32), &[u8]> = TableDefinition::new("receipts_by_position");
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const TXS: TableDefinition<'_, [u8; 32], (u64, u32, bool)> = TableDefinition::new("transaction_locations");
const LEAVES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("claim_leaves");
const CLAIMS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("claims");
const ROOTS: TableDefinition<'_, u64, [u8; 32]> = TableDefinition::new("state_roots");
const HEAD: &str = "head";
const SCHEMA: &str = "schema";
/// The layout version; a database of another layout is refused rather than misread.
const SCHEMA_VERSION: u32 = 2;

/// Journal entries (changed values plus transaction locations) after which a commit folds the journal.
/// It bounds the replay at start-up and the in-memory index; larger folds rewrite fewer pages per change.
pub const FOLD_AFTER_ENTRIES: usize = 250_000;

/// The state store failed; the executor must stop rather than go on from an unknown state.
#[derive(Debug, thiserror::Error)]
#[error("state store: {0}")]
pub struct StoreError(pub String);

macro_rules! store_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(err: $t) -> Self {
                StoreError(err.to_string())
            }
        }
    )*};
}
store_error_from!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    zr_common::CodecError
);

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

/// What one momentum commits.
pub struct BlockCommit<'a> {
    /// The new head.
    pub head: Head,
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
    /// Receipts and leaves of this height are deleted in the same commit.
    pub prune_height: Option<u64>,
}

impl<'a> BlockCommit<'a> {
    /// A commit of state alone (genesis, snapshots, tools): no receipts, leaves or claim.
    pub fn state_only(head: Head, tree: &'a Tree, changed: &'a BTreeSet<Hash>) -> Self {
        BlockCommit { head, tree, changed, receipts: &[], leaves: &[], claim: None, prune_height: None }
    }
}

/// One momentum's journal entry.
#[derive(bincode::Encode, bincode::Decode)]
struct JournalEntry {
    /// Every key written, with its value after the momentum (`None`: removed).
    changes: Vec<(Hash, Option<Vec<u8>>)>,
    /// Every receipt's transaction: (hash, position, executed).
    locations: Vec<(Hash, u32, bool)>,
}

/// Transaction locations still in the journal (the table holds the folded ones), and the journal's size.
#[derive(Default)]
struct Unfolded {
    locations: HashMap<Hash, TxLocation>,
    entries: usize,
}

/// The redb state store.
pub struct StateStore {
    db: Database,
    unfolded: Arc<RwLock<Unfolded>>,
    fold_after: usize,
}

/// The largest journal entry or leaf list read back (a momentum's worth, generously).
const MAX_BLOB: usize = 1 << 30;

impl StateStore {
    /// Opens (or creates) `dir/state.redb`.
    pub fn open(dir: &Path) -> Result<StateStore, StoreError> {
        StateStore::open_folding_after(dir, FOLD_AFTER_ENTRIES)
    }

    /// [`StateStore::open`], folding the journal after `fold_after` entries instead of the default.
    pub fn open_folding_after(dir: &Path, fold_after: usize) -> Result<StateStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        let db = Database::create(dir.join("state.redb"))?;
        let txn = db.begin_write()?;
        {
            let mut meta = txn.open_table(META)?;
            let schema = meta.get(SCHEMA)?.map(|v| v.value().to_vec());
            match schema {
                Some(bytes) if bytes == SCHEMA_VERSION.to_le_bytes() => {}
                Some(_) => {
                    return Err(StoreError(format!(
                        "{} was written by another version of zr-executor (layout differs); start from an empty data \
                         directory",
                        dir.display()
                    )));
                }
                None if meta.get(HEAD)?.is_some() => {
                    return Err(StoreError(format!(
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
        txn.open_table(RECEIPTS)?;
        txn.open_table(TXS)?;
        txn.open_table(LEAVES)?;
        txn.open_table(CLAIMS)?;
        txn.open_table(ROOTS)?;
        txn.commit()?;
        let store = StateStore { db, unfolded: Arc::default(), fold_after: fold_after.max(1) };
        let mut unfolded = Unfolded::default();
        store.for_each_journal_entry(|height, entry| {
            unfolded.entries += entry.changes.len() + entry.locations.len();
            for (hash, index, executed) in entry.locations {
                unfolded.locations.insert(hash, TxLocation { height, index, executed });
            }
        })?;
        *store.unfolded.write().unwrap_or_else(|p| p.into_inner()) = unfolded;
        Ok(store)
    }

    fn for_each_journal_entry(&self, mut f: impl FnMut(u64, JournalEntry)) -> Result<(), StoreError> {
        let txn = self.db.begin_read()?;
        let journal = txn.open_table(JOURNAL)?;
        for entry in journal.iter()? {
            let (height, bytes) = entry?;
            f(height.value(), zr_common::codec::decode("journal entry", bytes.value(), MAX_BLOB)?);
        }
        Ok(())
    }

    /// The committed head.
    pub fn head(&self) -> Result<Head, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let value = meta.get(HEAD)?;
        Ok(match value {
            Some(bytes) => zr_common::codec::decode("head", bytes.value(), 64)?,
            None => Head::default(),
        })
    }

    /// Rebuilds the tree from the folded values and the journal, and checks it against the committed root.
    pub fn load_tree(&self) -> Result<Tree, StoreError> {
        let mut entries = Vec::new();
        {
            let txn = self.db.begin_read()?;
            let table = txn.open_table(STATE)?;
            for entry in table.iter()? {
                let (key, value) = entry?;
                entries.push((Hash(key.value()), Arc::new(value.value().to_vec())));
            }
        }
        let mut tree = Tree::from_sorted(&entries);
        drop(entries);
        self.for_each_journal_entry(|_, entry| {
            for (key, value) in entry.changes {
                tree.set(key, value.map(Arc::new));
            }
        })?;
        let head = self.head()?;
        if tree.root() != head.root {
            return Err(StoreError(format!(
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
        let changes: Vec<(Hash, Option<Vec<u8>>)> =
            commit.changed.iter().map(|key| (*key, commit.tree.get(key).map(|v| v.to_vec()))).collect();
        let locations: Vec<(Hash, u32, bool)> = commit
            .receipts
            .iter()
            .enumerate()
            .map(|(i, r)| (r.tx_hash, i as u32, !matches!(r.status, ReceiptStatus::Dropped { .. })))
            .collect();
        let journaled = self.unfolded.read().unwrap_or_else(|p| p.into_inner()).entries;
        let fold = journaled + changes.len() + locations.len() >= self.fold_after;

        let txn = self.db.begin_write()?;
        {
            let mut receipts = txn.open_table(RECEIPTS)?;
            for (i, receipt) in commit.receipts.iter().enumerate() {
                receipts.insert((height, i as u32), receipt.to_bytes().as_slice())?;
            }
            let entry = JournalEntry { changes, locations };
            if fold {
                self.fold(&txn, height, entry)?;
            } else {
                txn.open_table(JOURNAL)?.insert(height, zr_common::codec::encode(&entry).as_slice())?;
            }
            let mut leaves = txn.open_table(LEAVES)?;
            leaves.insert(height, zr_common::codec::encode(&commit.leaves.to_vec()).as_slice())?;
            if let Some(claim) = commit.claim {
                txn.open_table(CLAIMS)?.insert(height, claim.to_bytes().as_slice())?;
            }
            txn.open_table(ROOTS)?.insert(height, commit.head.root.0)?;
            if let Some(old) = commit.prune_height {
                // The transaction index is never pruned: it is the protocol's record of what was executed,
                // and every executor must drop the same re-posted transactions.
                receipts.retain_in((old, 0)..=(old, u32::MAX), |_, _| false)?;
                leaves.remove(old)?;
            }
            txn.open_table(META)?.insert(HEAD, zr_common::codec::encode(&commit.head).as_slice())?;
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
            unfolded.entries += commit.changed.len() + commit.receipts.len();
            for (i, receipt) in commit.receipts.iter().enumerate() {
                let executed = !matches!(receipt.status, ReceiptStatus::Dropped { .. });
                unfolded.locations.insert(receipt.tx_hash, TxLocation { height, index: i as u32, executed });
            }
        }
        Ok(())
    }

    /// Writes the journal and `latest` into the state table and the transaction index, latest value winning,
    /// in key order, and empties the journal.
    fn fold(&self, txn: &redb::WriteTransaction, height: u64, latest: JournalEntry) -> Result<(), StoreError> {
        let mut values: BTreeMap<Hash, Option<Vec<u8>>> = BTreeMap::new();
        let mut locations: BTreeMap<Hash, (u64, u32, bool)> = BTreeMap::new();
        let mut journal = txn.open_table(JOURNAL)?;
        let mut entries = Vec::new();
        for entry in journal.iter()? {
            let (height, bytes) = entry?;
            entries.push((height.value(), bytes.value().to_vec()));
        }
        for (at, bytes) in entries {
            let entry: JournalEntry = zr_common::codec::decode("journal entry", &bytes, MAX_BLOB)?;
            values.extend(entry.changes);
            locations.extend(entry.locations.into_iter().map(|(hash, i, executed)| (hash, (at, i, executed))));
        }
        values.extend(latest.changes);
        locations.extend(latest.locations.into_iter().map(|(hash, i, executed)| (hash, (height, i, executed))));
        let mut state = txn.open_table(STATE)?;
        for (key, value) in &values {
            match value {
                Some(value) => state.insert(key.0, value.as_slice())?,
                None => state.remove(key.0)?,
            };
        }
        let mut txs = txn.open_table(TXS)?;
        for (hash, location) in locations {
            txs.insert(hash.0, location)?;
        }
        journal.retain(|_, _| false)?;
        Ok(())
    }
}

impl StateStore {
    /// Runs `f` with a consistent view of the transaction index (folded table and journal).
    pub fn with_tx_index<R>(&self, f: impl FnOnce(&TxIndex<'_>) -> R) -> Result<R, StoreError> {
        let unfolded = self.unfolded.read().unwrap_or_else(|p| p.into_inner());
        let txn = self.db.begin_read()?;
        let index = TxIndex { unfolded: &unfolded, table: txn.open_table(TXS)? };
        Ok(f(&index))
    }

    /// Where a transaction landed.
    pub fn tx_location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError> {
        self.with_tx_index(|index| index.location(hash))?
    }

    /// A stored receipt (`None` if unknown or pruned).
    pub fn receipt(&self, tx_hash: &Hash) -> Result<Option<Receipt>, StoreError> {
        let Some(location) = self.tx_location(tx_hash)? else { return Ok(None) };
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
            Some(bytes) => Some(zr_common::codec::decode("claim leaves", bytes.value(), MAX_BLOB)?),
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

    /// Every executed transaction: hash, momentum height, position, in hash order (for snapshots).
    pub fn tx_index(&self) -> Result<Vec<(Hash, u64, u32)>, StoreError> {
        self.with_tx_index(|index| {
            let mut executed = BTreeMap::new();
            for entry in index.table.iter()? {
                let (key, value) = entry?;
                let (height, position, was_executed) = value.value();
                if was_executed {
                    executed.insert(Hash(key.value()), (height, position));
                }
            }
            for (hash, location) in &index.unfolded.locations {
                if location.executed {
                    executed.insert(*hash, (location.height, location.index));
                }
            }
            Ok(executed.into_iter().map(|(hash, (height, position))| (hash, height, position)).collect())
        })?
    }

    /// Writes executed-transaction index entries (a snapshot import).
    pub fn put_tx_index(&self, entries: &[(Hash, u64, u32)]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(TXS)?;
            for (hash, height, index) in entries {
                table.insert(hash.0, (*height, *index, true))?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}

/// A consistent view of the transaction index, for many lookups in a row.
pub struct TxIndex<'a> {
    unfolded: &'a Unfolded,
    table: redb::ReadOnlyTable<[u8; 32], (u64, u32, bool)>,
}

impl TxIndex<'_> {
    /// Where `hash` landed.
    pub fn location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError> {
        if let Some(location) = self.unfolded.locations.get(hash) {
            return Ok(Some(*location));
        }
        Ok(self.table.get(hash.0)?.map(|v| {
            let (height, index, executed) = v.value();
            TxLocation { height, index, executed }
        }))
    }

    /// Whether `hash` was executed (so it must never be executed again).
    pub fn executed(&self, hash: &Hash) -> Result<bool, StoreError> {
        Ok(self.location(hash)?.is_some_and(|l| l.executed))
    }
}
