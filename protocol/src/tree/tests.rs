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

type Ops = [(Hash, Option<Arc<Vec<u8>>>)];

fn set(keys: impl IntoIterator<Item = Hash>) -> std::collections::BTreeSet<Hash> {
    keys.into_iter().collect()
}

/// Applies `ops` to a full tree and to the partial tree of the keys they touch (with removal neighbours);
/// both must reach the same root. Returns the tree after and the keys proven.
fn run_on_both(tree: &Tree, ops: &Ops) -> (Tree, Vec<Hash>) {
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
    let proof = tree.multiproof(&touched, &set([])).unwrap();
    let mut partial = Tree::from_multiproof(&tree.root(), &proof).unwrap();
    assert_eq!(partial.root(), tree.root());
    assert_eq!(partial.multiproof(&touched, &set([])).unwrap(), proof, "the canonical form rebuilds");
    for (k, v) in ops {
        partial.set(*k, v.clone()).unwrap();
    }
    assert_eq!(partial.root(), after.root());
    (after, touched.into_iter().collect())
}

#[test]
fn partial_tree_reads_proven_keys_and_refuses_the_rest() {
    let tree = full(200);
    let proof = tree.multiproof(&set([key(5), key(6), key(999)]), &set([key(5)])).unwrap();
    let partial = Tree::from_multiproof(&tree.root(), &proof).unwrap();
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
    // A value the partial tree knows only by hash cannot be carried on.
    assert!(partial.multiproof(&set([key(6)]), &set([key(6)])).is_err());
}

#[test]
fn shared_paths_are_paid_once() {
    let tree = full(1000);
    let one = tree.multiproof(&set([key(1)]), &set([])).unwrap().nodes.len();
    let two = tree.multiproof(&set([key(1), key(2)]), &set([])).unwrap().nodes.len();
    let hashes = |keys| {
        tree.multiproof(&keys, &set([])).unwrap().nodes.iter().filter(|n| matches!(n, MultiNode::Hash { .. })).count()
    };
    assert!(two < 2 * one, "two paths share at least the root: {two} nodes against {one} for one");
    assert!(hashes(set([key(1), key(2)])) < hashes(set([key(1)])) + hashes(set([key(2)])));
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
    let (after, proven) = run_on_both(&tree, &ops);
    assert!(never_wrong_without_one_key(&tree, &ops, &proven, &after));
}

/// Whether, without any one of the `proven` keys, applying `ops` either stops incomplete or reaches `after`'s
/// root.
fn never_wrong_without_one_key(tree: &Tree, ops: &Ops, proven: &[Hash], after: &Tree) -> bool {
    (0..proven.len()).all(|skip| {
        let fewer = set(proven.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, k)| *k));
        let mut partial = Tree::from_multiproof(&tree.root(), &tree.multiproof(&fewer, &set([])).unwrap()).unwrap();
        let result = ops.iter().try_for_each(|(k, v)| partial.set(*k, v.clone()));
        result.is_err() || partial.root() == after.root()
    })
}

