use super::*;
use zr_common::sha3_256;

fn key(i: u32) -> Hash {
    sha3_256(&i.to_le_bytes())
}

fn val(i: u32) -> Arc<Vec<u8>> {
    Arc::new(i.to_be_bytes().to_vec())
}

#[test]
fn root_is_independent_of_order_and_matches_bulk_build() {
    let mut a = Tree::default();
    let mut b = Tree::default();
    for i in 0..300 {
        a.set(key(i), Some(val(i))).unwrap();
        b.set(key(299 - i), Some(val(299 - i))).unwrap();
    }
    assert_eq!(a.root(), b.root());
    let mut sorted: Vec<_> = (0..300).map(|i| (key(i), val(i))).collect();
    sorted.sort_by_key(|(k, _)| *k);
    assert_eq!(Tree::from_sorted(&sorted).root(), a.root());
    assert_eq!(a.entries().len(), 300);
}

/// The commitment's format is pinned: a change to hashing, arity or key layout must fail here.
#[test]
fn golden_roots() {
    let mut tree = Tree::default();
    assert_eq!(tree.root(), Hash::ZERO);
    tree.set(key(1), Some(val(1))).unwrap();
    assert_eq!(tree.root(), leaf_hash(&key(1), &sha3_256(&val(1))));
    for i in 2..=5 {
        tree.set(key(i), Some(val(i))).unwrap();
    }
    // Computed independently (Python hashlib.sha3_256 over the same rules).
    assert_eq!(tree.root().to_string(), "821b363cc4a5ba6b9fbfe462adcd017e792346fcfee0dcf13ed566ef3fdc0bba");
    let proof = tree.prove(&key(3)).unwrap();
    assert_eq!(proof.verify(&tree.root(), &key(3)), Ok(Some(sha3_256(&val(3)))));
}

#[test]
fn removal_restores_the_previous_root() {
    let mut tree = full(100);
    let before = tree.root();
    tree.set(key(1000), Some(val(1000))).unwrap();
    assert_ne!(tree.root(), before);
    tree.set(key(1000), None).unwrap();
    assert_eq!(tree.root(), before);
    for i in 0..100 {
        tree.set(key(i), None).unwrap();
    }
    assert_eq!(tree.root(), Hash::ZERO);
    assert!(tree.is_empty());
}

#[test]
fn proofs_verify_against_their_root_only() {
    let tree = full(50);
    let root = tree.root();
    for i in 0..60 {
        let proof = tree.prove(&key(i)).unwrap();
        let found = proof.verify(&root, &key(i)).unwrap();
        if i < 50 {
            assert_eq!(found, Some(sha3_256(&val(i))));
        } else {
            assert_eq!(found, None);
        }
        assert_eq!(proof.verify(&sha3_256(b"other root"), &key(i)), Err(ProofError::RootMismatch));
    }
    // Any change to a proof's hashes or shape breaks it.
    for i in [0u32, 17, 49, 55] {
        let proof = tree.prove(&key(i)).unwrap();
        for level in 0..proof.siblings.len() {
            for position in 0..3 {
                let mut tampered = proof.clone();
                tampered.siblings[level][position].0[0] ^= 1;
                assert!(tampered.verify(&root, &key(i)).is_err());
            }
        }
        let mut shorter = proof.clone();
        shorter.siblings.pop();
        assert!(shorter.verify(&root, &key(i)).is_err());
        let mut longer = proof.clone();
        longer.siblings.push([Hash::ZERO; 3]);
        assert!(longer.verify(&root, &key(i)).is_err());
    }
    // A proof of one key does not prove another.
    let proof = tree.prove(&key(3)).unwrap();
    assert!(proof.verify(&root, &key(4)).is_err() || proof.verify(&root, &key(4)) == Ok(None));
    assert_ne!(proof.verify(&root, &key(4)), Ok(Some(sha3_256(&val(3)))));
}

proptest::proptest! {
    /// Writes and removals on one version, made in place where it alone holds a node, never change an
    /// older version's root or contents, and every version's root is that of a fresh build.
    #[test]
    fn in_place_updates_leave_other_versions_alone(
        ops in proptest::collection::vec((0u32..64, proptest::option::of(0u32..1000)), 1..200)
    ) {
        let mut tree = Tree::default();
        type Entries = Vec<(Hash, Arc<Vec<u8>>)>;
        let mut versions: Vec<(Tree, Hash, Entries)> = Vec::new();
        for (i, (k, v)) in ops.into_iter().enumerate() {
            tree.set(key(k), v.map(val)).unwrap();
            if i % 7 == 0 {
                versions.push((tree.clone(), tree.root(), tree.entries()));
            }
        }
        versions.push((tree.clone(), tree.root(), tree.entries()));
        for (version, root, entries) in versions {
            proptest::prop_assert_eq!(version.root(), root);
            proptest::prop_assert_eq!(version.entries(), entries.clone());
            proptest::prop_assert_eq!(Tree::from_sorted(&entries).root(), root);
                    }
    }
}

#[test]
fn versions_are_independent() {
    let mut tree = Tree::default();
    tree.set(key(1), Some(val(1))).unwrap();
    let snapshot = tree.clone();
    tree.set(key(2), Some(val(2))).unwrap();
    assert_eq!(snapshot.get(&key(2)).unwrap(), None);
    assert_eq!(tree.get(&key(2)).unwrap().map(|v| v.as_slice()), Some(&val(2)[..]));
}

fn full(n: u32) -> Tree {
    let mut tree = Tree::default();
    for i in 0..n {
        tree.set(key(i), Some(val(i))).unwrap();
    }
    tree
}

