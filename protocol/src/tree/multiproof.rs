//! Multiproofs: the part of a tree that a set of keys' paths open, as one list of nodes in preorder, and the
//! partial tree built from it with no other state.
//!
//! Each node on a proven path appears once however many keys pass through it, and the subtrees beside the
//! paths appear as one hash each, so keys sharing a path pay for it once. The form is canonical: for one
//! tree and one set of keys (and of keys whose values are carried) there is exactly one multiproof, which
//! lets a verifier refuse a witness that opens more than the transaction touched by rebuilding it.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zr_common::Hash;

use super::{ARITY, Children, Incomplete, MAX_DEPTH, Node, Tree, digit, leaf_hash, set_digit};

/// One node of a multiproof, in preorder: a branch is followed by its four children, in digit order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind")]
pub enum MultiNode {
    /// An empty subtree.
    Empty,
    /// An internal node on a proven key's path.
    Branch,
    /// A non-empty subtree that no proven key's path enters, by its hash.
    Hash {
        /// The subtree's hash.
        hash: Hash,
    },
    /// A leaf whose value is not carried: a key read for its presence only, or the leaf that ends another
    /// key's path (which proves that key absent).
    Leaf {
        /// The leaf's key.
        key: Hash,
        /// The hash of its value.
        value_hash: Hash,
    },
    /// A leaf with its value, for a key whose value was read.
    Value {
        /// The leaf's key.
        key: Hash,
        /// The value.
        #[serde(with = "zr_common::json::hex_bytes")]
        value: Vec<u8>,
    },
}

/// The paths of a set of keys through one tree version: see the module doc.
///
/// Encoded packed, as `kinds ‖ hashes ‖ values`: one byte per node (0 empty, 1 branch, 2 hash, 3 leaf,
/// 4 value), then the nodes' 32-byte hashes in order (a hash node's hash; a leaf's key and value hash; a value
/// node's key), then the value nodes' values. A level of a path costs at most 100 bytes: a branch's kind, and
/// the three siblings' kinds and hashes (an empty sibling is its kind alone).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Multiproof {
    /// The nodes, in preorder from the root.
    pub nodes: Vec<MultiNode>,
}

/// The wire form of a [`Multiproof`].
#[derive(bincode::Encode, bincode::Decode)]
struct Packed {
    kinds: Vec<u8>,
    hashes: Vec<Hash>,
    values: Vec<Vec<u8>>,
}

impl From<&Multiproof> for Packed {
    fn from(proof: &Multiproof) -> Packed {
        let mut packed = Packed { kinds: Vec::new(), hashes: Vec::new(), values: Vec::new() };
        for node in &proof.nodes {
            let kind = match node {
                MultiNode::Empty => 0,
                MultiNode::Branch => 1,
                MultiNode::Hash { hash } => {
                    packed.hashes.push(*hash);
                    2
                }
                MultiNode::Leaf { key, value_hash } => {
                    packed.hashes.extend([*key, *value_hash]);
                    3
                }
                MultiNode::Value { key, value } => {
                    packed.hashes.push(*key);
                    packed.values.push(value.clone());
                    4
                }
            };
            packed.kinds.push(kind);
        }
        packed
    }
}

impl TryFrom<Packed> for Multiproof {
    type Error = &'static str;

