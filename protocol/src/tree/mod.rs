//! The state commitment: a compact sparse Merkle tree of arity 4 over SHA3-256, keyed by 256-bit key hashes
//! read two bits per level, most significant first.
//!
//! A subtree holding no leaf hashes to zero; a subtree holding one leaf *is* that leaf (it floats up to
//! where its path first diverges from every other key); a subtree holding more is an internal node hashing
//! its four children: SHA3(1 ‖ h0 ‖ h1 ‖ h2 ‖ h3), 129 bytes, one Keccak permutation. A leaf hashes as
//! SHA3(0 ‖ key ‖ SHA3(value)). The root depends only on the set of (key, value) pairs, never on insertion
//! order.
//!
//! Arity 4 because every transaction's post-state root is computed, and SHA3 hashes 136 bytes per
//! permutation: four children cost one permutation a level where a binary tree pays one a bit. Measured on
//! a million accounts: four writes and a root take 31 µs here against 51 µs binary, and replay ran 11 653
//! against 8 228 transfers a second; a binary proof would be smaller (a token transfer's witness 3 186 bytes
//! against 3 958), but both are under the 4 KiB a witness may take.
//!
//! Nodes are shared (`Arc`) between versions: each version is a root pointer, old versions cost only the
//! nodes they do not share, and reverting is dropping a pointer. A node only one version holds is updated in
//! place, and hashes are computed when first asked for, so a run of writes between two roots hashes each
//! changed node once.
//!
//! The same tree runs from a witness: [`Tree::from_multiproof`] builds a *partial* tree that holds the subtrees
//! no proof opened by their hashes alone, and leaves whose value was not supplied by key and value hash.
//! Any operation that would need what a partial tree does not hold fails with [`Incomplete`], never with a
//! wrong answer; on a full tree (every value present) no operation ever fails.

mod multiproof;
mod proof;

use std::sync::{Arc, OnceLock};

use zr_common::Hash;
use zr_common::hash::sha3_256_concat;

pub use multiproof::{MultiNode, Multiproof, WitnessError};
pub use proof::{Proof, ProofEnd, ProofError};

const LEAF_TAG: [u8; 1] = [0];
const INTERNAL_TAG: [u8; 1] = [1];
/// Bits of the key read per level.
const DIGIT_BITS: usize = 2;
/// Children of an internal node.
const ARITY: usize = 1 << DIGIT_BITS;
/// Levels of a 256-bit key.
pub const MAX_DEPTH: usize = 256 / DIGIT_BITS;

/// The leaf hash of a key and the hash of its value.
pub fn leaf_hash(key: &Hash, value_hash: &Hash) -> Hash {
    sha3_256_concat([&LEAF_TAG[..], &key.0, &value_hash.0])
}

fn internal_hash(children: &[Hash; ARITY]) -> Hash {
    sha3_256_concat(std::iter::once(&INTERNAL_TAG[..]).chain(children.iter().map(|c| c.0.as_slice())))
}

/// The child a key goes to at `depth`: its digit `depth`, most significant first.
fn digit(key: &Hash, depth: usize) -> usize {
    let bit = depth * DIGIT_BITS;
    usize::from((key.0[bit / 8] >> (8 - DIGIT_BITS - bit % 8)) & (ARITY as u8 - 1))
}

/// `path` with its digit `depth` set to `value`.
fn set_digit(path: &mut Hash, depth: usize, value: usize) {
    let bit = depth * DIGIT_BITS;
    let shift = 8 - DIGIT_BITS - bit % 8;
    let mask = (ARITY as u8 - 1) << shift;
    path.0[bit / 8] = (path.0[bit / 8] & !mask) | ((value as u8) << shift);
}

/// A partial tree was asked for something its witness did not include.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("witness incomplete: key {key} reaches a part of the state the witness does not hold")]
pub struct Incomplete {
    /// The key whose path reached the unknown part.
    pub key: Hash,
}

