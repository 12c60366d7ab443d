//! The state database (redb): state values by key hash, receipts, and the committed height and root. One
//! momentum's results commit in one write transaction, so a crash never leaves half a momentum.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use zr_common::rollup::{Claim, ClaimLeaf, Receipt};
use zr_common::{Canonical, Hash};

use crate::state::smt::Tree;

const STATE: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("state");
const RECEIPTS: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("receipts");
const META: TableDefinition<'_, &str, &[u8]> = TableDefinition::new("meta");
const TXS: TableDefinition<'_, [u8; 32], (u64, u32)> = TableDefinition::new("transactions");
const LEAVES: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("claim_leaves");
const CLAIMS: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("claims");
const ROOTS: TableDefinition<'_, u64, [u8; 32]> = TableDefinition::new("state_roots");
const TXS_AT: TableDefinition<'_, u64, &[u8]> = TableDefinition::new("transactions_at");
const HEAD: &str = "head";

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

/// What one momentum commits.
pub struct BlockCommit<'a> {
    /// The new head.
    pub head: Head,
    /// The tree after the momentum.
    pub tree: &'a Tree,
    /// Keys written during the momentum.
    pub changed: &'a BTreeSet<Hash>,
    /// The momentum's receipts.
    pub receipts: &'a [Receipt],
    /// Transactions executed (not dropped): hash and position, so they are never executed again.
    pub executed: &'a [(Hash, u32)],
    /// The claim's leaves.
    pub leaves: &'a [ClaimLeaf],
    /// The executor's claim for the momentum.
    pub claim: Option<&'a Claim>,
    /// Receipts, leaves and the transaction index of this height are deleted in the same commit.
    pub prune_height: Option<u64>,
}

impl<'a> BlockCommit<'a> {
    /// A commit of state alone (genesis, snapshots, tools): no receipts, leaves or claim.
    pub fn state_only(head: Head, tree: &'a Tree, changed: &'a BTreeSet<Hash>) -> Self {
        BlockCommit { head, tree, changed, receipts: &[], executed: &[], leaves: &[], claim: None, prune_height: None }
    }
}

/// The redb state store.
pub struct StateStore {
    db: Database,
}