    fn try_from(packed: Packed) -> Result<Multiproof, &'static str> {
        const SHORT: &str = "multiproof: fewer hashes or values than its nodes need";
        let mut hashes = packed.hashes.into_iter();
        let mut values = packed.values.into_iter();
        let mut hash = || hashes.next().ok_or(SHORT);
        let nodes = packed
            .kinds
            .iter()
            .map(|kind| {
                Ok(match kind {
                    0 => MultiNode::Empty,
                    1 => MultiNode::Branch,
                    2 => MultiNode::Hash { hash: hash()? },
                    3 => MultiNode::Leaf { key: hash()?, value_hash: hash()? },
                    4 => MultiNode::Value { key: hash()?, value: values.next().ok_or(SHORT)? },
                    _ => return Err("multiproof: a node kind above 4"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if hashes.next().is_some() || values.next().is_some() {
            return Err("multiproof: more hashes or values than its nodes use");
        }
        Ok(Multiproof { nodes })
    }
}

impl bincode::Encode for Multiproof {
    fn encode<E: bincode::enc::Encoder>(&self, encoder: &mut E) -> Result<(), bincode::error::EncodeError> {
        Packed::from(self).encode(encoder)
    }
}

impl<Context> bincode::Decode<Context> for Multiproof {
    fn decode<D: bincode::de::Decoder<Context = Context>>(
        decoder: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        Packed::decode(decoder)?.try_into().map_err(bincode::error::DecodeError::Other)
    }
}

impl<'de, Context> bincode::BorrowDecode<'de, Context> for Multiproof {
    fn borrow_decode<D: bincode::de::BorrowDecoder<'de, Context = Context>>(
        decoder: &mut D,
    ) -> Result<Self, bincode::error::DecodeError> {
        Packed::borrow_decode(decoder)?.try_into().map_err(bincode::error::DecodeError::Other)
    }
}

/// A multiproof cannot be made into a partial tree of the root it should prove against.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WitnessError {
    /// The nodes end inside a branch.
    #[error("the multiproof ends inside a branch (truncated)")]
    Truncated,
    /// Nodes remain after the root's subtree is complete.
    #[error("the multiproof has {extra} nodes after the tree is complete")]
    Trailing {
        /// How many.
        extra: usize,
    },
    /// Branches nest deeper than a key has digits.
    #[error("the multiproof's branches go deeper than {MAX_DEPTH} levels")]
    TooDeep,
    /// A leaf sits where its key's path does not lead.
    #[error("leaf {key} is not on its key's path")]
    OffPath {
        /// The leaf's key.
        key: Hash,
    },
    /// A branch with fewer than two leaves below, or a subtree given by the hash zero: no tree has that shape
    /// and the canonical form never writes it.
    #[error("the multiproof describes a node no compact tree holds, at depth {depth}")]
    NotCompact {
        /// The node's depth.
        depth: usize,
    },
    /// The nodes hash to another root.
    #[error("the multiproof hashes to {actual}, not to the state root {expected}")]
    RootMismatch {
        /// The root it should prove against.
        expected: Hash,
        /// The root it gives.
        actual: Hash,
    },
}

impl Tree {
    /// The multiproof of `keys` (present or absent) in this version, carrying the values of `values` (a
    /// subset of `keys`; an absent key carries nothing). Fails if a path reaches what a partial tree does not
    /// hold, or a carried value is one it knows only by hash.
    pub fn multiproof(&self, keys: &BTreeSet<Hash>, values: &BTreeSet<Hash>) -> Result<Multiproof, Incomplete> {
        let keys: Vec<Hash> = keys.iter().copied().collect();
        let mut nodes = Vec::new();
        emit(self.root.as_ref(), &keys, values, 0, &mut nodes)?;
        Ok(Multiproof { nodes })
    }

    /// The partial tree of root `root` that `proof` opens: its branches, the subtrees beside them by hash,
    /// its leaves with their values or by key and value hash. Never panics, whatever the nodes.
    pub fn from_multiproof(root: &Hash, proof: &Multiproof) -> Result<Tree, WitnessError> {
        let mut nodes = proof.nodes.iter();
        let mut path = Hash::ZERO;
        let tree = Tree { root: parse(&mut nodes, &mut path, 0)? };
        let extra = nodes.len();
        if extra > 0 {
            return Err(WitnessError::Trailing { extra });
        }
        let actual = tree.root();
        if actual != *root {
            return Err(WitnessError::RootMismatch { expected: *root, actual });
        }
        Ok(tree)
    }
}

/// Writes the subtree `node` at `depth` for `keys` (sorted, all on this subtree's path) into `out`.
fn emit(
    node: Option<&Arc<Node>>,
    keys: &[Hash],
    values: &BTreeSet<Hash>,
    depth: usize,
    out: &mut Vec<MultiNode>,
) -> Result<(), Incomplete> {
    let Some(node) = node else {
        out.push(MultiNode::Empty);
        return Ok(());
    };
    let Some(first) = keys.first() else {
        out.push(MultiNode::Hash { hash: node.hash() });
        return Ok(());
    };
    match node.as_ref() {
        Node::Leaf { key, value, .. } if values.contains(key) => {
            out.push(MultiNode::Value { key: *key, value: value.to_vec() })
        }
        Node::Leaf { key, value, .. } => {
            out.push(MultiNode::Leaf { key: *key, value_hash: zr_common::sha3_256(value) })
        }
        Node::LeafStub { key, .. } if values.contains(key) => return Err(Incomplete { key: *key }),
        Node::LeafStub { key, value_hash, .. } => out.push(MultiNode::Leaf { key: *key, value_hash: *value_hash }),
        Node::Opaque { .. } => return Err(Incomplete { key: *first }),
        Node::Internal { children, .. } => {
            out.push(MultiNode::Branch);
            let mut rest = keys;
            for (d, child) in children.iter().enumerate() {
                let (these, after) = rest.split_at(rest.partition_point(|k| digit(k, depth) == d));
                emit(child.as_ref(), these, values, depth + 1, out)?;
                rest = after;
            }
        }
    }
    Ok(())
}

/// Reads the subtree at `depth`, whose path so far is the first `depth` bits of `path`.
fn parse<'a>(
    nodes: &mut impl Iterator<Item = &'a MultiNode>,
    path: &mut Hash,
    depth: usize,
) -> Result<Option<Arc<Node>>, WitnessError> {
    Ok(match nodes.next().ok_or(WitnessError::Truncated)? {
        MultiNode::Empty => None,
        MultiNode::Hash { hash } if *hash == Hash::ZERO => return Err(WitnessError::NotCompact { depth }),
        MultiNode::Hash { hash } => Some(Arc::new(Node::Opaque { hash: *hash })),
        MultiNode::Leaf { key, .. } | MultiNode::Value { key, .. } if !on_path(key, path, depth) => {
            return Err(WitnessError::OffPath { key: *key });
        }
        MultiNode::Leaf { key, value_hash } => {
            Some(Arc::new(Node::LeafStub { key: *key, value_hash: *value_hash, hash: leaf_hash(key, value_hash) }))
        }
        MultiNode::Value { key, value } => Some(Node::leaf(*key, Arc::new(value.clone()))),
        MultiNode::Branch => {
            if depth == MAX_DEPTH {
                return Err(WitnessError::TooDeep);
            }
            let mut children: Children = Default::default();
            for (d, child) in children.iter_mut().enumerate().take(ARITY) {
                set_digit(path, depth, d);
                *child = parse(nodes, path, depth + 1)?;
            }
            set_digit(path, depth, 0);
            // At least two leaves below: two children, or one that is not a lone leaf.
            let mut present = children.iter().flatten();
            match (present.next(), present.next()) {
                (Some(_), Some(_)) => {}
                (Some(only), None) if only.leaf_key().is_none() => {}
                _ => return Err(WitnessError::NotCompact { depth }),
            }
            Some(Node::internal(children))
        }
    })
}

fn on_path(key: &Hash, path: &Hash, depth: usize) -> bool {
    (0..depth).all(|d| digit(key, d) == digit(path, d))
}
