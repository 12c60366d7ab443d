//! The mempool on disk (redb): every held transaction with its stage, what became of the ones no longer held,
//! and the L1 height the relay has followed to. A write is durable before the caller is answered, so a
//! transaction whose hash a user got back survives SIGKILL.

use std::path::Path;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use tokio::sync::oneshot;
use zr_common::rollup::Transaction;
use zr_common::{Canonical, Hash};
use zr_rpc_api::TransactionView;

use super::pool::{Held, Stage};

/// redb's page cache, in bytes: its default (1 GiB) let memory grow with the file over a long run, and
/// the mempool is read once, at start, and otherwise only written.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// A held row: (arrival sequence, stage as JSON, transaction bytes, whether another relay bundles it).
type HeldRow<'a> = (u64, &'a [u8], &'a [u8], bool);
/// hash → its held row.
const HELD: TableDefinition<'_, [u8; 32], HeldRow<'_>> = TableDefinition::new("held");
/// hash → what became of it (JSON of a `TransactionView`).
const FINISHED: TableDefinition<'_, [u8; 32], &[u8]> = TableDefinition::new("finished");
/// Order in which `FINISHED` entries were written, to keep the newest only.
const FINISHED_ORDER: TableDefinition<'_, u64, [u8; 32]> = TableDefinition::new("finished_order");
/// Addresses granted ZNN in sponsor mode (once each).
const GRANTS: TableDefinition<'_, [u8; 20], ()> = TableDefinition::new("grants");
const META: TableDefinition<'_, &str, u64> = TableDefinition::new("meta");
const L1_CURSOR: &str = "l1_cursor";
const FINISHED_SEQ: &str = "finished_seq";

/// The store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// redb failed.
    #[error("mempool database: {0}")]
    Database(#[from] redb::Error),
    /// A stored row does not decode (the file is damaged or from another version).
    #[error("mempool database holds a damaged row: {0}")]
    Corrupt(String),
    /// A write failed (a full disk, say); nothing of it was stored.
    #[error("cannot write the mempool database: {0}")]
    Write(String),
    /// The directory or the writer thread could not be set up.
    #[error("cannot open the mempool: {0}")]
    Setup(String),
    /// The writer thread is gone (the relay is stopping).
    #[error("the mempool writer has stopped")]
    Stopped,
}

zr_common::from_errors!(StoreError => |err| StoreError::Database(err.into());
    redb::DatabaseError, redb::TransactionError, redb::TableError, redb::StorageError, redb::CommitError);

/// One change to persist.
#[derive(Debug, Clone)]
pub enum Change {
    /// A transaction is held (new, or its stage changed).
    Hold {
        /// Its hash.
        hash: Hash,
        /// Its arrival sequence.
        seq: u64,
        /// Its stage.
        stage: Stage,
        /// The transaction.
        tx: Arc<Transaction>,
        /// Another relay bundles it.
        from_peer: bool,
    },
    /// A transaction is no longer held; this is what became of it.
    Finish(Box<TransactionView>),
    /// The L1 momentum height followed to.
    Cursor(u64),
    /// A sponsor grant went to this address.
    Grant(zr_common::Address),
}

impl Change {
    /// The row of a held transaction as it is now.
    pub fn held(held: &Held) -> Change {
        Change::Hold {
            hash: held.hash,
            seq: held.seq,
            stage: held.stage.clone(),
            tx: held.tx.clone(),
            from_peer: held.from_peer,
        }
    }
}

/// A held transaction as loaded at start.
pub struct Loaded {
    /// Its arrival sequence.
    pub seq: u64,
    /// Its stage when the relay stopped.
    pub stage: Stage,
    /// The transaction.
    pub tx: Transaction,
    /// Another relay bundles it.
    pub from_peer: bool,
}

/// What the store held at start.
pub struct Contents {
    /// Held transactions by arrival.
    pub held: Vec<Loaded>,
    /// The newest finished ones, oldest first.
    pub finished: Vec<TransactionView>,
    /// The L1 height followed to, if any.
    pub cursor: Option<u64>,
    /// Addresses already granted ZNN in sponsor mode.
    pub granted: Vec<zr_common::Address>,
}

