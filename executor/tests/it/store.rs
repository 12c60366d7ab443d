//! The redb state store and the state commitment's proofs.

use std::collections::BTreeSet;

use zr_common::Hash;
use zr_executor::StateStore;
use zr_executor::store::{BlockCommit, Head, TxLocation};
use zr_protocol::{Proof, StateKey};

use crate::harness::*;

#[test]
fn a_committed_momentum_reloads_with_the_same_root() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = Harness::new();
    let (a, b) = (key(1), key(2));
    let token = h.deploy(&a, &contract_wasm("token"), vec![], 0);
    let r1 = h.call(&a, token, "mint", args(&[&b.address().0, &77u128.to_le_bytes()]));
    let r2 = h.exec(&b, transfer(a.address(), 5));
    let changed: BTreeSet<Hash> = h.tree.entries().iter().map(|(k, _)| *k).collect();
    {
        let store = StateStore::open(dir.path()).unwrap();
        store
            .commit(BlockCommit {
                receipts: &[r1.clone(), r2.clone()],
                ..BlockCommit::state_only(Head { height: 10, root: h.tree.root() }, &h.tree, &changed)
            })
            .unwrap();
    }
    let store = StateStore::open(dir.path()).unwrap();
    assert_eq!(store.head().unwrap(), Head { height: 10, root: h.tree.root() });
    let tree = store.load_tree().unwrap();
    assert_eq!(tree.root(), h.tree.root());
    assert_eq!(store.receipt(&r2.tx_hash).unwrap(), Some(r2.clone()));
    assert_eq!(store.receipt(&Hash([1; 32])).unwrap(), None);
    let location = store.tx_location(&r2.tx_hash).unwrap().unwrap();
    assert_eq!((location.height, location.index, location.executed), (10, 1, true));
    assert_eq!(store.state_root(10).unwrap(), Some(h.tree.root()));

    // A removal is committed too.
    let mut tree = tree;
    let gone = StateKey::Account { address: key(4).address() }.hash();
    tree.set(gone, None).unwrap();
    store
        .commit(BlockCommit::state_only(Head { height: 11, root: tree.root() }, &tree, &BTreeSet::from([gone])))
        .unwrap();
    assert_eq!(store.load_tree().unwrap().root(), tree.root());
}

#[test]
fn proofs_from_executed_state_verify_against_its_root_only() {
    let (h, a, token) = Harness::with_token(9);
    let root = h.tree.root();
    let present = StateKey::Storage { contract: token, key: [b"b".as_slice(), &a.address().0].concat() }.hash();
    let proof: Proof = h.tree.prove(&present).unwrap();
    assert_eq!(proof.verify(&root, &present).unwrap(), Some(zr_common::sha3_256(&9u128.to_le_bytes())));
    let absent = StateKey::Storage { contract: token, key: b"nobody".to_vec() }.hash();
    let proof = h.tree.prove(&absent).unwrap();
    assert_eq!(proof.verify(&root, &absent).unwrap(), None);
    let other_root = zr_common::sha3_256(b"another root");
    assert!(h.tree.prove(&present).unwrap().verify(&other_root, &present).is_err());
    assert!(proof.verify(&other_root, &absent).is_err());
    // A tampered sibling fails.
    let mut tampered = h.tree.prove(&present).unwrap();
    tampered.siblings[0][0] = Hash([7; 32]);
    assert!(tampered.verify(&root, &present).is_err());
}

