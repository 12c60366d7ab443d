//! The state commitment: a compact sparse Merkle tree of arity 4 over SHA3-256, keyed by 256-bit key hashes
//! read two bits per level, most significant first.
//!
//! A subtree holding no leaf hashes to zero; a subtree holding one leaf *is* that leaf (it floats up to
//! where its path first diverges from every other key); a subtree holding more is an internal node hashing
//! its four children: SHA3(1 ‖ h0 ‖ h1 ‖ h2 ‖ h3), 129 bytes, one Keccak permutation. Arity 4 halves the
//! depth of a binary tree for the same work per level, so a write costs half the hashing (about 10 levels
//! for a million keys). The root depends only on the set of (key, value) pairs, never on insertion order.
//!
//! Nodes are shared (`Arc`) between versions: each version is a root pointer, old versions cost only the
//! nodes they do not share, and reverting is dropping a pointer. A node only one version holds is updated in
//! place, and hashes are computed when first asked for, so a run of writes between two roots hashes each
//! changed node once.
//!
//! Proofs list, from the root down, the three other children of each node on the key's path, and what the
//! path ends at: the key's own leaf (inclusion), nothing, or another key's leaf (exclusion).

use std::sync::{Arc, OnceLock};

use zr_common::Hash;
use zr_common::hash::sha3_256_concat;

const LEAF_TAG: [u8; 1] = [0];
const INTERNAL_TAG: [u8; 1] = [1];
/// Levels of a 256-bit key, two bits each.
const MAX_DEPTH: usize = 128;

/// The leaf hash of a key and the hash of its value.
pub fn leaf_hash(key: &Hash, value_hash: &Hash) -> Hash {
    sha3_256_concat([&LEAF_TAG[..], &key.0, &value_hash.0])
}

fn internal_hash(children: &[Hash; 4]) -> Hash {
    sha3_256_concat([&INTERNAL_TAG[..], &children[0].0, &children[1].0, &children[2].0, &children[3].0])
}

/// The child a key goes to at `depth`: bits 2·depth and 2·depth + 1.
fn digit(key: &Hash, depth: usize) -> usize {
    usize::from((key.0[depth / 4] >> (6 - 2 * (depth % 4))) & 3)
}

type Children = [Option<Arc<Node>>; 4];

/// A tree node. Its hash is computed on first use and cleared when the node changes.
#[derive(Debug, Clone)]
enum Node {
    /// One key and its value.
    Leaf { key: Hash, value: Arc<Vec<u8>>, hash: OnceLock<Hash> },
    /// At least two leaves below, split by their next digit.
    Internal { children: Children, hash: OnceLock<Hash> },
}

impl Node {
    fn hash(&self) -> Hash {
        match self {
            Node::Leaf { key, value, hash } => *hash.get_or_init(|| leaf_hash(key, &zr_common::sha3_256(value))),
            Node::Internal { children, hash } => *hash.get_or_init(|| internal_hash(&children.each_ref().map(hash_of))),
        }
    }

    fn leaf(key: Hash, value: Arc<Vec<u8>>) -> Arc<Node> {
        Arc::new(Node::Leaf { key, value, hash: OnceLock::new() })
    }

    fn internal(children: Children) -> Arc<Node> {
        Arc::new(Node::Internal { children, hash: OnceLock::new() })
    }
}

fn hash_of(node: &Option<Arc<Node>>) -> Hash {
    node.as_ref().map_or(Hash::ZERO, |n| n.hash())
}

/// One version of the tree. Cloning is O(1).
#[derive(Debug, Clone, Default)]
pub struct Tree {
    root: Option<Arc<Node>>,
    len: usize,
}

/// What a proof's path ends at.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum ProofEnd {
    /// Nothing: the key is absent.
    Empty,
    /// A leaf: the key's own (inclusion) or another key's sharing the path (exclusion).
    Leaf {
        /// The leaf's key hash.
        key: Hash,
        /// The hash of the leaf's value.
        value_hash: Hash,
    },
}

/// A Merkle proof of one key's presence (with its value hash) or absence.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// Per level from the root down, the hashes of the three other children, in child order (zero for an
    /// empty child).
    pub siblings: Vec<[Hash; 3]>,
    /// What the path ends at.
    pub end: ProofEnd,
}

/// A proof does not match the root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The recomputed root differs.
    #[error("proof does not lead to the root")]
    RootMismatch,
    /// The proof's leaf does not belong on the key's path.
    #[error("proof leaf is not on the key's path")]
    OffPath,
    /// Longer than a 256-bit path.
    #[error("proof longer than {MAX_DEPTH} levels")]
    TooLong,
}

