//! Claim leaves: one per transaction of a momentum (and one for its prelude), committed by a Merkle root in
//! the claim, each provable on its own against that root.
//!
//! A leaf says which transaction it is, the state root after it, its receipt's hash and the gas the
//! momentum's transactions have used up to and including it. So everything that decides leaf i — whether
//! its transaction still fits the momentum's gas budget, the state it runs on — is in leaf i-1 and the L1
//! data, and a verifier can check leaf i alone.

use serde::{Deserialize, Serialize};
use zr_common::Hash;
use zr_common::hash::{Domain, domain_hash, sha3_256_concat};

/// One leaf of a claim's commitment (the default: all zero, for tests and fillers).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct ClaimLeaf {
    /// The transaction's hash; for the prelude leaf (leaf 0), `transition::prelude_hash` of its inputs.
    pub tx_hash: Hash,
    /// The state root after the transaction.
    pub post_state_root: Hash,
    /// [`zr_common::rollup::Receipt::hash`]; zero for the prelude leaf.
    pub receipt_hash: Hash,
    /// Gas used by the momentum's transactions up to and including this one.
    pub cumulative_gas: u64,
    /// Bytes of receipts the momentum's transactions wrote up to and including this one.
    pub cumulative_receipt_bytes: u64,
    /// Bytes of state the momentum wrote up to and including this step (its prelude's too).
    pub cumulative_state_bytes: u64,
}

impl ClaimLeaf {
    /// The leaf hash: SHA3 over the leaf domain tag and the canonical encoding.
    pub fn hash(&self) -> Hash {
        domain_hash(Domain::ClaimLeaf, &zr_common::codec::encode(self))
    }
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    sha3_256_concat([&[1u8][..], &left.0, &right.0])
}

/// The level above `level`: pairs hashed, an odd last node carried up unchanged.
fn parent_level(level: &[Hash]) -> Vec<Hash> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [left, right] => node_hash(left, right),
            [single] => *single,
            _ => unreachable!("chunks of two"),
        })
        .collect()
}

/// The root committed to: SHA3(0x02 ‖ leaf count as u32 LE ‖ Merkle root), so a leaf has one position in
/// one tree (without the count, an odd node carried up would verify at two positions).
fn with_count(count: u32, merkle: &Hash) -> Hash {
    sha3_256_concat([&[2u8][..], &count.to_le_bytes(), &merkle.0])
}

/// The commitment to a claim's leaves: the Merkle root of their hashes (pairs hashed as
/// SHA3(0x01 ‖ left ‖ right), an odd node carried up unchanged) bound to their count; zero for no leaves.
pub fn leaves_root(leaves: &[ClaimLeaf]) -> Hash {
    let mut level: Vec<Hash> = leaves.iter().map(ClaimLeaf::hash).collect();
    if level.is_empty() {
        return Hash::ZERO;
    }
    while level.len() > 1 {
        level = parent_level(&level);
    }
    with_count(leaves.len() as u32, &level[0])
}

/// A proof that a leaf sits at `index` of a claim's `leaf_count` leaves: the sibling hash at each level
/// where the leaf's node has one (a carried odd node has none), bottom up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct LeafProof {
    /// The leaf's position.
    pub index: u32,
    /// How many leaves the claim has.
    pub leaf_count: u32,
    /// Sibling hashes, bottom up.
    pub siblings: Vec<Hash>,
}

/// A leaf proof does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeafProofError {
    /// The index is not below the leaf count.
    #[error("leaf index {index} is not below the leaf count {count}")]
    OutOfRange {
        /// The index.
        index: u32,
        /// The count.
        count: u32,
    },
    /// Too few or too many sibling hashes for the index and count.
    #[error("leaf proof has {actual} sibling hashes, {expected} expected")]
    WrongLength {
        /// Expected.
        expected: usize,
        /// Given.
        actual: usize,
    },
    /// The recomputed root differs.
    #[error("leaf proof does not lead to the claim's leaves root")]
    RootMismatch,
}