/// Momentums commit to the journal and fold into the state table every few entries; whichever side of a
/// fold the store is reopened on, it rebuilds the same state, receipts and transaction index.
#[test]
fn the_journal_folds_and_reopens_to_the_same_state() {
    use std::sync::Arc;
    use zr_common::rollup::{DropReason, Receipt, ReceiptStatus};
    use zr_protocol::Tree;

    let dir = tempfile::tempdir().unwrap();
    let mut tree = Tree::default();
    let receipt = |i: u64, status: ReceiptStatus| Receipt {
        tx_hash: zr_common::sha3_256(&i.to_le_bytes()),
        status,
        gas_used: i,
        events: vec![],
        return_data: vec![],
        post_state_root: Hash::ZERO,
    };
    let mut all_receipts = Vec::new();
    for height in 1..=12u64 {
        let store = StateStore::open_folding_after(dir.path(), 7).unwrap();
        let mut changed = BTreeSet::new();
        for k in 0..3u64 {
            let key = zr_common::sha3_256(&(height * 10 + k).to_le_bytes());
            tree.set(key, Some(Arc::new(height.to_le_bytes().to_vec()))).unwrap();
            changed.insert(key);
        }
        // A key written at one height is removed at a later one, across folds.
        if height > 3 {
            let old = zr_common::sha3_256(&((height - 3) * 10).to_le_bytes());
            tree.set(old, None).unwrap();
            changed.insert(old);
        }
        let status = if height % 4 == 0 {
            ReceiptStatus::Dropped { reason: DropReason::GasBudget }
        } else {
            ReceiptStatus::Success
        };
        let mut receipts = vec![receipt(height, status)];
        // A re-post of an executed transaction, dropped by its nonce, must not displace its execution.
        if height > 1 && height % 4 != 1 {
            let reason = DropReason::NonceTooLow { expected: 1 };
            receipts.push(Receipt {
                status: ReceiptStatus::Dropped { reason },
                ..receipt(height - 1, ReceiptStatus::Success)
            });
        }
        store
            .commit(BlockCommit {
                receipts: &receipts,
                fold: false,
                index: None,
                ..BlockCommit::state_only(Head { height, root: tree.root() }, &tree, &changed)
            })
            .unwrap();
        all_receipts.push((height, receipts[0].clone()));
        drop(store);
        let reopened = StateStore::open_folding_after(dir.path(), 7).unwrap();
        assert_eq!(reopened.load_tree().unwrap().root(), tree.root(), "height {height}");
        assert_eq!(reopened.load_tree().unwrap().entries(), tree.entries());
        for (at, r) in &all_receipts {
            assert_eq!(reopened.receipt(&r.tx_hash).unwrap().as_ref(), Some(r));
            let executed = !matches!(r.status, ReceiptStatus::Dropped { .. });
            assert_eq!(reopened.tx_location(&r.tx_hash).unwrap(), Some(TxLocation { height: *at, index: 0, executed }));
            assert_eq!(reopened.with_tx_index(|i| i.executed(&r.tx_hash).unwrap()).unwrap(), executed);
        }
    }
}

/// A momentum may change far more bytes than any one encoded value may hold (16 KiB values, a gas budget of
/// billions): its journal rows reopen and fold like any others.
#[test]
fn a_journal_of_large_values_reopens_and_folds() {
    use std::sync::Arc;
    use zr_protocol::Tree;

    let dir = tempfile::tempdir().unwrap();
    let mut tree = Tree::default();
    let mut changed = BTreeSet::new();
    for i in 0..700u32 {
        let key = zr_common::sha3_256(&i.to_le_bytes());
        tree.set(key, Some(Arc::new(vec![i as u8; 16 * 1024]))).unwrap();
        changed.insert(key);
    }
    let journaled = |height: u64, tree: &Tree, changed: &BTreeSet<Hash>, fold: bool| {
        let store = StateStore::open_folding_after(dir.path(), 1_000_000).unwrap();
        store
            .commit(BlockCommit { fold, ..BlockCommit::state_only(Head { height, root: tree.root() }, tree, changed) })
            .unwrap();
        drop(store);
        let reopened = StateStore::open_folding_after(dir.path(), 1_000_000).unwrap();
        assert_eq!(reopened.load_tree().unwrap().root(), tree.root());
    };
    journaled(1, &tree, &changed, false);
    // Half the keys go away; then everything folds into the state table.
    let removed: BTreeSet<Hash> = changed.iter().step_by(2).copied().collect();
    for key in &removed {
        tree.set(*key, None).unwrap();
    }
    journaled(2, &tree, &removed, false);
    let none = BTreeSet::new();
    journaled(3, &tree, &none, true);
    assert_eq!(tree.entries().len(), 350);
}

