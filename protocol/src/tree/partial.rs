//! Partial trees: the part of a tree that a set of proofs opens, built without the rest of the state.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zr_common::Hash;

use super::{Children, MAX_DEPTH, Node, Proof, ProofEnd, ProofError, Tree, digit, leaf_hash};

/// One key of a witness: its proof against the pre-state root and, when the transaction read it, its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct ProvenKey {
    /// The tree key (SHA3 of the state key).
    pub key: Hash,
    /// Its proof.
    pub proof: Proof,
    /// Its value, when present and needed; must hash to the value hash the proof shows.
    #[serde(default, with = "zr_common::json::opt_hex_bytes")]
    pub value: Option<Vec<u8>>,
}

/// A witness cannot be made into a partial tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// A proof does not verify against the root.
    #[error("proof of key {key} is invalid: {reason}")]
    BadProof {
        /// The key.
        key: Hash,
        /// Why.
        reason: ProofError,
    },
    /// A value does not match the value hash its proof shows, or a value is given for an absent key.
    #[error("value given for key {key} does not match its proof")]
    ValueMismatch {
        /// The key.
        key: Hash,
    },
    /// Two proofs describe different trees (cannot happen for proofs of one root unless SHA3 collides).
    #[error("proof of key {key} disagrees with another proof")]
    Inconsistent {
        /// The key.
        key: Hash,
    },
    /// A key is proven twice.
    #[error("key {key} is proven twice")]
    Duplicate {
        /// The key.
        key: Hash,
    },
}

impl Tree {
    /// The partial tree with root `root` that `proofs` open: every node on each proven path, the other
    /// children of those nodes by hash, and each path's end — a leaf with its value if given, else by key and
    /// value hash. Every proof must verify against `root`, and every value against its proof.
    pub fn from_proofs(root: &Hash, proofs: &[ProvenKey]) -> Result<Tree, WitnessError> {
        let mut tree = Tree { root: (*root != Hash::ZERO).then(|| Arc::new(Node::Opaque { hash: *root })) };
        let mut seen = std::collections::BTreeSet::new();
        for proven in proofs {
            let key = proven.key;
            if !seen.insert(key) {
                return Err(WitnessError::Duplicate { key });
            }
            let bad = |reason| WitnessError::BadProof { key, reason };
            let (found, hashes) = proven.proof.path_hashes(&key).map_err(bad)?;
            if hashes[0] != *root {
                return Err(bad(ProofError::RootMismatch));
            }
            let value = match (&proven.value, found) {
                (None, _) => None,
                (Some(value), Some(value_hash)) if zr_common::sha3_256(value) == value_hash => {
                    Some(Arc::new(value.clone()))
                }
                (Some(_), _) => return Err(WitnessError::ValueMismatch { key }),
            };
            open_path(&mut tree.root, &key, &proven.proof, &hashes, value, 0)?;
        }
        Ok(tree)
    }
}

/// Opens `slot` (at `depth` on `key`'s path) as the proof describes.
fn open_path(
    slot: &mut Option<Arc<Node>>,
    key: &Hash,
    proof: &Proof,
    hashes: &[Hash],
    value: Option<Arc<Vec<u8>>>,
    depth: usize,
) -> Result<(), WitnessError> {
    let inconsistent = WitnessError::Inconsistent { key: *key };
    debug_assert!(depth <= MAX_DEPTH);
    if depth == proof.siblings.len() {
        // The path's end.
        return match (&proof.end, slot.as_mut()) {
            (ProofEnd::Empty, None) => Ok(()),
            (ProofEnd::Empty, Some(_)) => Err(inconsistent),
            (ProofEnd::Leaf { .. }, None) => Err(inconsistent),
            (ProofEnd::Leaf { key: leaf_key, value_hash }, Some(node)) => {
                if node.hash() != leaf_hash(leaf_key, value_hash) {
                    return Err(inconsistent);
                }
                match (node.as_ref(), value) {
                    (Node::Leaf { .. }, _) => {}
                    (_, Some(value)) => *node = Node::leaf(*leaf_key, value),
                    (_, None) => {
                        if !matches!(node.as_ref(), Node::LeafStub { .. }) {
                            let hash = node.hash();
                            *node = Arc::new(Node::LeafStub { key: *leaf_key, value_hash: *value_hash, hash });
                        }
                    }
                }
                Ok(())
            }
        };
    }
    let Some(node) = slot.as_mut() else { return Err(inconsistent) };
    if node.hash() != hashes[depth] {
        return Err(inconsistent);
    }
    match node.as_ref() {
        Node::Opaque { .. } => {
            let own = digit(key, depth);
            let mut others = proof.siblings[depth].iter();
            let children: Children = std::array::from_fn(|i| {
                let hash = if i == own { hashes[depth + 1] } else { *others.next().expect("three others") };
                (hash != Hash::ZERO).then(|| Arc::new(Node::Opaque { hash }))
            });
            *node = Node::internal(children);
        }
        Node::Internal { .. } => {}
        Node::Leaf { .. } | Node::LeafStub { .. } => return Err(inconsistent),
    }
    let Node::Internal { children, .. } = Arc::make_mut(node) else { unreachable!("opened above") };
    open_path(&mut children[digit(key, depth)], key, proof, hashes, value, depth + 1)
}
