//! Challenges: the claim of one executor at one height disputed at one leaf, posted to L1 in parts.
//!
//! A claim commits to its leaves; every part of it that can be wrong has a dispute that proves it:
//! - [`Dispute::Leaf`]: a wrong post-state, shown by re-executing the leaf's step from its witness;
//! - [`Dispute::Shape`]: a leaf, proven against the claim's leaves root, that is not where L1 puts it: its
//!   step is not L1's step at that position, the claim's leaf count is not L1's steps plus the prelude, or it
//!   is the last leaf and its root is not the claim's new root.

use zr_common::{Canonical, PublicKey};
use zr_protocol::{ClaimLeaf, LeafProof};

use crate::witness::Witness;

/// A challenge of one claim leaf's post-state: the witness that re-executes it.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Challenge {
    /// The executor whose claim is challenged.
    pub executor: PublicKey,
    /// The momentum height of the claim.
    pub height: u64,
    /// The leaf disputed (0 is the prelude).
    pub index: u32,
    /// Its witness.
    pub witness: Witness,
    /// The code the leaf runs, in the witness's `code` order: pillars check each against its hash.
    pub code: Vec<Vec<u8>>,
}

/// A challenge of a claim's shape: one of its leaves with the proof that the claim commits to it.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct ShapeChallenge {
    /// The executor whose claim is challenged.
    pub executor: PublicKey,
    /// The momentum height of the claim.
    pub height: u64,
    /// The leaf.
    pub leaf: ClaimLeaf,
    /// Its proof against the claim's leaves root (its index and the claim's leaf count).
    pub proof: LeafProof,
}

/// Whatever a challenger posts against a claim.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub enum Dispute {
    /// A leaf's post-state is wrong.
    Leaf(Box<Challenge>),
    /// A leaf is not where L1 puts it, the leaf count is wrong, or the claimed root is not the last leaf's.
    Shape(ShapeChallenge),
}

impl Dispute {
    /// The executor challenged.
    pub fn executor(&self) -> PublicKey {
        match self {
            Dispute::Leaf(c) => c.executor,
            Dispute::Shape(c) => c.executor,
        }
    }

    /// The claim's height.
    pub fn height(&self) -> u64 {
        match self {
            Dispute::Leaf(c) => c.height,
            Dispute::Shape(c) => c.height,
        }
    }

    /// The leaf disputed.
    pub fn index(&self) -> u32 {
        match self {
            Dispute::Leaf(c) => c.index,
            Dispute::Shape(c) => c.proof.index,
        }
    }

    /// How many contracts' code it carries: what judging it compiles and holds at once.
    pub fn codes(&self) -> usize {
        match self {
            Dispute::Leaf(c) => c.code.len(),
            Dispute::Shape(_) => 0,
        }
    }

    /// The disputed leaf and its proof against the claim's leaves root.
    pub fn leaf(&self) -> (&ClaimLeaf, &LeafProof) {
        match self {
            Dispute::Leaf(c) => (&c.witness.leaf.0, &c.witness.leaf.1),
            Dispute::Shape(c) => (&c.leaf, &c.proof),
        }
    }
}

/// Bytes at the start of a dispute's encoding that name its executor and height: the variant (u32), the
/// executor (32 bytes) and the height (u64), as both variants begin.
pub const DISPUTE_HEAD_LEN: usize = 4 + 32 + 8;

impl Dispute {
    /// The executor and height a dispute's encoding names, read from its first [`DISPUTE_HEAD_LEN`] bytes (the
    /// first part of a challenge posted in parts): `None` when they cannot begin a dispute.
    pub fn head(prefix: &[u8]) -> Option<(PublicKey, u64)> {
        let head = prefix.get(..DISPUTE_HEAD_LEN)?;
        let variant = u32::from_le_bytes(head[..4].try_into().expect("4 bytes"));
        if variant > 1 {
            return None;
        }
        let executor = PublicKey(head[4..36].try_into().expect("32 bytes"));
        Some((executor, u64::from_le_bytes(head[36..].try_into().expect("8 bytes"))))
    }
}

impl Canonical for Dispute {
    const NAME: &'static str = "challenge";
    /// Witness and code together: the codec's ceiling, 8 MiB (512 parts).
    const MAX_ENCODED_LEN: usize = zr_common::codec::GLOBAL_DECODE_LIMIT;
}

#[cfg(test)]
mod tests {
    use zr_common::{Hash, KeyPair};

    use super::*;

    /// The head is read from the canonical encoding of either variant: a format change must fail here.
    #[test]
    fn the_head_of_either_variant_names_its_executor_and_height() {
        let executor = KeyPair::from_seed(&[4; 32]).public();
        let leaf = ClaimLeaf { tx_hash: Hash([1; 32]), post_state_root: Hash([2; 32]), ..ClaimLeaf::default() };
        let shape = Dispute::Shape(ShapeChallenge {
            executor,
            height: 0x0102_0304_0506_0708,
            leaf,
            proof: LeafProof { index: 0, leaf_count: 1, siblings: vec![] },
        });
        let bytes = shape.to_bytes();
        assert_eq!(Dispute::head(&bytes), Some((executor, 0x0102_0304_0506_0708)));
        assert_eq!(&bytes[..4], &[1, 0, 0, 0]);
        assert_eq!(Dispute::head(&bytes[..DISPUTE_HEAD_LEN - 1]), None, "too short");
        let mut other = bytes.clone();
        other[0] = 2;
        assert_eq!(Dispute::head(&other), None, "no such variant");
        other[0] = 0;
        assert_eq!(Dispute::head(&other), Some((executor, 0x0102_0304_0506_0708)), "a leaf dispute's head");
    }
}