fn proven(tree: &Tree, k: Hash, with_value: bool) -> ProvenKey {
    let value = if with_value { tree.get(&k).unwrap().map(|v| v.to_vec()) } else { None };
    ProvenKey { key: k, proof: tree.prove(&k).unwrap(), value }
}

/// Applies `ops` to a full tree and to the partial tree of the keys they touch (with removal neighbours);
/// both must reach the same root. Returns the keys proven.
fn run_on_both(tree: &Tree, ops: &[(Hash, Option<Arc<Vec<u8>>>)]) -> (Tree, Vec<ProvenKey>) {
    let mut after = tree.clone();
    let mut touched = std::collections::BTreeSet::new();
    for (k, v) in ops {
        touched.insert(*k);
        if v.is_none()
            && let Some(n) = after.removal_neighbour(k).unwrap()
        {
            touched.insert(n);
        }
        after.set(*k, v.clone()).unwrap();
    }
    let proofs: Vec<ProvenKey> = touched.iter().map(|k| proven(tree, *k, false)).collect();
    let mut partial = Tree::from_proofs(&tree.root(), &proofs).unwrap();
    assert_eq!(partial.root(), tree.root());
    for (k, v) in ops {
        partial.set(*k, v.clone()).unwrap();
    }
    assert_eq!(partial.root(), after.root());
    (after, proofs)
}

#[test]
fn partial_tree_reads_proven_keys_and_refuses_the_rest() {
    let tree = full(200);
    let proofs = vec![proven(&tree, key(5), true), proven(&tree, key(6), false), proven(&tree, key(999), false)];
    let partial = Tree::from_proofs(&tree.root(), &proofs).unwrap();
    assert_eq!(partial.root(), tree.root());
    assert_eq!(partial.get(&key(5)).unwrap(), tree.get(&key(5)).unwrap());
    // Proven without its value: its presence and value hash are known, the value is not.
    assert_eq!(partial.value_hash(&key(6)).unwrap(), Some(sha3_256(&val(6))));
    assert_eq!(partial.get(&key(6)), Err(Incomplete { key: key(6) }));
    assert_eq!(partial.get(&key(999)).unwrap(), None);
    assert_eq!(partial.get(&key(7)), Err(Incomplete { key: key(7) }));
    let mut writable = partial.clone();
    assert_eq!(writable.set(key(7), Some(val(1))), Err(Incomplete { key: key(7) }));
    assert_eq!(writable.root(), tree.root(), "a refused write changes nothing");
}

#[test]
fn partial_tree_follows_writes_and_removals_with_neighbours() {
    let tree = full(300);
    let ops: Vec<(Hash, Option<Arc<Vec<u8>>>)> = vec![
        (key(1), Some(val(77))),
        (key(5000), Some(val(1))),
        (key(2), None),
        (key(3), None),
        (key(4), Some(val(4))),
    ];
    let (after, proofs) = run_on_both(&tree, &ops);
    assert!(never_wrong_without_one_proof(&tree, &ops, &proofs, &after));
}

/// Whether, without any one of `proofs`, applying `ops` either stops incomplete or reaches `after`'s root.
fn never_wrong_without_one_proof(
    tree: &Tree,
    ops: &[(Hash, Option<Arc<Vec<u8>>>)],
    proofs: &[ProvenKey],
    after: &Tree,
) -> bool {
    (0..proofs.len()).all(|skip| {
        let fewer: Vec<ProvenKey> =
            proofs.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, p)| p.clone()).collect();
        let mut partial = Tree::from_proofs(&tree.root(), &fewer).unwrap();
        let result = ops.iter().try_for_each(|(k, v)| partial.set(*k, v.clone()));
        result.is_err() || partial.root() == after.root()
    })
}

#[test]
fn bad_witnesses_are_refused() {
    let tree = full(50);
    let root = tree.root();
    let good = proven(&tree, key(3), true);
    let mut wrong_value = good.clone();
    wrong_value.value = Some(vec![1, 2, 3]);
    assert_eq!(Tree::from_proofs(&root, &[wrong_value]).unwrap_err(), WitnessError::ValueMismatch { key: key(3) });
    let mut wrong_key = good.clone();
    wrong_key.key = key(4);
    assert!(matches!(Tree::from_proofs(&root, &[wrong_key]), Err(WitnessError::BadProof { .. })));
    assert!(matches!(
        Tree::from_proofs(&sha3_256(b"x"), std::slice::from_ref(&good)),
        Err(WitnessError::BadProof { .. })
    ));
    assert_eq!(
        Tree::from_proofs(&root, &[good.clone(), good.clone()]).unwrap_err(),
        WitnessError::Duplicate { key: key(3) }
    );
    let absent = proven(&tree, key(900), false);
    let mut value_for_absent = absent.clone();
    value_for_absent.value = Some(vec![]);
    assert_eq!(
        Tree::from_proofs(&root, &[value_for_absent]).unwrap_err(),
        WitnessError::ValueMismatch { key: key(900) }
    );
    assert!(Tree::from_proofs(&root, &[good, absent]).is_ok());
}

proptest::proptest! {
    /// Random writes and removals on random trees: the partial tree of the touched keys reaches the full
    /// tree's root, and without any one proof it never reaches a different root.
    #[test]
    fn partial_trees_agree_with_full_trees(
        size in 0u32..200,
        ops in proptest::collection::vec((0u32..260, proptest::option::of(0u32..1000)), 1..12),
    ) {
        let tree = full(size);
        let ops: Vec<(Hash, Option<Arc<Vec<u8>>>)> = ops.into_iter().map(|(k, v)| (key(k), v.map(val))).collect();
        let (after, proofs) = run_on_both(&tree, &ops);
        proptest::prop_assert!(never_wrong_without_one_proof(&tree, &ops, &proofs, &after));
    }
}
