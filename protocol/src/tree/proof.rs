//! Inclusion and exclusion proofs of one key.

use serde::{Deserialize, Serialize};
use zr_common::Hash;

use super::{ARITY, MAX_DEPTH, digit, internal_hash, leaf_hash};

/// What a proof's path ends at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
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

/// A Merkle proof of one key's presence (with its value hash) or absence: per level from the root down, the
/// hash of the other child of the node on the key's path (zero when empty), then what the path ends at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// Per level from the root down, the other children's hashes, in child order.
    pub siblings: Vec<[Hash; ARITY - 1]>,
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
    /// A path that ends in nothing below a node with no other child, or in a lone leaf below one: no tree
    /// has that shape.
    #[error("proof describes a subtree no tree can hold")]
    NotCompact,
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
            // The node at depth d must hold at least two leaves: another child, or below ours a subtree that
            // is not a lone leaf (a chain of one-child nodes ends in an internal node).
            let lone = others.iter().all(|h| *h == Hash::ZERO);
            if lone && (hash == Hash::ZERO || (d + 1 == depth && !matches!(self.end, ProofEnd::Empty))) {
                return Err(ProofError::NotCompact);
            }
            let own = digit(key, d);
            let mut others = others.iter();
            let children = std::array::from_fn(|i| if i == own { hash } else { *others.next().expect("arity - 1") });
            hash = internal_hash(&children);
        }
        if hash != *root {
            return Err(ProofError::RootMismatch);
        }
        Ok(found)
    }
}