impl LeafProof {
    /// The proof of leaf `index` among `leaves`.
    pub fn new(leaves: &[ClaimLeaf], index: u32) -> Option<LeafProof> {
        if index as usize >= leaves.len() {
            return None;
        }
        let mut level: Vec<Hash> = leaves.iter().map(ClaimLeaf::hash).collect();
        let mut position = index as usize;
        let mut siblings = Vec::new();
        while level.len() > 1 {
            let sibling = position ^ 1;
            if sibling < level.len() {
                siblings.push(level[sibling]);
            }
            level = parent_level(&level);
            position /= 2;
        }
        Some(LeafProof { index, leaf_count: leaves.len() as u32, siblings })
    }

    /// Checks that `leaf` is at [`LeafProof::index`] under `root`.
    pub fn verify(&self, leaf: &ClaimLeaf, root: &Hash) -> Result<(), LeafProofError> {
        let (index, count) = (self.index as usize, self.leaf_count as usize);
        if index >= count {
            return Err(LeafProofError::OutOfRange { index: self.index, count: self.leaf_count });
        }
        let mut hash = leaf.hash();
        let (mut position, mut width, mut used) = (index, count, 0);
        while width > 1 {
            let sibling = position ^ 1;
            if sibling < width {
                let other = self
                    .siblings
                    .get(used)
                    .ok_or(LeafProofError::WrongLength { expected: used + 1, actual: self.siblings.len() })?;
                hash = if position % 2 == 0 { node_hash(&hash, other) } else { node_hash(other, &hash) };
                used += 1;
            }
            position /= 2;
            width = width.div_ceil(2);
        }
        if used != self.siblings.len() {
            return Err(LeafProofError::WrongLength { expected: used, actual: self.siblings.len() });
        }
        if with_count(self.leaf_count, &hash) != *root {
            return Err(LeafProofError::RootMismatch);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(i: u8) -> ClaimLeaf {
        ClaimLeaf {
            tx_hash: Hash([i; 32]),
            post_state_root: Hash([i ^ 0xff; 32]),
            receipt_hash: Hash([7; 32]),
            cumulative_gas: u64::from(i),
            cumulative_receipt_bytes: u64::from(i) * 100,
            cumulative_state_bytes: u64::from(i) * 1000,
        }
    }

    #[test]
    fn every_leaf_of_every_size_proves_and_nothing_else_does() {
        for count in 1..=17u8 {
            let leaves: Vec<ClaimLeaf> = (0..count).map(leaf).collect();
            let root = leaves_root(&leaves);
            for index in 0..count {
                let proof = LeafProof::new(&leaves, u32::from(index)).unwrap();
                assert_eq!(proof.verify(&leaves[index as usize], &root), Ok(()));
                let other = leaf(index.wrapping_add(100));
                assert!(proof.verify(&other, &root).is_err());
                let mut moved = proof.clone();
                moved.index = (moved.index + 1) % u32::from(count);
                if count > 1 {
                    assert!(moved.verify(&leaves[index as usize], &root).is_err());
                }
                for i in 0..proof.siblings.len() {
                    let mut tampered = proof.clone();
                    tampered.siblings[i].0[3] ^= 1;
                    assert_eq!(tampered.verify(&leaves[index as usize], &root), Err(LeafProofError::RootMismatch));
                }
            }
            assert!(LeafProof::new(&leaves, u32::from(count)).is_none());
        }
    }

    /// Without the count committed, an odd node carried up would verify at two positions: the last of three
    /// leaves also "is" leaf 1 of a two-leaf tree whose first leaf is the pair of the first two.
    #[test]
    fn a_leaf_has_one_position() {
        let leaves: Vec<ClaimLeaf> = (0..3).map(leaf).collect();
        let root = leaves_root(&leaves);
        let pair = node_hash(&leaves[0].hash(), &leaves[1].hash());
        let forged = LeafProof { index: 1, leaf_count: 2, siblings: vec![pair] };
        assert_eq!(forged.verify(&leaves[2], &root), Err(LeafProofError::RootMismatch));
        assert_eq!(LeafProof::new(&leaves, 2).unwrap().verify(&leaves[2], &root), Ok(()));
    }

    /// The leaf format is pinned: a change must fail here.
    #[test]
    fn golden_leaf_hash() {
        assert_eq!(leaf(1).hash().to_hex(), "f8695a6370302284e2e71f54955f761b5d0683a86ecedf970a6e677e852cef7b");
    }
}