impl Proof {
    /// Checks the proof against `root` for `key`; returns the value hash if present, `None` if absent.
    pub fn verify(&self, root: &Hash, key: &Hash) -> Result<Option<Hash>, ProofError> {
        if self.siblings.len() > MAX_DEPTH {
            return Err(ProofError::TooLong);
        }
        let depth = self.siblings.len();
        let (mut hash, found) = match &self.end {
            ProofEnd::Empty => (Hash::ZERO, None),
            ProofEnd::Leaf { key: leaf_key, value_hash } => {
                if (0..depth).any(|d| digit(leaf_key, d) != digit(key, d)) {
                    return Err(ProofError::OffPath);
                }
                let found = (leaf_key == key).then_some(*value_hash);
                (leaf_hash(leaf_key, value_hash), found)
            }
        };
        for (d, others) in self.siblings.iter().enumerate().rev() {
            let own = digit(key, d);
            let mut others = others.iter();
            let children = std::array::from_fn(|i| if i == own { hash } else { *others.next().expect("three others") });
            hash = internal_hash(&children);
        }
        if hash != *root {
            return Err(ProofError::RootMismatch);
        }
        Ok(found)
    }
}

impl Tree {
    /// The root hash; zero for the empty tree.
    pub fn root(&self) -> Hash {
        hash_of(&self.root)
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the tree is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of `key`.
    pub fn get(&self, key: &Hash) -> Option<&Arc<Vec<u8>>> {
        let mut node = self.root.as_ref()?;
        let mut depth = 0;
        loop {
            match node.as_ref() {
                Node::Leaf { key: k, value, .. } => return (k == key).then_some(value),
                Node::Internal { children, .. } => {
                    node = children[digit(key, depth)].as_ref()?;
                    depth += 1;
                }
            }
        }
    }

    /// Sets `key` to `value`, or removes it for `None`.
    pub fn set(&mut self, key: Hash, value: Option<Arc<Vec<u8>>>) {
        match value {
            Some(value) => self.len += usize::from(insert(&mut self.root, key, value, 0)),
            // Checking first keeps a removal of an absent key from copying the shared path.
            None if self.get(&key).is_some() => {
                remove(&mut self.root, &key, 0);
                self.len -= 1;
            }
            None => {}
        }
    }

    /// Builds a tree from key-sorted, distinct entries in O(n) hashes.
    pub fn from_sorted(entries: &[(Hash, Arc<Vec<u8>>)]) -> Tree {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        Tree { root: build(entries, 0), len: entries.len() }
    }

    /// A proof of `key` (present or absent).
    pub fn prove(&self, key: &Hash) -> Proof {
        let mut siblings = Vec::new();
        let mut node = self.root.as_ref();
        let mut depth = 0;
        loop {
            match node.map(Arc::as_ref) {
                None => return Proof { siblings, end: ProofEnd::Empty },
                Some(Node::Leaf { key: k, value, .. }) => {
                    return Proof { siblings, end: ProofEnd::Leaf { key: *k, value_hash: zr_common::sha3_256(value) } };
                }
                Some(Node::Internal { children, .. }) => {
                    let own = digit(key, depth);
                    let mut others = (0..4).filter(|i| *i != own).map(|i| hash_of(&children[i]));
                    siblings.push(std::array::from_fn(|_| others.next().expect("three others")));
                    node = children[own].as_ref();
                    depth += 1;
                }
            }
        }
    }

    /// Every (key, value), in key order.
    pub fn entries(&self) -> Vec<(Hash, Arc<Vec<u8>>)> {
        let mut out = Vec::with_capacity(self.len);
        let mut stack: Vec<&Arc<Node>> = self.root.iter().collect();
        while let Some(node) = stack.pop() {
            match node.as_ref() {
                Node::Leaf { key, value, .. } => out.push((*key, value.clone())),
                Node::Internal { children, .. } => stack.extend(children.iter().rev().flatten()),
            }
        }
        out
    }
}

/// Sets `key` below `slot`; returns whether the key is new. Nodes on the path are updated in place when
/// this version alone holds them, copied otherwise.
fn insert(slot: &mut Option<Arc<Node>>, key: Hash, value: Arc<Vec<u8>>, depth: usize) -> bool {
    let Some(node) = slot else {
        *slot = Some(Node::leaf(key, value));
        return true;
    };
    if let Node::Leaf { key: existing, .. } = node.as_ref() {
        if *existing != key {
            let existing = *existing;
            let old = slot.take().expect("slot holds the leaf just matched");
            *slot = Some(split(old, existing, Node::leaf(key, value), key, depth));
            return true;
        }
        match Arc::get_mut(node) {
            Some(Node::Leaf { value: stored, hash, .. }) => {
                *stored = value;
                hash.take();
            }
            _ => *node = Node::leaf(key, value),
        }
        return false;
    }
    insert(&mut children_mut(node)[digit(&key, depth)], key, value, depth + 1)
}

/// The children of an internal node, for changing one: the node is copied first if another version holds
/// it, and its hash is cleared.
fn children_mut(node: &mut Arc<Node>) -> &mut Children {
    match Arc::make_mut(node) {
        Node::Internal { children, hash } => {
            hash.take();
            children
        }
        Node::Leaf { .. } => unreachable!("children_mut is called on internal nodes only"),
    }
}

/// Two leaves that share the path down to `depth`: internal nodes until their digits differ.
fn split(a: Arc<Node>, a_key: Hash, b: Arc<Node>, b_key: Hash, depth: usize) -> Arc<Node> {
    let (a_digit, b_digit) = (digit(&a_key, depth), digit(&b_key, depth));
    let mut children: Children = Default::default();
    if a_digit == b_digit {
        children[a_digit] = Some(split(a, a_key, b, b_key, depth + 1));
    } else {
        children[a_digit] = Some(a);
        children[b_digit] = Some(b);
    }
    Node::internal(children)
}

/// Removes `key`, which must be present below `slot`.
fn remove(slot: &mut Option<Arc<Node>>, key: &Hash, depth: usize) {
    let Some(node) = slot else { return };
    if matches!(node.as_ref(), Node::Leaf { .. }) {
        *slot = None;
        return;
    }
    let children = children_mut(node);
    remove(&mut children[digit(key, depth)], key, depth + 1);
    // A subtree left with a single leaf collapses into that leaf.
    let mut present = children.iter().flatten();
    let collapsed = match (present.next(), present.next()) {
        (None, _) => Some(None),
        (Some(only), None) if matches!(only.as_ref(), Node::Leaf { .. }) => Some(Some(only.clone())),
        _ => None,
    };
    if let Some(replacement) = collapsed {
        *slot = replacement;
    }
}

fn build(entries: &[(Hash, Arc<Vec<u8>>)], depth: usize) -> Option<Arc<Node>> {
    match entries {
        [] => None,
        [(key, value)] => Some(Node::leaf(*key, value.clone())),
        _ => {
            let mut rest = entries;
            let children = std::array::from_fn(|d| {
                let end = rest.partition_point(|(k, _)| digit(k, depth) == d);
                let (these, after) = rest.split_at(end);
                rest = after;
                build(these, depth + 1)
            });
            Some(Node::internal(children))
        }
    }
}

#[cfg(test)]
mod tests {
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
            a.set(key(i), Some(val(i)));
            b.set(key(299 - i), Some(val(299 - i)));
        }
        assert_eq!(a.root(), b.root());
        let mut sorted: Vec<_> = (0..300).map(|i| (key(i), val(i))).collect();
        sorted.sort_by_key(|(k, _)| *k);
        assert_eq!(Tree::from_sorted(&sorted).root(), a.root());
        assert_eq!(a.len(), 300);
        assert_eq!(a.entries().len(), 300);
    }

    /// The commitment's format is pinned: a change to hashing, arity or key layout must fail here.
    #[test]
    fn golden_roots() {
        let mut tree = Tree::default();
        assert_eq!(tree.root(), Hash::ZERO);
        tree.set(key(1), Some(val(1)));
        assert_eq!(tree.root(), leaf_hash(&key(1), &sha3_256(&val(1))));
        for i in 2..=5 {
            tree.set(key(i), Some(val(i)));
        }
        // Computed independently (Python hashlib.sha3_256 over the same rules).
        assert_eq!(tree.root().to_string(), "821b363cc4a5ba6b9fbfe462adcd017e792346fcfee0dcf13ed566ef3fdc0bba");
        let proof = tree.prove(&key(3));
        assert_eq!(proof.verify(&tree.root(), &key(3)), Ok(Some(sha3_256(&val(3)))));
    }

    #[test]
    fn removal_restores_the_previous_root() {
        let mut tree = Tree::default();
        for i in 0..100 {
            tree.set(key(i), Some(val(i)));
        }
        let before = tree.root();
        tree.set(key(1000), Some(val(1000)));
        assert_ne!(tree.root(), before);
        tree.set(key(1000), None);
        assert_eq!(tree.root(), before);
        for i in 0..100 {
            tree.set(key(i), None);
        }
        assert_eq!(tree.root(), Hash::ZERO);
        assert!(tree.is_empty());
    }

    #[test]
    fn proofs_verify_against_their_root_only() {
        let mut tree = Tree::default();
        for i in 0..50 {
            tree.set(key(i), Some(val(i)));
        }
        let root = tree.root();
        for i in 0..60 {
            let proof = tree.prove(&key(i));
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
            let proof = tree.prove(&key(i));
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
        let proof = tree.prove(&key(3));
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
                tree.set(key(k), v.map(val));
                if i % 7 == 0 {
                    versions.push((tree.clone(), tree.root(), tree.entries()));
                }
            }
            versions.push((tree.clone(), tree.root(), tree.entries()));
            for (version, root, entries) in versions {
                proptest::prop_assert_eq!(version.root(), root);
                proptest::prop_assert_eq!(version.entries(), entries.clone());
                proptest::prop_assert_eq!(Tree::from_sorted(&entries).root(), root);
                proptest::prop_assert_eq!(version.len(), entries.len());
            }
        }
    }

    #[test]
    fn versions_are_independent() {
        let mut tree = Tree::default();
        tree.set(key(1), Some(val(1)));
        let snapshot = tree.clone();
        tree.set(key(2), Some(val(2)));
        assert_eq!(snapshot.get(&key(2)), None);
        assert_eq!(tree.get(&key(2)).map(|v| v.as_slice()), Some(&val(2)[..]));
    }
}