impl StateStore {
    /// Opens (or creates) `dir/state.redb`.
    pub fn open(dir: &Path) -> Result<StateStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError(format!("cannot create {}: {e}", dir.display())))?;
        let db = Database::create(dir.join("state.redb"))?;
        let txn = db.begin_write()?;
        txn.open_table(STATE)?;
        txn.open_table(RECEIPTS)?;
        txn.open_table(META)?;
        txn.open_table(TXS)?;
        txn.open_table(LEAVES)?;
        txn.open_table(CLAIMS)?;
        txn.open_table(ROOTS)?;
        txn.open_table(TXS_AT)?;
        txn.commit()?;
        Ok(StateStore { db })
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

    /// Rebuilds the tree from the stored values and checks it against the committed root.
    pub fn load_tree(&self) -> Result<Tree, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(STATE)?;
        let mut entries = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            entries.push((Hash(key.value()), Arc::new(value.value().to_vec())));
        }
        let tree = Tree::from_sorted(&entries);
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

    /// Commits one momentum's results atomically and durably.
    pub fn commit(&self, commit: BlockCommit<'_>) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut state = txn.open_table(STATE)?;
            for key in commit.changed {
                match commit.tree.get(key) {
                    Some(value) => state.insert(key.0, value.as_slice())?,
                    None => state.remove(key.0)?,
                };
            }
            let height = commit.head.height;
            let mut receipts = txn.open_table(RECEIPTS)?;
            for receipt in commit.receipts {
                receipts.insert(receipt.tx_hash.0, receipt.to_bytes().as_slice())?;
            }
            let mut txs = txn.open_table(TXS)?;
            for (hash, index) in commit.executed {
                txs.insert(hash.0, (height, *index))?;
            }
            let mut leaves = txn.open_table(LEAVES)?;
            leaves.insert(height, zr_common::codec::encode(&commit.leaves.to_vec()).as_slice())?;
            if let Some(claim) = commit.claim {
                txn.open_table(CLAIMS)?.insert(height, claim.to_bytes().as_slice())?;
            }
            txn.open_table(ROOTS)?.insert(height, commit.head.root.0)?;
            let hashes: Vec<Hash> = commit.receipts.iter().map(|r| r.tx_hash).collect();
            let mut txs_at = txn.open_table(TXS_AT)?;
            txs_at.insert(height, zr_common::codec::encode(&hashes).as_slice())?;
            if let Some(old) = commit.prune_height {
                let pruned: Vec<Hash> = match txs_at.remove(old)? {
                    Some(bytes) => zr_common::codec::decode("pruned hashes", bytes.value(), 256 * 1024 * 1024)?,
                    None => Vec::new(),
                };
                // The transaction index is never pruned: it is the protocol's record of what was executed,
                // and every executor must drop the same re-posted transactions.
                for hash in pruned {
                    let executed_at = txs.get(hash.0)?.map(|v| v.value().0);
                    if executed_at.is_none_or(|at| at == old) {
                        receipts.remove(hash.0)?;
                    }
                }
                leaves.remove(old)?;
            }
            txn.open_table(META)?.insert(HEAD, zr_common::codec::encode(&commit.head).as_slice())?;
        }
        txn.commit()?;
        Ok(())
    }

    /// A stored receipt.
    pub fn receipt(&self, tx_hash: &Hash) -> Result<Option<Receipt>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RECEIPTS)?;
        let value = table.get(tx_hash.0)?;
        Ok(match value {
            Some(bytes) => Some(Receipt::from_bytes(bytes.value())?),
            None => None,
        })
    }
}

impl StateStore {
    /// A reader of the executed-transaction index over one read transaction, for many lookups in a row.
    pub fn tx_index_reader(&self) -> Result<TxIndexReader, StoreError> {
        let txn = self.db.begin_read()?;
        Ok(TxIndexReader { table: txn.open_table(TXS)? })
    }

    /// Where an executed transaction landed: (momentum height, position).
    pub fn tx_location(&self, hash: &Hash) -> Result<Option<(u64, u32)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(TXS)?;
        Ok(table.get(hash.0)?.map(|v| v.value()))
    }

    /// The claim leaves of a momentum.
    pub fn leaves(&self, height: u64) -> Result<Option<Vec<ClaimLeaf>>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(LEAVES)?;
        let value = table.get(height)?;
        Ok(match value {
            Some(bytes) => Some(zr_common::codec::decode("claim leaves", bytes.value(), 64 * 1024 * 1024)?),
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

impl StateStore {
    /// Every executed transaction: hash, momentum height, position (for snapshots).
    pub fn tx_index(&self) -> Result<Vec<(Hash, u64, u32)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(TXS)?;
        let mut out = Vec::new();
        for entry in table.iter()? {
            let (key, value) = entry?;
            let (height, index) = value.value();
            out.push((Hash(key.value()), height, index));
        }
        Ok(out)
    }

    /// Writes transaction-index entries (a snapshot import).
    pub fn put_tx_index(&self, entries: &[(Hash, u64, u32)]) -> Result<(), StoreError> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(TXS)?;
            for (hash, height, index) in entries {
                table.insert(hash.0, (*height, *index))?;
            }
        }
        txn.commit()?;
        Ok(())
    }
}

/// Lookups in the executed-transaction index, all in one read transaction.
pub struct TxIndexReader {
    table: redb::ReadOnlyTable<[u8; 32], (u64, u32)>,
}

impl TxIndexReader {
    /// Whether `hash` was executed.
    pub fn contains(&self, hash: &Hash) -> Result<bool, StoreError> {
        Ok(self.table.get(hash.0)?.is_some())
    }
}
