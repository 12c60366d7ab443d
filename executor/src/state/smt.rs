//! The state commitment: a compact sparse Merkle tree over SHA3-256, keyed by 256-bit key hashes.
//!
//! A subtree holding no leaf hashes to zero; a subtree holding one leaf *is* that leaf (it floats up to
//! where its path first diverges from every other key); an internal node hashes its two children. So the
//! root depends only on the set of (key, value) pairs, never on insertion order. Nodes are shared (`Arc`)
//! between versions: each version is a root pointer, old versions cost only the nodes they do not share,
//! and reverting is dropping a pointer. A node only one version holds is updated in place, and hashes are
//! computed when first asked for, so a run of writes between two roots hashes each changed node once.
//!
//! Proofs list the sibling hashes from the root down to where the key's path ends, and what is there: the
//! key's own leaf (inclusion), nothing, or another key's leaf (exclusion).

use std::sync::{Arc, OnceLock};

use zr_common::Hash;
use zr_common::hash::sha3_256_concat;

const LEAF_TAG: [u8; 1] = [0];
const INTERNAL_TAG: [u8; 1] = [1];

/// The leaf hash of a key and the hash of its value.
pub fn leaf_hash(key: &Hash, value_hash: &Hash) -> Hash {
    sha3_256_concat([&LEAF_TAG[..], &key.0, &value_hash.0])
}

fn internal_hash(left: &Hash, right: &Hash) -> Hash {
    sha3_256_concat([&INTERNAL_TAG[..], &left.0, &right.0])
}

fn bit(key: &Hash, depth: usize) -> bool {
    key.0[depth / 8] & (0x80 >> (depth % 8)) != 0
}

/// A tree node. Its hash is computed on first use and cleared when the node changes.
#[derive(Debug, Clone)]
enum Node {
    /// One key and its value.
    Leaf { key: Hash, value: Arc<Vec<u8>>, hash: OnceLock<Hash> },
    /// Two subtrees, at least two leaves below: keys whose next bit is 0 on the left, 1 on the right.
    Internal { left: Option<Arc<Node>>, right: Option<Arc<Node>>, hash: OnceLock<Hash> },
}

impl Node {
    fn hash(&self) -> Hash {
        match self {
            Node::Leaf { key, value, hash } => *hash.get_or_init(|| leaf_hash(key, &zr_common::sha3_256(value))),
            Node::Internal { left, right, hash } => {
                *hash.get_or_init(|| internal_hash(&hash_of(left), &hash_of(right)))
            }
        }
    }

    fn leaf(key: Hash, value: Arc<Vec<u8>>) -> Arc<Node> {
        Arc::new(Node::Leaf { key, value, hash: OnceLock::new() })
    }

    fn internal(left: Option<Arc<Node>>, right: Option<Arc<Node>>) -> Arc<Node> {
        Arc::new(Node::Internal { left, right, hash: OnceLock::new() })
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
    /// Sibling hashes from the root down (zero for an empty sibling).
    pub siblings: Vec<Hash>,
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
    #[error("proof longer than 256 levels")]
    TooLong,
}

impl Proof {
    /// Checks the proof against `root` for `key`; returns the value hash if present, `None` if absent.
    pub fn verify(&self, root: &Hash, key: &Hash) -> Result<Option<Hash>, ProofError> {
        if self.siblings.len() > 256 {
            return Err(ProofError::TooLong);
        }
        let depth = self.siblings.len();
        let (mut hash, found) = match &self.end {
            ProofEnd::Empty => (Hash::ZERO, None),
            ProofEnd::Leaf { key: leaf_key, value_hash } => {
                if (0..depth).any(|d| bit(leaf_key, d) != bit(key, d)) {
                    return Err(ProofError::OffPath);
                }
                let found = (leaf_key == key).then_some(*value_hash);
                (leaf_hash(leaf_key, value_hash), found)
            }
        };
        for (d, sibling) in self.siblings.iter().enumerate().rev() {
            hash = if bit(key, d) { internal_hash(sibling, &hash) } else { internal_hash(&hash, sibling) };
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
                Node::Internal { left, right, .. } => {
                    node = if bit(key, depth) { right.as_ref()? } else { left.as_ref()? };
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
                Some(Node::Internal { left, right, .. }) => {
                    let (next, sibling) = if bit(key, depth) { (right, left) } else { (left, right) };
                    siblings.push(hash_of(sibling));
                    node = next.as_ref();
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
                Node::Internal { left, right, .. } => {
                    stack.extend(right.iter());
                    stack.extend(left.iter());
                }
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
    let (left, right) = children_mut(node);
    insert(if bit(&key, depth) { right } else { left }, key, value, depth + 1)
}

/// The children of an internal node, for changing one: the node is copied first if another version holds
/// it, and its hash is cleared.
fn children_mut(node: &mut Arc<Node>) -> (&mut Option<Arc<Node>>, &mut Option<Arc<Node>>) {
    match Arc::make_mut(node) {
        Node::Internal { left, right, hash } => {
            hash.take();
            (left, right)
        }
        Node::Leaf { .. } => unreachable!("children_mut is called on internal nodes only"),
    }
}

/// Two leaves that share the path down to `depth`: internal nodes until their bits differ.
fn split(a: Arc<Node>, a_key: Hash, b: Arc<Node>, b_key: Hash, depth: usize) -> Arc<Node> {
    let (a_bit, b_bit) = (bit(&a_key, depth), bit(&b_key, depth));
    if a_bit == b_bit {
        let child = split(a, a_key, b, b_key, depth + 1);
        if a_bit { Node::internal(None, Some(child)) } else { Node::internal(Some(child), None) }
    } else if a_bit {
        Node::internal(Some(b), Some(a))
    } else {
        Node::internal(Some(a), Some(b))
    }
}

/// Removes `key`, which must be present below `slot`.
fn remove(slot: &mut Option<Arc<Node>>, key: &Hash, depth: usize) {
    let Some(node) = slot else { return };
    if matches!(node.as_ref(), Node::Leaf { .. }) {
        *slot = None;
        return;
    }
    let (left, right) = children_mut(node);
    remove(if bit(key, depth) { &mut *right } else { &mut *left }, key, depth + 1);
    // A subtree left with a single leaf collapses into that leaf.
    let collapsed = match (&*left, &*right) {
        (None, None) => Some(None),
        (Some(only), None) | (None, Some(only)) if matches!(only.as_ref(), Node::Leaf { .. }) => {
            Some(Some(only.clone()))
        }
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
            let split_at = entries.partition_point(|(k, _)| !bit(k, depth));
            let (left, right) = entries.split_at(split_at);
            Some(Node::internal(build(left, depth + 1), build(right, depth + 1)))
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