/// The mempool database and its writer thread.
pub struct Store {
    writes: Option<std::sync::mpsc::Sender<Write>>,
    writer: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Store {
    /// Lets the writer finish what is queued and close the database, so the directory can be opened again.
    fn drop(&mut self) {
        self.writes.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl Store {
    /// Opens (or creates) `dir/mempool.redb`; returns the store and what it holds. At most `finished_kept`
    /// finished entries are kept (the oldest go first).
    pub fn open(dir: &Path, finished_kept: usize) -> Result<(Store, Contents), StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Setup(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join("mempool.redb");
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(&path)?;
        let txn = db.begin_write()?;
        txn.open_table(HELD)?;
        txn.open_table(FINISHED)?;
        txn.open_table(FINISHED_ORDER)?;
        txn.open_table(META)?;
        txn.open_table(GRANTS)?;
        txn.commit()?;
        let contents = load(&db)?;
        let (writes, rx) = std::sync::mpsc::channel();
        let writer = std::thread::Builder::new()
            .name("zr-relay-store".into())
            .spawn(move || writer(&path, db, rx, finished_kept))
            .map_err(|e| StoreError::Setup(format!("cannot start the writer thread: {e}")))?;
        Ok((Store { writes: Some(writes), writer: Some(writer) }, contents))
    }

    /// Persists `changes` in one durable write transaction (batched with whatever else is waiting); the returned
    /// future ends once it is committed. The write is queued at the call, so writes reach the disk in the order
    /// they were made (callers make them under the mempool's lock). Rows of a failed write are forgotten: for
    /// what memory takes only once stored (an admission, which is taken back when this fails).
    pub fn write(&self, changes: Vec<Change>) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.send(changes, Keep::No)
    }

    /// Persists `changes`, which memory already holds (a stage, a finished status, the cursor): when the write
    /// fails (a full disk, say) they are kept and go first into the store's next write, whoever makes it, until
    /// one commits, so the disk catches up with memory as soon as it can and a restart after that finds no
    /// finished transaction held again. Queued at the call, like [`Store::write`].
    pub fn record(&self, changes: Vec<Change>) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        self.send(changes, Keep::UntilStored)
    }

    fn send(&self, changes: Vec<Change>, keep: Keep) -> impl Future<Output = Result<(), StoreError>> + Send + 'static {
        let queued = match (&self.writes, changes.is_empty()) {
            (_, true) => Ok(None),
            (None, false) => Err(StoreError::Stopped),
            (Some(writes), false) => {
                let (done, wait) = oneshot::channel();
                writes.send(Write { changes, keep, done }).map(|()| Some(wait)).map_err(|_| StoreError::Stopped)
            }
        };
        async move {
            let Some(wait) = queued? else { return Ok(()) };
            match wait.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(message)) => Err(StoreError::Write(message)),
                Err(_) => Err(StoreError::Stopped),
            }
        }
    }
}

fn load(db: &Database) -> Result<Contents, StoreError> {
    let txn = db.begin_read()?;
    let mut held = Vec::new();
    for row in txn.open_table(HELD)?.iter()? {
        let (hash, value) = row?;
        let (seq, stage, bytes, from_peer) = value.value();
        let stage: Stage = serde_json::from_slice(stage).map_err(|e| StoreError::Corrupt(format!("stage: {e}")))?;
        let tx = Transaction::from_bytes(bytes).map_err(|e| StoreError::Corrupt(format!("transaction: {e}")))?;
        if tx.hash().0 != hash.value() {
            return Err(StoreError::Corrupt(format!(
                "transaction stored under {} has another hash",
                Hash(hash.value())
            )));
        }
        held.push(Loaded { seq, stage, tx, from_peer });
    }
    held.sort_by_key(|l| l.seq);
    let finished_table = txn.open_table(FINISHED)?;
    let mut finished = Vec::new();
    for row in txn.open_table(FINISHED_ORDER)?.iter()? {
        let (_, hash) = row?;
        if let Some(view) = finished_table.get(hash.value())? {
            let view: TransactionView =
                serde_json::from_slice(view.value()).map_err(|e| StoreError::Corrupt(format!("finished: {e}")))?;
            finished.push(view);
        }
    }
    let cursor = txn.open_table(META)?.get(L1_CURSOR)?.map(|v| v.value());
    let mut granted = Vec::new();
    for row in txn.open_table(GRANTS)?.iter()? {
        granted.push(zr_common::Address(row?.0.value()));
    }
    Ok(Contents { held, finished, cursor, granted })
}

/// What becomes of a write's rows when it fails.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keep {
    /// Forgotten (the caller takes back what it did in memory).
    No,
    /// Written first with the next batch, until one commits (memory moved on already).
    UntilStored,
}

struct Write {
    changes: Vec<Change>,
    keep: Keep,
    done: oneshot::Sender<Result<(), String>>,
}