type Children = [Option<Arc<Node>>; ARITY];

/// A tree node. Its hash is computed on first use and cleared when the node changes.
#[derive(Debug, Clone)]
enum Node {
    /// One key and its value.
    Leaf { key: Hash, value: Arc<Vec<u8>>, hash: OnceLock<Hash> },
    /// At least two leaves below, split by their next digit.
    Internal { children: Children, hash: OnceLock<Hash> },
    /// Partial trees only: a leaf known by its key and value hash, its value not in the witness.
    LeafStub { key: Hash, value_hash: Hash, hash: Hash },
    /// Partial trees only: a non-empty subtree known by its hash alone.
    Opaque { hash: Hash },
}

impl Node {
    fn hash(&self) -> Hash {
        match self {
            Node::Leaf { key, value, hash } => *hash.get_or_init(|| leaf_hash(key, &zr_common::sha3_256(value))),
            Node::Internal { children, hash } => *hash.get_or_init(|| internal_hash(&children.each_ref().map(hash_of))),
            Node::LeafStub { hash, .. } | Node::Opaque { hash } => *hash,
        }
    }

    fn leaf(key: Hash, value: Arc<Vec<u8>>) -> Arc<Node> {
        Arc::new(Node::Leaf { key, value, hash: OnceLock::new() })
    }

    fn internal(children: Children) -> Arc<Node> {
        Arc::new(Node::Internal { children, hash: OnceLock::new() })
    }

    /// The key of a leaf (full or stub).
    fn leaf_key(&self) -> Option<Hash> {
        match self {
            Node::Leaf { key, .. } | Node::LeafStub { key, .. } => Some(*key),
            _ => None,
        }
    }
}

fn hash_of(node: &Option<Arc<Node>>) -> Hash {
    node.as_ref().map_or(Hash::ZERO, |n| n.hash())
}

/// One version of the tree. Cloning is O(1).
#[derive(Debug, Clone, Default)]
pub struct Tree {
    root: Option<Arc<Node>>,
}

impl Tree {
    /// The root hash; zero for the empty tree.
    pub fn root(&self) -> Hash {
        hash_of(&self.root)
    }

    /// Whether the tree holds no key.
    pub fn is_empty(&self) -> bool {
        self.root.is_none()
    }

    /// The value of `key`.
    pub fn get(&self, key: &Hash) -> Result<Option<&Arc<Vec<u8>>>, Incomplete> {
        let Some(mut node) = self.root.as_ref() else { return Ok(None) };
        let mut depth = 0;
        loop {
            match node.as_ref() {
                Node::Leaf { key: k, value, .. } => return Ok((k == key).then_some(value)),
                Node::LeafStub { key: k, .. } if k != key => return Ok(None),
                Node::LeafStub { .. } | Node::Opaque { .. } => return Err(Incomplete { key: *key }),
                Node::Internal { children, .. } => {
                    let Some(child) = children[digit(key, depth)].as_ref() else { return Ok(None) };
                    node = child;
                    depth += 1;
                }
            }
        }
    }

    /// The hash of `key`'s value, `None` if absent: what a proof shows, so a leaf whose value a witness left
    /// out still answers.
    pub fn value_hash(&self, key: &Hash) -> Result<Option<Hash>, Incomplete> {
        let Some(mut node) = self.root.as_ref() else { return Ok(None) };
        let mut depth = 0;
        loop {
            match node.as_ref() {
                Node::Leaf { key: k, value, .. } => return Ok((k == key).then(|| zr_common::sha3_256(value))),
                Node::LeafStub { key: k, value_hash, .. } => return Ok((k == key).then_some(*value_hash)),
                Node::Opaque { .. } => return Err(Incomplete { key: *key }),
                Node::Internal { children, .. } => {
                    let Some(child) = children[digit(key, depth)].as_ref() else { return Ok(None) };
                    node = child;
                    depth += 1;
                }
            }
        }
    }