#[test]
fn bad_multiproofs_are_refused() {
    let tree = full(50);
    let root = tree.root();
    let good = tree.multiproof(&set([key(3), key(900)]), &set([key(3)])).unwrap();
    assert!(Tree::from_multiproof(&root, &good).is_ok());
    let refused = |nodes: Vec<MultiNode>| Tree::from_multiproof(&root, &Multiproof { nodes }).unwrap_err();
    // Every single change to a node is refused: a value, a hash, a key, a node's kind.
    for i in 0..good.nodes.len() {
        let mut tampered = good.nodes.clone();
        tampered[i] = match &tampered[i] {
            MultiNode::Value { key, value } => MultiNode::Value { key: *key, value: [value.as_slice(), &[0]].concat() },
            MultiNode::Hash { hash } => MultiNode::Hash { hash: sha3_256(&hash.0) },
            MultiNode::Leaf { key, value_hash } => MultiNode::Leaf { key: *key, value_hash: sha3_256(&value_hash.0) },
            MultiNode::Branch => MultiNode::Empty,
            MultiNode::Empty => MultiNode::Hash { hash: key(1) },
        };
        refused(tampered);
    }
    let mut truncated = good.nodes.clone();
    truncated.pop();
    assert_eq!(refused(truncated), WitnessError::Truncated);
    let mut longer = good.nodes.clone();
    longer.push(MultiNode::Empty);
    assert_eq!(refused(longer), WitnessError::Trailing { extra: 1 });
    assert!(matches!(Tree::from_multiproof(&sha3_256(b"x"), &good), Err(WitnessError::RootMismatch { .. })));
    assert_eq!(refused(vec![MultiNode::Hash { hash: Hash::ZERO }]), WitnessError::NotCompact { depth: 0 });
    let empty = || MultiNode::Empty;
    assert_eq!(
        refused(vec![MultiNode::Branch, empty(), empty(), empty(), empty()]),
        WitnessError::NotCompact { depth: 0 }
    );
    // A lone leaf below a branch should have floated up.
    let lone = MultiNode::Leaf { key: Hash([0; 32]), value_hash: Hash([1; 32]) };
    assert_eq!(
        refused(vec![MultiNode::Branch, lone, empty(), empty(), empty()]),
        WitnessError::NotCompact { depth: 0 }
    );
    // A leaf placed under the wrong branch (digit 0 holds keys starting with bits 00).
    let (low, high) = (Hash([0; 32]), Hash([0xff; 32]));
    let off = MultiNode::Leaf { key: high, value_hash: low };
    let beside = MultiNode::Leaf { key: low, value_hash: low };
    assert_eq!(refused(vec![MultiNode::Branch, off, beside, empty(), empty()]), WitnessError::OffPath { key: high });
    // Branches nested past 128 levels, without recursing out of the stack.
    assert_eq!(refused(vec![MultiNode::Branch; 300]), WitnessError::TooDeep);
}

/// The multiproof encoding is pinned: a format change must fail here.
#[test]
fn golden_multiproof() {
    let mut tree = Tree::default();
    for i in 1..=3 {
        tree.set(key(i), Some(val(i))).unwrap();
    }
    let proof = tree.multiproof(&set([key(1), key(7)]), &set([key(1)])).unwrap();
    let bytes = zr_common::codec::encode(&proof);
    assert_eq!(zr_common::codec::decode::<Multiproof>("multiproof", &bytes, 1 << 20).unwrap(), proof);
    // Kinds: branch, branch, empty, hash, value, empty, leaf, empty, empty; then four hashes, then one value.
    assert_eq!(
        hex::encode(&bytes),
        "090000000000000001010002040003000004000000000000003f07adfcda2fa82fbd88b433e5d352e31a3a27b1181061172023\
         9b497244f97a295cd1698c6ac5bd804a09e50f19f8549475e52db1c6ebd441ed0c7b256e1ddf60c2a8073325723836f33d900267\
         acbb341b4a1ed9cac675e75df2abbad4207b4f9edd3afef43bc2a9bfc1257b99c5dee09d5f460869240330b69fa535f6b3ce0100\
         000000000000040000000000000000000001"
    );
}

proptest::proptest! {
    /// Random writes and removals on random trees: the partial tree of the touched keys reaches the full
    /// tree's root, and without any one key it never reaches a different root.
    #[test]
    fn partial_trees_agree_with_full_trees(
        size in 0u32..200,
        ops in proptest::collection::vec((0u32..260, proptest::option::of(0u32..1000)), 1..12),
    ) {
        let tree = full(size);
        let ops: Vec<(Hash, Option<Arc<Vec<u8>>>)> = ops.into_iter().map(|(k, v)| (key(k), v.map(val))).collect();
        let (after, proven) = run_on_both(&tree, &ops);
        proptest::prop_assert!(never_wrong_without_one_key(&tree, &ops, &proven, &after));
    }

    /// Any bytes decode to an error or a multiproof, and any multiproof builds a tree or an error: no panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
        if let Ok(proof) = zr_common::codec::decode::<Multiproof>("multiproof", &bytes, 1 << 20) {
            let _ = Tree::from_multiproof(&Hash::ZERO, &proof);
        }
    }
}