/// A data directory written by another layout is refused with a message saying what to do, never misread.
#[test]
fn other_layouts_are_refused() {
    let meta: redb::TableDefinition<'_, &str, &[u8]> = redb::TableDefinition::new("meta");
    for (schema, expected) in [(None, "older zr-executor"), (Some(2u32), "another version")] {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = redb::Database::create(dir.path().join("state.redb")).unwrap();
            let txn = db.begin_write().unwrap();
            {
                let mut table = txn.open_table(meta).unwrap();
                table.insert("head", [0u8; 40].as_slice()).unwrap();
                if let Some(schema) = schema {
                    table.insert("schema", schema.to_le_bytes().as_slice()).unwrap();
                }
            }
            txn.commit().unwrap();
        }
        let error = StateStore::open(dir.path()).err().expect("refused").to_string();
        assert!(error.contains(expected) && error.contains("empty data directory"), "{error}");
    }
}

/// Attack (hardening item 8): a dropped transaction pays no fee, yet each kept a receipt for `prune_depth`
/// momentums and an index row forever; signing transactions that can only be dropped (a nonce far ahead, an
/// empty account) then cost executors storage without bound. Drops are kept `DROPPED_KEPT_HEIGHTS` momentums,
/// executions as before.
#[test]
fn attack_dropped_transactions_are_forgotten_after_an_hour_of_momentums() {
    use zr_common::rollup::{DropReason, Receipt, ReceiptStatus};
    use zr_executor::store::DROPPED_KEPT_HEIGHTS;
    use zr_protocol::Tree;

    let dir = tempfile::tempdir().unwrap();
    let store = StateStore::open(dir.path()).unwrap();
    let tree = Tree::default();
    let none = BTreeSet::new();
    let receipt = |n: u8, status: ReceiptStatus| Receipt {
        tx_hash: Hash([n; 32]),
        status,
        gas_used: 0,
        events: vec![],
        return_data: vec![],
        post_state_root: Hash::ZERO,
    };
    let far_ahead = || ReceiptStatus::Dropped { reason: DropReason::NonceTooHigh { expected: 0 } };
    let (executed, spam, again) =
        (receipt(1, ReceiptStatus::Success), receipt(2, far_ahead()), receipt(3, far_ahead()));
    let commit = |height: u64, receipts: &[Receipt]| {
        store
            .commit(BlockCommit {
                receipts,
                fold: false,
                index: None,
                ..BlockCommit::state_only(Head { height, root: tree.root() }, &tree, &none)
            })
            .unwrap();
    };
    commit(1, &[executed.clone(), spam.clone(), again.clone()]);
    // `again` is dropped once more later (a re-post): its newer drop is what is kept.
    let later = 100;
    for height in 2..=1 + DROPPED_KEPT_HEIGHTS {
        commit(height, if height == later { std::slice::from_ref(&again) } else { &[] });
    }
    assert_eq!(store.receipt(&spam.tx_hash).unwrap().as_ref(), Some(&spam), "kept for DROPPED_KEPT_HEIGHTS");
    assert_eq!(store.tx_location(&spam.tx_hash).unwrap(), Some(TxLocation { height: 1, index: 1, executed: false }));

    commit(2 + DROPPED_KEPT_HEIGHTS, &[]);
    assert_eq!(store.receipt(&spam.tx_hash).unwrap(), None, "the drop's receipt is gone");
    assert_eq!(store.tx_location(&spam.tx_hash).unwrap(), None, "and so is its location");
    assert_eq!(
        store.tx_location(&again.tx_hash).unwrap(),
        Some(TxLocation { height: later, index: 0, executed: false })
    );
    assert_eq!(store.receipt(&executed.tx_hash).unwrap().as_ref(), Some(&executed), "executions stay");

    for height in 3 + DROPPED_KEPT_HEIGHTS..=later + DROPPED_KEPT_HEIGHTS + 1 {
        commit(height, &[]);
    }
    assert_eq!(store.tx_location(&again.tx_hash).unwrap(), None);
    assert_eq!(store.tx_location(&executed.tx_hash).unwrap(), Some(TxLocation { height: 1, index: 0, executed: true }));
    // Reopened, nothing of the drops comes back.
    drop(store);
    let reopened = StateStore::open(dir.path()).unwrap();
    assert_eq!(reopened.tx_location(&spam.tx_hash).unwrap(), None);
    assert_eq!(reopened.receipt(&executed.tx_hash).unwrap(), Some(executed));
}