    /// Whether `key` is present (without hashing its value).
    pub fn contains(&self, key: &Hash) -> Result<bool, Incomplete> {
        let Some(mut node) = self.root.as_ref() else { return Ok(false) };
        let mut depth = 0;
        loop {
            match node.as_ref() {
                Node::Leaf { key: k, .. } | Node::LeafStub { key: k, .. } => return Ok(k == key),
                Node::Opaque { .. } => return Err(Incomplete { key: *key }),
                Node::Internal { children, .. } => {
                    let Some(child) = children[digit(key, depth)].as_ref() else { return Ok(false) };
                    node = child;
                    depth += 1;
                }
            }
        }
    }

    /// Sets `key` to `value`, or removes it for `None`.
    pub fn set(&mut self, key: Hash, value: Option<Arc<Vec<u8>>>) -> Result<(), Incomplete> {
        match value {
            Some(value) => insert(&mut self.root, key, value, 0),
            // Checking first keeps a removal of an absent key from copying the shared path.
            None if self.contains(&key)? => remove(&mut self.root, &key, 0),
            None => Ok(()),
        }
    }

    /// The key of a leaf that a removal of `key` would have to move or keep, if the removal leaves its
    /// parent with one child: a partial tree needs that child opened (a proof of this key) to know whether
    /// it floats up. `None` when removing `key` collapses nothing (or `key` is absent).
    pub fn removal_neighbour(&self, key: &Hash) -> Result<Option<Hash>, Incomplete> {
        let mut node = self.root.as_ref();
        let mut depth = 0;
        let mut parent_other: Option<&Arc<Node>> = None;
        while let Some(current) = node {
            match current.as_ref() {
                Node::Internal { children, .. } => {
                    let own = digit(key, depth);
                    let mut others = children.iter().enumerate().filter(|(i, c)| *i != own && c.is_some());
                    parent_other = match (others.next(), others.next()) {
                        (Some((_, only)), None) => only.as_ref(),
                        _ => None,
                    };
                    node = children[own].as_ref();
                    depth += 1;
                }
                Node::Leaf { key: k, .. } | Node::LeafStub { key: k, .. } if k == key => {
                    return parent_other.map(|other| first_leaf_key(other, key)).transpose();
                }
                Node::Opaque { .. } => return Err(Incomplete { key: *key }),
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    /// Builds a tree from key-sorted, distinct entries in O(n) hashes.
    pub fn from_sorted(entries: &[(Hash, Arc<Vec<u8>>)]) -> Tree {
        debug_assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        Tree { root: build(entries, 0) }
    }

    /// A proof of `key` (present or absent).
    pub fn prove(&self, key: &Hash) -> Result<Proof, Incomplete> {
        let mut siblings = Vec::new();
        let mut node = self.root.as_ref();
        let mut depth = 0;
        loop {
            match node.map(Arc::as_ref) {
                None => return Ok(Proof { siblings, end: ProofEnd::Empty }),
                Some(Node::Leaf { key: k, value, .. }) => {
                    let value_hash = zr_common::sha3_256(value);
                    return Ok(Proof { siblings, end: ProofEnd::Leaf { key: *k, value_hash } });
                }
                Some(Node::LeafStub { key: k, value_hash, .. }) => {
                    return Ok(Proof { siblings, end: ProofEnd::Leaf { key: *k, value_hash: *value_hash } });
                }
                Some(Node::Opaque { .. }) => return Err(Incomplete { key: *key }),
                Some(Node::Internal { children, .. }) => {
                    let own = digit(key, depth);
                    let mut others = (0..ARITY).filter(|i| *i != own).map(|i| hash_of(&children[i]));
                    siblings.push(std::array::from_fn(|_| others.next().expect("arity - 1 others")));
                    node = children[own].as_ref();
                    depth += 1;
                }
            }
        }
    }

    /// Every (key, value) held in full, in key order (all of them, for a full tree).
    pub fn entries(&self) -> Vec<(Hash, Arc<Vec<u8>>)> {
        let mut out = Vec::new();
        let mut stack: Vec<&Arc<Node>> = self.root.iter().collect();
        while let Some(node) = stack.pop() {
            match node.as_ref() {
                Node::Leaf { key, value, .. } => out.push((*key, value.clone())),
                Node::Internal { children, .. } => stack.extend(children.iter().rev().flatten()),
                Node::LeafStub { .. } | Node::Opaque { .. } => {}
            }
        }
        out
    }
}

/// The first leaf key (in digit order) below `node`; `Incomplete` if it lies in an unopened subtree.
fn first_leaf_key(node: &Arc<Node>, asked: &Hash) -> Result<Hash, Incomplete> {
    let mut node = node;
    loop {
        match node.as_ref() {
            Node::Leaf { key, .. } | Node::LeafStub { key, .. } => return Ok(*key),
            Node::Opaque { .. } => return Err(Incomplete { key: *asked }),
            Node::Internal { children, .. } => {
                node = children.iter().flatten().next().expect("an internal node has children");
            }
        }
    }
}

/// Sets `key` below `slot`. Nodes on the path are updated in place when this version alone holds them,
/// copied otherwise.
fn insert(slot: &mut Option<Arc<Node>>, key: Hash, value: Arc<Vec<u8>>, depth: usize) -> Result<(), Incomplete> {
    let Some(node) = slot else {
        *slot = Some(Node::leaf(key, value));
        return Ok(());
    };
    match node.as_ref() {
        Node::Opaque { .. } => return Err(Incomplete { key }),
        Node::Leaf { key: existing, .. } | Node::LeafStub { key: existing, .. } if *existing != key => {
            let existing = *existing;
            let old = slot.take().expect("slot holds the leaf just matched");
            *slot = Some(split(old, existing, Node::leaf(key, value), key, depth));
            return Ok(());
        }
        Node::LeafStub { .. } => {
            *node = Node::leaf(key, value);
            return Ok(());
        }
        Node::Leaf { .. } => {
            match Arc::get_mut(node) {
                Some(Node::Leaf { value: stored, hash, .. }) => {
                    *stored = value;
                    hash.take();
                }
                _ => *node = Node::leaf(key, value),
            }
            return Ok(());
        }
        Node::Internal { .. } => {}
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
        _ => unreachable!("children_mut is called on internal nodes only"),
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
fn remove(slot: &mut Option<Arc<Node>>, key: &Hash, depth: usize) -> Result<(), Incomplete> {
    let Some(node) = slot else { return Ok(()) };
    match node.as_ref() {
        Node::Leaf { .. } | Node::LeafStub { .. } => {
            *slot = None;
            return Ok(());
        }
        Node::Opaque { .. } => return Err(Incomplete { key: *key }),
        Node::Internal { children, .. } => {
            // Decide before changing anything, so a partial tree that cannot finish is left untouched.
            let own = digit(key, depth);
            let mut others = children.iter().enumerate().filter(|(i, c)| *i != own && c.is_some());
            if let (Some((_, Some(only))), None) = (others.next(), others.next())
                && matches!(only.as_ref(), Node::Opaque { .. })
                && children[own].as_ref().is_some_and(|c| c.leaf_key().is_some())
            {
                return Err(Incomplete { key: *key });
            }
        }
    }
    let children = children_mut(node);
    remove(&mut children[digit(key, depth)], key, depth + 1)?;
    // A subtree left with a single leaf collapses into that leaf.
    let mut present = children.iter().flatten();
    let collapsed = match (present.next(), present.next()) {
        (None, _) => Some(None),
        (Some(only), None) if only.leaf_key().is_some() => Some(Some(only.clone())),
        _ => None,
    };
    if let Some(replacement) = collapsed {
        *slot = replacement;
    }
    Ok(())
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
mod tests;