/// Group commit: takes every write waiting, applies them in one transaction, commits (durably), answers all.
/// After a failed write (a full disk, say) redb must be opened again before it writes anything more: the
/// database is closed and opened again before the next batch, until that works, so writes resume when the
/// cause is gone. The rows of failed writes that memory already holds are applied first in every later batch
/// until one commits: this thread orders all writes, so they always come before anything newer.
fn writer(path: &Path, db: Database, rx: std::sync::mpsc::Receiver<Write>, finished_kept: usize) {
    let mut db = Some(db);
    let mut unwritten: Vec<Change> = Vec::new();
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
            if batch.len() >= 4096 {
                break;
            }
        }
        let reopened = match db.take() {
            Some(open) => Ok(open),
            None => Database::builder()
                .set_cache_size(CACHE_BYTES)
                .create(path)
                .map_err(|e| format!("cannot open it again after a failed write: {e}")),
        };
        let result = reopened.and_then(|open| {
            let rows = unwritten.iter().chain(batch.iter().flat_map(|write| write.changes.iter()));
            let applied = apply(&open, rows, finished_kept);
            // Kept open only while writes succeed.
            applied.map(|()| db = Some(open)).map_err(|e| match e {
                StoreError::Database(e) => e.to_string(),
                other => other.to_string(),
            })
        });
        match &result {
            Ok(()) => unwritten.clear(),
            Err(err) => {
                for write in batch.iter().filter(|write| write.keep == Keep::UntilStored) {
                    unwritten.extend(write.changes.iter().cloned());
                }
                // Only the newest cursor matters: a disk full for hours keeps one, not one a momentum.
                if let Some(last) = unwritten.iter().rposition(|c| matches!(c, Change::Cursor(_))) {
                    let mut index = 0;
                    unwritten.retain(|c| {
                        index += 1;
                        !matches!(c, Change::Cursor(_)) || index - 1 == last
                    });
                }
                tracing::error!(target: "zr::relay", error = %err, kept = unwritten.len(), "mempool write failed");
            }
        }
        for write in batch {
            let _ = write.done.send(result.clone());
        }
    }
}

fn apply<'a>(db: &Database, changes: impl Iterator<Item = &'a Change>, finished_kept: usize) -> Result<(), StoreError> {
    let txn = db.begin_write()?;
    {
        let mut held = txn.open_table(HELD)?;
        let mut finished = txn.open_table(FINISHED)?;
        let mut order = txn.open_table(FINISHED_ORDER)?;
        let mut meta = txn.open_table(META)?;
        let mut grants = txn.open_table(GRANTS)?;
        let mut finished_seq = meta.get(FINISHED_SEQ)?.map_or(0, |v| v.value());
        for change in changes {
            match change {
                Change::Hold { hash, seq, stage, tx, from_peer } => {
                    let stage = serde_json::to_vec(stage).expect("a stage serializes");
                    held.insert(hash.0, (*seq, stage.as_slice(), tx.to_bytes().as_slice(), *from_peer))?;
                }
                Change::Finish(view) => {
                    held.remove(view.hash.0)?;
                    let json = serde_json::to_vec(view.as_ref()).expect("a view serializes");
                    finished.insert(view.hash.0, json.as_slice())?;
                    order.insert(finished_seq, view.hash.0)?;
                    finished_seq += 1;
                }
                Change::Cursor(height) => {
                    meta.insert(L1_CURSOR, *height)?;
                }
                Change::Grant(address) => {
                    grants.insert(address.0, ())?;
                }
            }
        }
        meta.insert(FINISHED_SEQ, finished_seq)?;
        // Keep the newest `finished_kept` finished entries.
        let excess = order.len()?.saturating_sub(finished_kept as u64);
        for _ in 0..excess {
            let Some((_, hash)) = order.pop_first()? else { break };
            finished.remove(hash.value())?;
        }
    }
    txn.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zr_common::KeyPair;
    use zr_common::rollup::{TxBody, TxKind};
    use zr_rpc_api::TransactionStatus;

    fn tx(nonce: u64) -> Arc<Transaction> {
        let key = KeyPair::from_seed(&[3; 32]);
        let kind = TxKind::Transfer { to: key.address(), token: zr_common::TokenStandard::ZNN, amount: 1 };
        Arc::new(
            TxBody { chain_id: 1, sender: key.public(), nonce, gas_limit: 50_000, fee_per_gas: 1, kind }.sign(&key),
        )
    }

    #[tokio::test]
    async fn what_is_written_is_there_after_reopening_and_finished_entries_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (store, contents) = Store::open(dir.path(), 2).unwrap();
            assert!(contents.held.is_empty() && contents.cursor.is_none());
            let mut changes: Vec<Change> = (0..5)
                .map(|n| Change::Hold {
                    hash: tx(n).hash(),
                    seq: n,
                    stage: Stage::Pending,
                    tx: tx(n),
                    from_peer: n == 4,
                })
                .collect();
            changes.push(Change::Cursor(42));
            store.write(changes).await.unwrap();
            for n in 0..3 {
                let view = TransactionView::with_reason(tx(n).hash(), TransactionStatus::Dropped, "test");
                store.write(vec![Change::Finish(Box::new(view))]).await.unwrap();
            }
        }
        let (_, contents) = Store::open(dir.path(), 2).unwrap();
        assert_eq!(
            contents.held.iter().map(|l| (l.tx.body.nonce, l.from_peer)).collect::<Vec<_>>(),
            [(3, false), (4, true)]
        );
        assert_eq!(contents.cursor, Some(42));
        let finished: Vec<Hash> = contents.finished.iter().map(|v| v.hash).collect();
        assert_eq!(finished, [tx(1).hash(), tx(2).hash()]);
    }
}
