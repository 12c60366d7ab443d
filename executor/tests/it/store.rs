//! The redb state store and the state commitment's proofs.

use std::collections::BTreeSet;

use zr_common::Hash;
use zr_executor::state::smt::Proof;
use zr_executor::store::{BlockCommit, Head};
use zr_executor::{StateKey, StateStore};

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
                executed: &[(r1.tx_hash, 0), (r2.tx_hash, 1)],
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
    assert_eq!(store.tx_location(&r2.tx_hash).unwrap(), Some((10, 1)));
    assert_eq!(store.state_root(10).unwrap(), Some(h.tree.root()));

    // A removal is committed too.
    let mut tree = tree;
    let gone = StateKey::Account { address: key(4).address() }.hash();
    tree.set(gone, None);
    store
        .commit(BlockCommit::state_only(Head { height: 11, root: tree.root() }, &tree, &BTreeSet::from([gone])))
        .unwrap();
    assert_eq!(store.load_tree().unwrap().root(), tree.root());
}

#[test]
fn proofs_from_executed_state_verify_against_its_root_only() {
    let mut h = Harness::new();
    let a = key(1);
    let token = h.deploy(&a, &contract_wasm("token"), vec![], 0);
    h.call(&a, token, "mint", args(&[&a.address().0, &9u128.to_le_bytes()]));
    let root = h.tree.root();
    let present = StateKey::Storage { contract: token, key: [b"b".as_slice(), &a.address().0].concat() }.hash();
    let proof: Proof = h.tree.prove(&present);
    assert_eq!(proof.verify(&root, &present).unwrap(), Some(zr_common::sha3_256(&9u128.to_le_bytes())));
    let absent = StateKey::Storage { contract: token, key: b"nobody".to_vec() }.hash();
    let proof = h.tree.prove(&absent);
    assert_eq!(proof.verify(&root, &absent).unwrap(), None);
    let other_root = zr_common::sha3_256(b"another root");
    assert!(h.tree.prove(&present).verify(&other_root, &present).is_err());
    assert!(proof.verify(&other_root, &absent).is_err());
    // A tampered sibling fails.
    let mut tampered = h.tree.prove(&present);
    tampered.siblings[0] = Hash([7; 32]);
    assert!(tampered.verify(&root, &present).is_err());
}
